//! What the CGI binaries (`upsstats.cgi`, `upsimage.cgi`, `upsset.cgi`) share: read the
//! CGI environment, run the program of `nut_client::cgi`, print its output and exit.

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nut_client::cgi::{Output, Request};

/// How long to wait for a request body to start (C's upsset waits 250 ms).
const BODY_WAIT: Duration = Duration::from_millis(250);

/// Standard input, if anything (or its end) arrives on it within [`BODY_WAIT`].
fn read_body() -> Vec<u8> {
    let stdin = std::io::stdin();
    let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
    let timeout = PollTimeout::try_from(BODY_WAIT).unwrap_or(PollTimeout::ZERO);
    let mut body = Vec::new();
    if matches!(poll(&mut fds, timeout), Ok(n) if n > 0) {
        let _ = stdin.lock().read_to_end(&mut body);
    }
    body
}

/// Runs a CGI program: `with_body` says whether it reads a POSTed form from stdin.
pub fn main<F>(program: F, with_body: bool) -> !
where
    F: for<'a> FnOnce(
        &'a Request,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Output> + 'a>>,
{
    let body = if with_body { read_body() } else { Vec::new() };
    let request = Request::new(
        std::env::var("QUERY_STRING").ok(),
        body,
        Request::default_confpath(),
    );
    let runtime = crate::daemon::current_thread_runtime();
    let output = runtime.block_on(program(&request));
    let _ = std::io::stdout().write_all(&output.stdout);
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(&output.stderr);
    std::process::exit(output.code)
}
