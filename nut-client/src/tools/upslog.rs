//! `upslog`: writes a line per interval with a UPS's variables to a log file — with the
//! output, messages and log format of C NUT 2.8.0's `upslog`, plus NUT 2.8.1's `-m
//! ups,logfile` for several UPS/log pairs in one process.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Client;

use super::common::{
    c_atoi, c_strerror, connect, connected_before, prog_name, split_name, strerror, Getopt, Opt,
    Stdio, UpsTarget, NSS_INIT_NOTICE, NUT_VERSION,
};
use crate::strftime::{now_local, strftime};
use nut_driver_api::process::daemon;
use nut_driver_api::process::syslog::{self, Severity};

/// C's default log format.
pub const DEFAULT_FORMAT: &str = "%TIME @Y@m@d @H@M@S% %VAR battery.charge% \
%VAR input.voltage% %VAR ups.load% [%VAR ups.status%] %VAR ups.temperature% %VAR input.frequency%";

/// C's `RUN_AS_USER` on Debian.
pub const RUN_AS_USER: &str = "nut";

fn help(prog: &str) -> String {
    format!(
        "UPS status logger.\n\nusage: {prog} [OPTIONS]\n\n  \
-f <format>\t- Log format.  See below for details.\n\
\t\t- Use -f \"<format>\" so your shell doesn't break it up.\n  \
-i <interval>\t- Time between updates, in seconds\n  \
-l <logfile>\t- Log file name, or - for stdout (foreground by default)\n  \
-F\t\t- stay foregrounded even if logging into a file\n  \
-B\t\t- stay backgrounded even if logging to stdout\n  \
-p <pidbase>  - Base name for PID file (defaults to \"{prog}\")\n  \
-s <ups>\t- Monitor UPS <ups> - <upsname>@<host>[:<port>]\n        \
\t- Example: -s myups@server\n  \
-u <user>\t- Switch to <user> if started as root\n\n\
Some valid format string escapes:\n\
\t%% insert a single %\n\
\t%TIME format% insert the time with strftime formatting\n\
\t%HOST% insert the local hostname\n\
\t%UPSHOST% insert the host of the ups being monitored\n\
\t%PID% insert the pid of upslog\n\
\t%VAR varname% insert the value of ups variable varname\n\n\
format string defaults to:\n{DEFAULT_FORMAT}\n\n\
See the upslog(8) man page for more information.\n"
    )
}

/// One piece of a compiled format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Text copied as is.
    Literal(String),
    /// `%HOST%`.
    Host,
    /// `%UPSHOST%`: the monitored `ups@host` as given.
    UpsHost,
    /// `%PID%`.
    Pid,
    /// `%TIME fmt%` with `@` standing for `%`.
    Time(Option<String>),
    /// `%VAR name%`.
    Var(Option<String>),
    /// `%ETIME%`: seconds since the epoch.
    ETime,
}

/// Compiles a format as C's `compile_format` does: `%%` is `%`, `%CMD arg%` is a command
/// matched by prefix and case-insensitively, an unknown command or a `%` without a closing
/// one gives `INVALID` (and in the latter case the text after the `%` is kept literally).
pub fn compile(format: &str) -> Vec<Item> {
    let bytes = format.as_bytes();
    let mut items = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            let end = format[i..].find('%').map_or(format.len(), |o| i + o);
            items.push(Item::Literal(format[i..end].to_owned()));
            i = end;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'%') {
            items.push(Item::Literal("%".into()));
            i += 2;
            continue;
        }
        let rest = &format[i + 1..];
        let Some(close) = rest.find('%') else {
            items.push(Item::Literal("INVALID".into()));
            i += 1;
            continue;
        };
        let spec = &rest[..close];
        let (cmd, arg) = match spec.split_once(' ') {
            Some((cmd, arg)) => (cmd, Some(arg.to_owned())),
            None => (spec, None),
        };
        let starts =
            |name: &str| cmd.len() >= name.len() && cmd[..name.len()].eq_ignore_ascii_case(name);
        let item = if starts("HOST") {
            Item::Host
        } else if starts("UPSHOST") {
            Item::UpsHost
        } else if starts("PID") {
            Item::Pid
        } else if starts("TIME") {
            Item::Time(arg)
        } else if starts("VAR") {
            Item::Var(arg)
        } else if starts("ETIME") {
            Item::ETime
        } else {
            Item::Literal("INVALID".into())
        };
        items.push(item);
        i += close + 2;
    }
    items
}

fn epoch_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One monitored UPS and where its lines go.
#[derive(Debug)]
pub struct Monitor {
    /// `ups@host[:port]` as given (what `%UPSHOST%` prints).
    pub monhost: String,
    /// Its parts.
    pub target: UpsTarget,
    /// The log file, `-` for stdout.
    pub logfn: String,
}

/// A parsed command line, ready to run.
#[derive(Debug)]
pub struct Upslog {
    /// The monitored UPSes.
    pub monitors: Vec<Monitor>,
    /// Seconds between lines.
    pub interval: i64,
    /// The compiled format.
    pub format: Vec<Item>,
    /// The user to become when started as root.
    pub user: String,
    /// The PID file.
    pub pid_file: String,
    /// Whether to stay in the foreground.
    pub foreground: bool,
}

/// What [`prepare`] decided.
#[derive(Debug)]
pub enum Prepared {
    /// Exit now with this code (help, version, a bad command line).
    Exit(i32),
    /// Go on.
    Run(Upslog),
}

/// Reads the command line, printing what C prints before it starts logging.
pub fn prepare(args: &[String], io: &mut Stdio<'_>) -> Prepared {
    let prog = prog_name(args.first(), "upslog");
    io.print(&format!("Network UPS Tools {prog} {NUT_VERSION}\n"));
    let rest = args.get(1..).unwrap_or_default();
    let mut getopt = Getopt::new(rest, "hs:l:i:f:u:Vp:FBm:", &prog);
    let (mut monhost, mut logfn) = (None::<String>, None::<String>);
    let mut tuples = Vec::new();
    let mut interval = 30i64;
    let mut format = DEFAULT_FORMAT.to_owned();
    let mut user = RUN_AS_USER.to_owned();
    let mut pidbase = prog.clone();
    let mut foreground = None;
    while let Some(opt) = getopt.next(io.err) {
        match opt {
            Opt::Flag('h', _) => {
                io.print(&help(&prog));
                return Prepared::Exit(0);
            }
            Opt::Flag('s', v) => monhost = v,
            Opt::Flag('l', v) => logfn = v,
            Opt::Flag('i', v) => interval = i64::from(c_atoi(v.as_deref().unwrap_or_default())),
            Opt::Flag('f', v) => format = v.unwrap_or_default(),
            Opt::Flag('u', v) => user = v.unwrap_or_default(),
            Opt::Flag('V', _) => return Prepared::Exit(0),
            Opt::Flag('p', v) => pidbase = v.unwrap_or_default(),
            Opt::Flag('F', _) => foreground = Some(true),
            Opt::Flag('B', _) => foreground = Some(false),
            Opt::Flag('m', Some(v)) => tuples.push(v),
            // C's switch has no default case: unknown options are ignored.
            _ => {}
        }
    }
    let operands = getopt.operands();
    if operands.len() == 1 || operands.len() == 2 {
        io.print(&help(&prog));
        return Prepared::Exit(0);
    }
    if operands.len() >= 3 {
        monhost = Some(operands[0].clone());
        logfn = Some(operands[1].clone());
        interval = i64::from(c_atoi(&operands[2]));
    }
    if operands.len() >= 4 {
        format = operands[3..].iter().map(|w| format!("{w} ")).collect();
    }
    let mut pairs = Vec::new();
    if tuples.is_empty() || monhost.is_some() || logfn.is_some() {
        let Some(monhost) = monhost else {
            io.eprintln("No UPS defined for monitoring - use -s <system>");
            return Prepared::Exit(1);
        };
        let Some(logfn) = logfn else {
            io.eprintln("No filename defined for logging - use -l <file>");
            return Prepared::Exit(1);
        };
        pairs.push((monhost, logfn));
    }
    for tuple in tuples {
        match tuple.split_once(',') {
            Some((ups, file)) if !ups.is_empty() && !file.is_empty() => {
                pairs.push((ups.to_owned(), file.to_owned()))
            }
            _ => {
                io.eprintln(&format!(
                    "Error: invalid -m argument {tuple:?}.  Required format: upsname[@hostname[:port]],logfile"
                ));
                return Prepared::Exit(1);
            }
        }
    }
    let mut monitors = Vec::new();
    for (monhost, logfn) in pairs {
        io.print(&format!(
            "logging status of {monhost} to {logfn} ({interval}s intervals)\n"
        ));
        let Some(target) = split_name(Some(&monhost), io.err) else {
            io.eprintln(
                "Error: invalid UPS definition.  Required format: upsname[@hostname[:port]]\n",
            );
            return Prepared::Exit(1);
        };
        monitors.push(Monitor {
            monhost,
            target,
            logfn,
        });
    }
    let to_stdout = monitors.iter().any(|m| m.logfn == "-");
    let pid_file = match pidbase.starts_with('/') {
        true => pidbase,
        false => format!("{}/{pidbase}.pid", daemon::root_pid_path().display()),
    };
    Prepared::Run(Upslog {
        monitors,
        interval,
        format: compile(&format),
        user,
        pid_file,
        foreground: foreground.unwrap_or(to_stdout),
    })
}

/// The whole `upslog` program with the command line `args` (program name first) and the
/// process's standard streams: [`prepare`], then syslog under the program's name, the
/// background unless in the foreground (before any thread exists, as C's `background()`),
/// and [`run`] on a single-threaded runtime. Returns the exit code.
pub fn main_with_args(args: &[String]) -> i32 {
    let prepared = super::with_process_stdio(|io| prepare(args, io));
    let config = match prepared {
        Prepared::Exit(code) => return code,
        Prepared::Run(config) => config,
    };
    syslog::open(&syslog::program_name("upslog"));
    if !config.foreground {
        if let Err(e) = daemon::background() {
            eprintln!("{e:#}");
            return 1;
        }
    }
    let runtime = daemon::current_thread_runtime();
    super::with_process_stdio(|io| runtime.block_on(run(config, io)))
}

/// Where one monitor's lines go.
enum Sink {
    Stdout,
    File(File),
}

fn open_log(logfn: &str) -> std::io::Result<Sink> {
    if logfn == "-" {
        return Ok(Sink::Stdout);
    }
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(logfn)
        .map(Sink::File)
}

struct Running {
    monitor: Monitor,
    sink: Sink,
    client: Option<Client>,
}

/// What wakes the main loop: C's signal flags.
#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    reopen: Option<i32>,
    exit: Option<i32>,
}

/// Makes one log line for `running` with `format`.
async fn render(format: &[Item], running: &mut Running) -> String {
    let mut line = String::new();
    for item in format {
        match item {
            Item::Literal(text) => line.push_str(text),
            Item::Host => {
                if let Ok(name) = nix::unistd::gethostname() {
                    line.push_str(&name.to_string_lossy());
                }
            }
            Item::UpsHost => line.push_str(&running.monitor.monhost),
            Item::Pid => line.push_str(&std::process::id().to_string()),
            Item::ETime => line.push_str(&epoch_now().to_string()),
            Item::Time(format) => {
                let format = format.as_deref().unwrap_or_default().replace('@', "%");
                line.push_str(&strftime(&format, &now_local()));
            }
            Item::Var(var) => {
                let Some(var) = var.as_deref().filter(|v| !v.is_empty() && v.contains('.')) else {
                    line.push_str("INVALID");
                    continue;
                };
                let value = match &running.client {
                    Some(client) => match client.get_var(&running.monitor.target.ups, var).await {
                        Ok(value) => Some(value.into_string()),
                        Err(e) => {
                            if e.is_transport() {
                                running.client = None;
                            }
                            None
                        }
                    },
                    None => None,
                };
                line.push_str(value.as_deref().unwrap_or("NA"));
            }
        }
    }
    line
}

/// A message C writes with `upslogx()`: to stderr, and to syslog once upslog is in the
/// background.
fn upslogx(io: &mut Stdio<'_>, severity: Severity, text: &str) {
    io.eprintln(text);
    syslog::message(severity, text);
}

/// Runs the logger until SIGINT, SIGQUIT or SIGTERM; returns the exit code. `io` is where
/// the messages go (stdout is also where `-` logs to).
pub async fn run(config: Upslog, io: &mut Stdio<'_>) -> i32 {
    use tokio::signal::unix::{signal, SignalKind};

    let mut running = Vec::new();
    for monitor in config.monitors {
        let client = match connect(&monitor.target, true).await {
            Ok(client) => {
                io.eprintln(NSS_INIT_NOTICE);
                Some(client)
            }
            Err(e) => {
                if connected_before(&e) {
                    io.eprintln(NSS_INIT_NOTICE);
                }
                io.eprintln(&format!(
                    "Warning: initial connect failed: {}",
                    c_strerror(&e)
                ));
                None
            }
        };
        let sink = match open_log(&monitor.logfn) {
            Ok(sink) => sink,
            Err(e) => {
                upslogx(
                    io,
                    Severity::Err,
                    &format!("could not open logfile {}: {}", monitor.logfn, strerror(&e)),
                );
                return 1;
            }
        };
        running.push(Running {
            monitor,
            sink,
            client,
        });
    }

    let signals = (
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::quit()),
        signal(SignalKind::terminate()),
        signal(SignalKind::user_defined1()),
    );
    let (Ok(mut hup), Ok(mut int), Ok(mut quit), Ok(mut term), Ok(mut usr1)) = signals else {
        upslogx(io, Severity::Err, "Can't install signal handlers");
        return 1;
    };

    if let Err(e) = std::fs::write(&config.pid_file, format!("{}\n", std::process::id())) {
        upslogx(
            io,
            Severity::Notice,
            &format!("writepid: fopen {}: {}", config.pid_file, strerror(&e)),
        );
    }
    if nix::unistd::geteuid().is_root() {
        if let Err(e) = daemon::drop_privileges(&config.user) {
            upslogx(io, Severity::Err, &format!("{e:#}"));
            return 1;
        }
    }

    let interval = config.interval;
    let mut flags = Flags::default();
    let mut next_poll: i64 = 0;
    while flags.exit.is_none() {
        let now = epoch_now() as i64;
        if next_poll > now {
            let pause = Duration::from_secs((next_poll - now) as u64);
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = hup.recv() => flags.reopen = Some(1),
                _ = int.recv() => flags.exit = Some(2),
                _ = quit.recv() => flags.exit = Some(3),
                _ = term.recv() => flags.exit = Some(15),
                _ = usr1.recv() => {}
            }
            next_poll += interval;
        } else {
            next_poll = now + interval;
        }
        if let Some(sig) = flags.reopen.take() {
            upslogx(
                io,
                Severity::Info,
                &format!("Signal {sig}: reopening log file"),
            );
            for r in &mut running {
                if matches!(r.sink, Sink::Stdout) {
                    upslogx(io, Severity::Info, "logging to stdout");
                    continue;
                }
                match open_log(&r.monitor.logfn) {
                    Ok(sink) => r.sink = sink,
                    Err(e) => {
                        let text = format!(
                            "could not reopen logfile {}: {}",
                            r.monitor.logfn,
                            strerror(&e)
                        );
                        upslogx(io, Severity::Err, &text);
                        return 1;
                    }
                }
            }
        }
        for r in &mut running {
            if r.client.is_none() {
                r.client = connect(&r.monitor.target, false).await.ok();
            }
            let line = render(&config.format, r).await;
            match &mut r.sink {
                Sink::Stdout => {
                    io.print(&format!("{line}\n"));
                    let _ = io.out.flush();
                }
                Sink::File(file) => {
                    let _ = writeln!(file, "{line}");
                    let _ = file.flush();
                }
            }
            if interval > 30 {
                r.client = None;
            }
        }
    }
    if let Some(sig) = flags.exit {
        upslogx(io, Severity::Info, &format!("Signal {sig}: exiting"));
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Item {
        Item::Literal(s.into())
    }

    #[test]
    fn compile_like_c() {
        assert_eq!(
            compile("a%%b %VAR ups.load% %upshost%%PIDX%%ETIME%"),
            [
                lit("a"),
                lit("%"),
                lit("b "),
                Item::Var(Some("ups.load".into())),
                lit(" "),
                Item::UpsHost,
                Item::Pid,
                Item::ETime,
            ]
        );
        // HOST is checked before UPSHOST, and matching is by prefix.
        assert_eq!(compile("%HOSTNAME%"), [Item::Host]);
        assert_eq!(compile("%FOO%"), [lit("INVALID")]);
        // No closing %: INVALID, then the rest literally.
        assert_eq!(
            compile("x %VAR a"),
            [lit("x "), lit("INVALID"), lit("VAR a")]
        );
        assert_eq!(compile("%TIME @H:@M%"), [Item::Time(Some("@H:@M".into()))]);
    }
}
