//! What `nut-sim` and `usb-emu run --q1` share about a simulated UPS: the `--set KEY=VALUE`
//! device settings and the script of timed power events (`<seconds> <event>` a line, `#`
//! for comments; events as [`UpsModel::apply`] takes them).

use anyhow::{bail, Context};
use nut_drivers::sim::{SharedModel, UpsModel};

/// Parses a script of timed power events into `(seconds, event)` steps, sorted by time. Each
/// event is checked on a scratch model, so a bad one is reported with its line.
pub fn parse_script(text: &str) -> anyhow::Result<Vec<(f64, String)>> {
    let mut steps = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let (at, event) = line
            .split_once(char::is_whitespace)
            .with_context(|| format!("line {}: expected '<seconds> <event>'", n + 1))?;
        let at: f64 = at
            .parse()
            .with_context(|| format!("line {}: bad time {at:?}", n + 1))?;
        UpsModel::new()
            .apply(event.trim())
            .map_err(|e| anyhow::anyhow!("line {}: {e}", n + 1))?;
        steps.push((at, event.trim().to_owned()));
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(steps)
}

/// Reads a script file (see [`parse_script`]); errors name the file.
pub fn load_script(path: &std::path::Path) -> anyhow::Result<Vec<(f64, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    parse_script(&text).with_context(|| format!("{}", path.display()))
}

/// Stores `KEY=VALUE` device settings in the model (see [`UpsModel::settings`]).
pub fn apply_settings(model: &SharedModel, settings: &[String]) -> anyhow::Result<()> {
    for s in settings {
        let Some((k, v)) = s.split_once('=') else {
            bail!("--set needs KEY=VALUE, not {s:?}");
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
        let e = parse_script("1 mains-lost\nsoon fail\n").err();
        assert!(format!("{e:?}").contains("line 2"), "{e:?}");
        assert!(parse_script("1 explode\n").is_err());
        let model = UpsModel::shared();
        assert!(apply_settings(&model, &["bestups.model = AX1".into()]).is_ok());
        let m = model.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(
            m.settings.get("bestups.model").map(String::as_str),
            Some("AX1")
        );
        drop(m);
        assert!(apply_settings(&model, &["novalue".into()]).is_err());
    }
}
