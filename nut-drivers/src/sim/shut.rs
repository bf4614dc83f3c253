//! A simulated SHUT unit: the device side of MGE's serial HID framing, answering the
//! control requests it carries with any [`ControlDevice`] (the `nut-sim` program puts the
//! USB emulator's device files behind it), served on a pseudo-terminal by [`ShutPtyServer`].
//!
//! ```
//! use nut_drivers::shut::frame::{self, Setup};
//! use nut_drivers::sim::shut::{ControlDevice, ShutEngine};
//!
//! struct Fixed;
//! impl ControlDevice for Fixed {
//!     fn control(&mut self, setup: &Setup, _data: &[u8]) -> Option<Vec<u8>> {
//!         setup.is_in().then(|| vec![0x0c, 0x64])
//!     }
//! }
//! let mut engine = ShutEngine::new(Fixed);
//! let mut out = Vec::new();
//! engine.feed(&[frame::SYNC_OFF], &mut out);
//! assert_eq!(out, [frame::SYNC_OFF]);
//! let setup = Setup { request_type: 0xa1, request: 1, value: 0x030c, index: 0, length: 2 };
//! out.clear();
//! engine.feed(&frame::request_frames(&setup, &[])[0], &mut out);
//! assert_eq!(out, [frame::ACK, 0x84, 0x22, 0x0c, 0x64, 0x0c ^ 0x64]);
//! ```

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};

use crate::shut::frame::{self, FrameError, Parsed, Setup};

/// What answers the control requests of a simulated SHUT unit.
pub trait ControlDevice: Send {
    /// Answers one request: the answer's bytes for a device-to-host request, anything
    /// (ignored) for a host-to-device one that `data` carried; `None` when the device
    /// refuses it (answered with an empty response).
    fn control(&mut self, setup: &Setup, data: &[u8]) -> Option<Vec<u8>>;

    /// Called between requests (several times a second), for timed changes.
    fn tick(&mut self) {}

    /// Whether the unit is there: a unit that is not (its cable pulled) answers nothing,
    /// not even the sync bytes.
    fn present(&mut self) -> bool {
        true
    }
}

/// The device side of the framing: bytes from the host in, bytes to the host out.
#[derive(Debug)]
pub struct ShutEngine<D> {
    device: D,
    pending: Vec<u8>,
    setup: Option<Setup>,
    data: Vec<u8>,
    /// Response packets not yet acknowledged; the first is on the line.
    sending: VecDeque<Vec<u8>>,
}

impl<D: ControlDevice> ShutEngine<D> {
    /// An engine in front of `device`.
    pub fn new(device: D) -> Self {
        Self {
            device,
            pending: Vec::new(),
            setup: None,
            data: Vec::new(),
            sending: VecDeque::new(),
        }
    }

    /// The device.
    pub fn device(&mut self) -> &mut D {
        &mut self.device
    }

    /// Takes bytes from the host; appends the answer to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if !self.device.present() {
            self.pending.clear();
            self.sending.clear();
            self.setup = None;
            return;
        }
        self.pending.extend_from_slice(bytes);
        loop {
            match frame::parse(&self.pending) {
                Ok(Parsed::Incomplete) => return,
                Ok(Parsed::Token(t)) => {
                    self.pending.remove(0);
                    self.token(t, out);
                }
                Ok(Parsed::Packet(p, used)) => {
                    self.pending.drain(..used);
                    out.push(frame::ACK);
                    if p.kind != frame::KIND_REQUEST {
                        continue;
                    }
                    match self.setup {
                        None => {
                            self.setup = Setup::from_bytes(&p.data);
                            self.data.clear();
                        }
                        Some(_) => self.data.extend_from_slice(&p.data),
                    }
                    if p.last {
                        if let Some(setup) = self.setup.take() {
                            self.execute(&setup, out);
                        }
                    }
                }
                Err(e) => {
                    tracing::debug!("simulator: {e}");
                    let used = match e {
                        FrameError::Checksum { used, .. } => used,
                        _ => 2,
                    };
                    self.pending.drain(..used.min(self.pending.len()));
                    out.push(frame::NAK);
                }
            }
        }
    }

    fn token(&mut self, t: u8, out: &mut Vec<u8>) {
        match t {
            frame::SYNC | frame::SYNC_LIGHT | frame::SYNC_OFF => {
                self.sending.clear();
                self.setup = None;
                out.push(t);
            }
            frame::ACK => {
                self.sending.pop_front();
                if let Some(next) = self.sending.front() {
                    out.extend_from_slice(next);
                }
            }
            frame::NAK => {
                if let Some(again) = self.sending.front() {
                    out.extend_from_slice(again);
                }
            }
            _ => {}
        }
    }

    fn execute(&mut self, setup: &Setup, out: &mut Vec<u8>) {
        self.device.tick();
        let len = usize::from(setup.length);
        if setup.is_in() {
            let mut answer = self.device.control(setup, &[]).unwrap_or_default();
            answer.truncate(len);
            self.sending = frame::response_frames(&answer).into();
            if let Some(first) = self.sending.front() {
                out.extend_from_slice(first);
            }
        } else {
            let data = &self.data[..self.data.len().min(len)];
            let _ = self.device.control(setup, data);
        }
    }
}

fn errno(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// A simulated SHUT unit on a pseudo-terminal, served by a thread of its own. Stops when
/// dropped.
#[derive(Debug)]
pub struct ShutPtyServer {
    path: PathBuf,
    link: Option<PathBuf>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    slave: File,
}

impl ShutPtyServer {
    /// Opens a pseudo-terminal and answers on it with `device`. With `link`, a symbolic
    /// link of that name points at the terminal.
    pub fn spawn<D: ControlDevice + 'static>(device: D, link: Option<&Path>) -> io::Result<Self> {
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
            .name("nut-sim-shut".into())
            .spawn(move || serve(master, ShutEngine::new(device), &flag))?;
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
}

impl Drop for ShutPtyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.slave.write_all(&[frame::ACK]);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(l) = &self.link {
            let _ = std::fs::remove_file(l);
        }
    }
}

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

fn serve<D: ControlDevice>(mut master: File, mut engine: ShutEngine<D>, stop: &AtomicBool) {
    let mut buf = [0u8; 256];
    while !stop.load(Ordering::SeqCst) {
        match readable(&master, 50) {
            Ok(true) => {}
            Ok(false) => {
                engine.device().tick();
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
            Err(e) if e.raw_os_error() == Some(nix::libc::EIO) => {
                // No one has the terminal open (a driver between two runs): wait.
                std::thread::sleep(std::time::Duration::from_millis(50));
                continue;
            }
            Err(e) => {
                tracing::debug!(%e, "simulator: terminal closed");
                return;
            }
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let mut out = Vec::new();
        engine.feed(&buf[..n], &mut out);
        if let Err(e) = master.write_all(&out) {
            tracing::warn!(%e, "simulator: write failed");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder(Vec<(Setup, Vec<u8>)>);

    impl ControlDevice for Recorder {
        fn control(&mut self, setup: &Setup, data: &[u8]) -> Option<Vec<u8>> {
            self.0.push((*setup, data.to_vec()));
            setup.is_in().then(|| (0..20).collect())
        }
    }

    #[test]
    fn multi_packet_answer_and_set() {
        let mut e = ShutEngine::new(Recorder(Vec::new()));
        let mut out = Vec::new();
        let get = Setup {
            request_type: 0x81,
            request: 6,
            value: 0x2200,
            index: 0,
            length: 20,
        };
        e.feed(&frame::request_frames(&get, &[])[0], &mut out);
        assert_eq!(out[0], frame::ACK);
        assert_eq!(out[1..3], [0x04, 0x88]);
        out.clear();
        e.feed(&[frame::NAK], &mut out);
        assert_eq!(out[..2], [0x04, 0x88]);
        out.clear();
        e.feed(&[frame::ACK], &mut out);
        assert_eq!(out[2], 8);
        out.clear();
        e.feed(&[frame::ACK], &mut out);
        assert_eq!(out[..2], [0x84, 0x44]);
        out.clear();
        e.feed(&[frame::ACK], &mut out);
        assert!(out.is_empty());
        let set = Setup {
            request_type: 0x21,
            request: 9,
            value: 0x0310,
            index: 0,
            length: 3,
        };
        for f in frame::request_frames(&set, &[0x10, 1, 2]) {
            e.feed(&f, &mut out);
        }
        assert_eq!(out, [frame::ACK, frame::ACK]);
        assert_eq!(e.device().0.last(), Some(&(set, vec![0x10, 1, 2])));
        out.clear();
        e.feed(&[0x81, 0x22, 1, 2, 0], &mut out);
        assert_eq!(out, [frame::NAK]);
    }
}
