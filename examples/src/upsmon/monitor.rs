//! The monitoring process of upsmon (the unprivileged child, or the single process with
//! `-p`): a [`nut_client::monitor::Monitor`] between signals (`SIGTERM`/`SIGINT`/`SIGQUIT`
//! stop, `SIGHUP` reloads upsmon.conf, `SIGUSR1` forces a shutdown, as `upsmon -c
//! stop|reload|fsd` send them), whose actions it carries out: notifications through
//! NOTIFYCMD, syslog and `wall`, the shutdown through the privileged parent.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_client::monitor::{powerdown_flag as flag, Action, Family, Monitor as Core, Phase};
use nut_driver_api::alarm::Alarm;
use nut_proto::config::{ShutdownExit, UpsmonConf};
use tokio::signal::unix::{signal, Signal, SignalKind};

use super::notify::{self, Notifier};

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
    alarm: Alarm,
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
            alarm: Alarm::new(std::time::Instant::now()),
        })
    }

    async fn sleep(&mut self, d: Duration) -> Wake {
        // An `Alarm`: an idle upsmon wakes once per poll, not three times.
        self.alarm.reset(std::time::Instant::now() + d);
        tokio::select! {
            () = self.alarm.due() => Wake::Timeout,
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
    core: Core,
    notifier: Notifier,
    link: ShutdownLink,
    parent: Option<nix::unistd::Pid>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("conf_path", &self.conf_path)
            .field("core", &self.core)
            .finish()
    }
}

/// Carries out one action of the core (FSD it has sent itself).
fn act(notifier: &Notifier, link: &mut ShutdownLink, conf: &UpsmonConf, action: &Action) {
    match action {
        Action::Notify(n) => notifier.send(n),
        Action::Wall(text) => notify::wall(text),
        Action::Shutdown => request_shutdown(link, conf),
        // FSD was sent by the core; nothing else to do.
        _ => {}
    }
}

fn request_shutdown(link: &mut ShutdownLink, conf: &UpsmonConf) {
    match link {
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
            run_shutdown_command(conf);
        }
    }
}

impl Monitor {
    /// A monitor for `conf` (read from `conf_path`, re-read on SIGHUP). With
    /// [`ShutdownLink::Parent`], the parent's death is noticed (NOPARENT).
    pub fn new(conf_path: PathBuf, conf: UpsmonConf, family: Family, link: ShutdownLink) -> Self {
        let parent = matches!(link, ShutdownLink::Parent(_)).then(nix::unistd::getppid);
        Self {
            notifier: Notifier::new(conf.clone(), "upsmon"),
            core: Core::with_family(conf, family),
            conf_path,
            link,
            parent,
        }
    }

    /// Runs until stopped by a signal or until the shutdown has been handed over. Returns
    /// the process exit status.
    pub async fn run(mut self) -> anyhow::Result<u8> {
        let mut signals = Signals::new()?;
        let mut wake = Wake::Timeout;
        let mut started = false;
        loop {
            match wake {
                Wake::Stop(name) => {
                    tracing::info!("Signal {name}: exiting");
                    return Ok(0);
                }
                Wake::Reload => self.reload()?,
                Wake::Fsd => {
                    let Self {
                        core,
                        notifier,
                        link,
                        ..
                    } = &mut self;
                    let conf = core.conf().clone();
                    core.user_fsd_with(|a| act(notifier, link, &conf, a)).await;
                }
                Wake::Timeout => {}
            }
            let Self {
                core,
                notifier,
                link,
                ..
            } = &mut self;
            let conf = core.conf().clone();
            core.poll_round_with(|a| act(notifier, link, &conf, a))
                .await;
            if self.core.phase() != Phase::Monitoring {
                return self.shutdown(&mut signals).await;
            }
            self.check_parent();
            if !started {
                // Start-up is over with the first round: its pages can go.
                started = true;
                nut_driver_api::process::memory::release_startup_pages_settled();
            }
            let interval = self.core.decider().poll_interval();
            wake = signals.sleep(interval).await;
        }
    }

    /// Carries a started shutdown through HOSTSYNC and FINALDELAY, then SHUTDOWNEXIT.
    async fn shutdown(mut self, signals: &mut Signals) -> anyhow::Result<u8> {
        let conf = self.core.conf().clone();
        loop {
            let Self {
                core,
                notifier,
                link,
                ..
            } = &mut self;
            if !core
                .shutdown_step_with(|a| act(notifier, link, &conf, a))
                .await
            {
                break;
            }
        }
        if self.core.phase() == Phase::Monitoring {
            return Ok(0);
        }
        let linger = match conf.shutdownexit {
            None | Some(ShutdownExit::Yes) => Some(Duration::ZERO),
            Some(ShutdownExit::No) => None,
            Some(ShutdownExit::After(n)) => Some(Duration::from_secs(n.into())),
            Some(_) => Some(Duration::ZERO),
        };
        if linger != Some(Duration::ZERO) {
            tracing::warn!("Configured to stay after initiating shutdown (SHUTDOWNEXIT)");
            let until = linger.map(|d| self.core.now() + d);
            loop {
                if until.is_some_and(|u| self.core.now() >= u) {
                    break;
                }
                // Keep talking to the servers so that this client is not taken for dead.
                self.core.keep_alive().await;
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

    fn check_parent(&mut self) {
        let Some(parent) = self.parent else {
            return;
        };
        if nix::unistd::getppid() != parent {
            let conf = self.core.conf().clone();
            for a in self.core.parent_gone() {
                act(&self.notifier, &mut self.link, &conf, &a);
            }
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
        self.notifier.set_conf(conf.clone());
        self.core.reload(conf);
        Ok(())
    }
}
