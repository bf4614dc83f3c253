//! `upslog`: drop-in for C NUT's upslog (the logic is in `nut_examples::tools::upslog`).

use nut_examples::daemon::background;
use nut_examples::syslog;
use nut_examples::tools::common::with_process_stdio;
use nut_examples::tools::upslog::{prepare, run, Prepared};

pub(crate) fn main() {
    let args: Vec<String> = std::env::args().collect();
    let config = match with_process_stdio(|io| match prepare(&args, io) {
        Prepared::Exit(code) => Err(code),
        Prepared::Run(config) => Ok(config),
    }) {
        Ok(config) => config,
        Err(code) => std::process::exit(code),
    };
    // Leave the terminal before any thread exists: C's background(), after which messages
    // go to syslog.
    syslog::open(&syslog::program_name("upslog"));
    if !config.foreground {
        if let Err(e) = background() {
            eprintln!("{e:#}");
            std::process::exit(1);
        }
    }
    let runtime = nut_examples::daemon::current_thread_runtime();
    let code = with_process_stdio(|io| runtime.block_on(run(config, io)));
    std::process::exit(code)
}
