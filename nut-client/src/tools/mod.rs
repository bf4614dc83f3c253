//! The client tools of C NUT 2.8.0 (`upsc`, `upscmd`, `upsrw`, `upslog`) as library entry
//! points (feature `tools`): the same output, messages and exit codes, byte for byte.
//!
//! Each tool's `run` takes the command line (program name first) and the standard streams as
//! a [`Stdio`], and returns the exit code, so that an application can embed a tool and
//! capture what it prints, and a test can run it in-process. A program is one line:
//!
//! ```no_run
//! // The whole `main` of a `upsc` (it exits with the tool's code).
//! nut_client::tools::main_with(|args, io| Box::pin(nut_client::tools::upsc::run(args, io)));
//! ```
//!
//! or, with other streams (here the output is captured, nothing read):
//!
//! ```no_run
//! # async fn demo() {
//! use nut_client::tools::{upsc, Stdio};
//! let args: Vec<String> = ["upsc", "-l", "localhost"].map(String::from).to_vec();
//! let (mut input, mut out, mut err) = (std::io::empty(), Vec::new(), Vec::new());
//! let mut io = Stdio { input: &mut input, out: &mut out, err: &mut err };
//! let code = upsc::run(&args, &mut io).await;
//! println!("exit {code}: {}", String::from_utf8_lossy(&out));
//! # }
//! ```
//!
//! `upslog` is a daemon: [`upslog::main_with_args`] is its whole program (the command line,
//! going to the background, syslog, PID file, privilege drop, signals); [`upslog::prepare`]
//! and [`upslog::run`] are its two halves, for an application that stays in the foreground.

pub mod auth;
pub mod common;
pub mod upsc;
pub mod upscmd;
pub mod upslog;
pub mod upsrw;

pub use self::common::{with_process_stdio, Stdio};

/// Runs an async tool on a single-threaded runtime with the process's standard streams and
/// the process's command line, and exits with its code: a tool's whole `main`.
pub fn main_with<F>(tool: F) -> !
where
    F: for<'a, 'b> FnOnce(
        &'a [String],
        &'a mut Stdio<'b>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = i32> + 'a>>,
{
    let args: Vec<String> = std::env::args().collect();
    let runtime = nut_driver_api::process::daemon::current_thread_runtime();
    let code = with_process_stdio(|io| runtime.block_on(tool(&args, io)));
    std::process::exit(code)
}
