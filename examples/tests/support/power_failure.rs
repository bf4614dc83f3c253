//! The power failure the differential tests of the Q1 drivers put a simulated UPS through:
//! mains lost, the battery draining to low, mains back with a brown-out, a surge during a
//! failing self-test, normal again.

use nut_drivers::sim::SharedModel;

/// The steps: a name and the model events that make it.
pub(crate) const POWER_FAILURE: [(&str, &[&str]); 7] = [
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

/// Applies step `i` to the model: its events; a self-test runs during the surge, and a
/// shutdown is pending at low battery.
pub(crate) fn apply_step(model: &SharedModel, i: usize) {
    let (name, events) = POWER_FAILURE[i];
    let mut m = model.lock().unwrap();
    for e in events {
        m.apply(e).unwrap();
    }
    m.testing = name.contains("self-test");
    m.shutdown_in = name.contains("low battery").then_some(60.0);
}
