//! upsdrvctl: starts, stops and supervises the drivers of ups.conf (C NUT's command line).
//! Without a `driverpath` in ups.conf, drivers are taken from this program's own directory
//! when they are there, else from C NUT's `/lib/nut`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{ArgAction, Parser};
use nut_drivers::upsdrvctl::{banner, help, Invocation, Log, Settings, DEFAULT_DRIVER_PATH};
use nut_examples::daemon::{alt_pid_path, init_logging, PidFile};

/// Command line, with C upsdrvctl's short options (getopt "+htu:r:DdV").
#[derive(Parser, Debug)]
#[command(disable_help_flag = true, disable_version_flag = true)]
struct Args {
    /// Show the usage.
    #[arg(short = 'h', long = "help")]
    help: bool,
    /// Show the version.
    #[arg(short = 'V', long = "version")]
    version: bool,
    /// Test mode: print what would be run.
    #[arg(short = 't')]
    test: bool,
    /// User the drivers switch to.
    #[arg(short = 'u', value_name = "user")]
    user: Option<String>,
    /// Directory the drivers chroot into.
    #[arg(short = 'r', value_name = "path")]
    chroot: Option<String>,
    /// Raise the debug level.
    #[arg(short = 'D', action = ArgAction::Count)]
    debug: u8,
    /// Pass the debug level on to the drivers.
    #[arg(short = 'd')]
    pass_debug: bool,
    /// start | stop | shutdown | supervise, then an optional UPS name.
    #[arg(trailing_var_arg = true)]
    rest: Vec<String>,
}

fn progname() -> String {
    std::env::args()
        .next()
        .unwrap_or_else(|| "upsdrvctl".into())
}

/// getopt's wording for a bad option (`upsdrvctl: invalid option -- 'x'`), else clap's.
fn complaint(err: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let prog = progname();
    match (err.kind(), err.get(ContextKind::InvalidArg)) {
        (ErrorKind::UnknownArgument, Some(ContextValue::String(arg))) => {
            match arg.strip_prefix('-').filter(|s| s.chars().count() == 1) {
                Some(letter) => format!("{prog}: invalid option -- '{letter}'"),
                None => format!("{prog}: unrecognized option '{arg}'"),
            }
        }
        (ErrorKind::InvalidValue | ErrorKind::NoEquals, Some(ContextValue::String(arg))) => {
            let letter = arg.trim_start_matches('-').chars().next().unwrap_or('?');
            format!("{prog}: option requires an argument -- '{letter}'")
        }
        _ => err
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Where drivers are looked for when ups.conf names no `driverpath`: beside this program
/// first (a `cargo install --root X` puts upsdrvctl and the drivers in `X/bin`), then in C
/// NUT's driver directory.
fn driver_paths() -> Vec<PathBuf> {
    let own = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    own.into_iter()
        .chain([PathBuf::from(DEFAULT_DRIVER_PATH)])
        .collect()
}

#[tokio::main]
pub(crate) async fn main() {
    println!("{}", banner());
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            // C prints getopt's complaint and its usage, and exits 0.
            eprintln!("{}", complaint(&err));
            print!("{}", help(&progname()));
            std::process::exit(0);
        }
    };
    if args.version {
        return;
    }
    let Some(command) = args.rest.first().filter(|_| !args.help) else {
        print!("{}", help(&progname()));
        return;
    };
    let _ = std::io::stdout().flush();
    init_logging(args.debug);
    let mut settings = Settings::new(alt_pid_path());
    settings.default_driver_paths = driver_paths();
    settings.test_mode = args.test;
    settings.user = args.user.clone();
    settings.chroot = args.chroot.clone();
    settings.debug = u32::from(args.debug);
    settings.debug_passthrough = args.pass_debug;
    let mut inv = Invocation::new(settings, command.clone(), Invocation::conf_dir_from_env());
    inv.ups = args.rest.get(1).cloned();
    // A supervisor keeps a PID file so that it can be found and stopped.
    let pid_file = (command == "supervise" && !args.test)
        .then(|| PidFile::create(alt_pid_path().join("upsdrvctl.pid")).ok())
        .flatten();
    let log = Log::stderr(u32::from(args.debug));
    let code = inv.execute(&mut std::io::stdout(), &log).await;
    drop(pid_file);
    std::process::exit(code);
}
