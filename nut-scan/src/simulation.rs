//! dummy-ups simulation files (`-n`, as C NUT 2.8.1 and later have it; 2.8.0 has no such
//! scan): every regular `*.dev` and `*.seq` file of the configuration folder, to be run by
//! `dummy-ups` with the file name as its port.

use std::path::Path;

use crate::{Bus, Finding};

/// Whether `name` is a simulation file's: `.dev` or `.seq` after a non-empty stem.
fn is_simulation(name: &str) -> bool {
    match name.rfind('.') {
        Some(0) | None => false,
        Some(dot) => matches!(&name[dot..], ".dev" | ".seq"),
    }
}

/// The simulation files of `dir`, in C's order (names in descending byte order: C lists
/// its sorted folder from the end). A folder that cannot be read is an error.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("nut-scan-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// for f in ["a.dev", "b.seq", "ups.conf", ".dev"] {
///     std::fs::write(dir.join(f), "").unwrap();
/// }
/// let found = nut_scan::simulation::scan(&dir).unwrap();
/// let ports: Vec<&str> = found.iter().map(|f| f.port.as_str()).collect();
/// assert_eq!(ports, ["b.seq", "a.dev"]);
/// assert_eq!(found[0].driver, "dummy-ups");
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn scan(dir: &Path) -> std::io::Result<Vec<Finding>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_simulation(&name) {
            names.push(name);
        }
    }
    names.sort_by(|a, b| b.as_bytes().cmp(a.as_bytes()));
    Ok(names
        .into_iter()
        .map(|n| Finding::new(Bus::Simulation, "dummy-ups", n))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::is_simulation;

    #[test]
    fn names() {
        assert!(is_simulation("x.dev") && is_simulation("a.b.seq"));
        assert!(!is_simulation(".dev") && !is_simulation("x.dev~") && !is_simulation("dev"));
    }
}
