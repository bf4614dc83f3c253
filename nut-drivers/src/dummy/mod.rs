//! dummy-ups: a simulated device driven by a definition file, or a repeater of a UPS on
//! another upsd.
//!
//! The mode follows C dummy-ups 2.8: the `mode` option (`dummy-loop`, `dummy-once`, `dummy`,
//! `repeater`), else the port: a port with `@` (`ups@host[:port]`) is a repeater, a `.seq`
//! file is replayed in a loop, a `.dev` file is read once and read again whenever it
//! changes, and any other file is looped (`dummy`). A relative file name is looked up in the
//! configuration directory. [`file`](mod@file) describes the file format.
//!
//! In the file modes, `SET` accepts any variable as C does: known ones get the flags of C's
//! table ([`table`]), others become writable strings of 32 characters, `ups.status` sets the
//! status words, an empty value deletes the variable. Instant commands are refused (C's
//! dummy-ups knows none, though it lists `load.off`). In repeater mode `SET` and `INSTCMD`
//! are forwarded to the remote upsd (C does not forward them) — see [`repeater`].
//!
//! ```
//! use nut_drivers::dummy::{DummyUps, Mode};
//! use nut_driver_api::{DeviceState, Driver, DriverParams};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let dir = std::env::temp_dir().join(format!("dummy-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("ups.dev"), "ups.status: OB LB\nbattery.charge: 10\n").unwrap();
//!
//! let mut driver = DummyUps::new();
//! let mut state = DeviceState::new();
//! let params = DriverParams::new("ups.dev").with_config_dir(&dir);
//! driver.open(&params, &mut state).await.unwrap();
//! assert_eq!(driver.mode(), Some(Mode::Once));
//! driver.identify(&mut state).await.unwrap();
//! assert_eq!(state.value("ups.status"), Some("OB LB"));
//! assert_eq!(state.get("battery.charge").unwrap().is_writable(), true);
//! assert_eq!(state.value("driver.parameter.mode"), Some("dummy-once"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # }
//! ```

pub mod file;
#[cfg(feature = "repeater")]
pub mod repeater;
pub mod table;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tokio::time::Instant;

use nut_driver_api::driver::{
    CommandResult, Driver, DriverError, DriverInfo, DriverParams, OptionSpec,
};
use nut_driver_api::proto::sock::TrackingStatus;
use nut_driver_api::{DeviceState, StatusBuilder};

use file::{parse_steps, Step};

/// C's words for a definition file that cannot be read: its own, then those of its
/// configuration parser (`pconf_file_begin`).
fn cant_open(path: &std::path::Path, e: &std::io::Error) -> String {
    let path = path.display();
    let why = nut_driver_api::proto::errno::strerror(e);
    format!("Can't open dummy-ups definition file {path}: Can't open {path}: {why}")
}
#[cfg(feature = "repeater")]
use repeater::{Repeater, RepeaterTls};

/// The program name.
pub const DRIVER_NAME: &str = "dummy-ups";
/// The description printed in the banner.
pub const DRIVER_DESCRIPTION: &str = "Device simulation and repeater driver";
/// `driver.version.internal`: the C dummy-ups version whose behaviour this driver follows.
pub const DRIVER_VERSION: &str = "0.15";

/// How dummy-ups runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Replay the file again and again.
    Loop,
    /// Read the file once, and again when it changes.
    Once,
    /// Mirror a UPS on another upsd.
    Repeater,
}

/// The dummy-ups driver. See the [module documentation](self).
#[derive(Debug, Default)]
pub struct DummyUps {
    mode: Option<Mode>,
    path: PathBuf,
    steps: Vec<(usize, Step)>,
    pos: usize,
    in_pass: bool,
    resume_at: Option<Instant>,
    loaded: Option<SystemTime>,
    status: StatusBuilder,
    alarms_used: bool,
    #[cfg(feature = "repeater")]
    repeater: Option<Repeater>,
}

impl DummyUps {
    /// A driver that has not been opened yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The mode chosen by [`open`](Driver::open).
    pub fn mode(&self) -> Option<Mode> {
        self.mode
    }

    /// When the file last changed. A plain `stat` on the runtime's thread: it takes
    /// microseconds, where tokio's file API would hand it to its blocking pool and back,
    /// two more thread wake-ups at every poll of an idle driver.
    async fn modified(&self) -> Option<SystemTime> {
        std::fs::metadata(&self.path)
            .ok()
            .and_then(|m| m.modified().ok())
    }

    /// Reads the file and starts a pass from its first line.
    async fn start_pass(&mut self) -> Result<(), DriverError> {
        // A small local file, read on the runtime's thread as C reads it: tokio's file API
        // would start a blocking-pool thread, which then lingers for 10 s.
        let text = std::fs::read(&self.path)
            .map_err(|e| DriverError::device(cant_open(&self.path, &e)))?;
        self.loaded = self.modified().await;
        self.steps = parse_steps(&text);
        self.pos = 0;
        self.in_pass = true;
        if self.alarms_used {
            self.status.clear_alarms();
        }
        Ok(())
    }

    /// Goes on with the current pass until a TIMER or the end of the file.
    fn run_pass(&mut self, state: &mut DeviceState) {
        if let Some(at) = self.resume_at {
            if Instant::now() < at {
                return;
            }
            self.resume_at = None;
        }
        let mut last_value = String::new();
        while let Some((line, step)) = self.steps.get(self.pos).cloned() {
            self.pos += 1;
            match step {
                Step::Timer(secs) => {
                    self.resume_at = Some(Instant::now() + Duration::from_secs(secs));
                    tracing::debug!(line, secs, "TIMER: pausing");
                    break;
                }
                Step::Alarm(text) => {
                    self.alarms_used = true;
                    match text {
                        Some(t) => self.status.alarm(&t),
                        None => self.status.clear_alarms(),
                    }
                }
                Step::Skip => {}
                Step::Status(words) => {
                    self.status.clear_words();
                    for w in &words {
                        self.status.set(w);
                    }
                    self.status.commit_status(state);
                }
                Step::Set { name, value } => {
                    if let Some(v) = value {
                        last_value = v;
                    }
                    let value = last_value.clone();
                    if self.set_local(state, &name, &value) != TrackingStatus::Handled {
                        tracing::debug!(line, name, value, "can't add this variable");
                    }
                }
            }
        }
        if self.pos >= self.steps.len() && self.resume_at.is_none() {
            self.in_pass = false;
        }
        if self.alarms_used {
            self.status.commit(state);
        }
    }

    /// C dummy-ups's `setvar`: what a file line or a SET does to the state.
    fn set_local(&mut self, state: &mut DeviceState, name: &str, value: &str) -> CommandResult {
        if name.starts_with("ups.status") {
            self.status.clear_words();
            self.status.set(value);
            self.status.commit_status(state);
            return TrackingStatus::Handled;
        }
        if value.is_empty() {
            state.delete(name);
            return TrackingStatus::Handled;
        }
        if let Err(error) = state.set(name, value) {
            tracing::debug!(name, %error, "invalid variable");
            return TrackingStatus::Invalid;
        }
        match table::lookup(name) {
            Some(known) => {
                state.set_flags(name, true, known.string, false);
                if known.string {
                    state.set_aux(name, known.len);
                }
            }
            None => {
                state.set_flags(name, true, true, false);
                state.set_aux(name, table::UNKNOWN_STRING_LEN);
            }
        }
        TrackingStatus::Handled
    }
}

/// The mode the `mode` option or the port asks for, and the value C publishes for it.
fn choose_mode(mode: Option<&str>, port: &str) -> Result<(Mode, &'static str), DriverError> {
    match mode {
        Some("repeater") => return Ok((Mode::Repeater, "repeater")),
        Some("dummy-loop") => return Ok((Mode::Loop, "dummy-loop")),
        Some("dummy-once") => return Ok((Mode::Once, "dummy-once")),
        Some("dummy") => return Ok((Mode::Loop, "dummy")),
        Some(other) => {
            return Err(DriverError::config(format!(
                "Unsupported mode was specified: {other}"
            )))
        }
        None => {}
    }
    Ok(if port.contains('@') {
        (Mode::Repeater, "repeater")
    } else if port.ends_with(".seq") {
        (Mode::Loop, "dummy-loop")
    } else if port.ends_with(".dev") {
        (Mode::Once, "dummy-once")
    } else {
        (Mode::Loop, "dummy")
    })
}

#[async_trait]
impl Driver for DummyUps {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NAME, DRIVER_DESCRIPTION, DRIVER_VERSION)
    }

    fn options(&self) -> Vec<OptionSpec> {
        vec![
            OptionSpec::value(
                "mode",
                "Specify mode instead of guessing it from port value (dummy = dummy-loop, dummy-once, repeater)",
            ),
            OptionSpec::value("username", "Repeater: user name for forwarding SET and INSTCMD"),
            OptionSpec::value("password", "Repeater: password for forwarding SET and INSTCMD")
                .sensitive(),
            OptionSpec::value(
                "certpath",
                "Repeater: CA certificates (a PEM file or a directory) to verify the remote server with",
            ),
            OptionSpec::flag(
                "certverify",
                "Repeater: require TLS and verify the remote server's certificate against certpath",
            ),
            OptionSpec::value(
                "certname",
                "Repeater: the name the remote server's certificate must carry (default: its host)",
            ),
            OptionSpec::flag("forcessl", "Repeater: require TLS (refuse a server without it)"),
        ]
    }

    async fn open(
        &mut self,
        params: &DriverParams,
        state: &mut DeviceState,
    ) -> Result<(), DriverError> {
        let (mode, name) = choose_mode(params.get("mode"), &params.port)?;
        self.mode = Some(mode);
        let _ = state.set("driver.parameter.mode", name);
        #[cfg(not(feature = "repeater"))]
        if mode == Mode::Repeater {
            return Err(DriverError::config(
                "repeater mode is not available: this dummy-ups was built without the repeater feature of nut-drivers",
            ));
        }
        #[cfg(feature = "repeater")]
        if mode == Mode::Repeater {
            let login = match (params.get("username"), params.get("password")) {
                (Some(u), Some(p)) => Some((u.to_owned(), p.to_owned())),
                _ => None,
            };
            let mut repeater = match self.repeater.take() {
                Some(r) => r,
                None => Repeater::new(&params.port, login)?.with_tls(RepeaterTls {
                    certpath: params.get("certpath").map(Into::into),
                    certverify: params.is_set("certverify"),
                    certname: params.get("certname").map(Into::into),
                    forcessl: params.is_set("forcessl"),
                })?,
            };
            let result = repeater.connect().await;
            self.repeater = Some(repeater);
            return result;
        }
        self.path = params.resolve_path(&params.port);
        if let Err(e) = std::fs::metadata(&self.path) {
            return Err(DriverError::config(cant_open(&self.path, &e)));
        }
        Ok(())
    }

    async fn identify(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        let _ = state.add_cmd("load.off");
        if self.mode == Some(Mode::Repeater) {
            return self.update(state).await;
        }
        if self.loaded.is_none() {
            for (name, value) in table::INITIAL {
                let _ = state.set(name, value);
                state.set_flags(name, true, true, false);
                state.set_aux(name, table::UNKNOWN_STRING_LEN);
            }
        }
        self.resume_at = None;
        self.start_pass().await?;
        self.run_pass(state);
        Ok(())
    }

    async fn update(&mut self, state: &mut DeviceState) -> Result<(), DriverError> {
        match self.mode {
            #[cfg(feature = "repeater")]
            Some(Mode::Repeater) => {
                let Some(r) = self.repeater.as_mut() else {
                    return Err(DriverError::device("repeater not configured"));
                };
                r.update(state).await
            }
            #[cfg(not(feature = "repeater"))]
            Some(Mode::Repeater) => Err(DriverError::device("repeater mode is not available")),
            Some(Mode::Loop) => {
                if !self.in_pass {
                    self.start_pass().await?;
                }
                self.run_pass(state);
                Ok(())
            }
            Some(Mode::Once) => {
                if !self.in_pass {
                    let now = self.modified().await;
                    if now.is_none() {
                        return Err(DriverError::device(format!(
                            "can't read {}",
                            self.path.display()
                        )));
                    }
                    if now == self.loaded {
                        return Ok(());
                    }
                    tracing::debug!("definition file changed; reading it again");
                    self.start_pass().await?;
                }
                self.run_pass(state);
                Ok(())
            }
            None => Err(DriverError::device("not opened")),
        }
    }

    async fn instcmd(
        &mut self,
        state: &mut DeviceState,
        cmd: &str,
        param: Option<&str>,
    ) -> CommandResult {
        // The device state has nothing to do with instant commands here.
        let _ = state;
        #[cfg(feature = "repeater")]
        if let (Some(Mode::Repeater), Some(r)) = (self.mode, self.repeater.as_mut()) {
            return r.instcmd(cmd, param).await;
        }
        tracing::info!(
            "instcmd: unknown command [{cmd}] [{}]",
            param.unwrap_or("(null)")
        );
        TrackingStatus::Unknown
    }

    async fn set_var(&mut self, state: &mut DeviceState, var: &str, value: &str) -> CommandResult {
        #[cfg(feature = "repeater")]
        if let (Some(Mode::Repeater), Some(r)) = (self.mode, self.repeater.as_mut()) {
            return r.set_var(var, value).await;
        }
        self.set_local(state, var, value)
    }

    async fn close(&mut self) {
        #[cfg(feature = "repeater")]
        if let Some(r) = self.repeater.as_mut() {
            r.disconnect().await;
        }
    }
}

#[cfg(test)]
mod tests;
