//! The web side of the web load: HTTP/1.1 clients over plain tokio TCP, lean enough to leave
//! the CPU to the server. Pollers send `GET /api/v1/devices` on a keep-alive connection, each
//! waiting for the whole answer (`Content-Length` body) before the next; subscribers hold
//! `GET /api/v1/events` open and count the Server-Sent Events they read.
//!
//! The load runs on a thread of its own with a current-thread runtime, so that its CPU time
//! is that thread's, apart from the GET VAR load generator's.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{timeout, Instant};

use crate::load::{thread_cpu_time, Latencies, LatencySummary, LoadError, Outcomes};

/// How long connecting and the first answer of a connection may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a poll may take before it counts as lost.
const POLL_TIMEOUT: Duration = Duration::from_secs(10);

/// The sizes of the web load.
#[derive(Debug, Clone, Copy)]
pub struct HttpLoad {
    /// Connections polling `/api/v1/devices` back to back.
    pub pollers: usize,
    /// Connections holding `/api/v1/events` open.
    pub subscribers: usize,
}

impl Default for HttpLoad {
    fn default() -> Self {
        Self {
            pollers: 50,
            subscribers: 500,
        }
    }
}

/// What the web load measured over its window.
#[derive(Debug, Clone)]
pub struct HttpReport {
    /// Polls answered within the window.
    pub polls: u64,
    /// Length of the window.
    pub window: Duration,
    /// Latency of those polls.
    pub latency: LatencySummary,
    /// Pollers stopped by an error, by kind.
    pub poll_errors: Outcomes,
    /// The first error of a poller or subscriber, in full.
    pub first_error: Option<String>,
    /// Events (`variable` and `status`) each subscriber read within the window, ascending.
    pub events: Vec<u64>,
    /// Subscribers told they fell behind (a `lagged` event).
    pub lagged: usize,
    /// Events those subscribers missed, in all (the numbers of the `lagged` events).
    pub missed: u64,
    /// Subscribers whose stream ended or failed before the end, by kind.
    pub dropped: Outcomes,
    /// CPU time of the web load's thread within the window.
    pub cpu: Option<Duration>,
}

impl HttpReport {
    /// Polls per second.
    pub fn rate(&self) -> f64 {
        self.polls as f64 / self.window.as_secs_f64()
    }

    /// Total events delivered to all subscribers per second.
    pub fn events_rate(&self) -> f64 {
        self.events.iter().sum::<u64>() as f64 / self.window.as_secs_f64()
    }
}

/// Where the web load is: warming up, measuring, or told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Warmup,
    Measure,
    Stop,
}

/// A running web load; [`measure`](Self::measure) opens its window,
/// [`finish`](Self::finish) closes it and returns the figures.
#[derive(Debug)]
pub struct RunningHttpLoad {
    phase: watch::Sender<Phase>,
    thread: Option<thread::JoinHandle<Result<HttpReport, LoadError>>>,
}

impl RunningHttpLoad {
    /// Connects every subscriber and poller to the HTTP service at `addr` (each checked
    /// with one answer) and starts the load; returns once all are connected.
    pub fn start(addr: SocketAddr, cfg: HttpLoad) -> Result<Self, LoadError> {
        let (phase, rx) = watch::channel(Phase::Warmup);
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("web-load".to_owned())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(run(addr, cfg, rx, ready_tx))
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                phase,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                _ => LoadError::Unexpected("the web load thread ended".to_owned()),
            }),
        }
    }

    /// Starts counting.
    pub fn measure(&self) {
        self.phase.send_replace(Phase::Measure);
    }

    /// Stops the load and returns what it measured since [`measure`](Self::measure).
    pub fn finish(mut self) -> Result<HttpReport, LoadError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<HttpReport, LoadError> {
        self.phase.send_replace(Phase::Stop);
        match self.thread.take().map(thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(LoadError::Unexpected(
                "the web load thread panicked".to_owned(),
            )),
        }
    }
}

impl Drop for RunningHttpLoad {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.stop();
        }
    }
}

/// What one client task ended with.
enum ClientEnd {
    Poller {
        latencies: Latencies,
        error: Option<LoadError>,
    },
    Subscriber {
        events: u64,
        missed: Option<u64>,
        error: Option<LoadError>,
    },
}

async fn run(
    addr: SocketAddr,
    cfg: HttpLoad,
    phase: watch::Receiver<Phase>,
    ready: mpsc::Sender<Result<(), LoadError>>,
) -> Result<HttpReport, LoadError> {
    let setup = async {
        let mut opening = JoinSet::new();
        for _ in 0..cfg.subscribers {
            opening.spawn(async move {
                let mut conn = HttpConn::connect(addr).await?;
                conn.open_events().await?;
                Ok::<_, LoadError>(conn)
            });
        }
        let mut subscribers = Vec::with_capacity(cfg.subscribers);
        while let Some(joined) = opening.join_next().await {
            subscribers.push(joined.expect("connect task panicked")?);
        }
        let mut pollers = Vec::with_capacity(cfg.pollers);
        for _ in 0..cfg.pollers {
            let mut conn = HttpConn::connect(addr).await?;
            conn.poll().await?;
            pollers.push(conn);
        }
        Ok::<_, LoadError>((subscribers, pollers))
    };
    let (subscribers, pollers) = match timeout(SETUP_TIMEOUT, setup).await {
        Ok(Ok(conns)) => conns,
        Ok(Err(e)) => {
            let _ = ready.send(Err(LoadError::Unexpected(e.to_string())));
            return Err(e);
        }
        Err(_) => {
            let _ = ready.send(Err(LoadError::Timeout));
            return Err(LoadError::Timeout);
        }
    };

    let mut clients = JoinSet::new();
    for conn in subscribers {
        clients.spawn(subscribe(conn, phase.clone()));
    }
    for conn in pollers {
        clients.spawn(poll(conn, phase.clone()));
    }
    let _ = ready.send(Ok(()));

    // The window, from this thread's point of view.
    let mut watcher = phase.clone();
    let _ = watcher.wait_for(|p| *p != Phase::Warmup).await;
    let (start, cpu_start) = (Instant::now(), thread_cpu_time().ok());
    let _ = watcher.wait_for(|p| *p == Phase::Stop).await;
    let window = start.elapsed();
    let cpu = cpu_start.and_then(|c| Some(thread_cpu_time().ok()?.saturating_sub(c)));

    let mut latencies = Latencies::new();
    let mut report = HttpReport {
        polls: 0,
        window,
        latency: LatencySummary::default(),
        poll_errors: Outcomes::new(),
        first_error: None,
        events: Vec::with_capacity(cfg.subscribers),
        lagged: 0,
        missed: 0,
        dropped: Outcomes::new(),
        cpu,
    };
    while let Some(joined) = clients.join_next().await {
        let (error, errors) = match joined.expect("client task panicked") {
            ClientEnd::Poller {
                latencies: own,
                error,
            } => {
                latencies.merge(&own);
                (error, &mut report.poll_errors)
            }
            ClientEnd::Subscriber {
                events,
                missed,
                error,
            } => {
                report.events.push(events);
                if let Some(n) = missed {
                    report.lagged += 1;
                    report.missed += n;
                }
                (error, &mut report.dropped)
            }
        };
        if let Some(e) = error {
            *errors.entry(e.kind()).or_default() += 1;
            report.first_error.get_or_insert_with(|| e.to_string());
        }
    }
    report.events.sort_unstable();
    report.polls = latencies.count();
    report.latency = latencies.summary();
    Ok(report)
}

/// Polls back to back until told to stop; records the polls answered while measuring.
async fn poll(mut conn: HttpConn, mut phase: watch::Receiver<Phase>) -> ClientEnd {
    let mut latencies = Latencies::new();
    let error = loop {
        if *phase.borrow_and_update() == Phase::Stop {
            break None;
        }
        let sent = Instant::now();
        match timeout(POLL_TIMEOUT, conn.poll()).await {
            Ok(Ok(())) => {
                if *phase.borrow() == Phase::Measure {
                    latencies.record(sent.elapsed());
                }
            }
            Ok(Err(e)) => break Some(e),
            Err(_) => break Some(LoadError::Timeout),
        }
    };
    ClientEnd::Poller { latencies, error }
}

/// Reads the event stream until told to stop; counts the events read while measuring.
async fn subscribe(mut conn: HttpConn, mut phase: watch::Receiver<Phase>) -> ClientEnd {
    let mut events = 0;
    let mut missed = None;
    let mut lines = LineScanner::default();
    let error = loop {
        let read = tokio::select! {
            _ = phase.wait_for(|p| *p == Phase::Stop) => break None,
            read = conn.read_more() => read,
        };
        if let Err(e) = read {
            break Some(e);
        }
        let measuring = *phase.borrow() == Phase::Measure;
        for line in lines.scan(&conn.buf[..conn.filled]) {
            match line {
                SseLine::Event if measuring => events += 1,
                SseLine::Lagged(n) => *missed.get_or_insert(0) += n,
                _ => {}
            }
        }
        conn.filled = 0;
    };
    ClientEnd::Subscriber {
        events,
        missed,
        error,
    }
}

/// What a line of the event stream says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SseLine {
    /// `event: variable` or `event: status`.
    Event,
    /// The data of an `event: lagged`: events missed.
    Lagged(u64),
    /// Anything else (data, comments, chunk framing).
    Other,
}

/// Splits the event stream (chunked transfer encoding, each event one chunk) into lines
/// across reads, and remembers an `event: lagged` until its data line.
#[derive(Debug, Default)]
struct LineScanner {
    partial: Vec<u8>,
    after_lagged: bool,
}

impl LineScanner {
    fn scan<'a>(&'a mut self, bytes: &'a [u8]) -> impl Iterator<Item = SseLine> + 'a {
        let mut rest = bytes;
        std::iter::from_fn(move || {
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                self.partial.extend_from_slice(rest);
                rest = &[];
                return None;
            };
            let piece = &rest[..end];
            rest = &rest[end + 1..];
            let line = if self.partial.is_empty() {
                self.classify(piece)
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(piece);
                self.classify(&whole)
            };
            Some(line)
        })
    }

    fn classify(&mut self, line: &[u8]) -> SseLine {
        if let Some(name) = line.strip_prefix(b"event: ") {
            self.after_lagged = name == b"lagged";
            return if self.after_lagged {
                SseLine::Other
            } else {
                SseLine::Event
            };
        }
        if let (true, Some(data)) = (self.after_lagged, line.strip_prefix(b"data: ")) {
            self.after_lagged = false;
            let n = std::str::from_utf8(data)
                .ok()
                .and_then(|s| s.trim().parse().ok());
            return SseLine::Lagged(n.unwrap_or(1));
        }
        SseLine::Other
    }
}

/// One keep-alive HTTP/1.1 connection.
struct HttpConn {
    stream: TcpStream,
    buf: Vec<u8>,
    filled: usize,
}

impl HttpConn {
    async fn connect(addr: SocketAddr) -> Result<Self, LoadError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: vec![0; 8192],
            filled: 0,
        })
    }

    /// One `GET /api/v1/devices`, read to the end of its body.
    async fn poll(&mut self) -> Result<(), LoadError> {
        self.stream
            .write_all(b"GET /api/v1/devices HTTP/1.1\r\nHost: bench\r\n\r\n")
            .await?;
        let head = self.read_head().await?;
        let length = head
            .content_length
            .ok_or_else(|| LoadError::Unexpected("an answer without Content-Length".into()))?;
        let whole = head.len + length;
        while self.filled < whole {
            self.read_more().await?;
        }
        if head.status != 200 || self.buf.get(head.len) != Some(&b'[') {
            let body = String::from_utf8_lossy(&self.buf[head.len..whole]).into_owned();
            return Err(LoadError::Unexpected(format!("{}: {body}", head.status)));
        }
        self.buf.copy_within(whole..self.filled, 0);
        self.filled -= whole;
        Ok(())
    }

    /// Sends `GET /api/v1/events` and reads the head of the answer, which must be a `200`
    /// event stream; keeps what followed it in the buffer.
    async fn open_events(&mut self) -> Result<(), LoadError> {
        self.stream
            .write_all(b"GET /api/v1/events HTTP/1.1\r\nHost: bench\r\n\r\n")
            .await?;
        let head = self.read_head().await?;
        if head.status != 200 || !head.event_stream {
            return Err(LoadError::Unexpected(format!(
                "/api/v1/events answered {} without an event stream",
                head.status
            )));
        }
        self.buf.copy_within(head.len..self.filled, 0);
        self.filled -= head.len;
        Ok(())
    }

    /// Reads until the buffer holds a whole head; returns what it says.
    async fn read_head(&mut self) -> Result<Head, LoadError> {
        loop {
            if let Some(end) = self.buf[..self.filled]
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
            {
                return Head::parse(&self.buf[..end + 4]);
            }
            self.read_more().await?;
        }
    }

    /// Appends one read to the buffer, growing it when full.
    async fn read_more(&mut self) -> Result<(), LoadError> {
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        match self.stream.read(&mut self.buf[self.filled..]).await? {
            0 => Err(LoadError::Closed),
            n => {
                self.filled += n;
                Ok(())
            }
        }
    }
}

/// The head of an answer.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    /// Its length, up to and with the empty line.
    len: usize,
    status: u16,
    content_length: Option<usize>,
    event_stream: bool,
}

impl Head {
    fn parse(head: &[u8]) -> Result<Self, LoadError> {
        let text = std::str::from_utf8(head)
            .map_err(|_| LoadError::Unexpected("a head that is not UTF-8".into()))?;
        let mut lines = text.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.strip_prefix("HTTP/1.1 "))
            .and_then(|l| l.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| LoadError::Unexpected(format!("not an HTTP/1.1 answer: {text:?}")))?;
        let mut parsed = Self {
            len: head.len(),
            status,
            content_length: None,
            event_stream: false,
        };
        for (name, value) in lines.filter_map(|l| l.split_once(':')) {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                parsed.content_length = value.parse().ok();
            } else if name.eq_ignore_ascii_case("content-type") {
                parsed.event_stream = value.starts_with("text/event-stream");
            } else if name.eq_ignore_ascii_case("connection") && value == "close" {
                return Err(LoadError::Unexpected(
                    "the server closes the connection".into(),
                ));
            }
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_counted_across_reads() {
        let stream = b"4a\r\nevent: variable\ndata: {\"ups\":\"bench\"}\n\n\r\n2f\r\nevent: sta\
                       tus\ndata: {}\n\n\r\n1c\r\nevent: lagged\ndata: 7\n\n\r\n3\r\n:\n\n\r\n";
        let mut scanner = LineScanner::default();
        let mut seen = Vec::new();
        for piece in stream.chunks(11) {
            seen.extend(scanner.scan(piece).filter(|l| *l != SseLine::Other));
        }
        assert_eq!(seen, [SseLine::Event, SseLine::Event, SseLine::Lagged(7)]);
    }

    #[test]
    fn heads() {
        let head =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 12\r\n\r\n";
        assert_eq!(
            Head::parse(head).unwrap(),
            Head {
                len: head.len(),
                status: 200,
                content_length: Some(12),
                event_stream: false
            }
        );
        let sse = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n";
        assert!(Head::parse(sse).unwrap().event_stream);
        assert!(Head::parse(b"HTTP/1.0 200 OK\r\n\r\n").is_err());
        assert!(Head::parse(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").is_err());
    }
}
