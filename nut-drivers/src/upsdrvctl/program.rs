//! The upsdrvctl program after its command line is parsed: its fixed texts, the order of
//! its messages, where it finds ups.conf, and its exit status.
//!
//! Users and scripts compare upsdrvctl's output with C's (a dry run with `-t` is often
//! pasted into bug reports), so the banner, the usage and the debug-level-2 note follow C
//! NUT 2.8.0's output line for line. The usage adds our `supervise` command and the long
//! options.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::control::Controller;
use super::error::CtlError;
use super::log::Log;
use super::supervise::{termination, DEFAULT_CHECK_INTERVAL};
use super::table::{Command, Settings};

/// The C NUT release whose behaviour upsdrvctl reproduces, shown in its banner.
pub const NUT_VERSION: &str = "2.8.0";

/// The first line upsdrvctl prints on stdout, always.
pub fn banner() -> String {
    format!("Network UPS Tools - UPS driver controller {NUT_VERSION}")
}

/// The usage text (`-h`), for a program called `progname`.
pub fn help(progname: &str) -> String {
    let mut s = String::new();
    s.push_str("Starts and stops UPS drivers via ups.conf.\n\n");
    s.push_str(&format!(
        "usage: {progname} [OPTIONS] (start | stop | shutdown) [<ups>]\n\n"
    ));
    let lines: [(&str, &str); 13] = [
        ("  -h\t\t\t", "display this help"),
        ("  -r <path>\t\t", "drivers will chroot to <path>"),
        (
            "  -t\t\t\t",
            "testing mode - prints actions without doing them",
        ),
        (
            "  -u <user>\t\t",
            "drivers started will switch from root to <user>",
        ),
        ("  -D            \t", "raise debugging level"),
        (
            "  -d            \t",
            "pass debugging level from upsdrvctl to driver",
        ),
        ("  start\t\t\t", "start all UPS drivers in ups.conf"),
        ("  start\t<ups>\t\t", "only start driver for UPS <ups>"),
        ("  stop\t\t\t", "stop all UPS drivers in ups.conf"),
        ("  stop <ups>\t\t", "only stop driver for UPS <ups>"),
        ("  shutdown\t\t", "shutdown all UPS drivers in ups.conf"),
        ("  shutdown <ups>\t", "only shutdown UPS <ups>"),
        (
            "  supervise [<ups>]\t",
            "start drivers, restart any that dies, stop them on SIGTERM/SIGINT",
        ),
    ];
    for (left, right) in lines {
        s.push_str(left);
        s.push_str(right);
        s.push('\n');
    }
    s.push_str("  --help, --version\tsame as -h, -V\n");
    s
}

/// The note C upsdrvctl logs at debug level 2 unless `-d` is given: it tells people who were
/// asked for debug output that upsdrvctl is only a launcher. The text is C's, so that a dry
/// run reads the same.
pub const DEBUG_NOTE: &str = "\n\
If you're not a NUT core developer, chances are that you're told to enable debugging\n\
to see why a driver isn't working for you. We're sorry for the confusion, but this is\n\
the 'upsdrvctl' wrapper, not the driver you're interested in.\n\n\
Below you'll find one or more lines starting with 'exec:' followed by an absolute\n\
path to the driver binary and some command line option. This is what the driver\n\
starts and you need to copy and paste that line and append the debug flags to that\n\
line (less the 'exec:' prefix).\n\n\
Alternately, provide an additional '-d' (lower-case) parameter to 'upsdrvctl' to\n\
pass its current debug level to the launched driver.\n";

/// The line printed on stdout in test mode (`-t`).
pub const TEST_MODE_NOTE: &str = "*** Testing mode: not calling exec/kill";

/// Where ups.conf is looked for when `$NUT_CONFPATH` is not set.
pub const DEFAULT_CONF_PATH: &str = nut_proto::paths::CONFPATH;

/// One upsdrvctl invocation: the parsed command line plus the paths taken from the
/// environment.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Invocation {
    /// The options and paths (test mode, user, debug level, PID directory, …).
    pub settings: Settings,
    /// The command word as given (checked here, so that C's message comes in C's order).
    pub command: String,
    /// The UPS named after the command, if any.
    pub ups: Option<String>,
    /// The ups.conf file.
    pub conf_file: PathBuf,
    /// How often `supervise` checks its drivers.
    pub check_interval: Duration,
}

impl Invocation {
    /// An invocation of `command` with `settings`, reading `<conf_dir>/ups.conf`.
    pub fn new(
        settings: Settings,
        command: impl Into<String>,
        conf_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            settings,
            command: command.into(),
            ups: None,
            conf_file: conf_dir.into().join("ups.conf"),
            check_interval: DEFAULT_CHECK_INTERVAL,
        }
    }

    /// `$NUT_CONFPATH`, else [`DEFAULT_CONF_PATH`].
    pub fn conf_dir_from_env() -> PathBuf {
        nut_proto::paths::confpath()
    }

    /// Runs the invocation: writes the test-mode line to `stdout`, logs to `log`, and
    /// returns the exit status (0 when every driver did what was asked, else 1).
    ///
    /// `supervise` runs until the process gets SIGTERM or SIGINT.
    pub async fn execute(&self, stdout: &mut dyn Write, log: &Log) -> i32 {
        match self.execute_inner(stdout, log).await {
            Ok(code) => code,
            Err(err) => {
                log.msg(err);
                1
            }
        }
    }

    async fn execute_inner(&self, stdout: &mut dyn Write, log: &Log) -> Result<i32, CtlError> {
        let mut settings = self.settings.clone();
        if settings.test_mode {
            // Losing stdout is not worth failing over; C ignores it too.
            let _ = writeln!(stdout, "{TEST_MODE_NOTE}");
            let _ = stdout.flush();
            settings.debug = settings.debug.max(2);
        }
        log.raise_level(settings.debug);
        if !settings.debug_passthrough {
            log.debug(2, DEBUG_NOTE);
        }
        let command = Command::from_word(&self.command)
            .ok_or_else(|| CtlError::UnknownCommand(self.command.clone()))?;
        let ctl = Controller::load(&self.conf_file, settings, log.clone())?;
        let ups = self.ups.as_deref();
        let report = match command {
            Command::Supervise if !ctl.settings().test_mode => {
                let stop = termination()?;
                ctl.supervise(ups, self.check_interval, stop).await?
            }
            _ => ctl.run(command, ups).await?,
        };
        Ok(report.exit_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upsdrvctl::log::strip_timestamps;

    #[tokio::test]
    async fn unknown_command_and_missing_conf() {
        let dir = std::env::temp_dir().join(format!("nut-drvctl-prog-{}", std::process::id()));
        let mut settings = Settings::new(&dir);
        settings.test_mode = true;
        let inv = Invocation::new(settings.clone(), "bogus", &dir);
        let (log, buf) = Log::buffer(0);
        let mut out = Vec::new();
        assert_eq!(inv.execute(&mut out, &log).await, 1);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{TEST_MODE_NOTE}\n")
        );
        assert_eq!(
            strip_timestamps(&buf.text()),
            format!("[D2] {DEBUG_NOTE}\nError: unrecognized command [bogus]\n")
        );

        settings.test_mode = false;
        settings.debug_passthrough = true;
        let inv = Invocation::new(settings, "start", &dir);
        let (log, buf) = Log::buffer(0);
        assert_eq!(inv.execute(&mut Vec::new(), &log).await, 1);
        assert_eq!(
            buf.text(),
            format!(
                "Can't open {}/ups.conf: No such file or directory\n",
                dir.display()
            )
        );
    }

    #[test]
    fn help_shape() {
        let h = help("upsdrvctl");
        assert!(h.starts_with("Starts and stops UPS drivers via ups.conf.\n\nusage: upsdrvctl "));
        assert!(h.contains("\n  -u <user>\t\tdrivers started will switch from root to <user>\n"));
        assert_eq!(h.lines().count(), 18);
        assert_eq!(banner(), "Network UPS Tools - UPS driver controller 2.8.0");
        assert!(DEBUG_NOTE.starts_with('\n') && DEBUG_NOTE.ends_with("driver.\n"));
    }
}
