//! Tests of the dialects with modules of their own against replies rebuilt from real
//! device dumps (nut-ddl): the variables a table produces must be those C published.

use std::collections::{BTreeMap, HashMap};
use std::io;

use async_trait::async_trait;
use nut_driver_api::{DeviceState, Driver, DriverParams};

use super::NutdrvQx;
use crate::serial::SerialPort;

/// A device replaying fixed replies, echoing anything else.
struct Replay(HashMap<&'static str, &'static str>, Vec<u8>);

#[async_trait]
impl SerialPort for Replay {
    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        let cmd = String::from_utf8_lossy(data).to_string();
        let reply = self
            .0
            .get(cmd.as_str())
            .map_or(cmd.clone(), |r| (*r).to_owned());
        self.1.extend_from_slice(reply.as_bytes());
        Ok(())
    }
    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.1.is_empty() {
            std::future::pending::<()>().await;
        }
        let n = self.1.len().min(buf.len());
        buf[..n].copy_from_slice(&self.1[..n]);
        self.1.drain(..n);
        Ok(n)
    }
}

/// The device variables of a nut-ddl dump (not `driver.*`, not the USB ids), or `None`
/// when the test data is not there.
fn dump_vars(path: &str) -> Option<BTreeMap<String, String>> {
    let file = crate::test_data::recorded(&format!("nut-ddl/{path}"))?;
    let text = std::fs::read_to_string(file).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| {
                (
                    k.to_owned(),
                    v.split('\t').next().unwrap_or(v).trim().to_owned(),
                )
            })
            .map(|(k, v)| {
                (
                    k,
                    v.split(" #COMMENT").next().unwrap_or_default().to_owned(),
                )
            })
            .filter(|(k, _)| !k.starts_with("driver.") && !k.starts_with("ups.vendorid"))
            .filter(|(k, _)| !k.starts_with("ups.productid") && k != "device.type")
            .collect(),
    )
}

async fn run(
    replies: &[(&'static str, &'static str)],
    options: &[(&str, Option<&str>)],
) -> DeviceState {
    let replies: HashMap<_, _> = replies.iter().copied().collect();
    let mut d = NutdrvQx::with_opener(Box::new(move |_: &str| {
        Ok(Box::new(Replay(replies.clone(), Vec::new())) as Box<dyn SerialPort>)
    }));
    let mut p = DriverParams::new("x");
    for (k, v) in options {
        p = p.with_option(*k, *v);
    }
    let mut s = DeviceState::new();
    d.open(&p, &mut s).await.unwrap();
    d.identify(&mut s).await.unwrap();
    d.update(&mut s).await.unwrap();
    s
}

fn published(s: &DeviceState, skip: &[&str]) -> BTreeMap<String, String> {
    s.variables()
        .map(|v| (v.name().to_string(), v.value().to_string()))
        .filter(|(k, _)| !k.starts_with("driver.") && !skip.contains(&k.as_str()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn best_power_patriot_pro_ii_dump() {
    let Some(want) =
        dump_vars("Best_Power/Best_Power__Patriot_Pro_II_400__nutdrv_qx__2.7.4__01.dev")
    else {
        return;
    };
    // The Patriot Pro II reports its bypass/boost/buck bit inverted (1: none); its
    // temperature is not a number.
    let s = run(
        &[
            ("Q1\r", "(119.0 119.0 119.0 006 60.0 13.8 --.- 00101000\r"),
            ("ID\r", "PR2,400,120,120,10.8,13.6\r"),
            ("RT\r", "103\r"),
            ("M\r", "0\r"),
        ],
        &[("protocol", Some("bestups"))],
    )
    .await;
    assert_eq!(published(&s, &[]), want);
}

#[tokio::test(start_paused = true)]
async fn voltronic_qs_powerwalker_dump() {
    let Some(mut want) =
        dump_vars("PowerWalker/PowerWalker__VI_1500_CSW_IEC__nutdrv_qx__2.8.1__01.dev")
    else {
        return;
    };
    // This unit speaks the protocol `H` that C 2.8.0 does not know yet; as `V` it is
    // the same. 2.8.1 also prints the battery voltage with one decimal.
    let s = run(
        &[
            ("M\r", "V\r"),
            ("QS\r", "(236.0 000.0 236.0 000 50.0 27.7 --.- 00001001\r"),
            ("F\r", "#230.0 006 024.0 50.0\r"),
        ],
        &[],
    )
    .await;
    want.insert("ups.firmware.aux".into(), "PM-V".into());
    want.insert("battery.voltage".into(), "27.70".into());
    assert_eq!(published(&s, &[]), want);
    assert_eq!(s.value("driver.version.data"), Some("Voltronic-QS 0.07"));
}

#[tokio::test(start_paused = true)]
async fn mecer_without_qpi_and_bestups_pins_option() {
    let s = run(
        &[
            ("Q1\r", "(230.0 230.0 230.0 010 50.0 27.0 30.0 00001001\r"),
            ("QPI\r", "(NAK\r"),
            ("F\r", "#230.0 004 024.0 50.0\r"),
            ("I\r", "#MECER           ME-1000    V1.0      \r"),
        ],
        &[],
    )
    .await;
    assert_eq!(s.value("driver.version.data"), Some("Mecer 0.07"));
    assert_eq!(s.value("device.model"), Some("ME-1000"));
    assert_eq!(s.value("ups.firmware.aux"), None);
    assert!(s.has_cmd("test.battery.start"));
    // As C's dstate_addrange: ranged variables are numbers.
    let delay = s.get("ups.delay.start").unwrap();
    assert!(delay.is_writable() && delay.is_number());
    assert_eq!(delay.ranges(), [(0, 599940)]);

    let model = crate::sim::UpsModel::shared();
    model
        .lock()
        .unwrap()
        .settings
        .insert("bestups.model".into(), "620".into());
    let mut d = NutdrvQx::with_opener(crate::sim::ModelPort::opener(
        model.clone(),
        crate::sim::q1::Q1Dialect::Bestups,
    ));
    let p = DriverParams::new("sim").with_option("pins_shutdown_mode", Some("3"));
    let mut s = DeviceState::new();
    d.open(&p, &mut s).await.unwrap();
    d.identify(&mut s).await.unwrap();
    assert_eq!(s.value("device.model"), Some("Sola 620"));
    assert_eq!(s.value("device.mfr"), Some("Sola Australia"));
    assert_eq!(s.value("battery.packs"), Some("1"));
    assert_eq!(s.value("pins_shutdown_mode"), None);
    let m = model.lock().unwrap();
    assert!(m.received.iter().any(|c| c == "SS3"), "{:?}", m.received);
    assert_eq!(
        m.settings.get("bestups.pins").map(String::as_str),
        Some("3")
    );
}

#[tokio::test(start_paused = true)]
async fn every_new_sim_dialect_is_detected_as_itself() {
    use crate::sim::q1::Q1Dialect;
    for (dialect, protocol, version) in [
        (Q1Dialect::Bestups, None, "BestUPS 0.06"),
        (Q1Dialect::Mecer, None, "Mecer 0.07"),
        (Q1Dialect::VoltronicQs, None, "Voltronic-QS 0.07"),
        (Q1Dialect::VoltronicQsHex, None, "Voltronic-QS-Hex 0.10"),
        (Q1Dialect::Zinto, Some("hunnox"), "Hunnox 0.01"),
        (Q1Dialect::Ablerex, Some("ablerex"), "Ablerex 0.01"),
        (Q1Dialect::Ablerex, None, "Megatec 0.06"),
        (Q1Dialect::Zinto, None, "Zinto 0.06"),
    ] {
        let model = crate::sim::UpsModel::shared();
        let mut d = NutdrvQx::with_opener(crate::sim::ModelPort::opener(model, dialect));
        let mut p = DriverParams::new("sim");
        if let Some(name) = protocol {
            p = p.with_option("protocol", Some(name));
        }
        let mut s = DeviceState::new();
        d.open(&p, &mut s).await.unwrap();
        d.identify(&mut s).await.unwrap();
        d.update(&mut s).await.unwrap();
        assert_eq!(s.value("driver.version.data"), Some(version));
        assert_eq!(s.value("ups.status"), Some("OL"), "{version}");
        assert!(s.has_cmd("shutdown.return"), "{version}");
    }
}

/// Every simulator, the Megatec family's, Voltronic's and the other dialects', is detected
/// as itself by the whole probing order (voltronic first, masterguard skipped): no dialect
/// probed earlier claims another's device. Each simulator is also refused by the dialects
/// that C probes before its own.
#[tokio::test(start_paused = true)]
async fn every_simulator_is_detected_as_itself_in_c_order() {
    use super::dialect::ALL;
    use crate::sim::q1::Q1Dialect;
    use crate::sim::Protocol;
    let expected = [
        (Protocol::Voltronic, "Voltronic 0.06"),
        (Protocol::Q1(Q1Dialect::VoltronicQs), "Voltronic-QS 0.07"),
        (
            Protocol::Q1(Q1Dialect::VoltronicQsHex),
            "Voltronic-QS-Hex 0.10",
        ),
        (Protocol::Q1(Q1Dialect::Mustek), "Mustek 0.07"),
        (Protocol::Q1(Q1Dialect::MegatecOld), "Megatec/old 0.07"),
        (Protocol::Q1(Q1Dialect::Bestups), "BestUPS 0.06"),
        (Protocol::Q1(Q1Dialect::Mecer), "Mecer 0.07"),
        (Protocol::Q1(Q1Dialect::Megatec), "Megatec 0.06"),
        (Protocol::Q1(Q1Dialect::Zinto), "Zinto 0.06"),
        // Ablerex's simulator answers Megatec's commands too: megatec, probed first,
        // claims it (as C does); hunnox claims Zinto's devices only after zinto.
        (Protocol::Q1(Q1Dialect::Ablerex), "Megatec 0.06"),
        (Protocol::Q1(Q1Dialect::Q1), "Q1 0.07"),
    ];
    for (protocol, version) in expected {
        let open = |name: Option<&'static str>| async move {
            let model = crate::sim::UpsModel::shared();
            let mut d = NutdrvQx::with_opener(crate::sim::ModelPort::opener_for(model, protocol));
            let mut p = DriverParams::new("sim");
            if let Some(name) = name {
                p = p.with_option("protocol", Some(name));
            }
            let mut s = DeviceState::new();
            let r = d.open(&p, &mut s).await;
            (d, s, r)
        };
        let (mut d, mut s, r) = open(None).await;
        r.unwrap_or_else(|e| panic!("{protocol:?}: {e}"));
        d.identify(&mut s).await.unwrap();
        d.update(&mut s).await.unwrap();
        assert_eq!(
            s.value("driver.version.data"),
            Some(version),
            "{protocol:?}"
        );
        assert_eq!(s.value("ups.status"), Some("OL"), "{protocol:?}");
        // The dialects probed before the one found each refuse this device.
        for earlier in ALL.iter().take_while(|d| d.version != version) {
            let (_, _, r) = open(Some(earlier.name())).await;
            assert!(r.is_err(), "{protocol:?} claimed by {}", earlier.version);
        }
    }
}

mod masterguard {
    use nut_driver_api::proto::sock::TrackingStatus;
    use nut_driver_api::{DeviceState, Driver, DriverParams};

    use crate::qx::NutdrvQx;
    use crate::sim::{q1::Q1Dialect, ModelPort, SharedModel, UpsModel};

    async fn start(
        settings: &[(&str, &str)],
        options: &[(&str, &str)],
    ) -> (SharedModel, NutdrvQx, DeviceState, bool) {
        let model = UpsModel::shared();
        for (k, v) in settings {
            model
                .lock()
                .unwrap()
                .settings
                .insert((*k).into(), (*v).into());
        }
        let mut d = NutdrvQx::with_opener(ModelPort::opener(model.clone(), Q1Dialect::Masterguard));
        let mut p = DriverParams::new("sim");
        for (k, v) in options {
            p = p.with_option(*k, Some(*v));
        }
        let mut s = DeviceState::new();
        if d.open(&p, &mut s).await.is_err() {
            return (model, d, s, false);
        }
        d.identify(&mut s).await.unwrap();
        d.update(&mut s).await.unwrap();
        (model, d, s, true)
    }

    #[tokio::test(start_paused = true)]
    async fn claimed_by_name_and_by_probing() {
        for options in [&[("protocol", "masterguard")][..], &[]] {
            let (model, _d, s, ok) = start(&[], options).await;
            assert!(ok, "{options:?}");
            for (var, want) in [
                ("driver.version.data", "Masterguard 0.02"),
                ("device.mfr", "Masterguard"),
                ("device.model", "A1000"),
                ("ups.power.nominal", "1000"),
                ("ups.id", "00"),
                ("ups.status", "OL"),
                ("ups.type", "offline"),
                // 14 % of 1000 VA + 0.5 = 140.5: printed to the even 140, as C does.
                ("ups.power", "140"),
                ("output.current", "0.61"),
                ("battery.voltage", "26.04"),
                ("battery.voltage.nominal", "24.00"),
                ("battery.packs", "1"),
                ("device.serial", "2782"),
                ("device.uptime", "161550397"),
                ("output.voltage.nominal", "230"),
            ] {
                assert_eq!(s.value(var), Some(want), "{var} ({options:?})");
            }
            let packs = s.get("battery.packs").unwrap();
            assert_eq!(packs.ranges(), [(0, 2)]);
            let nominal = s.get("output.voltage.nominal").unwrap();
            let enums: Vec<&str> = nominal.enums().iter().map(|e| e.as_str()).collect();
            assert_eq!(enums, ["220", "230", "240"]);
            // The addressed queries went out with the unit's address.
            let m = model.lock().unwrap();
            assert!(m.received.iter().any(|c| c == "GS,00"));
            assert!(!m.received.iter().any(|c| c.ends_with(",XX")));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn slave_address_must_match() {
        let settings = [("masterguard.slave", "07"), ("masterguard.series", "E")];
        let opts = |sa| [("protocol", "masterguard"), ("slave_address", sa)];
        let (_, _, _, ok) = start(&settings, &opts("6")).await;
        assert!(!ok);
        for bad in ["", "100", "7x"] {
            let (_, _, _, ok) = start(&settings, &opts(bad)).await;
            assert!(!ok, "{bad:?}");
        }
        let (model, _, s, ok) = start(&settings, &opts("7")).await;
        assert!(ok);
        assert_eq!(s.value("device.model"), Some("E60"));
        assert_eq!(s.value("ups.power.nominal"), Some("6000"));
        assert!(model.lock().unwrap().received.iter().any(|c| c == "GSN,07"));
    }

    #[tokio::test(start_paused = true)]
    async fn commands_and_settings_reach_the_unit() {
        let (model, mut d, mut s, ok) = start(&[], &[("protocol", "masterguard")]).await;
        assert!(ok);
        let sent = |model: &SharedModel, from: usize| -> Vec<String> {
            model.lock().unwrap().received[from..].to_vec()
        };
        let mut cases: Vec<(&str, Option<&str>, TrackingStatus, Vec<&str>)> = vec![
            (
                "shutdown.return",
                None,
                TrackingStatus::Handled,
                vec!["S.5R0180"],
            ),
            ("shutdown.stop", None, TrackingStatus::Handled, vec!["C"]),
            (
                "shutdown.stayoff",
                None,
                TrackingStatus::Handled,
                vec!["S.5"],
            ),
            ("test.battery.start", None, TrackingStatus::Failed, vec![]),
            (
                "test.battery.start",
                Some("120"),
                TrackingStatus::Handled,
                vec!["T02"],
            ),
            (
                "test.battery.start.deep",
                None,
                TrackingStatus::Handled,
                vec!["TUD"],
            ),
            (
                "test.battery.stop",
                None,
                TrackingStatus::Handled,
                vec!["CT"],
            ),
            (
                "beeper.disable",
                None,
                TrackingStatus::Handled,
                vec!["SS---0,00"],
            ),
            ("bypass.start", None, TrackingStatus::Handled, vec!["FOFF"]),
        ];
        for (cmd, param, want, wire) in cases.drain(..) {
            let from = model.lock().unwrap().received.len();
            assert_eq!(d.instcmd(&mut s, cmd, param).await, want, "{cmd}");
            assert_eq!(sent(&model, from), wire, "{cmd}");
        }
        assert!(!model.lock().unwrap().beeper);
        for (var, value, want, wire) in [
            (
                "battery.packs",
                "2",
                TrackingStatus::Handled,
                vec!["SS--2-,00"],
            ),
            ("battery.packs", "3", TrackingStatus::Unknown, vec![]),
            (
                "output.voltage.nominal",
                "240",
                TrackingStatus::Handled,
                vec!["PNV=240"],
            ),
            (
                "device.uptime",
                "3600",
                TrackingStatus::Handled,
                vec!["SRC0000:01:00:00,00"],
            ),
            ("ups.id", "5", TrackingStatus::Handled, vec!["SS05--,00"]),
            // The new address from now on.
            (
                "battery.packs",
                "0",
                TrackingStatus::Handled,
                vec!["SS--0-,05"],
            ),
        ] {
            let from = model.lock().unwrap().received.len();
            assert_eq!(d.set_var(&mut s, var, value).await, want, "{var}");
            assert_eq!(sent(&model, from), wire, "{var}");
        }
        d.update(&mut s).await.unwrap();
        assert_eq!(s.value("ups.id"), Some("05"));
        assert_eq!(s.value("battery.packs"), Some("0"));
        assert_eq!(s.value("output.voltage.nominal"), Some("240"));
        assert_eq!(s.value("device.uptime"), Some("3600"));
        assert_eq!(s.value("ups.beeper.status"), Some("disabled"));
        assert!(s.value("ups.status").unwrap().contains("BYPASS"));
    }
}
