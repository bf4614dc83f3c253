//! The deployment files of `examples/deploy/` (README, "Install and run as a service"): the
//! sample configuration loads without a warning, in our parsers and in C's upsdrvctl; the
//! systemd units and the drop-ins for Debian's C NUT units pass `systemd-analyze verify`
//! with our installed programs, and name them (a drop-in pointing elsewhere fails).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

mod support;

use nut_examples::proto::config::{NutConf, UpsConf, UpsdConf, UpsdUsers, UpsmonConf};
use support::{have, interop};

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// Where the tests find this package's programs, as an installation would have them.
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_upsd"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn sample_configuration_loads_without_warnings() {
    let etc = deploy().join("etc");
    let warnings = [
        (
            "nut.conf",
            NutConf::load(etc.join("nut.conf")).unwrap().warnings,
        ),
        (
            "ups.conf",
            UpsConf::load(etc.join("ups.conf")).unwrap().warnings,
        ),
        (
            "upsd.conf",
            UpsdConf::load(etc.join("upsd.conf")).unwrap().warnings,
        ),
        (
            "upsd.users",
            UpsdUsers::load(etc.join("upsd.users")).unwrap().warnings,
        ),
        (
            "upsmon.conf",
            UpsmonConf::load(etc.join("upsmon.conf")).unwrap().warnings,
        ),
    ];
    for (file, w) in &warnings {
        assert!(w.is_empty(), "{file}: {w:?}");
    }
    let users = UpsdUsers::load(etc.join("upsd.users")).unwrap().config;
    let monitors = UpsmonConf::load(etc.join("upsmon.conf")).unwrap().config;
    assert_eq!(monitors.monitors.len(), 1);
    assert!(users.users.iter().any(|u| u.check_password("change-me")));

    // C's upsdrvctl reads the same ups.conf (testing mode: it says what it would start).
    if have(&["/sbin/upsdrvctl"]) {
        let out = Command::new("/sbin/upsdrvctl")
            .args(["-t", "start"])
            .env("NUT_CONFPATH", &etc)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("usbhid-ups -a myups"), "{text}");
    }
}

/// `systemd-analyze verify` on `units` (in `dir`, which is put in front of the unit path):
/// its status and what it said.
fn verify(dir: &Path, units: &[&str]) -> (bool, String) {
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(units)
        .env("SYSTEMD_UNIT_PATH", format!("{}:", dir.display()))
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Copies `from` to `to` with `/usr/local/bin/` replaced by `bin`.
fn install(from: &Path, to: &Path, bin: &str) {
    let text = fs::read_to_string(from).unwrap();
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::write(to, text.replace("/usr/local/bin/", bin)).unwrap();
}

/// Whether `systemd-analyze` is here: the test skips without it, or fails under
/// `NUT_RS_INTEROP=1` (CI installs it).
fn have_systemd_analyze() -> bool {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok()
    {
        return true;
    }
    assert!(
        !interop(),
        "systemd-analyze is missing (Debian package systemd)"
    );
    eprintln!("systemd-analyze is missing; skipping");
    false
}

#[test]
fn systemd_units_verify_with_the_installed_programs() {
    if !have_systemd_analyze() {
        return;
    }
    let units = [
        "nut-rs.target",
        "nut-rs-driver.service",
        "nut-rs-server.service",
        "nut-rs-monitor.service",
    ];
    for (bin, ok) in [
        (format!("{}/", bin_dir().display()), true),
        ("/nonexistent/nut-rs/".to_owned(), false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        for unit in units {
            install(
                &deploy().join("systemd").join(unit),
                &dir.path().join(unit),
                &bin,
            );
        }
        let (success, said) = verify(dir.path(), &units);
        if ok {
            assert!(success && said.trim().is_empty(), "{said}");
        } else {
            assert!(
                !success && said.contains("/nonexistent/nut-rs/upsd"),
                "{said}"
            );
        }
    }
}

#[test]
fn drop_ins_switch_debians_units_to_ours() {
    let c_units = Path::new("/lib/systemd/system");
    if !have(&["/lib/systemd/system/nut-server.service"]) || !have_systemd_analyze() {
        return;
    }
    let cases = [
        (
            "nut-server.service",
            "nut-server.service.d",
            "nut-server.service",
        ),
        (
            "nut-monitor.service",
            "nut-monitor.service.d",
            "nut-monitor.service",
        ),
        (
            "nut-driver@.service",
            "nut-driver@.service.d",
            "nut-driver@myups.service",
        ),
    ];
    for (unit, drop_in, instance) in cases {
        for (bin, ok) in [
            (format!("{}/", bin_dir().display()), true),
            ("/nonexistent/nut-rs/".to_owned(), false),
        ] {
            let dir = tempfile::tempdir().unwrap();
            fs::copy(c_units.join(unit), dir.path().join(unit)).unwrap();
            install(
                &deploy().join("debian").join(drop_in).join("nut-rs.conf"),
                &dir.path().join(drop_in).join("nut-rs.conf"),
                &bin,
            );
            let (success, said) = verify(dir.path(), &[instance]);
            // Debian's units name units and files this test does not install; only what
            // concerns the commands matters here.
            let about_commands: Vec<&str> = said
                .lines()
                .filter(|l| l.contains("Command") || l.contains("executable"))
                .collect();
            if ok || unit.starts_with("nut-driver@") {
                // The driver's commands run through /bin/sh: systemd checks that one only.
                assert!(success && about_commands.is_empty(), "{unit}: {said}");
            } else {
                assert!(
                    !success && said.contains("/nonexistent/nut-rs/"),
                    "{unit}: the drop-in was not applied: {said}"
                );
            }
        }
    }
}

/// Every program's `--help` describes that program (not the package) and exits 0; the
/// drivers take `--help` and `--version` as C's `-h` and `-V`. The CGI programs are left
/// out: a web server runs them, and like C's they read the request, not a command line.
#[test]
fn each_programs_help_is_its_own() {
    let package = "The reference programs of nut-rs";
    for entry in fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin")).unwrap() {
        let name = entry.unwrap().path();
        let program = name.file_stem().unwrap().to_str().unwrap().to_owned();
        if program.ends_with("-cgi") {
            continue;
        }
        let path = bin_dir().join(&program);
        if !path.exists() {
            continue;
        }
        let out = Command::new(&path).arg("--help").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{program} --help: {text}");
        assert!(!text.contains(package), "{program} --help: {text}");
        assert!(!text.contains("unknown option"), "{program} --help: {text}");
        assert!(text.lines().count() > 2, "{program} --help: {text}");
    }
}
