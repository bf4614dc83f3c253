//! A simulated device on a pseudo-terminal: drivers open the terminal's path as they would
//! open `/dev/ttyS0`, and the device model answers on the other side.
//!
//! The server keeps its own handle on the terminal side open, so drivers may come and go
//! (C drivers re-open the port) without the device seeing a hang-up.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};

use super::{Protocol, SharedModel};

/// A device model served on a pseudo-terminal by a thread of its own. Stops when dropped.
#[derive(Debug)]
pub struct PtyServer {
    path: PathBuf,
    link: Option<PathBuf>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    slave: File,
}

fn errno(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

impl PtyServer {
    /// Opens a pseudo-terminal and starts answering on it. With `link`, a symbolic link of
    /// that name points at the terminal (replacing any file there), so the port name can be
    /// chosen.
    pub fn spawn(model: SharedModel, protocol: Protocol, link: Option<&Path>) -> io::Result<Self> {
        let pty = nix::pty::openpty(None, None).map_err(errno)?;
        let mut tio = tcgetattr(&pty.slave).map_err(errno)?;
        cfmakeraw(&mut tio);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &tio).map_err(errno)?;
        let path = nix::unistd::ttyname(&pty.slave).map_err(errno)?;
        if let Some(l) = link {
            let _ = std::fs::remove_file(l);
            std::os::unix::fs::symlink(&path, l)?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let master = File::from(pty.master);
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("nut-sim-pty".into())
            .spawn(move || serve(master, model, protocol, &flag))?;
        Ok(Self {
            path,
            link: link.map(Path::to_path_buf),
            stop,
            thread: Some(thread),
            slave: File::from(pty.slave),
        })
    }

    /// The port drivers open: the link when one was asked for, else the terminal.
    pub fn path(&self) -> &Path {
        self.link.as_deref().unwrap_or(&self.path)
    }

    /// The terminal device itself (`/dev/pts/N`).
    pub fn tty(&self) -> &Path {
        &self.path
    }
}

impl Drop for PtyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the reader up: what is written on the terminal side arrives at the master.
        let _ = self.slave.write_all(b"\r");
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(l) = &self.link {
            let _ = std::fs::remove_file(l);
        }
    }
}

/// Whether the master has bytes to read within `ms` milliseconds.
fn readable(master: &File, ms: u16) -> io::Result<bool> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, PollTimeout::from(ms)) {
        Ok(n) => Ok(n > 0),
        Err(nix::Error::EINTR) => Ok(false),
        Err(e) => Err(errno(e)),
    }
}

fn serve(mut master: File, model: SharedModel, protocol: Protocol, stop: &AtomicBool) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 256];
    while !stop.load(Ordering::SeqCst) {
        // Between commands, the device may speak on its own (APC alerts).
        match readable(&master, 50) {
            Ok(true) => {}
            Ok(false) => {
                let mut out = Vec::new();
                protocol.unsolicited(&model, &mut pending, &mut out);
                if !out.is_empty() && master.write_all(&out).is_err() {
                    return;
                }
                continue;
            }
            Err(e) => {
                tracing::debug!(%e, "simulator: poll failed");
                return;
            }
        }
        let n = match master.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::debug!(%e, "simulator: terminal closed");
                return;
            }
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        pending.extend_from_slice(&buf[..n]);
        let mut out = Vec::new();
        protocol.feed(&model, &mut pending, &mut out);
        if let Err(e) = master.write_all(&out) {
            tracing::warn!(%e, "simulator: write failed");
            return;
        }
    }
}
