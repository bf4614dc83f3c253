//! What `nut-sim` and `usb-emu run` share about a simulated UPS: the `--set KEY=VALUE`
//! device settings and the script of timed power events (`<seconds> <event>` a line, `#`
//! for comments; events as [`UpsModel::apply`] takes them).

use std::path::{Path, PathBuf};

use super::{SharedModel, UpsModel};

/// A script or a setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// A line of a script is not `<seconds> <event>` with a known event.
    #[error("line {line}: {message}")]
    Line {
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The script file cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line of the script file is wrong.
    #[error("{}: {error}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// The line's error.
        error: Box<Self>,
    },
    /// A `--set` that is not `KEY=VALUE`.
    #[error("--set needs KEY=VALUE, not {0:?}")]
    Setting(String),
}

/// Parses a script of timed power events into `(seconds, event)` steps, sorted by time. Each
/// event is checked on a scratch model, so a bad one is reported with its line.
pub fn parse_script(text: &str) -> Result<Vec<(f64, String)>, ScriptError> {
    let mut steps = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_error = |message: String| ScriptError::Line {
            line: n + 1,
            message,
        };
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let (at, event) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| line_error("expected '<seconds> <event>'".into()))?;
        let at: f64 = at
            .parse()
            .map_err(|e| line_error(format!("bad time {at:?}: {e}")))?;
        UpsModel::new()
            .apply(event.trim())
            .map_err(|e| line_error(e.to_string()))?;
        steps.push((at, event.trim().to_owned()));
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(steps)
}

/// Reads a script file (see [`parse_script`]); errors name the file.
pub fn load_script(path: &Path) -> Result<Vec<(f64, String)>, ScriptError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_script(&text).map_err(|error| ScriptError::InFile {
        path: path.to_owned(),
        error: Box::new(error),
    })
}

/// Stores `KEY=VALUE` device settings in the model (see [`UpsModel::settings`]).
pub fn apply_settings(model: &SharedModel, settings: &[String]) -> Result<(), ScriptError> {
    for s in settings {
        let Some((k, v)) = s.split_once('=') else {
            return Err(ScriptError::Setting(s.clone()));
        };
        let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
        m.settings.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_settings() {
        let steps = parse_script("# power cut\n10 mains-lost\n2.5 load=40  # heavier\n\n").ok();
        assert_eq!(
            steps,
            Some(vec![(2.5, "load=40".into()), (10.0, "mains-lost".into())])
        );
        let e = parse_script("1 mains-lost\nsoon fail\n").unwrap_err();
        assert!(
            e.to_string().starts_with("line 2: bad time \"soon\""),
            "{e}"
        );
        assert!(parse_script("1 explode\n").is_err());
        let model = UpsModel::shared();
        assert!(apply_settings(&model, &["bestups.model = AX1".into()]).is_ok());
        let m = model.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(
            m.settings.get("bestups.model").map(String::as_str),
            Some("AX1")
        );
        drop(m);
        let e = apply_settings(&model, &["novalue".into()]).unwrap_err();
        assert_eq!(e.to_string(), "--set needs KEY=VALUE, not \"novalue\"");
        let e = load_script(Path::new("/nonexistent/script")).unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/script: "), "{e}");
    }
}
