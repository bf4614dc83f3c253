//! The multi-call binary `nut-rs`: it holds every installed program, and each program run
//! through its link behaves as its separate binary.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NUT_RS: &str = env!("CARGO_BIN_EXE_nut-rs");

/// Binaries of this package that are not installed programs: test tooling and the
/// multi-call binary itself.
const NOT_PROGRAMS: [&str; 2] = ["usb-emu", "nut-rs"];

/// The separate binaries, built beside `nut-rs`.
fn bin_dir() -> PathBuf {
    Path::new(NUT_RS).parent().unwrap().to_path_buf()
}

/// The programs as `nut-rs --list` names them.
fn listed() -> Vec<String> {
    let out = Command::new(NUT_RS).arg("--list").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// What a run printed and how it ended, for comparing two runs.
fn outcome(out: &Output) -> (Option<i32>, String, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_program_is_inside() {
    let mut expected: Vec<String> =
        fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin"))
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                path.file_stem().unwrap().to_str().unwrap().to_owned()
            })
            .filter(|name| !NOT_PROGRAMS.contains(&name.as_str()))
            // The CGI programs answer to C's names, which cargo cannot give a binary.
            .map(|name| match name.strip_suffix("-cgi") {
                Some(stem) => format!("{stem}.cgi"),
                None => name,
            })
            .collect();
    expected.sort();
    let mut got = listed();
    got.sort();
    assert_eq!(got, expected, "nut-rs --list against src/bin");
}

/// Through its link, each program answers `-h` and `-V` (the CGI programs: an empty
/// request) exactly as its own binary does.
#[test]
fn each_link_behaves_as_its_program() {
    let links = tempfile::tempdir().unwrap();
    let out = Command::new(NUT_RS)
        .arg("--link")
        .arg(links.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", outcome(&out));
    for name in listed() {
        let link = links.path().join(&name);
        assert_eq!(
            fs::canonicalize(&link).unwrap(),
            fs::canonicalize(NUT_RS).unwrap()
        );
        let own = bin_dir().join(name.replace(".cgi", "-cgi"));
        let requests: &[&[&str]] = if name.ends_with(".cgi") {
            &[&[]]
        } else {
            &[&["-h"], &["-V"]]
        };
        for args in requests {
            // Both under the link's name: C's usage texts print argv[0].
            let run = |program: &Path| {
                Command::new(program)
                    .arg0(&link)
                    .args(*args)
                    .env("NUT_CONFPATH", links.path())
                    .env("REQUEST_METHOD", "GET")
                    .env_remove("QUERY_STRING")
                    .stdin(std::process::Stdio::null())
                    .output()
                    .unwrap()
            };
            let (theirs, ours) = (run(&own), run(&link));
            assert_eq!(
                outcome(&ours),
                outcome(&theirs),
                "{name} {args:?}: through the link (left), its own binary (right)"
            );
        }
    }
}

#[test]
fn named_as_the_first_argument() {
    let via_arg = Command::new(NUT_RS).args(["upsc", "-V"]).output().unwrap();
    let own = Command::new(bin_dir().join("upsc"))
        .arg("-V")
        .output()
        .unwrap();
    assert_eq!(outcome(&via_arg), outcome(&own));
    let unknown = Command::new(NUT_RS).arg("upsx").output().unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no program named \"upsx\""));
}

#[test]
fn link_replaces_links_and_leaves_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/nonexistent", dir.path().join("upsc")).unwrap();
    fs::write(dir.path().join("upsd"), "mine").unwrap();
    let out = Command::new(NUT_RS)
        .arg("--link")
        .arg(dir.path())
        .args(["upsc", "upsd", "upsstats.cgi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("upsd exists and is not a link"));
    assert_eq!(fs::read_to_string(dir.path().join("upsd")).unwrap(), "mine");
    for name in ["upsc", "upsstats.cgi"] {
        assert_eq!(
            fs::canonicalize(dir.path().join(name)).unwrap(),
            fs::canonicalize(NUT_RS).unwrap()
        );
    }
    assert!(
        !dir.path().join("upsmon").exists(),
        "only the programs named"
    );
}
