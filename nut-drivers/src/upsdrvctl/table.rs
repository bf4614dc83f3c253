//! What upsdrvctl takes from ups.conf and the command line, and the pure decisions made from
//! it: which drivers a command touches and in which order, each driver's command line, its
//! start-up deadline and its PID file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nut_proto::config::{UpsConf, DEFAULT_MAXRETRY, DEFAULT_MAXSTARTDELAY, DEFAULT_RETRYDELAY};

use super::error::CtlError;

/// Where Debian's C NUT keeps its drivers, searched unless ups.conf sets `driverpath`.
pub const DEFAULT_DRIVER_PATH: &str = "/lib/nut";

/// What upsdrvctl is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Command {
    /// `start`: run each driver and wait until it has detached.
    Start,
    /// `stop`: send SIGTERM to each driver named by its PID file.
    Stop,
    /// `shutdown`: run each driver with `-k` (tell the UPS to cut the power), in `sdorder`.
    Shutdown,
    /// `supervise`: start the drivers, then restart any that dies (not in C NUT 2.8.0).
    Supervise,
}

impl Command {
    /// The command for a word of the command line (`start`, `stop`, `shutdown`,
    /// `supervise`); matched exactly, as C does.
    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "start" => Some(Self::Start),
            "stop" => Some(Self::Stop),
            "shutdown" => Some(Self::Shutdown),
            "supervise" => Some(Self::Supervise),
            _ => None,
        }
    }

    /// The command's word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Shutdown => "shutdown",
            Self::Supervise => "supervise",
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The command-line settings upsdrvctl passes on to the drivers or obeys itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// `-t`: print what would be done; run and signal nothing.
    pub test_mode: bool,
    /// `-u user`: passed to every driver as `-u user`.
    pub user: Option<String>,
    /// `-r path`: passed to every driver as `-r path` (chroot).
    pub chroot: Option<String>,
    /// The debug level (the number of `-D`s, at least 2 in test mode).
    pub debug: u32,
    /// `-d`: pass the debug level on to the drivers as `-DD…`.
    pub debug_passthrough: bool,
    /// Where drivers keep their PID files (C's `altpidpath()`: `$NUT_ALTPIDPATH`, else
    /// `$NUT_STATEPATH`, else the build's state path).
    pub pid_dir: PathBuf,
    /// The driver directories searched, in order, when ups.conf has no `driverpath`: a
    /// driver is taken from the first that holds it (from the last when none does, so that
    /// the error names it). [`Settings::new`] gives [`DEFAULT_DRIVER_PATH`] alone; the
    /// `upsdrvctl` program puts its own directory first.
    pub default_driver_paths: Vec<PathBuf>,
}

impl Settings {
    /// Settings with nothing from the command line, PID files in `pid_dir`.
    pub fn new(pid_dir: impl Into<PathBuf>) -> Self {
        Self {
            test_mode: false,
            user: None,
            chroot: None,
            debug: 0,
            debug_passthrough: false,
            pid_dir: pid_dir.into(),
            default_driver_paths: vec![PathBuf::from(DEFAULT_DRIVER_PATH)],
        }
    }
}

/// One UPS as upsdrvctl sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The section name.
    pub name: String,
    /// `driver`, when set.
    pub driver: Option<String>,
    /// `port`, when set (used to find the PID file of an old-style driver).
    pub port: Option<String>,
    /// `sdorder` (0 when not set).
    pub sdorder: i32,
    /// `maxstartdelay` of the section; `None` (or -1, as in C) means the global value.
    pub maxstartdelay: Option<i32>,
}

/// The drivers of ups.conf and the global settings upsdrvctl obeys.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Table {
    /// The UPSes, in file order.
    pub entries: Vec<Entry>,
    /// The directories holding the driver programs, searched in order: ups.conf's
    /// `driverpath`, else the defaults of [`Settings::default_driver_paths`].
    pub driver_paths: Vec<PathBuf>,
    /// Attempts made to start a driver (`maxretry`).
    pub maxretry: i32,
    /// Seconds between attempts (`retrydelay`; negative means no pause).
    pub retrydelay: i32,
    /// Global seconds to wait for a driver to detach (`maxstartdelay`; negative: forever).
    pub maxstartdelay: i32,
    /// `nowait`: do not wait for drivers to detach.
    pub nowait: bool,
}

impl Table {
    /// The table for `conf`; `default_driver_paths` are searched when ups.conf has no
    /// `driverpath`.
    pub fn new(conf: &UpsConf, default_driver_paths: &[PathBuf]) -> Self {
        let g = &conf.global;
        Self {
            entries: conf
                .ups
                .iter()
                .map(|u| Entry {
                    name: u.name.as_str().to_owned(),
                    driver: u.driver.clone(),
                    port: u.port.clone(),
                    sdorder: u.sdorder.unwrap_or(0),
                    maxstartdelay: u.maxstartdelay,
                })
                .collect(),
            driver_paths: g
                .driverpath
                .as_ref()
                .map_or_else(|| default_driver_paths.to_vec(), |p| vec![PathBuf::from(p)]),
            maxretry: g.maxretry.unwrap_or(DEFAULT_MAXRETRY),
            retrydelay: g.retrydelay.unwrap_or(DEFAULT_RETRYDELAY),
            maxstartdelay: g.maxstartdelay.unwrap_or(DEFAULT_MAXSTARTDELAY),
            nowait: g.nowait,
        }
    }

    /// The UPSes `command` applies to, in the order it applies to them.
    ///
    /// With a name, that UPS alone (matched exactly, as C does). Without one, `start`,
    /// `stop` and `supervise` take every UPS in file order; `shutdown` takes the UPSes with
    /// `sdorder` 0, then 1, … up to the highest one set, in file order within one value, and
    /// skips negative values.
    pub fn select(&self, command: Command, ups: Option<&str>) -> Result<Vec<&Entry>, CtlError> {
        if self.entries.is_empty() {
            return Err(CtlError::NoUps {
                named: ups.is_some(),
            });
        }
        if let Some(name) = ups {
            return self
                .entries
                .iter()
                .find(|e| e.name == name)
                .map(|e| vec![e])
                .ok_or_else(|| CtlError::UnknownUps(name.to_owned()));
        }
        if command != Command::Shutdown {
            return Ok(self.entries.iter().collect());
        }
        let mut ordered: Vec<&Entry> = self.entries.iter().filter(|e| e.sdorder >= 0).collect();
        // A stable sort keeps file order among equal values.
        ordered.sort_by_key(|e| e.sdorder);
        Ok(ordered)
    }

    /// The attempts made to start one driver: `maxretry`, but at least one (C makes none
    /// when `maxretry` is 0 or less, silently leaving the driver stopped).
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.maxretry).unwrap_or(0).max(1)
    }

    /// The pause between two attempts.
    pub fn retry_pause(&self) -> Duration {
        Duration::from_secs(u64::try_from(self.retrydelay).unwrap_or(0))
    }

    /// How long to wait for a driver to detach; `None`: no limit. A section's
    /// `maxstartdelay` wins over the global one, except -1 (C's "not set").
    pub fn start_timeout(&self, entry: &Entry) -> Option<Duration> {
        let secs = match entry.maxstartdelay {
            Some(v) if v != -1 => v,
            _ => self.maxstartdelay,
        };
        u64::try_from(secs).ok().map(Duration::from_secs)
    }

    /// The driver program of a UPS: `<dir>/<driver>` for the first of the
    /// [`driver_paths`](Self::driver_paths) that holds it, else in the last one.
    pub fn driver_program(&self, entry: &Entry) -> Result<PathBuf, CtlError> {
        let driver = entry
            .driver
            .as_deref()
            .ok_or_else(|| CtlError::NoDriver(entry.name.clone()))?;
        let mut candidates = self.driver_paths.iter().map(|dir| dir.join(driver));
        let found = candidates.find(|p| p.exists());
        Ok(found
            .or_else(|| self.driver_paths.last().map(|dir| dir.join(driver)))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DRIVER_PATH).join(driver)))
    }

    /// The driver's command line, program first, as C upsdrvctl builds it:
    /// `start`: `prog [-DD…] -a <ups> [-r <chroot>] [-u <user>]`;
    /// `shutdown`: `prog -a <ups> -k [-r <chroot>] [-u <user>]`.
    /// The debug flag (`-d` with a debug level above zero) is only given to `start`.
    pub fn argv(
        &self,
        entry: &Entry,
        command: Command,
        settings: &Settings,
    ) -> Result<Vec<String>, CtlError> {
        let mut argv = vec![self.driver_program(entry)?.display().to_string()];
        let shutdown = command == Command::Shutdown;
        if !shutdown && settings.debug_passthrough && settings.debug > 0 {
            // C cuts the flag at its buffer size; nobody needs more than 100 levels.
            let level = settings.debug.min(100) as usize;
            argv.push(format!("-{}", "D".repeat(level)));
        }
        argv.push("-a".to_owned());
        argv.push(entry.name.clone());
        if shutdown {
            argv.push("-k".to_owned());
        }
        if let Some(root) = &settings.chroot {
            argv.push("-r".to_owned());
            argv.push(root.clone());
        }
        if let Some(user) = &settings.user {
            argv.push("-u".to_owned());
            argv.push(user.clone());
        }
        Ok(argv)
    }

    /// The PID files where a driver may be found: `<piddir>/<driver>-<ups>.pid`, then (for
    /// drivers of old releases) `<piddir>/<driver>-<basename of port>.pid` when a port is
    /// set.
    pub fn pid_files(&self, entry: &Entry, pid_dir: &Path) -> Result<Vec<PathBuf>, CtlError> {
        let driver = entry
            .driver
            .as_deref()
            .ok_or_else(|| CtlError::NoDriver(entry.name.clone()))?;
        let mut files = vec![pid_dir.join(format!("{driver}-{}.pid", entry.name))];
        if let Some(port) = &entry.port {
            let base = port.rsplit('/').next().unwrap_or(port);
            files.push(pid_dir.join(format!("{driver}-{base}.pid")));
        }
        Ok(files)
    }
}

/// The command line as C upsdrvctl prints it after `exec: ` (each word after a space).
pub fn format_cmdline(argv: &[String]) -> String {
    argv.iter().fold(String::new(), |mut s, a| {
        s.push(' ');
        s.push_str(a);
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        let conf = UpsConf::parse(text.as_bytes(), "ups.conf").unwrap().config;
        Table::new(&conf, &[PathBuf::from(DEFAULT_DRIVER_PATH)])
    }

    const CONF: &str = "maxretry = 3\nmaxstartdelay = 10\n\
        [a]\n driver = dummy-ups\n port = a.dev\n sdorder = 2\n maxstartdelay = -1\n\
        [b]\n driver = dummy-ups\n port = /x/b.dev\n sdorder = -1\n maxstartdelay = 5\n\
        [c]\n driver = apcsmart\n port = /dev/ttyS0\n maxstartdelay = -3\n\
        [d]\n driver = usbhid-ups\n port = auto\n sdorder = 1\n";

    fn names(v: &[&Entry]) -> Vec<String> {
        v.iter().map(|e| e.name.clone()).collect()
    }

    #[test]
    fn orders() {
        let t = table(CONF);
        assert_eq!(
            names(&t.select(Command::Start, None).unwrap()),
            ["a", "b", "c", "d"]
        );
        assert_eq!(
            names(&t.select(Command::Stop, None).unwrap()),
            ["a", "b", "c", "d"]
        );
        assert_eq!(
            names(&t.select(Command::Shutdown, None).unwrap()),
            ["c", "d", "a"]
        );
        assert_eq!(
            names(&t.select(Command::Shutdown, Some("b")).unwrap()),
            ["b"]
        );
    }

    #[test]
    fn unknown_and_empty() {
        let t = table(CONF);
        let err = t.select(Command::Start, Some("A")).unwrap_err();
        assert_eq!(err.to_string(), "UPS A not found in ups.conf");
        let empty = table("maxretry = 2\n");
        assert_eq!(
            empty.select(Command::Start, None).unwrap_err().to_string(),
            "Error: no UPS definitions found in ups.conf"
        );
    }

    #[test]
    fn command_lines() {
        let t = table(CONF);
        let mut s = Settings::new("/run/nut");
        let a = &t.entries[0];
        assert_eq!(
            format_cmdline(&t.argv(a, Command::Start, &s).unwrap()),
            " /lib/nut/dummy-ups -a a"
        );
        s.user = Some("nut".into());
        s.chroot = Some("/chroot".into());
        s.debug = 3;
        assert_eq!(
            t.argv(a, Command::Start, &s).unwrap().join(" "),
            "/lib/nut/dummy-ups -a a -r /chroot -u nut"
        );
        s.debug_passthrough = true;
        assert_eq!(
            t.argv(a, Command::Start, &s).unwrap().join(" "),
            "/lib/nut/dummy-ups -DDD -a a -r /chroot -u nut"
        );
        assert_eq!(
            t.argv(a, Command::Shutdown, &s).unwrap().join(" "),
            "/lib/nut/dummy-ups -a a -k -r /chroot -u nut"
        );
    }

    #[test]
    fn driverpath_and_missing_driver() {
        let t = table("driverpath = /opt/drv\n[x]\n port = p\n[y]\n driver = d\n port = p\n");
        assert_eq!(
            t.driver_program(&t.entries[1]).unwrap(),
            Path::new("/opt/drv/d")
        );
        let err = t.argv(&t.entries[0], Command::Start, &Settings::new("/r"));
        assert_eq!(
            err.unwrap_err().to_string(),
            "UPS x has no driver in ups.conf"
        );
    }

    #[test]
    fn default_driver_paths_are_searched_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("bin"), dir.path().join("lib"));
        std::fs::create_dir_all(&first).unwrap();
        std::fs::create_dir_all(&second).unwrap();
        std::fs::write(first.join("ours"), "").unwrap();
        std::fs::write(first.join("both"), "").unwrap();
        std::fs::write(second.join("both"), "").unwrap();
        std::fs::write(second.join("theirs"), "").unwrap();
        let text = "[a]\n driver = ours\n port = p\n[b]\n driver = both\n port = p\n\
                    [c]\n driver = theirs\n port = p\n[d]\n driver = nowhere\n port = p\n";
        let conf = UpsConf::parse(text.as_bytes(), "ups.conf").unwrap().config;
        let t = Table::new(&conf, &[first.clone(), second.clone()]);
        let programs: Vec<PathBuf> = t
            .entries
            .iter()
            .map(|e| t.driver_program(e).unwrap())
            .collect();
        assert_eq!(
            programs,
            [
                first.join("ours"),
                first.join("both"),
                second.join("theirs"),
                second.join("nowhere")
            ]
        );
        // ups.conf's driverpath is the only place searched.
        let text = format!("driverpath = {}\n{text}", second.display());
        let conf = UpsConf::parse(text.as_bytes(), "ups.conf").unwrap().config;
        let t = Table::new(&conf, std::slice::from_ref(&first));
        assert_eq!(
            t.driver_program(&t.entries[0]).unwrap(),
            second.join("ours")
        );
        assert_eq!(
            t.driver_program(&t.entries[1]).unwrap(),
            second.join("both")
        );
    }

    #[test]
    fn timeouts_and_retries() {
        let t = table(CONF);
        assert_eq!(
            t.start_timeout(&t.entries[0]),
            Some(Duration::from_secs(10))
        );
        assert_eq!(t.start_timeout(&t.entries[1]), Some(Duration::from_secs(5)));
        assert_eq!(t.start_timeout(&t.entries[2]), None);
        assert_eq!(
            t.start_timeout(&t.entries[3]),
            Some(Duration::from_secs(10))
        );
        assert_eq!(t.attempts(), 3);
        assert_eq!(t.retry_pause(), Duration::from_secs(5));
        let d = table("maxretry = 0\nretrydelay = -1\n[a]\n driver = x\n port = y\n");
        assert_eq!(d.attempts(), 1);
        assert_eq!(d.retry_pause(), Duration::ZERO);
        assert_eq!(
            d.start_timeout(&d.entries[0]),
            Some(Duration::from_secs(45))
        );
    }

    #[test]
    fn pid_files() {
        let t = table(CONF);
        let files = t.pid_files(&t.entries[1], Path::new("/s")).unwrap();
        assert_eq!(
            files,
            [
                PathBuf::from("/s/dummy-ups-b.pid"),
                PathBuf::from("/s/dummy-ups-b.dev.pid")
            ]
        );
    }

    #[test]
    fn command_words() {
        for c in [
            Command::Start,
            Command::Stop,
            Command::Shutdown,
            Command::Supervise,
        ] {
            assert_eq!(Command::from_word(c.as_str()), Some(c));
        }
        assert_eq!(Command::from_word("START"), None);
    }
}
