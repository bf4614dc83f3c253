//! Delivering upsmon's notifications: the message from NOTIFYMSG, then what NOTIFYFLAG asks
//! for: SYSLOG (a datagram to `/dev/log`, or the `logger` program), WALL (the `wall`
//! program) and EXEC (NOTIFYCMD).
//!
//! NOTIFYCMD runs as C runs it: through `/bin/sh`, with the message as its last argument and
//! `UPSNAME` and `NOTIFYTYPE` in its environment; upsmon does not wait for it. (C pastes the
//! message into the shell command in double quotes; here it is passed as `"$1"`, so a quote
//! or `$` in a message cannot change the command.)

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use nut_proto::config::{NotifyEvent, NotifyFlags, UpsmonConf};

use crate::syslog::Severity;
use nut_client::monitor::{EventLog, Notification};

/// What to do for one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The event (`NOTIFYTYPE`).
    pub event: NotifyEvent,
    /// The UPS (`UPSNAME`; empty when the event is not about one).
    pub upsname: String,
    /// The message.
    pub message: String,
    /// NOTIFYFLAG for the event.
    pub flags: NotifyFlags,
}

/// Fills in the message and flags of `n` from `conf`.
pub fn render(conf: &UpsmonConf, n: &Notification) -> Rendered {
    Rendered {
        event: n.event,
        upsname: n.ups.clone().unwrap_or_default(),
        message: n.message(conf),
        flags: conf.notify_flags_for(n.event),
    }
}

/// Sends notifications the way upsmon.conf says.
#[derive(Debug, Clone)]
pub struct Notifier {
    conf: UpsmonConf,
    ident: String,
    eventlog: Option<EventLog>,
}

impl Notifier {
    /// A notifier for `conf`, logging to syslog as `ident` (`upsmon`).
    pub fn new(conf: UpsmonConf, ident: impl Into<String>) -> Self {
        Self {
            eventlog: EventLog::from_conf(&conf),
            conf,
            ident: ident.into(),
        }
    }

    /// Uses a reloaded configuration.
    pub fn set_conf(&mut self, conf: UpsmonConf) {
        self.eventlog = EventLog::from_conf(&conf);
        self.conf = conf;
    }

    /// Delivers `n`, and records it in the EVENTLOG file (nut-rs) whatever its
    /// NOTIFYFLAG. Programs are started and not waited for.
    pub fn send(&self, n: &Notification) {
        let r = render(&self.conf, n);
        if let Some(log) = &self.eventlog {
            if let Err(e) = log.record(n, &r.message) {
                tracing::warn!("EVENTLOG {}: {e}", log.path().display());
            }
        }
        if r.flags.contains(NotifyFlags::IGNORE) {
            return;
        }
        if r.flags.contains(NotifyFlags::SYSLOG) {
            if crate::syslog::enabled() {
                // In the background: the process's own log is syslog.
                crate::syslog::message(Severity::Notice, &r.message);
            } else {
                tracing::warn!("{}", r.message);
                syslog(&self.ident, &r.message);
            }
        }
        if r.flags.contains(NotifyFlags::WALL) {
            wall(&r.message);
        }
        if r.flags.contains(NotifyFlags::EXEC) {
            if let Some(cmd) = &self.conf.notifycmd {
                run_notifycmd(cmd, &r);
            }
        }
    }
}

/// How long one NOTIFYCMD may hold up the next one.
const NOTIFYCMD_TURN: Duration = Duration::from_secs(10);

/// One job for the NOTIFYCMD thread.
enum Job {
    /// Run this command, giving it its turn.
    Run(Command),
    /// Say when every job queued before this one is done.
    Flush(mpsc::Sender<()>),
}

/// The queue of the thread that runs NOTIFYCMD, started on first use.
fn notify_queue() -> &'static Mutex<mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::spawn(move || {
            for job in rx {
                let mut command = match job {
                    Job::Run(command) => command,
                    Job::Flush(done) => {
                        let _ = done.send(());
                        continue;
                    }
                };
                match command.spawn() {
                    Ok(mut child) => {
                        let start = Instant::now();
                        while matches!(child.try_wait(), Ok(None)) {
                            if start.elapsed() > NOTIFYCMD_TURN {
                                reap(child);
                                break;
                            }
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    }
                    Err(e) => tracing::error!("can't run NOTIFYCMD: {e}"),
                }
            }
        });
        Mutex::new(tx)
    })
}

/// Runs NOTIFYCMD for `r` in the background. Notifications run one after the other, in
/// the order they happened (each gets up to ten seconds before the next one starts), so a
/// script sees ONBATT before LOWBATT before SHUTDOWN; C forks them all at once. Call
/// [`flush_notifycmd`] before the process exits, or queued notifications are lost.
pub fn run_notifycmd(cmd: &str, r: &Rendered) {
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(format!("{cmd} \"$1\""))
        .arg("upsmon")
        .arg(&r.message)
        .env("UPSNAME", &r.upsname)
        .env("NOTIFYTYPE", r.event.as_str())
        .stdin(Stdio::null());
    if let Ok(tx) = notify_queue().lock() {
        let _ = tx.send(Job::Run(command));
    }
}

/// Waits until every NOTIFYCMD queued so far has had its turn, or `limit` has passed.
/// Returns whether the queue drained in time.
pub fn flush_notifycmd(limit: Duration) -> bool {
    let (done_tx, done_rx) = mpsc::channel();
    match notify_queue().lock() {
        Ok(tx) => {
            if tx.send(Job::Flush(done_tx)).is_err() {
                return true;
            }
        }
        Err(_) => return false,
    }
    done_rx.recv_timeout(limit).is_ok()
}

/// Sends `text` to every terminal with `wall`, if that program exists.
pub fn wall(text: &str) {
    let spawned = Command::new("wall")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            tracing::info!("Can't invoke wall: {e}");
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let text = format!("{}\n", text.trim_end_matches('\n'));
        std::thread::spawn(move || {
            let _ = stdin.write_all(text.as_bytes());
        });
    }
    reap(child);
}

/// Logs `message` to the system log at `daemon.notice`, as C's `upslogx(LOG_NOTICE, …)`:
/// a datagram to `/dev/log` (see [`crate::syslog`]), else the `logger` program.
pub fn syslog(ident: &str, message: &str) {
    let writer = crate::syslog::Writer::open(ident);
    if writer.try_send(Severity::Notice, message).is_ok() {
        return;
    }
    if let Ok(child) = Command::new("logger")
        .args(["-t", ident, "-p", "daemon.notice", "--", message])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        reap(child);
    }
}

/// Waits for `child` on a thread, so that it leaves no zombie and nobody blocks on it.
fn reap(mut child: std::process::Child) {
    std::thread::spawn(move || {
        let _ = child.wait();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(text: &str) -> UpsmonConf {
        UpsmonConf::parse(text.as_bytes(), "upsmon.conf")
            .unwrap()
            .config
    }

    fn n(event: NotifyEvent, ups: Option<&str>, extra: Option<&str>) -> Notification {
        Notification {
            event,
            ups: ups.map(Into::into),
            extra: extra.map(Into::into),
        }
    }

    #[test]
    fn messages_and_flags() {
        let c = conf("NOTIFYMSG ONBATT \"Power gone on %s!\"\nNOTIFYFLAG ONBATT EXEC\n");
        let r = render(&c, &n(NotifyEvent::OnBatt, Some("u@h"), None));
        assert_eq!(r.message, "Power gone on u@h!");
        assert_eq!(r.flags, NotifyFlags::EXEC);
        let r = render(&c, &n(NotifyEvent::Shutdown, None, None));
        assert_eq!(r.message, "Auto logout and shutdown proceeding");
        assert_eq!(r.upsname, "");
        assert_eq!(r.flags, NotifyFlags::SYSLOG.with(NotifyFlags::WALL));
        let r = render(&c, &n(NotifyEvent::Alarm, Some("u@h"), Some("Fan")));
        assert_eq!(r.message, "UPS u@h: one or more active alarms: [Fan]");
    }

    #[test]
    fn notifycmd_gets_message_and_environment() {
        let dir = std::env::temp_dir().join(format!("nut-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        let script = dir.join("notify.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s|%s|%s\\n' \"$NOTIFYTYPE\" \"$UPSNAME\" \"$1\" >> {}\n",
                out.display()
            ),
        )
        .unwrap();
        // The message is the last argument; a quote or $ in it stays literal.
        let c = conf(&format!(
            "NOTIFYCMD \"/bin/sh {}\"\nNOTIFYFLAG ONLINE EXEC\nNOTIFYMSG ONLINE \"on \\\"$HOME\\\" %s\"\n",
            script.display()
        ));
        Notifier::new(c, "upsmon-test").send(&n(NotifyEvent::Online, Some("u@h"), None));
        let deadline = Instant::now() + Duration::from_secs(30);
        let text = loop {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            if text.contains('\n') || Instant::now() > deadline {
                break text;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(text, "ONLINE|u@h|on \"$HOME\" u@h\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
