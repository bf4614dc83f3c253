//! The monitoring loop of upsmon (the unprivileged child, or the single process with `-p`):
//! polls every UPS, feeds the [`Decider`], carries out its actions, and handles the signals
//! (`SIGTERM`/`SIGINT`/`SIGQUIT` stop, `SIGHUP` reloads upsmon.conf, `SIGUSR1` forces a
//! shutdown, as `upsmon -c stop|reload|fsd` send them).

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_proto::config::{ShutdownExit, UpsmonConf};
use tokio::signal::unix::{signal, Signal, SignalKind};

use super::decision::{Action, Decider, Phase};
use super::flag;
use super::notify::{self, Notifier};
use super::session::{Family, PollOutcome, UpsSession};

/// How SHUTDOWNCMD gets run.
#[derive(Debug)]
pub enum ShutdownLink {
    /// Ask the privileged parent: one byte (1) on this pipe.
    Parent(File),
    /// Run it here (`upsmon -p`): write POWERDOWNFLAG, then SHUTDOWNCMD.
    Direct,
}

/// Runs SHUTDOWNCMD through `/bin/sh` and waits for it (after writing POWERDOWNFLAG).
pub fn run_shutdown_command(conf: &UpsmonConf) {
    flag::set(conf.powerdownflag.as_deref());
    let Some(cmd) = &conf.shutdowncmd else {
        tracing::error!("No SHUTDOWNCMD is configured: can't shut down");
        return;
    };
    tracing::info!("Calling shutdown command: {cmd}");
    let status = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => tracing::error!("Unable to call shutdown command: {cmd} ({s})"),
        Err(e) => tracing::error!("Unable to call shutdown command: {cmd} ({e})"),
    }
}

struct Signals {
    term: Signal,
    int: Signal,
    quit: Signal,
    hup: Signal,
    usr1: Signal,
}

enum Wake {
    Timeout,
    Stop(&'static str),
    Reload,
    Fsd,
}

impl Signals {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            hup: signal(SignalKind::hangup())?,
            usr1: signal(SignalKind::user_defined1())?,
        })
    }

    async fn sleep(&mut self, d: Duration) -> Wake {
        tokio::select! {
            _ = tokio::time::sleep(d) => Wake::Timeout,
            _ = self.term.recv() => Wake::Stop("SIGTERM"),
            _ = self.int.recv() => Wake::Stop("SIGINT"),
            _ = self.quit.recv() => Wake::Stop("SIGQUIT"),
            _ = self.hup.recv() => Wake::Reload,
            _ = self.usr1.recv() => Wake::Fsd,
        }
    }
}

/// The monitoring process.
pub struct Monitor {
    conf_path: PathBuf,
    conf: UpsmonConf,
    decider: Decider,
    sessions: Vec<UpsSession>,
    notifier: Notifier,
    family: Family,
    link: ShutdownLink,
    parent: Option<nix::unistd::Pid>,
    start: Instant,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("conf_path", &self.conf_path)
            .field("sessions", &self.sessions)
            .finish()
    }
}

impl Monitor {
    /// A monitor for `conf` (read from `conf_path`, re-read on SIGHUP). With
    /// [`ShutdownLink::Parent`], the parent's death is noticed (NOPARENT).
    pub fn new(conf_path: PathBuf, conf: UpsmonConf, family: Family, link: ShutdownLink) -> Self {
        let parent = matches!(link, ShutdownLink::Parent(_)).then(nix::unistd::getppid);
        Self {
            decider: Decider::new(&conf),
            sessions: conf
                .monitors
                .iter()
                .map(|m| UpsSession::new(m.clone(), &conf, family))
                .collect(),
            notifier: Notifier::new(conf.clone(), "upsmon"),
            conf_path,
            conf,
            family,
            link,
            parent,
            start: Instant::now(),
        }
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// Runs until stopped by a signal or until the shutdown has been handed over. Returns
    /// the process exit status.
    pub async fn run(mut self) -> anyhow::Result<u8> {
        let mut signals = Signals::new()?;
        let mut wake = Wake::Timeout;
        loop {
            match wake {
                Wake::Stop(name) => {
                    tracing::info!("Signal {name}: exiting");
                    return Ok(0);
                }
                Wake::Reload => self.reload()?,
                Wake::Fsd => {
                    let now = self.now();
                    let actions = self.decider.user_fsd(now);
                    self.handle(actions).await;
                }
                Wake::Timeout => {}
            }
            if self.decider.phase() == Phase::Monitoring {
                self.poll_round().await;
            }
            if self.decider.phase() != Phase::Monitoring {
                return self.shutdown(&mut signals).await;
            }
            self.check_parent().await;
            let interval = self.decider.poll_interval();
            wake = signals.sleep(interval).await;
        }
    }

    async fn poll_round(&mut self) {
        for i in 0..self.sessions.len() {
            let outcome = self.sessions[i].poll().await;
            let now = self.now();
            let actions = match outcome {
                PollOutcome::Status { status, alarm } => {
                    tracing::debug!("{}: [{status}]", self.sessions[i].monitor().system);
                    self.decider.poll_status(i, &status, alarm.as_deref(), now)
                }
                PollOutcome::Failed { dropped } => {
                    let a = self.decider.poll_failed(i, now);
                    if dropped {
                        self.decider.connection_dropped(i);
                    }
                    a
                }
                PollOutcome::Skipped => Vec::new(),
            };
            self.handle(actions).await;
        }
        let now = self.now();
        let actions = self.decider.check(now);
        self.handle(actions).await;
    }

    async fn handle(&mut self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Notify(n) => self.notifier.send(&n),
                Action::Wall(text) => notify::wall(&text),
                Action::SetFsd(i) => {
                    if let Some(s) = self.sessions.get_mut(i) {
                        s.set_fsd().await;
                    }
                }
                Action::Shutdown => self.request_shutdown(),
            }
        }
    }

    fn request_shutdown(&mut self) {
        match &mut self.link {
            ShutdownLink::Parent(pipe) => {
                tracing::info!("Asking the parent process to shut down the system");
                if let Err(e) = pipe.write_all(&[1]).and_then(|()| pipe.flush()) {
                    tracing::error!("Unable to call parent pipe for shutdown: {e}");
                }
            }
            ShutdownLink::Direct => {
                if !nix::unistd::geteuid().is_root() {
                    tracing::warn!("Not root, shutdown may fail");
                }
                run_shutdown_command(&self.conf);
            }
        }
    }

    /// The largest NUMLOGINS among the UPSes this system is the primary of.
    async fn max_logins(&mut self) -> Option<u64> {
        let mut max = None;
        for i in 0..self.sessions.len() {
            if !self.decider.is_primary(i) {
                continue;
            }
            if let Some(n) = self.sessions[i].num_logins().await {
                max = Some(max.unwrap_or(0).max(n));
            }
        }
        max
    }

    /// Carries a started shutdown through HOSTSYNC and FINALDELAY, then SHUTDOWNEXIT.
    async fn shutdown(mut self, signals: &mut Signals) -> anyhow::Result<u8> {
        loop {
            let now = self.now();
            let actions = match self.decider.phase() {
                Phase::WaitingForSecondaries { .. } => {
                    let max = self.max_logins().await;
                    tracing::debug!("Max data server logins per UPS still active: {max:?}");
                    let now = self.now();
                    let mut a = self.decider.logins_counted(max, now);
                    if a.is_empty() {
                        tokio::time::sleep(Duration::from_millis(250)).await;
                        a = self.decider.tick(self.now());
                    }
                    a
                }
                Phase::FinalDelay { until } => {
                    tokio::time::sleep(until.saturating_sub(now)).await;
                    self.decider.tick(self.now())
                }
                Phase::ShutdownRequested => break,
                Phase::Monitoring => return Ok(0),
            };
            self.handle(actions).await;
        }
        let linger = match self.conf.shutdownexit {
            None | Some(ShutdownExit::Yes) => Some(Duration::ZERO),
            Some(ShutdownExit::No) => None,
            Some(ShutdownExit::After(n)) => Some(Duration::from_secs(n.into())),
            Some(_) => Some(Duration::ZERO),
        };
        if linger != Some(Duration::ZERO) {
            tracing::warn!("Configured to stay after initiating shutdown (SHUTDOWNEXIT)");
            let until = linger.map(|d| self.now() + d);
            loop {
                if until.is_some_and(|u| self.now() >= u) {
                    break;
                }
                // Keep talking to the servers so that this client is not taken for dead.
                for s in &mut self.sessions {
                    let _ = s.num_logins().await;
                }
                if let Wake::Stop(_) = signals.sleep(Duration::from_secs(1)).await {
                    break;
                }
            }
        }
        tracing::warn!("Exiting upsmon program after initiating shutdown");
        // Notifications still queued (FSD, SHUTDOWN) must run before this process is gone.
        if !notify::flush_notifycmd(Duration::from_secs(30)) {
            tracing::warn!("Some NOTIFYCMD runs were still pending at exit");
        }
        Ok(0)
    }

    async fn check_parent(&mut self) {
        let Some(parent) = self.parent else {
            return;
        };
        if nix::unistd::getppid() != parent {
            let now = self.now();
            let actions = self.decider.parent_gone(now);
            self.handle(actions).await;
        }
    }

    fn reload(&mut self) -> anyhow::Result<()> {
        tracing::info!("Reloading configuration");
        let parsed = match UpsmonConf::load(&self.conf_path) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("Reload failed: {e}");
                return Ok(());
            }
        };
        for w in &parsed.warnings {
            tracing::warn!("{w}");
        }
        let conf = parsed.config;
        if conf.total_power_value() < u64::from(conf.minsupplies) {
            anyhow::bail!(
                "Fatal error: total power value ({}) less than MINSUPPLIES ({}); impossible power configuration, unable to continue",
                conf.total_power_value(),
                conf.minsupplies
            );
        }
        let mut old = std::mem::take(&mut self.sessions);
        for m in &conf.monitors {
            let kept = old
                .iter()
                .position(|s| s.monitor() == m)
                .map(|i| old.swap_remove(i));
            self.sessions
                .push(kept.unwrap_or_else(|| UpsSession::new(m.clone(), &conf, self.family)));
        }
        for s in &old {
            tracing::info!("No longer monitoring UPS [{}]", s.monitor().system);
        }
        self.decider.reload(&conf);
        self.notifier.set_conf(conf.clone());
        self.conf = conf;
        Ok(())
    }
}
