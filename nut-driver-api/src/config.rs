//! From the command line and ups.conf to a [`DriverConfig`]: the rules of C's
//! `drivers/main.c` (`main_arg`, `do_upsconf_args`, `storeval`).
//!
//! - Global ups.conf settings apply first (`pollinterval`, `user`, `group`, `synchronous`,
//!   `debug_min`, `chroot`, `statepath`), then the UPS's section, then each `-x` in order;
//!   a later setting of the same name wins.
//! - The common settings (`port`, `nolock`, `ignorelb`, `user`, `group`, `synchronous`,
//!   `pollinterval`, `desc`, `sdorder`, `debug_min`, …) are handled here; `override.<var>`
//!   fixes a variable's value for good and `default.<var>` gives it a first value; every other
//!   setting must be one of the driver's [`OptionSpec`]s, or the driver refuses to start
//!   with C's message.
//! - What the driver was given is published as C does: `driver.parameter.<name>` for values
//!   (not for sensitive ones), `driver.flag.<name>` = `enabled` for flags.
//!
//! ```
//! use nut_driver_api::cli::CliArgs;
//! use nut_driver_api::config::{DriverConfig, Env};
//! use nut_driver_api::driver::{DriverInfo, OptionSpec};
//!
//! let dir = std::env::temp_dir().join(format!("nut-config-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("ups.conf"), "pollinterval = 5\n[myups]\n driver = dummy-ups\n port = x.dev\n mode = dummy-once\n").unwrap();
//! let env = Env { confpath: Some(dir.clone()), statepath: Some(dir.clone()) };
//! let info = DriverInfo::new("dummy-ups", "Simulation", "1.0");
//! let options = [OptionSpec::value("mode", "Mode")];
//!
//! let args = CliArgs::parse(["-a", "myups", "-x", "mode=dummy-loop"]).unwrap();
//! let config = DriverConfig::from_cli(&args, &info, &options, &env).unwrap();
//! assert_eq!(config.params.port, "x.dev");
//! assert_eq!(config.params.get("mode"), Some("dummy-loop"));
//! assert_eq!(config.poll_interval, 5);
//!
//! let args = CliArgs::parse(["-a", "myups", "-x", "bogus=1"]).unwrap();
//! let err = DriverConfig::from_cli(&args, &info, &options, &env).unwrap_err();
//! assert!(err.to_string().starts_with("Fatal error: 'bogus' is not a valid variable name for this driver."));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::path::PathBuf;

use nut_proto::config::{ConfigError, Synchronous, UpsConf, DEFAULT_POLLINTERVAL};
use nut_proto::names::{NameError, UpsName};

use crate::cli::{CliArgs, CliOp, DEFAULT_CONFPATH, DEFAULT_STATEPATH};
use crate::driver::{DriverInfo, DriverParams, OptionSpec};

/// The environment a driver reads: `$NUT_CONFPATH` and `$NUT_STATEPATH`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// `$NUT_CONFPATH`: where ups.conf is.
    pub confpath: Option<PathBuf>,
    /// `$NUT_STATEPATH`: where the socket goes.
    pub statepath: Option<PathBuf>,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        use nut_proto::paths::{env_path, CONFPATH_ENV, STATEPATH_ENV};
        Self {
            confpath: env_path(CONFPATH_ENV),
            statepath: env_path(STATEPATH_ENV),
        }
    }

    /// The configuration directory.
    pub fn config_dir(&self) -> PathBuf {
        self.confpath
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFPATH))
    }
}

/// Everything the runtime needs to know to run one driver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriverConfig {
    /// The driver program name (`driver.name`, and the first half of the socket name).
    pub driver_name: String,
    /// The UPS name (`-a`/`-s`; the second half of the socket name).
    pub ups_name: UpsName,
    /// The port and the driver's own options.
    pub params: DriverParams,
    /// Seconds between two updates.
    pub poll_interval: u32,
    /// The `synchronous` setting (published as `driver.parameter.synchronous`).
    pub synchronous: Synchronous,
    /// The user to run as (`-u`, else the section's, else the global one).
    pub user: Option<String>,
    /// The group that gets access to the socket.
    pub group: Option<String>,
    /// `debug_min` from ups.conf (the section's, else the global one).
    pub debug_min: Option<u32>,
    /// `chroot` (`-r`, else the global setting).
    pub chroot: Option<String>,
    /// The directory of the driver socket.
    pub state_path: PathBuf,
    /// `driver.parameter.*`, `driver.flag.*` and `default.*` values to publish, in order.
    pub published: Vec<(String, String)>,
    /// `override.*` values: published and never changed by the driver.
    pub overrides: Vec<(String, String)>,
}

/// Why a driver cannot start with this configuration. Messages are C's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// ups.conf cannot be read or parsed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `-a` names a section that does not exist.
    #[error("Error: Section {0} not found in ups.conf")]
    SectionNotFound(String),
    /// Neither `-a` nor `-s`.
    #[error("Error: specifying '-a id' or '-s id' is now mandatory. Try -h for help.")]
    NoUpsName,
    /// `-a`/`-s` with a name that cannot be a UPS name.
    #[error("Error: invalid UPS name {0:?}: {1}")]
    BadUpsName(String, NameError),
    /// No `port` anywhere.
    #[error("Error: you must specify a port name in ups.conf or in '-x port=...' argument.\nTry -h for help.")]
    NoPort,
    /// The section is for another driver.
    #[error("Error: UPS [{ups}] is for driver {wanted}, but I'm {me}!")]
    WrongDriver {
        /// The section.
        ups: String,
        /// The driver the section names.
        wanted: String,
        /// This driver.
        me: String,
    },
    /// A setting the driver does not know.
    #[error("Fatal error: '{name}' is not a valid {} for this driver.\n\nLook in the man page or call this driver with -h for a list of\nvalid variable names and flags.{}", if *.flag { "flag" } else { "variable name" }, origin.as_deref().map(|o| format!("\n(set in {o})")).unwrap_or_default())]
    UnknownOption {
        /// The setting.
        name: String,
        /// Whether it was given as a flag.
        flag: bool,
        /// Where it was set (`/etc/nut/ups.conf [myups]`), `None` for `-x`.
        origin: Option<String>,
    },
}

/// The setting names the driver core handles itself (C's `main_arg`), besides `port`.
const CORE_FLAGS: [&str; 3] = ["nolock", "ignorelb", "allow_killpower"];

struct Builder<'a> {
    options: &'a [OptionSpec],
    config: DriverConfig,
    port: Option<String>,
    user_from_cmdline: bool,
}

impl Builder<'_> {
    fn publish(&mut self, var: String, value: &str) {
        self.config
            .published
            .retain(|(v, _)| !v.eq_ignore_ascii_case(&var));
        self.config.published.push((var, value.to_owned()));
    }

    /// One `name [= value]` setting of a section or `-x` (C's `main_arg` + `storeval`).
    fn setting(
        &mut self,
        name: &str,
        value: Option<&str>,
        origin: Option<&str>,
    ) -> Result<(), SetupError> {
        if CORE_FLAGS.contains(&name) {
            self.publish(format!("driver.flag.{name}"), "enabled");
            return Ok(());
        }
        if let Some(v) = value {
            match name {
                "port" => {
                    self.port = Some(v.to_owned());
                    self.publish("driver.parameter.port".into(), v);
                    return Ok(());
                }
                "user" if !self.user_from_cmdline => {
                    self.config.user = Some(v.to_owned());
                    return Ok(());
                }
                "group" => {
                    self.config.group = Some(v.to_owned());
                    return Ok(());
                }
                "synchronous" => {
                    self.config.synchronous = match v {
                        "yes" => Synchronous::Yes,
                        "auto" => Synchronous::Auto,
                        _ => Synchronous::No,
                    };
                    return Ok(());
                }
                "user" | "sddelay" | "sdorder" | "desc" | "debug_min" | "maxstartdelay" => {
                    return Ok(())
                }
                _ => {}
            }
        }
        let lower = name.to_ascii_lowercase();
        if let Some(var) = lower.strip_prefix("override.").map(|_| &name[9..]) {
            let v = value.unwrap_or_default().to_owned();
            self.config
                .overrides
                .retain(|(o, _)| !o.eq_ignore_ascii_case(var));
            self.config.overrides.push((var.to_owned(), v));
            return Ok(());
        }
        if let Some(var) = lower.strip_prefix("default.").map(|_| &name[8..]) {
            self.publish(var.to_owned(), value.unwrap_or_default());
            return Ok(());
        }
        let Some(spec) = self
            .options
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
        else {
            return Err(SetupError::UnknownOption {
                name: name.to_owned(),
                flag: value.is_none(),
                origin: origin.map(str::to_owned),
            });
        };
        let declared = spec.name.clone();
        self.config
            .params
            .options
            .push((declared, value.map(str::to_owned)));
        match value {
            Some(v) if !spec.sensitive => self.publish(format!("driver.parameter.{name}"), v),
            Some(_) => {}
            None => self.publish(format!("driver.flag.{name}"), "enabled"),
        }
        Ok(())
    }

    fn read_section(&mut self, ups: &str, env: &Env) -> Result<(), SetupError> {
        let path = env.config_dir().join("ups.conf");
        let parsed = UpsConf::load(&path)?;
        for warning in &parsed.warnings {
            tracing::warn!("{warning}");
        }
        let conf = parsed.config;
        let g = &conf.global;
        if let Some(p) = g.pollinterval {
            self.config.poll_interval = p;
        }
        if let Some(s) = g.synchronous {
            self.config.synchronous = s;
        }
        if !self.user_from_cmdline && g.user.is_some() {
            self.config.user.clone_from(&g.user);
        }
        if g.group.is_some() {
            self.config.group.clone_from(&g.group);
        }
        if g.chroot.is_some() && self.config.chroot.is_none() {
            self.config.chroot.clone_from(&g.chroot);
        }
        self.config.debug_min = g.debug_min;
        if env.statepath.is_none() {
            if let Some(sp) = &g.statepath {
                self.config.state_path = PathBuf::from(sp);
            }
        }
        let section = conf
            .ups
            .iter()
            .find(|u| u.name.as_str() == ups)
            .ok_or_else(|| SetupError::SectionNotFound(ups.to_owned()))?;
        self.config.ups_name = section.name.clone();
        if let Some(driver) = &section.driver {
            if *driver != self.config.driver_name {
                return Err(SetupError::WrongDriver {
                    ups: ups.to_owned(),
                    wanted: driver.clone(),
                    me: self.config.driver_name.clone(),
                });
            }
        }
        let origin = format!("{} [{}]", path.display(), ups);
        if let Some(port) = &section.port {
            self.setting("port", Some(port), Some(&origin))?;
        }
        if section.nolock {
            self.setting("nolock", None, Some(&origin))?;
        }
        if section.ignorelb {
            self.setting("ignorelb", None, Some(&origin))?;
        }
        if let Some(p) = section.pollinterval {
            self.config.poll_interval = p;
        }
        if let Some(s) = section.synchronous {
            self.config.synchronous = s;
        }
        if !self.user_from_cmdline && section.user.is_some() {
            self.config.user.clone_from(&section.user);
        }
        if section.group.is_some() {
            self.config.group.clone_from(&section.group);
        }
        if section.debug_min.is_some() {
            self.config.debug_min = section.debug_min;
        }
        for opt in &section.options {
            self.setting(&opt.key, opt.value.as_deref(), Some(&origin))?;
        }
        Ok(())
    }
}

impl DriverConfig {
    /// A configuration for an embedded driver: no ups.conf, the given parameters, the
    /// default poll interval, and no socket directory beyond C's default.
    pub fn new(driver_name: impl Into<String>, ups_name: UpsName, params: DriverParams) -> Self {
        let mut published = Vec::new();
        published.push(("driver.parameter.port".to_owned(), params.port.clone()));
        for (name, value) in &params.options {
            match value {
                Some(v) => published.push((format!("driver.parameter.{name}"), v.clone())),
                None => published.push((format!("driver.flag.{name}"), "enabled".into())),
            }
        }
        Self {
            driver_name: driver_name.into(),
            ups_name,
            params,
            poll_interval: DEFAULT_POLLINTERVAL,
            synchronous: Synchronous::Auto,
            user: None,
            group: None,
            debug_min: None,
            chroot: None,
            state_path: PathBuf::from(DEFAULT_STATEPATH),
            published,
            overrides: Vec::new(),
        }
    }

    /// The same configuration with another poll interval (seconds, at least 1).
    pub fn with_poll_interval(mut self, seconds: u32) -> Self {
        self.poll_interval = seconds.max(1);
        self
    }

    /// The same configuration with another socket directory.
    pub fn with_state_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_path = dir.into();
        self
    }

    /// Builds the configuration from a parsed command line, reading ups.conf for `-a`.
    pub fn from_cli(
        args: &CliArgs,
        info: &DriverInfo,
        options: &[OptionSpec],
        env: &Env,
    ) -> Result<Self, SetupError> {
        let placeholder = UpsName::new("ups").expect("a valid name");
        let mut config = Self::new(info.name.clone(), placeholder, DriverParams::default());
        config.published.clear();
        config.params.config_dir = env.config_dir();
        config.state_path = env
            .statepath
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATEPATH));
        config.user.clone_from(&args.user);
        config.group.clone_from(&args.group);
        config.chroot.clone_from(&args.chroot);
        let mut b = Builder {
            options,
            config,
            port: None,
            user_from_cmdline: args.user.is_some(),
        };
        let mut named = false;
        for op in &args.ops {
            match op {
                CliOp::ReadSection(ups) => {
                    b.read_section(ups, env)?;
                    named = true;
                }
                CliOp::Standalone(ups) => {
                    b.config.ups_name = UpsName::new(ups.as_str())
                        .map_err(|e| SetupError::BadUpsName(ups.clone(), e))?;
                    named = true;
                }
                CliOp::Set(name, value) => b.setting(name, value.as_deref(), None)?,
                CliOp::PollInterval(n) => b.config.poll_interval = *n,
            }
        }
        if !named {
            return Err(SetupError::NoUpsName);
        }
        let mut config = b.config;
        config.params.port = b.port.ok_or(SetupError::NoPort)?;
        Ok(config)
    }

    /// The path of the driver socket: `<state_path>/<driver>-<ups>`.
    pub fn socket_path(&self) -> PathBuf {
        self.state_path.join(nut_proto::sock::socket_name(
            &self.driver_name,
            self.ups_name.as_str(),
        ))
    }

    /// The path of the PID file in `dir`: `<dir>/<driver>-<ups>.pid`.
    pub fn pid_file_in(&self, dir: &std::path::Path) -> PathBuf {
        dir.join(format!("{}-{}.pid", self.driver_name, self.ups_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::CliArgs;

    fn setup(conf: &str) -> (PathBuf, Env) {
        let dir = std::env::temp_dir().join(format!(
            "nut-config-test-{}-{}",
            std::process::id(),
            conf.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ups.conf"), conf).unwrap();
        let env = Env {
            confpath: Some(dir.clone()),
            statepath: Some(dir.join("state")),
        };
        (dir, env)
    }

    fn build(args: &[&str], env: &Env) -> Result<DriverConfig, SetupError> {
        let info = DriverInfo::new("dummy-ups", "Sim", "1");
        let options = [
            OptionSpec::value("mode", "Mode"),
            OptionSpec::value("community", "Secret").sensitive(),
            OptionSpec::flag("quick", "Quick"),
        ];
        DriverConfig::from_cli(
            &CliArgs::parse(args.iter().copied()).unwrap(),
            &info,
            &options,
            env,
        )
    }

    #[test]
    fn section_then_cmdline_with_c_publishing() {
        let (dir, env) = setup(
            "user = globaluser\n[u1]\n driver = dummy-ups\n port = a.dev\n nolock\n mode = x\n community = secret\n quick\n override.ups.mfr = ACME\n default.battery.charge = 50\n pollinterval = 7\n",
        );
        let c = build(
            &[
                "-x",
                "mode=before",
                "-a",
                "u1",
                "-x",
                "Mode=after",
                "-i",
                "3",
            ],
            &env,
        )
        .unwrap();
        assert_eq!(c.params.port, "a.dev");
        assert_eq!(c.params.get("mode"), Some("after"));
        assert_eq!(c.params.get("community"), Some("secret"));
        assert!(c.params.is_set("quick"));
        assert_eq!(c.poll_interval, 3);
        assert_eq!(c.user.as_deref(), Some("globaluser"));
        assert_eq!(c.overrides, [("ups.mfr".to_owned(), "ACME".to_owned())]);
        let published: Vec<String> = c
            .published
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            published,
            [
                "driver.parameter.port=a.dev",
                "driver.flag.nolock=enabled",
                "driver.flag.quick=enabled",
                "battery.charge=50",
                "driver.parameter.Mode=after",
            ]
        );
        assert_eq!(c.socket_path(), dir.join("state").join("dummy-ups-u1"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn c_errors() {
        let (dir, env) = setup(
            "[u2]\n driver = other\n port = a\n[u3]\n driver = dummy-ups\n port = b\n bogusflag\n",
        );
        assert!(matches!(
            build(&["-a", "nope"], &env),
            Err(SetupError::SectionNotFound(_))
        ));
        assert_eq!(
            build(&["-a", "u2"], &env).unwrap_err().to_string(),
            "Error: UPS [u2] is for driver other, but I'm dummy-ups!"
        );
        let err = build(&["-a", "u3"], &env).unwrap_err().to_string();
        assert!(
            err.starts_with("Fatal error: 'bogusflag' is not a valid flag for this driver."),
            "{err}"
        );
        assert!(err.ends_with("[u3])"), "{err}");
        assert!(matches!(build(&["-s", "x"], &env), Err(SetupError::NoPort)));
        assert!(matches!(
            build(&["-x", "port=a"], &env),
            Err(SetupError::NoUpsName)
        ));
        assert!(matches!(
            build(&["-s", "bad name", "-x", "port=a"], &env),
            Err(SetupError::BadUpsName(..))
        ));
        let ok = build(
            &["-u", "me", "-s", "x", "-x", "port=p", "-x", "user=other"],
            &env,
        )
        .unwrap();
        assert_eq!(ok.user.as_deref(), Some("me"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
