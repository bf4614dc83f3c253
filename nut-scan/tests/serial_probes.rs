//! The serial probes (`-E`) on nut-drivers' simulated units, each on a pseudo-terminal: a
//! SHUT unit, an XCP unit and a Q1 unit are found for the drivers C 2.8.0 names
//! (`mge-shut`, `bcmxcp`, `blazer_ser`); a SHUT unit that answers the sync byte but not
//! the device descriptor, and a port with nothing behind it, are not reported. (The
//! comparison with C's `nut-scanner` is in the examples' `nut_scanner` test.)

#![cfg(feature = "serial")]

use std::time::{Duration, Instant};

use nut_drivers::shut::frame::Setup;
use nut_drivers::sim::pty::PtyServer;
use nut_drivers::sim::q1::Q1Dialect;
use nut_drivers::sim::shut::{ControlDevice, ShutPtyServer};
use nut_drivers::sim::{Protocol, UpsModel};
use nut_scan::serial::{probe_port, scan, PORT_LIMIT};
use nut_scan::{Bus, Finding, ScanOptions};

/// A SHUT unit that knows its device descriptor only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShutUnit {
    /// Answers the device descriptor.
    Answers,
    /// Echoes the sync bytes but refuses every request.
    SyncOnly,
    /// Not there: answers nothing at all (a port with nothing behind it).
    Absent,
}

impl ControlDevice for ShutUnit {
    fn control(&mut self, setup: &Setup, _data: &[u8]) -> Option<Vec<u8>> {
        // GET_DESCRIPTOR of the device descriptor: Eaton's ids 0463:ffff.
        let asked = setup.request == 0x06 && setup.value == 0x0100;
        (*self == Self::Answers && asked).then(|| {
            vec![
                18, 0x01, 0x10, 0x01, 0, 0, 0, 8, 0x63, 0x04, 0xff, 0xff, 0x00, 0x01, 1, 2, 0, 1,
            ]
        })
    }

    fn present(&mut self) -> bool {
        *self != Self::Absent
    }
}

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

fn found(driver: &str, port: &str) -> Option<Finding> {
    Some(Finding::new(Bus::Serial, driver, port))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shut_unit_is_found_for_mge_shut() {
    let unit = ShutPtyServer::spawn(ShutUnit::Answers, None).unwrap();
    let port = path(unit.path());
    let start = Instant::now();
    assert_eq!(probe_port(&port).await, found("mge-shut", &port));
    // SHUT is asked first: no XCP or Q1 probe before it.
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xcp_unit_is_found_for_bcmxcp() {
    let unit = PtyServer::spawn(UpsModel::shared(), Protocol::Bcmxcp, None).unwrap();
    let port = path(unit.path());
    assert_eq!(probe_port(&port).await, found("bcmxcp", &port));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_q1_unit_is_found_for_blazer_ser_after_shut_and_xcp() {
    let unit =
        PtyServer::spawn(UpsModel::shared(), Protocol::Q1(Q1Dialect::Megatec), None).unwrap();
    let port = path(unit.path());
    let start = Instant::now();
    assert_eq!(probe_port(&port).await, found("blazer_ser", &port));
    // SHUT's four 1 s tries and XCP's five line speeds came first.
    assert!(
        start.elapsed() > Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

/// Every port at once, the findings in the order of the ports; a SHUT unit that answers
/// the sync byte only (as a port that echoes would), and ports with nothing behind them or
/// no file at all, give nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_ports_at_once_in_the_order_given() {
    let xcp = PtyServer::spawn(UpsModel::shared(), Protocol::Bcmxcp, None).unwrap();
    let q1 = PtyServer::spawn(UpsModel::shared(), Protocol::Q1(Q1Dialect::Megatec), None).unwrap();
    let shut = ShutPtyServer::spawn(ShutUnit::Answers, None).unwrap();
    let mute = ShutPtyServer::spawn(ShutUnit::SyncOnly, None).unwrap();
    let silent = ShutPtyServer::spawn(ShutUnit::Absent, None).unwrap();
    let ports = [
        path(q1.path()),
        path(mute.path()),
        "/nonexistent/tty".to_owned(),
        path(silent.path()),
        path(shut.path()),
        path(xcp.path()),
    ];
    let start = Instant::now();
    let findings = scan(&ports, &ScanOptions::default()).await;
    assert_eq!(
        findings,
        [
            Finding::new(Bus::Serial, "blazer_ser", &ports[0]),
            Finding::new(Bus::Serial, "mge-shut", &ports[4]),
            Finding::new(Bus::Serial, "bcmxcp", &ports[5]),
        ]
    );
    // At once: the silent ports cost one port's limit, not one each.
    assert!(
        start.elapsed() < PORT_LIMIT + Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}
