//! A simulated device behind a Unix socket, for transports that cannot link the simulator
//! themselves: the emulated libusb (`nut-usb-emu`, a shared object loaded into C drivers)
//! forwards the commands its USB-to-serial bridges receive to this server and sends the
//! answers back on the USB side.
//!
//! # Wire protocol
//!
//! A client sends requests and reads one response to each, in order, on one stream
//! connection:
//!
//! ```text
//! request:  u32 big-endian length N, then N bytes: one command as the device receives it
//!           on its serial side, terminator included (`Q1\r`)
//! response: u32 big-endian length M, then M bytes: the device's answer exactly as it
//!           sends it on its serial side (`(230.0 ... 00001001\r`); M = 0 when the device
//!           says nothing (a command it carried out, such as `Q\r`)
//! ```
//!
//! The command's terminator (`\r` for the Q1 family and Voltronic) is taken off before the
//! protocol answers it ([`Protocol::respond`]); the answer keeps its own terminator, as the
//! device sends it. A request longer than 64 KiB closes the connection. Any number of clients
//! may connect over time (a driver that restarts connects again); each connection is served
//! by a thread of its own, all on the same model.

use std::io::{self, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{Protocol, SharedModel};

/// The longest request a client may send.
pub const MAX_REQUEST: usize = 64 * 1024;

/// How often idle threads look at the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// A device model served on a Unix socket by a thread of its own. Stops, and removes the
/// socket file, when dropped.
#[derive(Debug)]
pub struct SocketServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SocketServer {
    /// Binds `path` (replacing a socket left there by an earlier run, but no other kind of
    /// file) and starts answering on it.
    pub fn spawn(model: SharedModel, protocol: Protocol, path: &Path) -> io::Result<Self> {
        Self::spawn_answering(Answerer::Model(model, protocol), path)
    }

    /// Binds `path` as [`spawn`](Self::spawn) does and answers each request with
    /// `responder`: the request's bytes in, the answer out (`None`: the device says
    /// nothing). For devices that are no [`Protocol`] of the model, such as a Modbus unit
    /// (its RTU frames, CRC included, both ways).
    pub fn spawn_responder(
        responder: impl FnMut(&[u8]) -> Option<Vec<u8>> + Send + 'static,
        path: &Path,
    ) -> io::Result<Self> {
        Self::spawn_answering(Answerer::Responder(Arc::new(Mutex::new(responder))), path)
    }

    fn spawn_answering(answerer: Answerer, path: &Path) -> io::Result<Self> {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
            std::fs::remove_file(path)?;
        }
        let listener = UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("nut-sim-socket".into())
            .spawn(move || accept(listener, answerer, &flag))?;
        Ok(Self {
            path: path.to_path_buf(),
            stop,
            thread: Some(thread),
        })
    }

    /// The socket's path, for clients to connect to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A caller's responder, shared by the connections.
type SharedResponder = Arc<Mutex<dyn FnMut(&[u8]) -> Option<Vec<u8>> + Send>>;

/// What answers the requests: the model through a protocol, or a responder of the caller's.
#[derive(Clone)]
enum Answerer {
    Model(SharedModel, Protocol),
    Responder(SharedResponder),
}

impl Answerer {
    fn answer(&self, request: &[u8]) -> Vec<u8> {
        match self {
            Self::Model(model, protocol) => answer(model, *protocol, request),
            Self::Responder(responder) => {
                let mut respond = responder.lock().unwrap_or_else(|e| e.into_inner());
                respond(request).unwrap_or_default()
            }
        }
    }
}

fn accept(listener: UnixListener, answerer: Answerer, stop: &Arc<AtomicBool>) {
    let mut clients: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        clients.retain(|c| !c.is_finished());
        // The listener does not block, so that the stop flag is seen even if the socket
        // file was taken away.
        let stream = match listener.accept() {
            Ok((s, _)) => s,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            Err(e) => {
                tracing::debug!(%e, "simulator socket: accept failed");
                std::thread::sleep(POLL);
                continue;
            }
        };
        let (answerer, flag) = (answerer.clone(), stop.clone());
        match std::thread::Builder::new()
            .name("nut-sim-client".into())
            .spawn(move || {
                if let Err(e) = serve(stream, &answerer, &flag) {
                    tracing::debug!(%e, "simulator socket: connection closed");
                }
            }) {
            Ok(handle) => clients.push(handle),
            Err(e) => tracing::warn!(%e, "simulator socket: no thread for a client"),
        }
    }
    for client in clients {
        let _ = client.join();
    }
}

/// The device's answer to one request: the command without its terminator, answered by the
/// protocol (empty when the device says nothing).
pub fn answer(model: &SharedModel, protocol: Protocol, request: &[u8]) -> Vec<u8> {
    if protocol.is_framed() {
        // A frame (or several) as the device receives it, answered in full.
        let (mut pending, mut out) = (request.to_vec(), Vec::new());
        protocol.feed(model, &mut pending, &mut out);
        return out;
    }
    let command = request
        .strip_suffix(&[protocol.terminator()])
        .filter(|_| !matches!(protocol, Protocol::Apc | Protocol::TrippLiteUsb))
        .unwrap_or(request);
    let mut m = model.lock().unwrap_or_else(|e| e.into_inner());
    protocol.respond(&mut m, command).unwrap_or_default()
}

/// Serves one connection until the client leaves, sends a bad request or the server stops.
fn serve(mut stream: UnixStream, answerer: &Answerer, stop: &AtomicBool) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut received: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // Answer every complete request received so far.
        while received.len() >= 4 {
            let len = u32::from_be_bytes([received[0], received[1], received[2], received[3]]);
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if len > MAX_REQUEST {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("request of {len} bytes (at most {MAX_REQUEST})"),
                ));
            }
            if received.len() < 4 + len {
                break;
            }
            let request: Vec<u8> = received.drain(..4 + len).skip(4).collect();
            let reply = answerer.answer(&request);
            let n = u32::try_from(reply.len()).unwrap_or(u32::MAX);
            let mut frame = Vec::with_capacity(4 + reply.len());
            frame.extend_from_slice(&n.to_be_bytes());
            frame.extend_from_slice(&reply);
            stream.write_all(&frame)?;
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::q1::Q1Dialect;
    use crate::sim::UpsModel;

    fn request(stream: &mut UnixStream, command: &[u8]) -> Vec<u8> {
        let n = u32::try_from(command.len()).unwrap_or(0);
        stream.write_all(&n.to_be_bytes()).unwrap();
        stream.write_all(command).unwrap();
        let mut len = [0u8; 4];
        stream.read_exact(&mut len).unwrap();
        let mut reply = vec![0u8; u32::from_be_bytes(len) as usize];
        stream.read_exact(&mut reply).unwrap();
        reply
    }

    #[test]
    fn answers_as_the_serial_device_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ups.sock");
        let model = UpsModel::shared();
        let server =
            SocketServer::spawn(model.clone(), Protocol::Q1(Q1Dialect::Megatec), &path).unwrap();
        assert_eq!(server.path(), path);
        let mut client = UnixStream::connect(&path).unwrap();
        let status = request(&mut client, b"Q1\r");
        assert_eq!(status, b"(230.0 230.0 230.0 014 50.0 26.0 30.0 00001001\r");
        assert_eq!(request(&mut client, b"F\r"), b"#230.0 008 024.0 50.0\r");
        // A command the unit carries out: nothing said, the model changed.
        assert_eq!(request(&mut client, b"Q\r"), b"");
        assert!(!model.lock().unwrap().beeper);
        assert_eq!(request(&mut client, b"QPI\r"), b"QPI\r");
        // A second client (a driver that restarted) while the first is still connected,
        // and the model's changes seen by both.
        let mut second = UnixStream::connect(&path).unwrap();
        model.lock().unwrap().mains_lost();
        assert_eq!(&request(&mut second, b"Q1\r")[38..46], b"10001000");
        assert_eq!(&request(&mut client, b"Q1\r")[38..46], b"10001000");
        // Two requests written at once are answered in order.
        let mut both = Vec::new();
        for c in [&b"F\r"[..], b"I\r"] {
            both.extend_from_slice(&u32::try_from(c.len()).unwrap().to_be_bytes());
            both.extend_from_slice(c);
        }
        second.write_all(&both).unwrap();
        let mut head = [0u8; 4];
        second.read_exact(&mut head).unwrap();
        let mut f = vec![0u8; u32::from_be_bytes(head) as usize];
        second.read_exact(&mut f).unwrap();
        assert!(f.starts_with(b"#230.0"));
        second.read_exact(&mut head).unwrap();
        let mut i = vec![0u8; u32::from_be_bytes(head) as usize];
        second.read_exact(&mut i).unwrap();
        assert!(i.starts_with(b"#NUT-RS"));
        // A request that is too long closes that connection only.
        second
            .write_all(&u32::try_from(MAX_REQUEST + 1).unwrap().to_be_bytes())
            .unwrap();
        let mut rest = Vec::new();
        assert_eq!(
            second.read_to_end(&mut rest).map(|_| rest.len()).ok(),
            Some(0)
        );
        assert!(request(&mut client, b"Q1\r").starts_with(b"(000.0"));
        drop(server);
        assert!(!path.exists());
        assert!(UnixStream::connect(&path).is_err());
    }

    #[test]
    fn serves_a_responder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sock");
        let mut count = 0u8;
        let server = SocketServer::spawn_responder(
            move |request: &[u8]| {
                count += 1;
                (request != b"quiet").then(|| [request, &[count]].concat())
            },
            &path,
        )
        .unwrap();
        let mut client = UnixStream::connect(&path).unwrap();
        assert_eq!(request(&mut client, b"\x01\x03"), b"\x01\x03\x01");
        assert_eq!(request(&mut client, b"quiet"), b"");
        // A second connection shares the responder's state.
        let mut second = UnixStream::connect(&path).unwrap();
        assert_eq!(request(&mut second, b"x"), b"x\x03");
        drop(server);
        assert!(!path.exists());
    }

    #[test]
    fn replaces_a_stale_socket_but_no_other_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stale.sock");
        let stale = UnixListener::bind(&path).unwrap();
        drop(stale);
        let model = UpsModel::shared();
        let server = SocketServer::spawn(model.clone(), Protocol::Voltronic, &path).unwrap();
        let mut client = UnixStream::connect(&path).unwrap();
        assert!(request(&mut client, b"QPI\r").starts_with(b"(PI"));
        // Stops even when its socket file was taken away.
        std::fs::remove_file(&path).unwrap();
        drop(server);
        let file = dir.path().join("plain");
        std::fs::write(&file, b"keep").unwrap();
        assert!(SocketServer::spawn(model, Protocol::Apc, &file).is_err());
        assert_eq!(std::fs::read(&file).unwrap(), b"keep");
    }
}
