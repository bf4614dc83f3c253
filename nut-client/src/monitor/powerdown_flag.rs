//! POWERDOWNFLAG: the file upsmon creates just before running SHUTDOWNCMD, so that the
//! shutdown scripts know to cut the UPS's power (`upsmon -K`). It holds C's magic text, and
//! upsmon only ever removes a file holding that text.

use std::fs;
use std::path::Path;

/// What the flag file holds (C's `SDMAGIC`).
pub const SDMAGIC: &str = "upsmon-shutdown-file";

/// The state of the flag file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagStatus {
    /// There is no file (or no POWERDOWNFLAG is configured).
    Absent,
    /// The file is there and holds the magic text.
    Set,
    /// The file is there but holds something else: not ours, never touched.
    Foreign,
}

/// Looks at the flag file `path`.
pub fn status(path: Option<&str>) -> FlagStatus {
    let Some(path) = path else {
        return FlagStatus::Absent;
    };
    match fs::read(path) {
        Err(_) => FlagStatus::Absent,
        Ok(bytes) if bytes.starts_with(SDMAGIC.as_bytes()) => FlagStatus::Set,
        Ok(_) => FlagStatus::Foreign,
    }
}

/// Creates the flag file (C's `set_pdflag`); does nothing without a path.
pub fn set(path: Option<&str>) {
    let Some(path) = path else {
        return;
    };
    if let Err(e) = fs::write(path, SDMAGIC) {
        tracing::error!("Failed to create power down flag {path}: {e}");
    }
}

/// Removes a flag left by an earlier shutdown (C's `clear_pdflag`). Returns `false` when
/// the file holds something else, in which case POWERDOWNFLAG must not be used.
pub fn clear(path: Option<&str>) -> bool {
    match status(path) {
        FlagStatus::Foreign => {
            tracing::error!(
                "POWERDOWNFLAG ({}) does not contain the upsmon magic string - disabling!",
                path.unwrap_or_default()
            );
            false
        }
        FlagStatus::Set => {
            if let Some(p) = path {
                let _ = fs::remove_file(Path::new(p));
            }
            true
        }
        FlagStatus::Absent => true,
    }
}

/// `upsmon -K`: the exit status (0 when the flag is set) and the message C prints.
pub fn check(path: Option<&str>) -> (u8, &'static str) {
    match status(path) {
        FlagStatus::Set => (0, "Power down flag is set"),
        FlagStatus::Absent => (1, "Power down flag is not set"),
        FlagStatus::Foreign => (1, "POWERDOWNFLAG does not contain the upsmon magic string"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_check_clear() {
        let dir = std::env::temp_dir().join(format!("nut-pdflag-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("killpower");
        let p = path.to_str();
        assert_eq!(check(p).0, 1);
        set(p);
        assert_eq!(fs::read_to_string(&path).unwrap(), SDMAGIC);
        assert_eq!(check(p), (0, "Power down flag is set"));
        assert!(clear(p));
        assert!(!path.exists());
        fs::write(&path, "important data").unwrap();
        assert_eq!(status(p), FlagStatus::Foreign);
        assert!(!clear(p));
        assert!(path.exists());
        assert_eq!(check(None).0, 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
