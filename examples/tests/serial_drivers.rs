//! Differential tests of the serial drivers: C NUT 2.8.0's `nutdrv_qx` (`/lib/nut/…`) and
//! ours are pointed in turn at the same simulated device (a pseudo-terminal served by
//! `nut_drivers::sim`) through a power-failure script, and must dump (`-d 1`) the same
//! variables with the same values. This also shows that the simulator is faithful enough
//! to fool the C driver.
//!
//! Without the C driver the test prints a note and passes, unless `NUT_RS_INTEROP=1`.

use nut_drivers::sim::pty::PtyServer;
use nut_drivers::sim::q1::Q1Dialect;
use nut_drivers::sim::{Protocol, SharedModel, UpsModel};

const C_QX: &str = "/lib/nut/nutdrv_qx";
const OURS_QX: &str = env!("CARGO_BIN_EXE_nutdrv_qx");

mod support;

use support::driver::dump;

fn have(path: &str) -> bool {
    support::have(&[path])
}

fn with_model(model: &SharedModel, f: impl FnOnce(&mut UpsModel)) {
    f(&mut model.lock().unwrap());
}

/// Compares C and ours on the simulator through a power failure, for one dialect.
fn power_failure(dialect: Q1Dialect, extra: &[&str]) {
    if !have(C_QX) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = UpsModel::shared();
    let link = dir.path().join("ttyUPS");
    let server = PtyServer::spawn(model.clone(), Protocol::Q1(dialect), Some(&link)).unwrap();
    let steps: [(&str, &[&str]); 7] = [
        ("on line", &[]),
        ("mains lost", &["mains-lost", "wait=30"]),
        ("battery draining", &["wait=60", "load=40"]),
        ("low battery", &["low-battery"]),
        (
            "mains back, brown-out",
            &["mains-restored", "line=190", "charge=50"],
        ),
        ("surge, self-test", &["line=262", "charge=80", "fail"]),
        ("normal", &["line=229.5", "charge=100"]),
    ];
    let mut seen_status = Vec::new();
    for (name, events) in steps {
        with_model(&model, |m| {
            for e in events {
                m.apply(e).unwrap();
            }
            m.testing = name.contains("self-test");
            m.shutdown_in = name.contains("low battery").then_some(60.0);
        });
        let c = dump(C_QX, dir.path(), server.path(), extra);
        let ours = dump(OURS_QX, dir.path(), server.path(), extra);
        assert_eq!(
            c, ours,
            "{dialect:?}, step {name:?}: C (left) and ours (right) differ"
        );
        let status = ours
            .iter()
            .find_map(|l| l.strip_prefix("ups.status: "))
            .unwrap_or_default()
            .to_owned();
        seen_status.push(status);
    }
    // The script really went through the states it claims to.
    assert_eq!(seen_status[0], "OL");
    assert_eq!(seen_status[1], "OB");
    let fsd = if extra.contains(&"ignoresab") {
        ""
    } else {
        " FSD"
    };
    assert_eq!(seen_status[3], format!("OB LB{fsd}"));
    assert_eq!(seen_status[4], "OL BOOST");
    assert_eq!(seen_status[5], "OL TRIM CAL");
    drop(server);
}

#[test]
fn megatec_matches_c() {
    power_failure(Q1Dialect::Megatec, &[]);
}

#[test]
fn megatec_old_matches_c() {
    power_failure(Q1Dialect::MegatecOld, &[]);
}

#[test]
fn mustek_matches_c() {
    power_failure(Q1Dialect::Mustek, &[]);
}

#[test]
fn zinto_matches_c() {
    power_failure(Q1Dialect::Zinto, &[]);
}

#[test]
fn q1_fallback_matches_c_with_options() {
    power_failure(
        Q1Dialect::Q1,
        &[
            "runtimecal=240,100,720,50",
            "ondelay=185",
            "offdelay=59",
            "default.battery.voltage.nominal=24",
        ],
    );
}

#[test]
fn megatec_options_match_c() {
    power_failure(
        Q1Dialect::Megatec,
        &[
            "novendor",
            "ignoresab",
            "pollfreq=10",
            "default.battery.voltage.high=27.3",
            "default.battery.voltage.low=21",
        ],
    );
}
