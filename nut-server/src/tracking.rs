//! Tracking of SET VAR and INSTCMD results: ids handed to clients in `OK TRACKING <id>`,
//! the driver's `TRACKING <id> <code>` answers, and the `GET TRACKING <id>` replies.
//!
//! One table for the whole server, as in C upsd: any session with tracking on may ask about
//! any id. Entries expire after `TRACKINGDELAY` seconds. Ids are random UUIDs (version 4)
//! from the operating system's CSPRNG, written in upper case as C upsd writes them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nut_proto::names::TrackingId;
use nut_proto::sock::TrackingStatus;

/// How many entries may pile up before expired ones are swept on insertion.
const SWEEP_AT: usize = 1024;

#[derive(Debug)]
struct Entry {
    status: Option<TrackingStatus>,
    created: Instant,
}

/// The server-wide tracking table.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    entries: Mutex<HashMap<Box<str>, Entry>>,
}

/// A fresh random tracking id, `XXXXXXXX-XXXX-4XXX-YXXX-XXXXXXXXXXXX` in upper case.
pub(crate) fn new_id() -> TrackingId {
    let mut buf = uuid::Uuid::encode_buffer();
    let text = uuid::Uuid::new_v4().hyphenated().encode_upper(&mut buf);
    TrackingId::new(&*text).unwrap_or_else(|_| unreachable!("a UUID is a valid word"))
}

fn key(id: &str) -> Box<str> {
    id.to_ascii_uppercase().into_boxed_str()
}

impl Tracker {
    /// Records a new pending id.
    pub(crate) fn add(&self, id: &TrackingId, delay: Duration) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= SWEEP_AT {
            entries.retain(|_, e| e.created.elapsed() <= delay);
        }
        entries.insert(
            key(id.as_str()),
            Entry {
                status: None,
                created: Instant::now(),
            },
        );
    }

    /// Records the driver's result for `id`; unknown ids are ignored, as in C.
    pub(crate) fn set(&self, id: &TrackingId, status: TrackingStatus) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = entries.get_mut(&key(id.as_str())) {
            entry.status = Some(status);
        }
    }

    /// The reply line (without LF) to `GET TRACKING <id>`: `PENDING`, `SUCCESS` or an
    /// `ERR …`; unknown and expired ids give `ERR UNKNOWN`.
    pub(crate) fn get(&self, id: &TrackingId, delay: Duration) -> &'static str {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let k = key(id.as_str());
        match entries.get(&k) {
            Some(entry) if entry.created.elapsed() > delay => {
                entries.remove(&k);
                "ERR UNKNOWN"
            }
            Some(Entry { status: None, .. }) => "PENDING",
            Some(Entry {
                status: Some(status),
                ..
            }) => status.net_reply(),
            None => "ERR UNKNOWN",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uppercase_v4_uuids_and_unique() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        let s = a.as_str();
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert!(s
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase()));
    }

    #[test]
    fn lifecycle_and_expiry() {
        let t = Tracker::default();
        let id = new_id();
        let long = Duration::from_secs(3600);
        assert_eq!(t.get(&id, long), "ERR UNKNOWN");
        t.add(&id, long);
        assert_eq!(t.get(&id, long), "PENDING");
        let lower = TrackingId::new(id.as_str().to_ascii_lowercase()).unwrap();
        t.set(&lower, TrackingStatus::Failed);
        assert_eq!(t.get(&id, long), "ERR FAILED");
        t.set(&id, TrackingStatus::Handled);
        assert_eq!(t.get(&lower, long), "SUCCESS");
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(t.get(&id, Duration::from_millis(1)), "ERR UNKNOWN");
        assert_eq!(t.get(&id, long), "ERR UNKNOWN", "expired entries are gone");
    }
}
