//! The busy processes of `nut-compare --contend`: they burn CPU, are gone once their guard
//! is dropped, and one whose parent is already gone stops at once.

use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use nut_benches::contend::Spinners;
use nut_benches::load::cpu_time;

const NUT_COMPARE: &str = env!("CARGO_BIN_EXE_nut-compare");

#[test]
fn spinners_burn_cpu_and_are_gone_when_dropped() {
    let spinners = Spinners::start(Path::new(NUT_COMPARE), "--spin", 2).unwrap();
    let pids = spinners.pids();
    assert_eq!(pids.len(), 2);
    let deadline = Instant::now() + Duration::from_secs(20);
    while pids
        .iter()
        .any(|&pid| cpu_time(pid).unwrap() < Duration::from_millis(50))
    {
        assert!(Instant::now() < deadline, "the spinners got no CPU");
        sleep(Duration::from_millis(20));
    }
    let report = spinners.report().unwrap();
    assert_eq!(report.count, 2);
    assert!(report.cpu >= Duration::from_millis(100));
    drop(spinners);
    for pid in pids {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "spinner {pid} still there"
        );
    }
}

#[test]
fn a_spinner_whose_parent_is_gone_stops() {
    // Process 1 is not its parent: as if the parent had died before the spinner asked to
    // die with it.
    let mut child = Command::new(NUT_COMPARE)
        .args(["--spin", "1"])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the spinner kept running");
        }
        sleep(Duration::from_millis(20));
    }
}
