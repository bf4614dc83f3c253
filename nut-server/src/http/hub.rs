//! The hub between a [`Source`] and the HTTP handlers: it reads the source whenever the
//! source says something may have changed, keeps the latest reading for every request to
//! share (so HTTP clients add no load on the source), turns the differences between two
//! readings into [`Event`]s for the event stream, and samples the charted values into a
//! ring per device.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::source::{DeviceData, Source};

/// How many events a slow event-stream client may fall behind before it misses some.
const EVENT_BUFFER: usize = 1024;

/// The variables charted on a device's page, in this order.
pub(crate) const CHARTED: [&str; 5] = [
    "battery.charge",
    "ups.load",
    "input.voltage",
    "output.voltage",
    "battery.runtime",
];

/// Status words and the events (upsmon's notification names) their arrival and departure
/// make; `None`: nothing on departure.
const STATUS_EVENTS: [(&str, &str, Option<&str>); 6] = [
    ("OL", "ONLINE", None),
    ("OB", "ONBATT", None),
    ("LB", "LOWBATT", None),
    ("FSD", "FSD", None),
    ("RB", "REPLBATT", None),
    ("CAL", "CAL", Some("NOTCAL")),
];
/// More of them: `OFF`, `BYPASS`.
const STATUS_EVENTS_MORE: [(&str, &str, Option<&str>); 2] = [
    ("OFF", "OFF", Some("NOTOFF")),
    ("BYPASS", "BYPASS", Some("NOTBYPASS")),
];

/// What happened to a device.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// A status transition, named as upsmon names its notifications: `ONLINE`, `ONBATT`,
    /// `LOWBATT`, `FSD`, `REPLBATT`, `COMMOK`, `COMMBAD`, `CAL`/`NOTCAL`, `OFF`/`NOTOFF`,
    /// `BYPASS`/`NOTBYPASS`.
    Status {
        /// The event name.
        event: &'static str,
        /// `ups.status` after it (empty when the device cannot be read).
        status: String,
    },
    /// A variable appeared, changed or went away (`value: None`).
    Variable {
        /// The variable.
        var: String,
        /// The new value.
        value: Option<String>,
        /// The value before.
        old: Option<String>,
    },
}

/// One change of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// The device.
    pub ups: String,
    /// When the change was seen.
    pub time: SystemTime,
    /// What changed.
    pub kind: EventKind,
}

/// One sample of the charted variables.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) time: SystemTime,
    pub(crate) values: [Option<f64>; CHARTED.len()],
}

/// The shared state of one HTTP service.
pub(crate) struct Hub {
    pub(crate) source: Arc<dyn Source>,
    current: RwLock<Arc<Vec<Arc<DeviceData>>>>,
    events: broadcast::Sender<Event>,
    history: Mutex<HashMap<String, VecDeque<Sample>>>,
    /// How often the charted values are sampled, and how many samples are kept.
    sample_every: Duration,
    samples: usize,
}

impl Hub {
    pub(crate) fn new(source: Arc<dyn Source>, sample_every: Duration, window: Duration) -> Self {
        let samples = usize::try_from(window.as_secs() / sample_every.as_secs().max(1))
            .unwrap_or(usize::MAX)
            .max(2);
        Self {
            source,
            current: RwLock::new(Arc::new(Vec::new())),
            events: broadcast::channel(EVENT_BUFFER).0,
            history: Mutex::new(HashMap::new()),
            sample_every,
            samples,
        }
    }

    /// The latest reading.
    pub(crate) fn devices(&self) -> Arc<Vec<Arc<DeviceData>>> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The device called `name` in the latest reading.
    pub(crate) fn device(&self, name: &str) -> Option<Arc<DeviceData>> {
        self.devices().iter().find(|d| d.name == name).cloned()
    }

    /// A receiver of the events from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The charted samples of a device, oldest first.
    pub(crate) fn history(&self, name: &str) -> Vec<Sample> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history
            .get(name)
            .map(|h| h.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Reads the source until `cancel` fires.
    pub(crate) async fn run(self: Arc<Self>, cancel: CancellationToken) {
        // Sampling follows the monotonic clock; samples carry the wall-clock time.
        let mut last_sample: Option<tokio::time::Instant> = None;
        let mut first = true;
        loop {
            let new = tokio::select! {
                () = cancel.cancelled() => return,
                d = self.source.devices() => d,
            };
            let now = SystemTime::now();
            let old = self.devices();
            if !first {
                for event in diff(&old, &new, now) {
                    // No subscriber is not an error.
                    let _ = self.events.send(event);
                }
            }
            if last_sample.is_none_or(|t| t.elapsed() >= self.sample_every) {
                self.sample(&new, now, false);
                last_sample = Some(tokio::time::Instant::now());
            } else {
                // A device that had nothing to chart (not yet connected) gets its first
                // values at once rather than at the next sampling time.
                self.sample(&new, now, true);
            }
            *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(new);
            first = false;
            tokio::select! {
                () = cancel.cancelled() => return,
                () = self.source.changed() => {}
            }
        }
    }

    /// Adds a sample of every device; with `only_first`, only to the rings that hold no
    /// value yet.
    fn sample(&self, devices: &[Arc<DeviceData>], time: SystemTime, only_first: bool) {
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history.retain(|name, _| devices.iter().any(|d| d.name == *name));
        for dev in devices {
            let ring = history.entry(dev.name.clone()).or_default();
            let values = CHARTED.map(|var| {
                dev.value(var)
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .filter(|v| v.is_finite())
            });
            let empty = |s: &Sample| s.values.iter().all(Option::is_none);
            if only_first && (values.iter().all(Option::is_none) || !ring.iter().all(empty)) {
                continue;
            }
            if only_first {
                ring.clear();
            }
            ring.push_back(Sample { time, values });
            while ring.len() > self.samples {
                ring.pop_front();
            }
        }
    }
}

/// The status words of a readable device whose status is known (not `WAIT`).
fn words(dev: &DeviceData) -> Option<Vec<String>> {
    if !dev.available() {
        return None;
    }
    let status = dev.value("ups.status")?;
    let words: Vec<String> = status
        .split_ascii_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    (words.first().map(String::as_str) != Some("WAIT")).then_some(words)
}

/// The events that lead from one reading to the next: variable changes, then status
/// transitions, device by device.
pub(crate) fn diff(
    old: &[Arc<DeviceData>],
    new: &[Arc<DeviceData>],
    time: SystemTime,
) -> Vec<Event> {
    let mut events = Vec::new();
    for (i, dev) in new.iter().enumerate() {
        // Devices keep their place unless the configuration changed.
        let before = match old.get(i) {
            Some(d) if d.name == dev.name => d,
            _ => match old.iter().find(|d| d.name == dev.name) {
                Some(d) => d,
                None => continue,
            },
        };
        if Arc::ptr_eq(before, dev) {
            continue;
        }
        let mut push = |kind| {
            events.push(Event {
                ups: dev.name.clone(),
                time,
                kind,
            });
        };
        for var in &dev.vars {
            let prev = before.value(&var.name);
            if prev != Some(var.value.as_str()) {
                push(EventKind::Variable {
                    var: var.name.clone(),
                    value: Some(var.value.clone()),
                    old: prev.map(str::to_owned),
                });
            }
        }
        for var in &before.vars {
            if dev.var(&var.name).is_none() && dev.available() {
                push(EventKind::Variable {
                    var: var.name.clone(),
                    value: None,
                    old: Some(var.value.clone()),
                });
            }
        }
        let status = dev.value("ups.status").unwrap_or_default().to_owned();
        match (before.available(), dev.available()) {
            (true, false) => push(EventKind::Status {
                event: "COMMBAD",
                status: String::new(),
            }),
            (false, true) => push(EventKind::Status {
                event: "COMMOK",
                status: status.clone(),
            }),
            _ => {}
        }
        if let (Some(was), Some(now)) = (words(before), words(dev)) {
            let has = |set: &[String], w: &str| set.iter().any(|x| x == w);
            for (word, on, off) in STATUS_EVENTS.iter().chain(&STATUS_EVENTS_MORE) {
                let event = match (has(&was, word), has(&now, word)) {
                    (false, true) => Some(*on),
                    (true, false) => *off,
                    _ => None,
                };
                if let Some(event) = event {
                    push(EventKind::Status {
                        event,
                        status: status.clone(),
                    });
                }
            }
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::source::VarData;

    fn dev(status: Option<&str>, charge: &str) -> Arc<DeviceData> {
        let mut d = DeviceData::new("ups");
        match status {
            Some(s) => d.vars.push(VarData::new("ups.status", s)),
            None => d.error = Some("DATA-STALE".into()),
        }
        if status.is_some() {
            d.vars.push(VarData::new("battery.charge", charge));
        }
        Arc::new(d)
    }

    fn status_events(old: &Arc<DeviceData>, new: &Arc<DeviceData>) -> Vec<&'static str> {
        diff(
            std::slice::from_ref(old),
            std::slice::from_ref(new),
            SystemTime::UNIX_EPOCH,
        )
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Status { event, .. } => Some(event),
            EventKind::Variable { .. } => None,
        })
        .collect()
    }

    struct Counter(std::sync::atomic::AtomicU32);

    #[async_trait::async_trait]
    impl Source for Counter {
        async fn devices(&self) -> Vec<Arc<DeviceData>> {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut d = DeviceData::new("ups");
            d.vars.push(VarData::new("battery.charge", n.to_string()));
            d.vars.push(VarData::new("ups.load", "n/a"));
            vec![Arc::new(d)]
        }
        async fn changed(&self) {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        async fn set_var(
            &self,
            _: &crate::http::Credentials,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<(), crate::http::WriteError> {
            unreachable!()
        }
        async fn instcmd(
            &self,
            _: &crate::http::Credentials,
            _: &str,
            _: &str,
            _: Option<&str>,
        ) -> Result<(), crate::http::WriteError> {
            unreachable!()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_ring_keeps_the_window() {
        let source = Arc::new(Counter(Default::default()));
        // Every 2 s, for 10 s: 5 samples.
        let hub = Arc::new(Hub::new(
            source,
            Duration::from_secs(2),
            Duration::from_secs(10),
        ));
        let cancel = CancellationToken::new();
        let task = tokio::spawn(Arc::clone(&hub).run(cancel.clone()));
        tokio::time::sleep(Duration::from_millis(30_500)).await;
        cancel.cancel();
        task.await.unwrap();
        let samples = hub.history("ups");
        assert_eq!(samples.len(), 5);
        // Readings once a second, samples every other one: the newest is the last reading
        // of an even count.
        let charges: Vec<f64> = samples.iter().map(|s| s.values[0].unwrap()).collect();
        assert!(
            charges.windows(2).all(|w| w[1] - w[0] == 2.0),
            "{charges:?}"
        );
        assert!(
            samples.iter().all(|s| s.values[1].is_none()),
            "n/a is no number"
        );
        assert!(hub.history("other").is_empty());
    }

    #[test]
    fn transitions_as_upsmon_names_them() {
        let ol = dev(Some("OL"), "100");
        let ob = dev(Some("OB DISCHRG"), "50");
        let lb = dev(Some("OB LB"), "5");
        let stale = dev(None, "");
        let wait = dev(Some("WAIT"), "");
        assert_eq!(status_events(&ol, &ob), ["ONBATT"]);
        assert_eq!(status_events(&ob, &lb), ["LOWBATT"]);
        assert_eq!(status_events(&lb, &ol), ["ONLINE"]);
        assert_eq!(status_events(&ol, &stale), ["COMMBAD"]);
        assert_eq!(status_events(&stale, &ol), ["COMMOK"]);
        assert_eq!(status_events(&wait, &ol), Vec::<&str>::new());
        assert_eq!(
            status_events(&dev(Some("OL CAL"), "1"), &dev(Some("fsd ol"), "1")),
            ["FSD", "NOTCAL"]
        );
        let all = diff(
            std::slice::from_ref(&ol),
            std::slice::from_ref(&ob),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(
            all[1].kind,
            EventKind::Variable {
                var: "battery.charge".into(),
                value: Some("50".into()),
                old: Some("100".into())
            }
        );
    }
}
