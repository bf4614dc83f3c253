//! The client tools (upsc, upscmd, upsrw, upslog): what each prints and how it exits.
//!
//! Each tool's `run` takes the command line (program name first) and the standard streams
//! as [`common::Stdio`], so that tests can run it in-process and capture what it prints;
//! the binaries in `src/bin` only build a runtime and call it.

pub mod auth;
pub mod common;
pub mod upsc;
pub mod upscmd;
pub mod upslog;
pub mod upsrw;

/// glibc's `strftime` in local time (in nut-client, where the CGI programs use it too; jiff underneath).
pub use nut_client::strftime;

/// Runs an async tool on a single-threaded runtime with the process's standard streams
/// and exits with its code. What the binaries' `main` does.
pub fn main_with<F>(tool: F) -> !
where
    F: for<'a, 'b> FnOnce(
        &'a [String],
        &'a mut common::Stdio<'b>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = i32> + 'a>>,
{
    let args: Vec<String> = std::env::args().collect();
    let runtime = crate::daemon::current_thread_runtime();
    let code = common::with_process_stdio(|io| runtime.block_on(tool(&args, io)));
    std::process::exit(code)
}
