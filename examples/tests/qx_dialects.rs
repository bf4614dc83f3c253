//! Differential tests of the nutdrv_qx dialects with modules of their own (bestups, mecer,
//! voltronic-qs): C NUT 2.8.0's `nutdrv_qx` and ours are pointed in turn at the same
//! simulated device (a pseudo-terminal served by `nut_drivers::sim`) through a
//! power-failure script, and must dump (`-d 1`) the same variables with the same values.
//! The dump of each step is also checked for the status the script means to produce, so
//! that a simulator both drivers misread cannot pass.
//!
//! Without the C driver the tests print a note and pass, unless `NUT_RS_INTEROP=1`.

use nut_drivers::sim::pty::PtyServer;
use nut_drivers::sim::q1::Q1Dialect;
use nut_drivers::sim::{Protocol, UpsModel};

const C_QX: &str = "/lib/nut/nutdrv_qx";
const OURS_QX: &str = env!("CARGO_BIN_EXE_nutdrv_qx");

mod support;

use support::driver::dump;

fn have(path: &str) -> bool {
    support::have(&[path])
}

/// The script: a name, its events, and the `ups.status` it must give.
struct Step {
    name: &'static str,
    events: &'static [&'static str],
    status: &'static str,
}

/// The power-failure script; `boost`/`trim` are the statuses a dialect shows on a
/// brown-out and on a surge during a self-test.
fn script(boost: &'static str, surge: &'static str) -> [Step; 7] {
    [
        Step {
            name: "on line",
            events: &[],
            status: "OL",
        },
        Step {
            name: "mains lost",
            events: &["mains-lost", "wait=30"],
            status: "OB",
        },
        Step {
            name: "battery draining",
            events: &["wait=60", "load=40"],
            status: "OB",
        },
        Step {
            name: "low battery",
            events: &["low-battery"],
            status: "OB LB FSD",
        },
        Step {
            name: "mains back, brown-out",
            events: &["mains-restored", "line=190", "charge=50"],
            status: boost,
        },
        Step {
            name: "surge, self-test",
            events: &["line=262", "charge=80", "fail"],
            status: surge,
        },
        Step {
            name: "normal",
            events: &["line=229.5", "charge=100"],
            status: "OL",
        },
    ]
}

/// Compares C and ours on the simulator through the script, for one dialect with the
/// device `settings` and the driver options `extra`; checks the variables `expect` in
/// the first step.
fn power_failure(
    dialect: Q1Dialect,
    settings: &[(&str, &str)],
    extra: &[&str],
    steps: &[Step],
    expect: &[&str],
) {
    if !have(C_QX) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = UpsModel::shared();
    {
        let mut m = model.lock().unwrap();
        for (k, v) in settings {
            m.settings.insert((*k).into(), (*v).into());
        }
    }
    let link = dir.path().join("ttyUPS");
    let server = PtyServer::spawn(model.clone(), Protocol::Q1(dialect), Some(&link)).unwrap();
    for (i, step) in steps.iter().enumerate() {
        {
            let mut m = model.lock().unwrap();
            for e in step.events {
                m.apply(e).unwrap();
            }
            m.testing = step.name.contains("self-test");
            m.shutdown_in = step.name.contains("low battery").then_some(60.0);
        }
        let c = dump(C_QX, dir.path(), server.path(), extra);
        let ours = dump(OURS_QX, dir.path(), server.path(), extra);
        assert_eq!(
            c, ours,
            "{dialect:?}, step {:?}: C (left) and ours (right) differ",
            step.name
        );
        let status = format!("ups.status: {}", step.status);
        assert!(
            ours.contains(&status),
            "{dialect:?}, step {:?}: no {status:?} in {ours:#?}",
            step.name
        );
        if i == 0 {
            for line in expect {
                assert!(ours.iter().any(|l| l == line), "no {line:?} in {ours:#?}");
            }
        }
    }
    drop(server);
}

#[test]
fn bestups_fortress_matches_c() {
    // The bypass/boost/buck bit is ignored during a battery test.
    power_failure(
        Q1Dialect::Bestups,
        &[],
        &[],
        &script("OL BOOST", "OL CAL"),
        &[
            "driver.version.data: BestUPS 0.06",
            "device.mfr: Best Power",
            "device.model: Fortress",
            "ups.power.nominal: 750",
            "input.transfer.high: 270",
            "battery.runtime: 180",
        ],
    );
}

#[test]
fn bestups_axxium_packs_and_pins_match_c() {
    power_failure(
        Q1Dialect::Bestups,
        &[
            ("bestups.model", "AX1"),
            ("bestups.packs", "2"),
            ("bestups.va", "1500"),
        ],
        &["pins_shutdown_mode=2", "ondelay=120", "offdelay=90"],
        &script("OL BOOST", "OL CAL"),
        &[
            "device.model: Axxium Rackmount",
            "battery.packs: 2",
            "ups.delay.shutdown: 60",
        ],
    );
}

#[test]
fn bestups_patriot_pro_inverted_bit_matches_c() {
    power_failure(
        Q1Dialect::Bestups,
        &[("bestups.model", "PRO")],
        &["ignoresab"],
        &[
            Step {
                name: "on line",
                events: &[],
                status: "OL",
            },
            Step {
                name: "mains lost",
                events: &["mains-lost", "wait=30"],
                status: "OB",
            },
            Step {
                name: "battery draining",
                events: &["wait=60", "load=40"],
                status: "OB",
            },
            Step {
                name: "low battery",
                events: &["low-battery"],
                status: "OB LB",
            },
            Step {
                name: "mains back, brown-out",
                events: &["mains-restored", "line=190", "charge=50"],
                status: "OL BOOST",
            },
            Step {
                name: "surge, self-test",
                events: &["line=262", "charge=80", "fail"],
                status: "OL CAL",
            },
            Step {
                name: "normal",
                events: &["line=229.5", "charge=100"],
                status: "OL",
            },
        ],
        &["device.model: Patriot Pro"],
    );
}

#[test]
fn bestups_unknown_sola_matches_c() {
    // C's quirks: 320 is a Sola model of an "Unknown" maker; unknown codes print "%s".
    for code in ["320", "XYZ"] {
        let steps = [Step {
            name: "on line",
            events: &[],
            status: "OL",
        }];
        power_failure(
            Q1Dialect::Bestups,
            &[("bestups.model", code), ("bestups.va", "1000")],
            &[],
            &steps,
            &["device.mfr: Unknown"],
        );
    }
}

#[test]
fn mecer_matches_c() {
    power_failure(
        Q1Dialect::Mecer,
        &[],
        &[],
        &script("OL BOOST", "OL TRIM CAL"),
        &["driver.version.data: Mecer 0.07", "device.mfr: NUT-RS"],
    );
}

#[test]
fn mecer_p98_matches_c() {
    power_failure(
        Q1Dialect::Mecer,
        &[("mecer.p98", "")],
        &["norating"],
        &script("OL BOOST", "OL TRIM CAL"),
        &["ups.firmware.aux: Voltronic Power P98"],
    );
}

#[test]
fn voltronic_qs_matches_c() {
    power_failure(
        Q1Dialect::VoltronicQs,
        &[],
        &["offdelay=540", "ondelay=60"],
        &script("OL BOOST", "OL TRIM CAL"),
        &[
            "driver.version.data: Voltronic-QS 0.07",
            "ups.firmware.aux: PM-V",
            "output.frequency.nominal: 50",
        ],
    );
}

#[test]
fn hunnox_matches_c() {
    // Zinto claims such a device first: hunnox is chosen by name.
    power_failure(
        Q1Dialect::Zinto,
        &[],
        &["protocol=hunnox"],
        &script("OL BOOST", "OL TRIM CAL"),
        &[
            "driver.version.data: Hunnox 0.01",
            "ups.delay.start: 0",
            "ups.delay.shutdown: 60",
        ],
    );
}

#[test]
fn voltronic_qs_hex_matches_c() {
    power_failure(
        Q1Dialect::VoltronicQsHex,
        &[],
        &[],
        &script("OL BOOST", "OL TRIM CAL"),
        &[
            "driver.version.data: Voltronic-QS-Hex 0.10",
            "ups.firmware.aux: PM-P",
            "output.frequency: 50.0",
            "battery.voltage: 26.00",
        ],
    );
}

#[test]
fn voltronic_qs_hex_t_protocol_matches_c() {
    power_failure(
        Q1Dialect::VoltronicQsHex,
        &[("qshex.protocol", "T")],
        &["ignoresab"],
        &script("OL BOOST", "OL TRIM CAL")
            .into_iter()
            .map(|s| Step {
                status: if s.status == "OB LB FSD" {
                    "OB LB"
                } else {
                    s.status
                },
                ..s
            })
            .collect::<Vec<_>>(),
        &[
            "ups.firmware.aux: PM-T",
            "output.voltage.nominal: 230.0",
            "battery.voltage.nominal: 24.0",
        ],
    );
}

#[test]
fn ablerex_matches_c() {
    // Megatec claims such a device first: ablerex is chosen by name. Its bypass/boost/buck
    // and failure bits set words before OL/OB; a failure also reads as a worn battery.
    power_failure(
        Q1Dialect::Ablerex,
        &[],
        &["protocol=ablerex"],
        &script("BOOST OL", "TRIM RB OL CAL")
            .into_iter()
            .map(|s| Step {
                // The failure stays.
                status: if s.name == "normal" {
                    "RB OL"
                } else {
                    s.status
                },
                ..s
            })
            .collect::<Vec<_>>(),
        &[
            "driver.version.data: Ablerex 0.01",
            "output.current.nominal: 8.0",
            "battery.runtime: 200",
            "ups.test.result: PASS",
        ],
    );
}
