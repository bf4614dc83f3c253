//! Where the unit tests find the shared device recordings (`../shared/testdata`, beside the
//! repository, never copied in; `NUT_RS_TESTDATA` names another folder, and CI names a
//! missing one to check that a fresh clone skips them).

use std::path::{Path, PathBuf};

/// The recording `rel` (a file or folder under the test data), or `None` with a note when
/// it is absent (a fresh clone): the test then skips. Under `NUT_RS_INTEROP=1` (CI) an
/// absent recording fails the test instead. (Only the drivers behind features read
/// recordings: without them it has no caller.)
#[cfg_attr(
    not(any(feature = "serial", feature = "usb", feature = "snmp")),
    allow(dead_code)
)]
pub(crate) fn recorded(rel: &str) -> Option<PathBuf> {
    let root = match std::env::var_os("NUT_RS_TESTDATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata"),
    };
    let path = root.join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("NUT_RS_INTEROP").as_deref() != Ok("1"),
        "NUT_RS_INTEROP=1 but {} is missing",
        path.display()
    );
    eprintln!("note: {} is missing; skipping", path.display());
    None
}
