//! upsmon's shutdown decision as a pure state machine: it is fed poll results and the time,
//! and answers with [`Action`]s (notify, set FSD, shut down). No sockets, no sleeps, no clock
//! of its own, so every scenario can be replayed in a unit test.
//!
//! The daemon drives it like C upsmon's main loop: for each UPS it reports the poll result
//! ([`Decider::poll_status`] or [`Decider::poll_failed`]), then calls [`Decider::check`] (C's
//! `recalc`), then sleeps [`Decider::poll_interval`]. Once a shutdown has started, the phase
//! ([`Decider::phase`]) tells it to count logins ([`Decider::logins_counted`]) and to call
//! [`Decider::tick`] until [`Action::Shutdown`] comes out.
//!
//! Times are [`Duration`]s since any origin the caller likes (a monotonic clock's start).
//!
//! The rules are those of C upsmon 2.8.0, extended with what C 2.8.1–2.8.5 added: the events
//! NOTCAL, OFF/NOTOFF, BYPASS/NOTBYPASS (2.8.1), ECO/NOTECO, ALARM/NOTALARM, OVER/NOTOVER,
//! TRIM/NOTTRIM, BOOST/NOTBOOST, OTHER/NOTOTHER (2.8.3) and SHUTDOWN_HOSTSYNC (2.8.5); the
//! settings OFFDURATION, OVERDURATION, OBLBDURATION and ALARMCRITICAL with their newer C
//! defaults (30, -1, 0, on); and the newer rules that a UPS last seen on bypass, calibrating,
//! off, in alarm or overloaded counts as lost once it stops answering.

use std::collections::BTreeSet;
use std::time::Duration;

use nut_proto::config::{format_notify_message, NotifyEvent, ShutdownThresholds, UpsmonConf};
use nut_proto::status::StatusWord;

use super::settings::Settings;

/// How often NOPARENT is repeated while the privileged parent is gone (C: 2 minutes).
pub const NOPARENT_REPEAT: Duration = Duration::from_secs(120);

/// Something the daemon must do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Report an event (flags and message come from upsmon.conf).
    Notify(Notification),
    /// Broadcast this text with `wall`, whatever the flags say (C does this once, when the
    /// shutdown starts).
    Wall(String),
    /// Send `FSD` for the UPS with this index.
    SetFsd(usize),
    /// Write POWERDOWNFLAG and run SHUTDOWNCMD (through the privileged parent).
    Shutdown,
}

/// One event to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// What happened.
    pub event: NotifyEvent,
    /// The UPS as written in its MONITOR line (`ups@host`), if the event is about one.
    pub ups: Option<String>,
    /// A second detail for the message (the alarm text for ALARM, the words for OTHER).
    pub extra: Option<String>,
}

impl Notification {
    /// The message for this event as upsmon.conf words it (its `NOTIFYMSG`, or C's
    /// default), with the UPS name and the detail filled in.
    pub fn message(&self, conf: &UpsmonConf) -> String {
        let ups = self.ups.as_deref().unwrap_or("");
        let extra = self.extra.as_deref().unwrap_or("");
        format_notify_message(conf.notify_message_for(self.event), &[ups, extra])
    }
}

/// Where the shutdown logic stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Watching the UPSes.
    Monitoring,
    /// A primary set FSD and waits (up to HOSTSYNC) for the secondaries to log out.
    WaitingForSecondaries {
        /// When the wait started.
        since: Duration,
        /// How many login counts have been reported so far.
        rounds: u32,
    },
    /// SHUTDOWN was notified; SHUTDOWNCMD runs at `until` (FINALDELAY).
    FinalDelay {
        /// When to run SHUTDOWNCMD.
        until: Duration,
    },
    /// [`Action::Shutdown`] has been issued.
    ShutdownRequested,
}

/// Seconds from the configuration as a duration (negative values count as 0).
fn secs(value: i32) -> Duration {
    Duration::from_secs(u64::try_from(value).unwrap_or(0))
}

/// Whether more than `limit` seconds passed since `since` (`None`: never, so always).
fn older_than(now: Duration, since: Option<Duration>, limit: i32) -> bool {
    match since {
        None => true,
        Some(t) => now.saturating_sub(t) > secs(limit),
    }
}

/// Communication or line state that starts unknown, so that the first good poll is silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    Unknown,
    No,
    Yes,
}

/// What upsmon knows about one MONITORed UPS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsFlags {
    /// OL seen.
    pub online: bool,
    /// OB seen.
    pub onbatt: bool,
    /// LB seen (or promoted after DEADTIME on battery).
    pub lowbatt: bool,
    /// FSD seen.
    pub fsd: bool,
    /// CAL seen.
    pub cal: bool,
    /// OFF seen.
    pub off: bool,
    /// BYPASS seen.
    pub bypass: bool,
    /// ECO seen.
    pub eco: bool,
    /// ALARM seen.
    pub alarm: bool,
    /// OVER seen.
    pub over: bool,
    /// TRIM seen.
    pub trim: bool,
    /// BOOST seen.
    pub boost: bool,
}

#[derive(Debug, Clone)]
struct Tracked {
    sys: String,
    power_value: u64,
    primary: bool,
    flags: UpsFlags,
    comm: Tri,
    line: Tri,
    last_poll: Option<Duration>,
    last_noncrit: Option<Duration>,
    last_rb_warn: Option<Duration>,
    last_nc_warn: Option<Duration>,
    off_since: Option<Duration>,
    off_long: bool,
    over_since: Option<Duration>,
    over_state: bool,
    bypass_state: bool,
    alarm_state: bool,
    oblb_since: Option<Duration>,
    fsd_notified: bool,
    alarm_text: Option<String>,
    others: BTreeSet<String>,
    thresholds: Option<ShutdownThresholds>,
    charge: Option<f64>,
    runtime: Option<f64>,
    onbatt_since: Option<Duration>,
    onbatt_total: Duration,
    threshold_hit: bool,
}

impl Tracked {
    fn new(sys: String, power_value: u64, primary: bool) -> Self {
        Self {
            sys,
            power_value,
            primary,
            flags: UpsFlags::default(),
            comm: Tri::Unknown,
            line: Tri::Unknown,
            last_poll: None,
            last_noncrit: None,
            last_rb_warn: None,
            last_nc_warn: None,
            off_since: None,
            off_long: false,
            over_since: None,
            over_state: false,
            bypass_state: false,
            alarm_state: false,
            oblb_since: None,
            fsd_notified: false,
            alarm_text: None,
            others: BTreeSet::new(),
            thresholds: None,
            charge: None,
            runtime: None,
            onbatt_since: None,
            onbatt_total: Duration::ZERO,
            threshold_hit: false,
        }
    }
}

/// The decision state of a whole upsmon: every MONITORed UPS and the shutdown phase.
#[derive(Debug, Clone)]
pub struct Decider {
    settings: Settings,
    ups: Vec<Tracked>,
    sleep: u32,
    phase: Phase,
    last_noparent: Option<Duration>,
    out: Vec<Action>,
}

impl Decider {
    /// A decider for the MONITOR lines and settings of `conf`.
    pub fn new(conf: &UpsmonConf) -> Self {
        let settings = Settings::from_conf(conf);
        let ups = conf
            .monitors
            .iter()
            .map(|m| {
                let mut t = Tracked::new(
                    m.system.to_string(),
                    m.power_value.into(),
                    m.role.is_primary(),
                );
                t.thresholds = conf.thresholds_for(&m.system).cloned();
                t
            })
            .collect();
        Self {
            sleep: settings.pollfreq,
            settings,
            ups,
            phase: Phase::Monitoring,
            last_noparent: None,
            out: Vec::new(),
        }
    }

    /// Takes a reloaded configuration (C's `reload_conf`): UPSes whose MONITOR text is
    /// still there keep their state (with the new power value and role), new ones start
    /// fresh, others are forgotten. The UPS indices follow `conf.monitors` afterwards.
    pub fn reload(&mut self, conf: &UpsmonConf) {
        self.settings = Settings::from_conf(conf);
        let mut old = std::mem::take(&mut self.ups);
        for m in &conf.monitors {
            let sys = m.system.to_string();
            let mut t = match old.iter().position(|t| t.sys == sys) {
                Some(i) => old.swap_remove(i),
                None => Tracked::new(sys, 0, false),
            };
            t.power_value = m.power_value.into();
            t.primary = m.role.is_primary();
            t.thresholds = conf.thresholds_for(&m.system).cloned();
            self.ups.push(t);
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The shutdown phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// How long to sleep between poll rounds (POLLFREQ, or POLLFREQALERT while some UPS
    /// is on battery or in another state that needs a closer look).
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.sleep.max(1).into())
    }

    /// The flags known for UPS `index`.
    pub fn flags(&self, index: usize) -> Option<&UpsFlags> {
        self.ups.get(index).map(|t| &t.flags)
    }

    /// Whether this upsmon is the primary of at least one UPS.
    pub fn is_primary_anywhere(&self) -> bool {
        self.ups.iter().any(|t| t.primary)
    }

    /// Whether this upsmon is the primary of UPS `index`.
    pub fn is_primary(&self, index: usize) -> bool {
        self.ups.get(index).is_some_and(|t| t.primary)
    }

    fn notify(&mut self, index: Option<usize>, event: NotifyEvent, extra: Option<String>) {
        let ups = index.map(|i| self.ups[i].sys.clone());
        self.out
            .push(Action::Notify(Notification { event, ups, extra }));
    }

    fn take(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.out)
    }

    /// A poll of UPS `index` returned `status` (the value of `ups.status`) and, when the
    /// status holds ALARM, `alarm` (the value of `ups.alarm`, `None` if it could not be
    /// read). An empty status counts as a failed poll, as in C.
    pub fn poll_status(
        &mut self,
        index: usize,
        status: &str,
        alarm: Option<&str>,
        now: Duration,
    ) -> Vec<Action> {
        if index >= self.ups.len() {
            return Vec::new();
        }
        let words: Vec<StatusWord> = status
            .split_ascii_whitespace()
            .map(StatusWord::parse)
            .collect();
        if words.is_empty() {
            return self.poll_failed(index, now);
        }
        self.alive(index, now);
        let has = |w: StatusWord| words.contains(&w);
        if !has(StatusWord::Lb) {
            self.ups[index].flags.lowbatt = false;
        }
        if !has(StatusWord::Fsd) {
            let t = &mut self.ups[index];
            t.flags.fsd = false;
            t.fsd_notified = false;
        }
        self.clear_absent(index, &words);

        let mut others: Vec<String> = Vec::new();
        for word in &words {
            self.status_word(index, word, alarm, now, &mut others);
            self.update_crit_timer(index, now);
        }
        self.others_changed(index, others);
        self.take()
    }

    /// The NOT* events for states that are no longer reported.
    fn clear_absent(&mut self, i: usize, words: &[StatusWord]) {
        let has = |w: StatusWord| words.contains(&w);
        let pairs = [
            (StatusWord::Cal, NotifyEvent::NotCal),
            (StatusWord::Off, NotifyEvent::NotOff),
            (StatusWord::Bypass, NotifyEvent::NotBypass),
            (StatusWord::Alarm, NotifyEvent::NotAlarm),
            (StatusWord::Over, NotifyEvent::NotOver),
            (StatusWord::Trim, NotifyEvent::NotTrim),
            (StatusWord::Boost, NotifyEvent::NotBoost),
            (StatusWord::Eco, NotifyEvent::NotEco),
        ];
        for (word, event) in pairs {
            if has(word.clone()) {
                continue;
            }
            let t = &mut self.ups[i];
            let flag = match word {
                StatusWord::Cal => &mut t.flags.cal,
                StatusWord::Off => {
                    t.off_since = None;
                    t.off_long = false;
                    &mut t.flags.off
                }
                StatusWord::Bypass => {
                    t.bypass_state = false;
                    &mut t.flags.bypass
                }
                StatusWord::Alarm => {
                    t.alarm_state = false;
                    t.alarm_text = None;
                    &mut t.flags.alarm
                }
                StatusWord::Over => {
                    t.over_since = None;
                    t.over_state = false;
                    &mut t.flags.over
                }
                StatusWord::Trim => &mut t.flags.trim,
                StatusWord::Boost => &mut t.flags.boost,
                _ => &mut t.flags.eco,
            };
            if std::mem::take(flag) {
                self.notify(Some(i), event, None);
                self.try_restore_pollfreq(i);
            }
        }
    }

    fn try_restore_pollfreq(&mut self, i: usize) {
        let f = &self.ups[i].flags;
        if !(f.onbatt || f.off || f.bypass || f.alarm || f.cal || f.over || f.trim || f.boost) {
            self.sleep = self.settings.pollfreq;
        }
    }

    fn status_word(
        &mut self,
        i: usize,
        word: &StatusWord,
        alarm: Option<&str>,
        now: Duration,
        others: &mut Vec<String>,
    ) {
        let alert = self.settings.pollfreqalert;
        match word {
            StatusWord::Ol => {
                let t = &mut self.ups[i];
                if let Some(since) = t.onbatt_since.take() {
                    t.onbatt_total += now.saturating_sub(since);
                }
                if !t.flags.online {
                    let announce = t.line != Tri::Unknown;
                    t.line = Tri::Yes;
                    t.flags.online = true;
                    t.flags.onbatt = false;
                    if announce {
                        self.notify(Some(i), NotifyEvent::Online, None);
                    }
                }
                self.try_restore_pollfreq(i);
            }
            StatusWord::Ob => {
                let t = &mut self.ups[i];
                t.onbatt_since.get_or_insert(now);
                if !t.flags.onbatt {
                    self.sleep = alert;
                    t.line = Tri::No;
                    t.flags.onbatt = true;
                    t.flags.online = false;
                    self.notify(Some(i), NotifyEvent::OnBatt, None);
                }
            }
            StatusWord::Lb => {
                if !self.ups[i].flags.lowbatt {
                    self.ups[i].flags.lowbatt = true;
                    self.notify(Some(i), NotifyEvent::LowBatt, None);
                }
            }
            StatusWord::Rb => {
                let t = &mut self.ups[i];
                if older_than(now, t.last_rb_warn, self.settings.rbwarntime) {
                    t.last_rb_warn = Some(now);
                    self.notify(Some(i), NotifyEvent::ReplBatt, None);
                }
            }
            StatusWord::Cal => self.set_flag(i, |f| &mut f.cal, NotifyEvent::Cal),
            StatusWord::Off => self.off(i, now),
            StatusWord::Bypass => {
                if !self.ups[i].flags.bypass {
                    self.sleep = alert;
                    self.ups[i].bypass_state = true;
                }
                self.set_flag(i, |f| &mut f.bypass, NotifyEvent::Bypass);
            }
            StatusWord::Eco => self.set_flag(i, |f| &mut f.eco, NotifyEvent::Eco),
            StatusWord::Alarm => self.alarm(i, alarm),
            StatusWord::Over => {
                let t = &mut self.ups[i];
                if t.flags.over {
                    t.over_since.get_or_insert(now);
                } else {
                    if self.settings.overduration >= 0 {
                        self.sleep = alert;
                    }
                    t.over_since = Some(now);
                    t.over_state = true;
                    t.flags.over = true;
                    self.notify(Some(i), NotifyEvent::Over, None);
                }
            }
            StatusWord::Trim => self.set_flag(i, |f| &mut f.trim, NotifyEvent::Trim),
            StatusWord::Boost => self.set_flag(i, |f| &mut f.boost, NotifyEvent::Boost),
            StatusWord::Fsd => {
                let t = &mut self.ups[i];
                if !t.flags.fsd {
                    t.flags.fsd = true;
                    if !t.fsd_notified {
                        t.fsd_notified = true;
                        self.notify(Some(i), NotifyEvent::Fsd, None);
                    }
                }
            }
            StatusWord::Hb | StatusWord::Chrg | StatusWord::Dischrg => {}
            other => {
                let text = other.as_str().to_owned();
                if !others.contains(&text) {
                    others.push(text);
                }
            }
        }
    }

    fn set_flag(&mut self, i: usize, field: fn(&mut UpsFlags) -> &mut bool, event: NotifyEvent) {
        let flag = field(&mut self.ups[i].flags);
        if !*flag {
            *flag = true;
            self.notify(Some(i), event, None);
        }
    }

    fn off(&mut self, i: usize, now: Duration) {
        let limit = self.settings.offduration;
        let t = &mut self.ups[i];
        if t.flags.off {
            let since = *t.off_since.get_or_insert(now);
            if limit > 0 && now.saturating_sub(since) > secs(limit) {
                if !t.off_long {
                    tracing::warn!(
                        "{} is in state OFF for more than {limit} s, assuming the line is not fed (see OFFDURATION)",
                        t.sys
                    );
                }
                t.off_long = true;
            }
            return;
        }
        self.sleep = self.settings.pollfreqalert;
        t.off_since = Some(now);
        if limit == 0 {
            tracing::warn!("{} is in state OFF, assuming the line is not fed", t.sys);
            t.off_long = true;
        }
        t.flags.off = true;
        self.notify(Some(i), NotifyEvent::Off, None);
    }

    fn alarm(&mut self, i: usize, text: Option<&str>) {
        let t = &mut self.ups[i];
        if t.flags.alarm {
            if let Some(text) = text {
                if t.alarm_text.as_deref() != Some(text) {
                    t.alarm_text = Some(text.to_owned());
                    self.notify(Some(i), NotifyEvent::Alarm, Some(text.to_owned()));
                }
            }
            return;
        }
        self.sleep = self.settings.pollfreqalert;
        t.alarm_state = true;
        t.flags.alarm = true;
        t.alarm_text = text.map(str::to_owned);
        let extra = text.unwrap_or("n/a").to_owned();
        self.notify(Some(i), NotifyEvent::Alarm, Some(extra));
    }

    fn others_changed(&mut self, i: usize, now_seen: Vec<String>) {
        let seen: BTreeSet<String> = now_seen.iter().cloned().collect();
        let t = &mut self.ups[i];
        if seen == t.others {
            return;
        }
        t.others = seen;
        if now_seen.is_empty() {
            self.notify(Some(i), NotifyEvent::NotOther, None);
        } else {
            self.notify(Some(i), NotifyEvent::Other, Some(now_seen.join(" ")));
        }
    }

    /// C's `update_crittimer`: remember when the UPS was last not critical (not OB+LB, or
    /// calibrating).
    fn update_crit_timer(&mut self, i: usize, now: Duration) {
        let f = &self.ups[i].flags;
        if !f.onbatt || !f.lowbatt || f.cal {
            self.ups[i].last_noncrit = Some(now);
        }
    }

    fn alive(&mut self, i: usize, now: Duration) {
        let t = &mut self.ups[i];
        t.last_poll = Some(now);
        match t.comm {
            Tri::Yes => {}
            Tri::No => {
                t.comm = Tri::Yes;
                self.notify(Some(i), NotifyEvent::CommOk, None);
            }
            Tri::Unknown => t.comm = Tri::Yes,
        }
    }

    /// A poll of UPS `index` failed (no connection, an error reply, or a timeout): COMMBAD
    /// the first time, then NOCOMM every NOCOMMWARNTIME once it has lasted that long.
    pub fn poll_failed(&mut self, index: usize, now: Duration) -> Vec<Action> {
        let Some(t) = self.ups.get_mut(index) else {
            return Vec::new();
        };
        if t.comm != Tri::No {
            t.comm = Tri::No;
            self.notify(Some(index), NotifyEvent::CommBad, None);
            return self.take();
        }
        let limit = self.settings.nocommwarntime;
        let lasting = match t.last_poll {
            None => true,
            Some(p) => now.saturating_sub(p) >= secs(limit),
        };
        if lasting && older_than(now, t.last_nc_warn, limit) {
            t.last_nc_warn = Some(now);
            self.notify(Some(index), NotifyEvent::NoComm, None);
        }
        self.take()
    }

    /// The connection to UPS `index` was closed (C's `drop_connection`): the next good poll
    /// announces COMMOK again.
    pub fn connection_dropped(&mut self, index: usize) {
        if let Some(t) = self.ups.get_mut(index) {
            t.comm = Tri::No;
            t.line = Tri::No;
        }
    }

    /// C's `is_ups_critical`.
    fn is_critical(&mut self, i: usize, now: Duration) -> bool {
        let s = self.settings.clone();
        let t = &mut self.ups[i];
        let f = t.flags.clone();
        if f.fsd {
            return true;
        }
        if t.comm == Tri::No {
            let overloaded_for = now.saturating_sub(t.over_since.unwrap_or(now));
            if (t.over_state || f.over)
                && s.overduration >= 0
                && overloaded_for >= secs(s.overduration)
            {
                tracing::warn!("UPS [{}] was last known to be overloaded and is not communicating, assuming dead", t.sys);
                return true;
            }
            if (t.alarm_state || f.alarm) && s.alarmcritical {
                tracing::warn!("UPS [{}] was last known to be in an ALARM state and is not communicating, assuming dead", t.sys);
                return true;
            }
            if f.cal {
                tracing::warn!("UPS [{}] was last known to be calibrating and is not communicating, assuming dead", t.sys);
                return true;
            }
            if t.bypass_state || f.bypass {
                tracing::warn!("UPS [{}] was last known to be on BYPASS and is not communicating, assuming dead", t.sys);
                return true;
            }
            if t.off_long || (s.offduration >= 0 && f.off) {
                tracing::warn!(
                    "UPS [{}] was last known to be OFF and is not communicating, assuming dead",
                    t.sys
                );
                return true;
            }
        }
        if f.onbatt && t.threshold_hit {
            tracing::warn!("UPS [{}] is past its nut-rs shutdown threshold", t.sys);
            return true;
        }
        if f.off && s.offduration >= 0 && t.off_long {
            tracing::warn!("UPS [{}] is reported as (administratively) OFF", t.sys);
            return true;
        }
        if !f.onbatt || !f.lowbatt {
            if t.oblb_since.take().is_some() {
                self.sleep = if f.onbatt {
                    s.pollfreqalert
                } else {
                    s.pollfreq
                };
            }
            return false;
        }
        if f.cal {
            tracing::warn!("UPS [{}] is OB+LB but calibrating: not critical", t.sys);
            return false;
        }
        if s.oblbduration > 0 {
            match t.oblb_since {
                None => {
                    t.oblb_since = Some(now);
                    self.sleep = gcd(s.pollfreqalert.max(1), s.oblbduration).max(1);
                    tracing::warn!(
                        "UPS [{}] is OB+LB, waiting OBLBDURATION={} s",
                        t.sys,
                        s.oblbduration
                    );
                    return false;
                }
                Some(since)
                    if now.saturating_sub(since) < Duration::from_secs(s.oblbduration.into()) =>
                {
                    return false;
                }
                Some(_) => {}
            }
        }
        if t.primary {
            return true;
        }
        // A secondary gives the primary HOSTSYNC seconds to set FSD.
        if older_than(now, t.last_noncrit, s.hostsync) {
            tracing::warn!("Giving up on the primary for UPS [{}]", t.sys);
            return true;
        }
        false
    }

    /// The end of a poll round (C's `recalc`): promotes UPSes silent on battery for DEADTIME
    /// to low battery, sums the power values of the UPSes that are not critical, and starts
    /// the shutdown when the sum is below MINSUPPLIES.
    pub fn check(&mut self, now: Duration) -> Vec<Action> {
        if self.phase != Phase::Monitoring {
            return self.take();
        }
        let mut value = 0u64;
        for i in 0..self.ups.len() {
            self.check_thresholds(i, now);
            let t = &mut self.ups[i];
            if older_than(now, t.last_poll, self.settings.deadtime) && t.flags.onbatt {
                tracing::debug!("Promoting dead UPS: {}", t.sys);
                t.flags.lowbatt = true;
            }
            if self.is_critical(i, now) {
                tracing::debug!("Critical UPS: {}", self.ups[i].sys);
            } else {
                value += self.ups[i].power_value;
            }
        }
        tracing::trace!(
            "Current power value: {value}, minimum: {}",
            self.settings.minsupplies
        );
        if value < self.settings.minsupplies {
            tracing::warn!(
                "Too few UPS(es) are healthy ({value}<{}), initiating forced shutdown",
                self.settings.minsupplies
            );
            self.force_shutdown(now);
        }
        self.take()
    }

    /// The administrator asked for a forced shutdown (`upsmon -c fsd`).
    pub fn user_fsd(&mut self, now: Duration) -> Vec<Action> {
        if self.phase == Phase::Monitoring {
            tracing::info!("User requested FSD");
            self.force_shutdown(now);
        }
        self.take()
    }

    /// C's `forceshutdown`: FSD on every UPS this system is the primary of, then wait for
    /// the secondaries; a pure secondary shuts down at once.
    fn force_shutdown(&mut self, now: Duration) {
        let primaries: Vec<usize> = (0..self.ups.len())
            .filter(|&i| self.ups[i].primary)
            .collect();
        if primaries.is_empty() {
            self.do_shutdown(now);
            return;
        }
        self.out.extend(primaries.into_iter().map(Action::SetFsd));
        self.phase = Phase::WaitingForSecondaries {
            since: now,
            rounds: 0,
        };
    }

    /// While [`Phase::WaitingForSecondaries`]: the highest `NUMLOGINS` among the UPSes this
    /// system is the primary of (`None` when none could be read). At most one login (this
    /// upsmon's own) ends the wait.
    pub fn logins_counted(&mut self, max_logins: Option<u64>, now: Duration) -> Vec<Action> {
        let Phase::WaitingForSecondaries { since, rounds } = self.phase else {
            return Vec::new();
        };
        let max = max_logins.unwrap_or(0);
        if max <= 1 {
            self.do_shutdown(now);
            return self.take();
        }
        if now.saturating_sub(since) > secs(self.settings.hostsync) {
            tracing::info!("Host sync timer expired, forcing shutdown");
            self.do_shutdown(now);
            return self.take();
        }
        if rounds == 0 {
            self.notify(None, NotifyEvent::ShutdownHostsync, None);
        }
        self.phase = Phase::WaitingForSecondaries {
            since,
            rounds: rounds + 1,
        };
        self.take()
    }

    /// C's `doshutdown` up to the FINALDELAY wait.
    fn do_shutdown(&mut self, now: Duration) {
        tracing::error!("Executing automatic power-fail shutdown");
        self.out.push(Action::Wall(
            "Executing automatic power-fail shutdown\n".into(),
        ));
        self.notify(None, NotifyEvent::Shutdown, None);
        self.phase = Phase::FinalDelay {
            until: now + Duration::from_secs(self.settings.finaldelay.into()),
        };
        self.advance(now);
    }

    /// Lets time pass: ends the HOSTSYNC wait when it has expired and issues
    /// [`Action::Shutdown`] once FINALDELAY is over.
    pub fn tick(&mut self, now: Duration) -> Vec<Action> {
        self.advance(now);
        self.take()
    }

    fn advance(&mut self, now: Duration) {
        match self.phase {
            Phase::WaitingForSecondaries { since, .. }
                if now.saturating_sub(since) > secs(self.settings.hostsync) =>
            {
                tracing::info!("Host sync timer expired, forcing shutdown");
                self.do_shutdown(now);
            }
            Phase::FinalDelay { until } if now >= until => {
                self.phase = Phase::ShutdownRequested;
                self.out.push(Action::Shutdown);
            }
            _ => {}
        }
    }

    /// The privileged parent is gone: NOPARENT, repeated at most every two minutes.
    pub fn parent_gone(&mut self, now: Duration) -> Vec<Action> {
        let due = match self.last_noparent {
            None => true,
            Some(t) => now.saturating_sub(t) >= NOPARENT_REPEAT,
        };
        if due {
            self.last_noparent = Some(now);
            tracing::error!("Parent died - shutdown impossible");
            self.notify(None, NotifyEvent::NoParent, None);
        }
        self.take()
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[path = "limits.rs"]
mod limits;

#[cfg(test)]
#[path = "decision_tests.rs"]
mod tests;
