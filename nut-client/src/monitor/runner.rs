//! [`Monitor`]: the [`Decider`] driven over the network, as C upsmon's main loop drives it.

use std::collections::VecDeque;
use std::time::Duration;

use nut_proto::config::UpsmonConf;
use tokio::time::Instant;

use super::decision::{Action, Decider, Phase};
use super::session::{Family, PollOutcome, UpsSession};
use crate::Connector;

/// How long to wait between two login counts while a primary waits for its secondaries.
const HOSTSYNC_RECHECK: Duration = Duration::from_millis(250);

/// upsmon's monitoring loop without its process around it: one [`UpsSession`] per
/// `MONITOR` line of an upsmon.conf ([`UpsmonConf`]), a [`Decider`] fed with every poll, and
/// `FSD` sent to the servers when the decider asks for it ([`Action::SetFsd`]).
///
/// The simplest use is [`Monitor::next_action`] in a loop: it sleeps between poll rounds
/// (`POLLFREQ`, or `POLLFREQALERT` while a UPS needs a closer look), carries the shutdown
/// through `HOSTSYNC` and `FINALDELAY`, and yields each [`Action`] in turn until
/// [`Action::Shutdown`]: the moment to shut the system down. Programs that want to do
/// something between the steps (wait for signals, reload the configuration) call
/// [`Monitor::poll_round_with`] and [`Monitor::shutdown_step_with`] themselves instead.
///
/// The clock is tokio's ([`tokio::time::Instant`]), so tests may pause it.
///
/// ```no_run
/// use nut_client::monitor::{Action, Monitor};
/// use nut_client::proto::config::UpsmonConf;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let conf = UpsmonConf::load("/etc/nut/upsmon.conf")?.config;
/// let mut monitor = Monitor::new(conf);
/// while let Some(action) = monitor.next_action().await {
///     match action {
///         Action::Notify(n) => println!("{} {}", n.event, n.ups.unwrap_or_default()),
///         Action::Shutdown => println!("shut down now"),
///         _ => {}
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Monitor {
    conf: UpsmonConf,
    decider: Decider,
    sessions: Vec<UpsSession>,
    family: Family,
    connector: Option<Connector>,
    start: Instant,
    pending: VecDeque<Action>,
    polled: bool,
}

impl Monitor {
    /// A monitor for the `MONITOR` lines and settings of `conf`, over any address family.
    /// Nothing is connected until the first poll.
    pub fn new(conf: UpsmonConf) -> Self {
        Self::with_family(conf, Family::Any)
    }

    /// A monitor that connects over `family` only (upsmon's `-4` and `-6`).
    pub fn with_family(conf: UpsmonConf, family: Family) -> Self {
        Self {
            decider: Decider::new(&conf),
            sessions: conf
                .monitors
                .iter()
                .map(|m| UpsSession::new(m.clone(), &conf, family))
                .collect(),
            conf,
            family,
            connector: None,
            start: Instant::now(),
            pending: VecDeque::new(),
            polled: false,
        }
    }

    /// Opens the connections to the servers with `connector` instead of TCP (an in-memory
    /// server in a test, a Unix socket, a tunnel).
    pub fn with_connector(mut self, connector: Connector) -> Self {
        for s in &mut self.sessions {
            s.set_connector(Some(connector.clone()));
        }
        self.connector = Some(connector);
        self
    }

    /// The configuration in use.
    pub fn conf(&self) -> &UpsmonConf {
        &self.conf
    }

    /// The decision state (flags of each UPS, settings, poll interval).
    pub fn decider(&self) -> &Decider {
        &self.decider
    }

    /// Where the shutdown logic stands.
    pub fn phase(&self) -> Phase {
        self.decider.phase()
    }

    /// The connection of each `MONITOR` line, in the order of the configuration.
    pub fn sessions(&self) -> &[UpsSession] {
        &self.sessions
    }

    /// The time on the decider's clock: how long this monitor has existed.
    pub fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// Takes a reloaded configuration (upsmon's `SIGHUP`): connections and states of
    /// `MONITOR` lines that did not change are kept, new lines start fresh, the others are
    /// closed and forgotten.
    pub fn reload(&mut self, conf: UpsmonConf) {
        let mut old = std::mem::take(&mut self.sessions);
        for m in &conf.monitors {
            let kept = old
                .iter()
                .position(|s| s.monitor() == m)
                .map(|i| old.swap_remove(i));
            let session = kept.unwrap_or_else(|| {
                let mut s = UpsSession::new(m.clone(), &conf, self.family);
                s.set_connector(self.connector.clone());
                s
            });
            self.sessions.push(session);
        }
        for s in &old {
            tracing::info!("No longer monitoring UPS [{}]", s.monitor().system);
        }
        self.decider.reload(&conf);
        self.conf = conf;
    }

    /// Hands each action to `on_action`, in order, and sends `FSD` for
    /// [`Action::SetFsd`] right after handing it over.
    async fn carry_out(&mut self, actions: Vec<Action>, on_action: &mut impl FnMut(&Action)) {
        for action in actions {
            on_action(&action);
            if let Action::SetFsd(i) = action {
                if let Some(s) = self.sessions.get_mut(i) {
                    s.set_fsd().await;
                }
            }
        }
    }

    /// One poll round (what C upsmon does every `POLLFREQ` seconds): polls every UPS,
    /// hands the actions of each poll to `on_action`, then checks the power budget
    /// ([`Decider::check`]). Does nothing once a shutdown has started.
    pub async fn poll_round_with(&mut self, mut on_action: impl FnMut(&Action)) {
        if self.phase() != Phase::Monitoring {
            return;
        }
        self.polled = true;
        for i in 0..self.sessions.len() {
            let battery = self.decider.needs_battery_values(i);
            let outcome = self.sessions[i].poll(battery).await;
            let now = self.now();
            let actions = match outcome {
                PollOutcome::Status {
                    status,
                    alarm,
                    charge,
                    runtime,
                } => {
                    tracing::debug!("{}: [{status}]", self.sessions[i].monitor().system);
                    self.decider.battery_values(i, charge, runtime);
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
            self.carry_out(actions, &mut on_action).await;
        }
        let actions = self.decider.check(self.now());
        self.carry_out(actions, &mut on_action).await;
    }

    /// [`Monitor::poll_round_with`], returning the actions.
    pub async fn poll_round(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        self.poll_round_with(|a| out.push(a.clone())).await;
        out
    }

    /// The largest `NUMLOGINS` among the UPSes this system is the primary of.
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

    /// One step of a started shutdown: while waiting for the secondaries, counts the
    /// logins (waiting a moment when nothing changed); during `FINALDELAY`, sleeps until it
    /// is over. Hands the resulting actions to `on_action`. Returns `false` when there is
    /// no step to take (still monitoring, or [`Action::Shutdown`] already issued).
    pub async fn shutdown_step_with(&mut self, mut on_action: impl FnMut(&Action)) -> bool {
        let actions = match self.phase() {
            Phase::WaitingForSecondaries { .. } => {
                let max = self.max_logins().await;
                tracing::debug!("Max data server logins per UPS still active: {max:?}");
                let mut a = self.decider.logins_counted(max, self.now());
                if a.is_empty() {
                    tokio::time::sleep(HOSTSYNC_RECHECK).await;
                    a = self.decider.tick(self.now());
                }
                a
            }
            Phase::FinalDelay { until } => {
                tokio::time::sleep(until.saturating_sub(self.now())).await;
                self.decider.tick(self.now())
            }
            Phase::Monitoring | Phase::ShutdownRequested => return false,
        };
        self.carry_out(actions, &mut on_action).await;
        true
    }

    /// The administrator asked for a forced shutdown (`upsmon -c fsd`): FSD on the UPSes
    /// this system is the primary of (sent at once), then the usual shutdown sequence.
    pub async fn user_fsd_with(&mut self, mut on_action: impl FnMut(&Action)) {
        let actions = self.decider.user_fsd(self.now());
        self.carry_out(actions, &mut on_action).await;
    }

    /// The process that was to run the shutdown command is gone: NOPARENT, at most every
    /// two minutes ([`Decider::parent_gone`]).
    pub fn parent_gone(&mut self) -> Vec<Action> {
        let now = self.now();
        self.decider.parent_gone(now)
    }

    /// Asks every server something harmless, so that this client, which stays after
    /// initiating a shutdown (`SHUTDOWNEXIT no`), is not taken for dead.
    pub async fn keep_alive(&mut self) {
        for s in &mut self.sessions {
            let _ = s.num_logins().await;
        }
    }

    /// The actions of [`next_action`](Self::next_action) as a stream, which ends after
    /// [`Action::Shutdown`].
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// use nut_client::monitor::{Action, Monitor};
    ///
    /// # async fn run(monitor: Monitor) {
    /// let mut actions = std::pin::pin!(monitor.into_stream());
    /// while let Some(action) = actions.next().await {
    ///     if action == Action::Shutdown {
    ///         println!("shut down now");
    ///     }
    /// }
    /// # }
    /// ```
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Action> {
        futures_util::stream::unfold(self, |mut monitor| async move {
            let action = monitor.next_action().await?;
            Some((action, monitor))
        })
    }

    /// The next action, polling and sleeping as needed: notifications as they happen, and
    /// finally [`Action::Shutdown`] when the system must go down. Returns `None` after
    /// that. `FSD` is sent to the servers before [`Action::SetFsd`] is returned.
    ///
    /// Cancelling this future while a poll is under way may leave that poll's connection
    /// half used; it is dropped and reopened at the next poll.
    pub async fn next_action(&mut self) -> Option<Action> {
        loop {
            if let Some(a) = self.pending.pop_front() {
                return Some(a);
            }
            let mut out = Vec::new();
            match self.phase() {
                Phase::ShutdownRequested => return None,
                Phase::Monitoring => {
                    if self.polled {
                        tokio::time::sleep(self.decider.poll_interval()).await;
                    }
                    self.poll_round_with(|a| out.push(a.clone())).await;
                }
                _ => {
                    self.shutdown_step_with(|a| out.push(a.clone())).await;
                }
            }
            self.pending.extend(out);
        }
    }
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;
