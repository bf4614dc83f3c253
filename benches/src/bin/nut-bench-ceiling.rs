//! `nut-bench-ceiling`: the cheapest server this machine can run, for calibrating the load
//! comparison.
//!
//! It answers every line it receives with one fixed `VAR` line, from a bare epoll loop per
//! thread (or, with `--wait poll`, a poll(2) loop as C upsd's): no protocol parsing, no
//! allocation, no async runtime, one `read` and one `write` per request, like C upsd's inner
//! loop minus everything upsd does with the request. Its
//! GET VAR throughput under `nut-load --mode get-var` is the most that any upsd could reach
//! on the same machine with the same load generator, so it tells whether a throughput target
//! can be shown on that machine at all.
//!
//! ```text
//! nut-bench-ceiling --listen 127.0.0.1:34930 --threads 1 &
//! nut-load --addr 127.0.0.1:34930 --ups dummy --var ups.status --server-pid $!
//! ```

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use clap::Parser;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

/// A fixed-reply server: the ceiling of GET VAR throughput on this machine.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:34930")]
    listen: SocketAddr,
    /// Threads, each with its own epoll set (connections are dealt out in turn).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// The UPS named in the reply.
    #[arg(long, default_value = "dummy")]
    ups: String,
    /// The variable named in the reply.
    #[arg(long, default_value = "ups.status")]
    var: String,
    /// The value in the reply.
    #[arg(long, default_value = "OL")]
    value: String,
    /// Poll without sleeping for this many microseconds after the last event before
    /// blocking in epoll_wait (0: always block; epoll only).
    #[arg(long, default_value_t = 0)]
    spin_us: u64,
    /// How each thread waits for its connections.
    #[arg(long, value_enum, default_value_t = Wait::Epoll)]
    wait: Wait,
}

/// How a thread waits for requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Wait {
    /// epoll, level-triggered, each connection registered once (as tokio's reactor, but
    /// level-triggered).
    Epoll,
    /// poll(2) over every connection on every call (as C upsd and our upsd's poll thread).
    Poll,
}

/// Reads what `stream` sent and writes `reply` once per line in it. `false` when the
/// connection ended.
fn answer(stream: &mut TcpStream, buf: &mut [u8], reply: &[u8]) -> bool {
    loop {
        match stream.read(buf) {
            Ok(0) => return false,
            Ok(got) => {
                let lines = buf[..got].iter().filter(|&&b| b == b'\n').count();
                for _ in 0..lines {
                    if stream.write_all(reply).is_err() {
                        return false;
                    }
                }
                if got < buf.len() {
                    return true;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
}

/// A poll(2) thread's connections still to take, and the pipe that wakes it for them.
struct PollSet {
    pending: std::sync::Mutex<Vec<TcpStream>>,
    wake: UnixStream,
}

/// Serves the connections handed to `set` until the process ends, waiting in poll(2).
fn serve_poll(set: &PollSet, woken: &UnixStream, reply: &[u8]) {
    let mut buf = [0u8; 512];
    let mut streams: Vec<TcpStream> = Vec::new();
    let mut ready: Vec<PollFlags> = Vec::new();
    loop {
        {
            let mut fds = Vec::with_capacity(streams.len() + 1);
            fds.push(PollFd::new(woken.as_fd(), PollFlags::POLLIN));
            fds.extend(
                streams
                    .iter()
                    .map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN)),
            );
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => panic!("poll: {e}"),
            }
            ready.clear();
            ready.extend(
                fds.iter()
                    .map(|f| f.revents().unwrap_or(PollFlags::empty())),
            );
        }
        let polled = streams.len();
        if !ready[0].is_empty() {
            let _ = (&*woken).read(&mut buf);
            streams.append(&mut set.pending.lock().expect("lock"));
        }
        for i in (0..polled).rev() {
            if !ready[i + 1].is_empty() && !answer(&mut streams[i], &mut buf, reply) {
                streams.swap_remove(i);
            }
        }
    }
}

/// Serves the connections registered on `epoll` until the process ends.
fn serve(
    epoll: &Epoll,
    reply: &[u8],
    conns: &std::sync::Mutex<HashMap<u64, TcpStream>>,
    spin: std::time::Duration,
) {
    let mut last = std::time::Instant::now();
    let mut events = vec![EpollEvent::empty(); 256];
    let mut buf = [0u8; 512];
    let mut local: HashMap<u64, TcpStream> = HashMap::new();
    loop {
        let timeout = if last.elapsed() < spin {
            EpollTimeout::ZERO
        } else {
            EpollTimeout::NONE
        };
        let n = match epoll.wait(&mut events, timeout) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => panic!("epoll_wait: {e}"),
        };
        if n > 0 {
            last = std::time::Instant::now();
        }
        for ev in &events[..n] {
            let key = ev.data();
            let stream = match local.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let Some(s) = conns.lock().expect("lock").remove(&key) else {
                        continue;
                    };
                    e.insert(s)
                }
            };
            let close = !answer(stream, &mut buf, reply);
            if close {
                if let Some(s) = local.remove(&key) {
                    let _ = epoll.delete(s.as_fd());
                }
            }
        }
    }
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let reply: Arc<[u8]> = format!("VAR {} {} \"{}\"\n", args.ups, args.var, args.value)
        .into_bytes()
        .into();
    let listener = TcpListener::bind(args.listen)?;
    eprintln!("listening on {}", listener.local_addr()?);
    if args.wait == Wait::Poll {
        return serve_with_poll(&listener, &args, &reply);
    }
    let pending = Arc::new(std::sync::Mutex::new(HashMap::new()));
    let mut sets = Vec::new();
    for _ in 0..args.threads.max(1) {
        let epoll = Arc::new(Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(io::Error::from)?);
        let (e, r, p) = (Arc::clone(&epoll), Arc::clone(&reply), Arc::clone(&pending));
        let spin = std::time::Duration::from_micros(args.spin_us);
        std::thread::spawn(move || serve(&e, &r, &p, spin));
        sets.push(epoll);
    }
    let mut next = 0u64;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        stream.set_nonblocking(true)?;
        next += 1;
        let key = next;
        let set = &sets[(key as usize) % sets.len()];
        // Level-triggered: if the thread wakes before the stream is in `pending`, it skips
        // the event and epoll reports it again.
        set.add(stream.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, key))
            .map_err(io::Error::from)?;
        pending.lock().expect("lock").insert(key, stream);
    }
    Ok(())
}

/// Accepts connections and deals them out to poll(2) threads.
fn serve_with_poll(listener: &TcpListener, args: &Args, reply: &Arc<[u8]>) -> io::Result<()> {
    let mut sets = Vec::new();
    for _ in 0..args.threads.max(1) {
        let (wake, woken) = UnixStream::pair()?;
        let set = Arc::new(PollSet {
            pending: std::sync::Mutex::new(Vec::new()),
            wake,
        });
        let (s, r) = (Arc::clone(&set), Arc::clone(reply));
        std::thread::spawn(move || serve_poll(&s, &woken, &r));
        sets.push(set);
    }
    for (n, stream) in listener.incoming().enumerate() {
        let Ok(stream) = stream else { continue };
        stream.set_nonblocking(true)?;
        let set = &sets[n % sets.len()];
        set.pending.lock().expect("lock").push(stream);
        (&set.wake).write_all(&[1])?;
    }
    Ok(())
}
