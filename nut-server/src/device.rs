//! The server's copy of one device: the [`DeviceState`] fed by its driver link, whether the
//! link is up, when the driver was last heard from, the FSD latch and the sessions logged
//! in to it.
//!
//! Readers (client sessions) take the device's read lock for the time it takes to format a
//! reply; the one writer is the device's driver task. There is no lock shared between
//! devices.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use nut_driver_api::state::DeviceState;
use nut_proto::names::{UpsName, Value, VarName};
use nut_proto::net::ErrorCode;
use nut_proto::sock::{DriverMessage, ServerMessage};
use tokio::sync::{mpsc, Notify};

/// What a session sees of a device's driver link.
#[derive(Debug)]
pub(crate) struct Link {
    /// The state as the driver described it.
    pub(crate) state: DeviceState,
    /// Whether the driver link is up.
    pub(crate) connected: bool,
    /// Whether the driver has finished its answer to `DUMPALL`.
    pub(crate) dump_done: bool,
    /// When the driver last sent a line upsd understood.
    pub(crate) last_heard: Instant,
    /// When upsd last sent `PING`.
    pub(crate) last_ping: Instant,
    /// Where SET and INSTCMD go while the link is up.
    sender: Option<mpsc::Sender<ServerMessage>>,
}

/// One entry of the logged-in sessions of a device.
#[derive(Debug, Clone)]
struct Login {
    conn_id: u64,
    addr: Box<str>,
}

/// The server's copy of one device.
#[derive(Debug)]
pub(crate) struct Device {
    /// The name as configured.
    pub(crate) name: UpsName,
    link: RwLock<Link>,
    fsd: AtomicBool,
    logins: Mutex<Vec<Login>>,
    /// Woken after every change of the state (the HTTP service waits on it).
    changes: Arc<Notify>,
    /// Whether the state changed since [`Device::take_changed`] last looked.
    changed: AtomicBool,
}

impl Device {
    /// A device without a driver link; `changes` is woken whenever its state changes.
    pub(crate) fn new(name: UpsName, changes: Arc<Notify>) -> Self {
        let now = Instant::now();
        Self {
            name,
            link: RwLock::new(Link {
                state: DeviceState::new(),
                connected: false,
                dump_done: false,
                last_heard: now,
                last_ping: now,
                sender: None,
            }),
            fsd: AtomicBool::new(false),
            logins: Mutex::new(Vec::new()),
            changes,
            changed: AtomicBool::new(true),
        }
    }

    /// Notes a change of the state and wakes whoever waits for changes.
    fn mark_changed(&self) {
        self.changed.store(true, Ordering::Release);
        self.changes.notify_one();
    }

    /// Whether the state changed since the last call (the HTTP service re-reads only the
    /// devices that did).
    #[cfg(feature = "http")]
    pub(crate) fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::AcqRel)
    }

    /// A read view of the link; hold it only while formatting one reply.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Link> {
        self.link.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Link> {
        self.link.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The link came up: C upsd forgets nothing here (the state was dropped at the last
    /// disconnect) and sets `ups.status` to `WAIT` until the driver's dump arrives.
    pub(crate) fn on_connect(&self, sender: mpsc::Sender<ServerMessage>) {
        let mut link = self.write();
        let now = Instant::now();
        link.state = DeviceState::new();
        if let (Ok(var), Ok(value)) = (VarName::new("ups.status"), Value::new("WAIT")) {
            link.state.apply(&DriverMessage::SetInfo { var, value });
        }
        link.connected = true;
        link.dump_done = false;
        link.last_heard = now;
        link.last_ping = now;
        link.sender = Some(sender);
        drop(link);
        self.mark_changed();
    }

    /// The link went down: the state is dropped.
    pub(crate) fn on_disconnect(&self) {
        let mut link = self.write();
        link.state = DeviceState::new();
        link.connected = false;
        link.dump_done = false;
        link.sender = None;
        drop(link);
        self.mark_changed();
    }

    /// Applies one message from the driver. Returns whether it counts as a sign of life
    /// (C upsd ignores `PID` and `OK Goodbye`, which are not for it).
    pub(crate) fn on_message(&self, msg: &DriverMessage) -> bool {
        if matches!(msg, DriverMessage::Pid { .. } | DriverMessage::Goodbye) {
            return false;
        }
        let mut link = self.write();
        if matches!(msg, DriverMessage::DumpDone) {
            link.dump_done = true;
        }
        let changed = link.state.apply(msg);
        link.last_heard = Instant::now();
        drop(link);
        if changed || matches!(msg, DriverMessage::DumpDone) {
            self.mark_changed();
        }
        true
    }

    /// Whether a `PING` is due: silent for more than a third of `maxage`, and no ping in
    /// that time either (C's integer arithmetic on whole seconds).
    pub(crate) fn ping_due(&self, maxage: Duration) -> bool {
        let third = Duration::from_secs(maxage.as_secs() / 3);
        let mut link = self.write();
        if link.connected && link.last_heard.elapsed() > third && link.last_ping.elapsed() > third {
            link.last_ping = Instant::now();
            return true;
        }
        false
    }

    /// The earliest time at which, if the driver stays silent, [`Device::ping_due`] or the
    /// staleness of [`Link::unavailable`] can change: the driver task sleeps until then
    /// instead of checking on a fixed tick, so an idle upsd does not wake up every second.
    pub(crate) fn next_check(&self, maxage: Duration) -> Instant {
        let third = Duration::from_secs(maxage.as_secs() / 3);
        let link = self.read();
        // Both comparisons are strict: a millisecond after the bound makes them true.
        let past = Duration::from_millis(1);
        let ping = link.last_heard.max(link.last_ping) + third + past;
        // Stale once the silence, in whole seconds, exceeds maxage's (if not already).
        let stale = link.last_heard + Duration::from_secs(maxage.as_secs() + 1);
        if stale > Instant::now() {
            ping.min(stale)
        } else {
            ping
        }
    }

    /// Hands a message to the driver task; `false` when the link is down or congested
    /// (upsd then answers `SET-FAILED` / `INSTCMD-FAILED`).
    pub(crate) fn send(&self, msg: ServerMessage) -> bool {
        let link = self.read();
        link.sender
            .as_ref()
            .is_some_and(|tx| tx.try_send(msg).is_ok())
    }

    /// Sets the FSD latch.
    pub(crate) fn set_fsd(&self) {
        self.fsd.store(true, Ordering::Relaxed);
        self.mark_changed();
    }

    /// Whether the FSD latch is set.
    pub(crate) fn fsd(&self) -> bool {
        self.fsd.load(Ordering::Relaxed)
    }

    /// Records a session's LOGIN.
    pub(crate) fn login(&self, conn_id: u64, addr: &str) {
        let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        logins.push(Login {
            conn_id,
            addr: addr.into(),
        });
    }

    /// Forgets a session's LOGIN (it disconnected).
    pub(crate) fn logout(&self, conn_id: u64) {
        let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        logins.retain(|l| l.conn_id != conn_id);
    }

    /// How many sessions did LOGIN.
    pub(crate) fn num_logins(&self) -> usize {
        self.logins.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The addresses of the logged-in sessions, newest connection first (C keeps its
    /// client list that way).
    pub(crate) fn login_addrs(&self) -> Vec<Box<str>> {
        let mut logins = self
            .logins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        logins.sort_by_key(|l| std::cmp::Reverse(l.conn_id));
        logins.into_iter().map(|l| l.addr).collect()
    }
}

impl Link {
    /// `None` when the device can answer, else the ERR code C upsd's `ups_available` gives:
    /// no link → `DRIVER-NOT-CONNECTED`; the driver said `DATASTALE` after its dump, or was
    /// silent for more than `maxage` → `DATA-STALE`.
    pub(crate) fn unavailable(&self, maxage: Duration) -> Option<ErrorCode> {
        if !self.connected {
            return Some(ErrorCode::DriverNotConnected);
        }
        let silent = self.last_heard.elapsed().as_secs() > maxage.as_secs();
        if (self.dump_done && !self.state.is_data_ok()) || silent {
            return Some(ErrorCode::DataStale);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Device {
        Device::new(UpsName::new("ups").unwrap(), Arc::default())
    }

    #[test]
    fn next_check_is_the_next_ping_or_staleness() {
        let dev = device();
        let (tx, _rx) = mpsc::channel(1);
        dev.on_connect(tx);
        let maxage = Duration::from_secs(15);
        let heard = dev.read().last_heard;
        // Silent: the first PING is due after a third of maxage.
        assert_eq!(dev.next_check(maxage), heard + Duration::from_millis(5_001));
        // A driver silent for longer than maxage/3 but not yet stale, just pinged: the next
        // ping 5 s on, or staleness at 16 s, whichever comes first.
        dev.write().last_heard = Instant::now() - Duration::from_secs(14);
        dev.write().last_ping = Instant::now();
        let ping = dev.read().last_ping + Duration::from_millis(5_001);
        let stale = dev.read().last_heard + Duration::from_secs(16);
        assert_eq!(dev.next_check(maxage), ping.min(stale));
        // Already stale: only the pings, never a deadline in the past (a busy loop).
        dev.write().last_heard = Instant::now() - Duration::from_secs(60);
        assert!(dev.next_check(maxage) > Instant::now());
        assert_eq!(dev.read().unavailable(maxage), Some(ErrorCode::DataStale));
    }

    #[test]
    fn availability_follows_the_link() {
        let dev = device();
        let maxage = Duration::from_secs(15);
        assert_eq!(
            dev.read().unavailable(maxage),
            Some(ErrorCode::DriverNotConnected)
        );
        let (tx, _rx) = mpsc::channel(1);
        dev.on_connect(tx);
        assert_eq!(dev.read().unavailable(maxage), None);
        assert_eq!(dev.read().state.value("ups.status"), Some("WAIT"));
        // DATASTALE before the dump is done does not count.
        dev.on_message(&DriverMessage::DataStale);
        assert_eq!(dev.read().unavailable(maxage), None);
        dev.on_message(&DriverMessage::DumpDone);
        assert_eq!(dev.read().unavailable(maxage), Some(ErrorCode::DataStale));
        dev.on_message(&DriverMessage::DataOk);
        assert_eq!(dev.read().unavailable(maxage), None);
        assert!(dev.send(ServerMessage::Ping));
        assert!(!dev.send(ServerMessage::Ping), "channel of one is full");
        dev.on_disconnect();
        assert!(dev.read().state.value("ups.status").is_none());
        assert!(!dev.send(ServerMessage::Ping));
    }

    #[test]
    fn logins_newest_first() {
        let dev = device();
        dev.login(1, "10.0.0.1");
        dev.login(3, "::1");
        dev.login(2, "127.0.0.1");
        assert_eq!(dev.num_logins(), 3);
        let addrs: Vec<_> = dev.login_addrs().into_iter().map(String::from).collect();
        assert_eq!(addrs, ["::1", "127.0.0.1", "10.0.0.1"]);
        dev.logout(3);
        assert_eq!(dev.num_logins(), 2);
    }
}
