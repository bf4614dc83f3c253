//! The Voltronic dialect against the simulator and over replies from the C source's
//! comments.

use nut_driver_api::{DeviceState, Driver, DriverParams};

use crate::qx::NutdrvQx;
use crate::sim::{ModelPort, Protocol, UpsModel};

async fn start(params: DriverParams) -> (NutdrvQx, DeviceState, crate::sim::SharedModel) {
    let model = UpsModel::shared();
    let mut d = NutdrvQx::with_opener(ModelPort::opener_for(model.clone(), Protocol::Voltronic));
    let mut state = DeviceState::new();
    d.open(&params, &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    d.update(&mut state).await.unwrap();
    (d, state, model)
}

#[tokio::test]
async fn claims_and_reads_the_simulator() {
    let (_, state, _) = start(DriverParams::new("sim")).await;
    let v = |n: &str| state.value(n).map(str::to_owned);
    assert_eq!(v("driver.version.data").as_deref(), Some("Voltronic 0.06"));
    assert_eq!(v("ups.firmware.aux").as_deref(), Some("P01"));
    assert_eq!(v("ups.status").as_deref(), Some("OL"));
    assert_eq!(v("ups.type").as_deref(), Some("line-interactive"));
    assert_eq!(v("device.model").as_deref(), Some("SIM-1000"));
    assert_eq!(v("output.powerfactor").as_deref(), Some("0.8"));
    assert_eq!(v("battery.runtime").as_deref(), Some("180"));
    assert_eq!(v("ups.start.auto").as_deref(), Some("no"));
    assert_eq!(v("battery.protection").as_deref(), Some("yes"));
    assert_eq!(v("input.transfer.high.max").as_deref(), Some("254"));
    assert_eq!(v("input.transfer.low.min").as_deref(), Some("206"));
    assert_eq!(
        state.get("input.frequency.low").unwrap().ranges(),
        &[(40, 47)]
    );
    assert_eq!(
        state.get("battery.voltage.low").unwrap().ranges(),
        &[(20, 28)]
    );
    for cmd in [
        "beeper.enable",
        "bypass.start",
        "shutdown.stop",
        "test.battery.start",
    ] {
        assert!(state.has_cmd(cmd), "{cmd}");
    }
    assert!(!state.has_cmd("outlet.1.load.off"));
}

#[tokio::test]
async fn commands_and_settings_reach_the_device() {
    let (mut d, mut state, model) = start(DriverParams::new("sim")).await;
    let sent = |m: &crate::sim::SharedModel| m.lock().unwrap().received.last().cloned();
    use nut_driver_api::proto::sock::TrackingStatus::*;
    assert_eq!(
        d.instcmd(&mut state, "test.battery.start", Some("30"))
            .await,
        Handled
    );
    assert_eq!(sent(&model).as_deref(), Some("T.5"));
    assert_eq!(
        d.instcmd(&mut state, "test.battery.start", Some("5")).await,
        Failed
    );
    assert_eq!(
        d.instcmd(&mut state, "shutdown.return", None).await,
        Handled
    );
    assert_eq!(sent(&model).as_deref(), Some("S.5R0003"));
    assert_eq!(d.instcmd(&mut state, "beeper.toggle", None).await, Handled);
    assert_eq!(sent(&model).as_deref(), Some("BZOFF"));
    assert_eq!(
        d.set_var(&mut state, "ups.start.auto", "yes").await,
        Handled
    );
    assert_eq!(sent(&model).as_deref(), Some("PER"));
    assert_eq!(
        d.set_var(&mut state, "input.transfer.high", "250").await,
        Handled
    );
    assert_eq!(sent(&model).as_deref(), Some("HEH250"));
    assert_eq!(
        d.set_var(&mut state, "input.transfer.high", "300").await,
        Unknown
    );
    assert_eq!(
        d.set_var(&mut state, "input.frequency.low", "46.5").await,
        Handled
    );
    assert_eq!(sent(&model).as_deref(), Some("FREL46.5"));
    assert_eq!(
        d.set_var(&mut state, "ups.delay.shutdown", "75").await,
        Handled
    );
    assert_eq!(state.value("ups.delay.shutdown"), Some("60"));
    d.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.start.auto"), Some("yes"));
    assert_eq!(state.value("input.transfer.high"), Some("250"));
    assert_eq!(state.value("ups.beeper.status"), Some("muted"));
}

#[test]
fn warnings_and_mode_as_c_derives_them() {
    use crate::qx::dialect::VOLTRONIC;
    use crate::qx::engine::Engine;
    let mut e = Engine::new(VOLTRONIC);
    let mut state = DeviceState::new();
    let ws = e.find("ups.alarm", 0, 0).unwrap();
    let qws = e.items.iter().position(|i| i.command == "QWS\r").unwrap();
    assert!(ws < qws);
    let mut bits = "0".repeat(64).into_bytes();
    bits[7] = b'1';
    bits[60] = b'1';
    let raw = String::from_utf8(bits).unwrap();
    assert_eq!(e.infoval_set(qws, &raw, &mut state), Ok(false));
    assert!(e.bits.has("LB"));
    let mut all = DeviceState::new();
    e.start_full();
    let ones = "1".repeat(64);
    e.infoval_set(qws, &ones, &mut all).unwrap();
    e.commit_alarms(&mut all);
    let alarm = all.value("ups.alarm").unwrap();
    assert!(
        alarm.starts_with("UPS warnings: Known (see log or manual) [bit: #01, #02"),
        "{alarm}"
    );
    assert!(
        alarm.contains("]; Unknown warnings [bit: #59, #60, #61, #63, #64]"),
        "{alarm}"
    );
    assert!(e.infoval_set(qws, "01x", &mut state).is_err());
}

/// A device that answers from a fixed table (the replies documented in C's
/// `voltronic_testing` table), `(NAK` to anything else.
struct Canned {
    replies: &'static [(&'static str, &'static str)],
    out: Vec<u8>,
}

#[async_trait::async_trait]
impl crate::serial::SerialPort for Canned {
    async fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        let cmd = String::from_utf8_lossy(data);
        let reply = self
            .replies
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(cmd.trim_end_matches('\r')))
            .map_or("(NAK", |(_, r)| r);
        self.out.extend_from_slice(reply.as_bytes());
        self.out.push(b'\r');
        Ok(())
    }

    async fn read_some(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.out.is_empty() {
            std::future::pending::<()>().await;
        }
        let n = self.out.len().min(buf.len());
        buf[..n].copy_from_slice(&self.out[..n]);
        self.out.drain(..n);
        Ok(n)
    }

    fn discard_input(&mut self) -> std::io::Result<()> {
        self.out.clear();
        Ok(())
    }
}

const C_TESTING: &[(&str, &str)] = &[
    (
        "QGS",
        "(234.9 50.0 229.8 50.0 000.0 00A 369.1 ---.- 026.5 ---.- 018.8 100000000001",
    ),
    ("QPI", "(PI01"),
    ("QRI", "(230.0 004 024.0 50.0"),
    ("QMF", "(#####VOLTRONIC"),
    ("I", "#-------------   ------     VT12046Q  "),
    ("F", "#220.0 000 024.0 50.0"),
    ("QMD", "(#######OLHVT1K0 ###1000 80 2/2 230 230 02 12.0"),
    ("QMOD", "(S"),
    ("QVFW", "(VERFW:00322.02"),
    ("QID", "(685653211455"),
    ("QBV", "(026.5 02 01 068 255"),
    ("QFLAG", "(EpashcjDbroegfl"),
    (
        "QWS",
        "(0000000000000000000000000000000000000000000000000000000001000001",
    ),
    ("QHE", "(242 218"),
    ("QBYV", "(264 170"),
    ("QBYF", "(53.0 47.0"),
    ("QSK1", "(1"),
    ("QSK2", "(0"),
    ("QSK3", "(1"),
    ("QSKT1", "(008"),
    ("QSKT2", "(012"),
    ("QSKT4", "(007"),
    ("RE0", "#20"),
    ("QPAR", "(003"),
    ("QPD", "(000 240"),
    ("QLDL", "(005 080"),
    ("QFRE", "(50.0 00.0"),
    ("SON", "(ACK"),
    ("TL", "(ACK"),
    ("SKON2", "(ACK"),
];

/// The replies of C's testing table, processed as C's code says (each value worked out
/// from the C source by hand).
#[tokio::test]
async fn replies_from_the_c_testing_table() {
    let mut d = NutdrvQx::with_opener(Box::new(|_: &str| {
        Ok(Box::new(Canned {
            replies: C_TESTING,
            out: Vec::new(),
        }) as Box<dyn crate::serial::SerialPort>)
    }));
    let mut state = DeviceState::new();
    d.open(&DriverParams::new("canned"), &mut state)
        .await
        .unwrap();
    d.identify(&mut state).await.unwrap();
    d.update(&mut state).await.unwrap();
    let want = [
        ("ups.firmware.aux", "P01"),
        ("output.voltage.nominal", "230.0"),
        ("output.current.nominal", "4"),
        ("battery.voltage.nominal", "24.0"),
        ("output.frequency.nominal", "50.0"),
        ("device.model", "OLHVT1K0"),
        ("ups.power.nominal", "1000"),
        ("output.powerfactor", "0.8"),
        ("input.phases", "2"),
        ("output.phases", "2"),
        ("input.voltage.nominal", "230.0"),
        ("input.current.nominal", "0.0"),
        ("input.frequency.nominal", "50.0"),
        ("device.mfr", "VOLTRONIC"),
        ("ups.firmware", "00322.02"),
        ("device.serial", "685653211455"),
        ("input.voltage", "234.9"),
        ("input.frequency", "50.0"),
        ("output.voltage", "229.8"),
        ("output.current", "0.0"),
        ("battery.voltage", "26.50"),
        ("ups.temperature", "18.8"),
        ("ups.type", "online"),
        ("ups.beeper.status", "enabled"),
        ("battery.packs", "1"),
        ("battery.charge", "68"),
        ("battery.runtime", "15300"),
        ("output.power.minimum.percent", "5"),
        ("output.power.maximum.percent", "80"),
        ("ups.start.auto", "no"),
        ("battery.protection", "yes"),
        ("battery.energysave", "no"),
        ("ups.start.battery", "yes"),
        ("outlet.0.switchable", "yes"),
        ("outlet.1.switchable", "yes"),
        ("outlet.1.status", "on"),
        ("outlet.2.status", "off"),
        ("outlet.3.status", "on"),
        ("outlet.1.delay.shutdown", "480"),
        ("outlet.2.delay.shutdown", "720"),
        ("input.transfer.high", "242"),
        ("input.transfer.low", "218"),
        ("input.transfer.high.min", "237"),
        ("input.transfer.low.max", "223"),
        ("input.frequency.high", "50.0"),
        ("input.frequency.low", "0.0"),
        ("battery.voltage.low", "20.0"),
        ("ups.delay.shutdown", "30"),
        ("ups.status", "OL OFF"),
    ];
    for (var, value) in want {
        assert_eq!(state.value(var), Some(value), "{var}");
    }
    // A non-numerical load; outlets without a reply; driver options without a variable.
    for var in [
        "ups.load",
        "outlet.4.status",
        "outlet.3.delay.shutdown",
        "outlet.4.delay.shutdown",
        "max_bypass_volt",
        "voltronic_parallel",
    ] {
        assert_eq!(state.value(var), None, "{var}");
    }
    assert_eq!(
        state.get("battery.voltage.low").unwrap().ranges(),
        &[(20, 24)]
    );
    assert_eq!(
        state.get("input.frequency.high").unwrap().ranges(),
        &[(53, 60)]
    );
    for cmd in [
        "outlet.1.load.on",
        "outlet.3.load.off",
        "beeper.enable",
        "bypass.stop",
    ] {
        assert!(state.has_cmd(cmd), "{cmd}");
    }
    assert!(!state.has_cmd("outlet.4.load.on"));
    use nut_driver_api::proto::sock::TrackingStatus::*;
    assert_eq!(d.instcmd(&mut state, "load.on", None).await, Handled);
    // The accepted command makes the next update a full one, with the alarms.
    d.update(&mut state).await.unwrap();
    assert_eq!(
        state.value("ups.alarm"),
        Some(
            "UPS warnings: Warning!! Cover of maintain switch is open. Unknown warnings [bit: #64]"
        )
    );
    assert_eq!(state.value("ups.status"), Some("ALARM OL OFF"));
    assert_eq!(d.instcmd(&mut state, "load.off", None).await, Failed);
    assert_eq!(
        d.instcmd(&mut state, "outlet.2.load.on", None).await,
        Handled
    );
    assert_eq!(
        d.instcmd(&mut state, "test.battery.start.deep", None).await,
        Handled
    );
}

/// The variables of real Voltronic units (nut-ddl dumps of C nutdrv_qx 2.8.0) are all ones
/// this table can give, or the driver's own.
#[test]
fn nut_ddl_voltronic_dumps_use_known_variables() {
    let Some(dir) = crate::test_data::recorded("nut-ddl") else {
        return;
    };
    let vendors = std::fs::read_dir(dir).expect("nut-ddl");
    let table = crate::qx::voltronic::table::table();
    let known = |var: &str| {
        table.iter().any(|i| i.var == var)
            || var.starts_with("driver.")
            || var.starts_with("device.type")
            || var.starts_with("battery.runtime.low")
            // The battery estimation's, from the configuration.
            || var == "battery.voltage.high"
            || var == "ups.productid"
            || var == "ups.vendorid"
            || var == "ups.status"
            || var == "ups.alarm"
    };
    let mut checked = 0;
    let mut unknown = Vec::new();
    for vendor in vendors.flatten() {
        for f in std::fs::read_dir(vendor.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            if !text.contains("driver.version.data: Voltronic 0.06") {
                continue;
            }
            checked += 1;
            for line in text.lines().filter(|l| !l.starts_with('#')) {
                let Some((var, _)) = line.split_once(": ") else {
                    continue;
                };
                if !known(var) {
                    unknown.push(format!("{}: {var}", f.path().display()));
                }
            }
        }
    }
    assert!(checked > 0);
    assert!(unknown.is_empty(), "{unknown:#?}");
}
