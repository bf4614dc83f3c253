//! The SNMP agents the drivers poll: many [`Agent`]s of nut-drivers in one tokio runtime of
//! their own (one worker thread), each on a UDP port of 127.0.0.1 and serving one recording to
//! any community.
//!
//! Each agent counts the datagrams it receives and the polls they make up: a datagram that
//! comes more than [`POLL_GAP`] after the previous one starts a new poll (a driver's walk is a
//! burst of requests; walks are seconds apart).

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nut_drivers::snmp::agent::Agent;
use nut_drivers::snmp::snmprec::Recording;
use tokio::net::UdpSocket;
use tokio::time::Instant;

/// A request this long after the previous one starts a new poll.
pub const POLL_GAP: Duration = Duration::from_secs(1);

/// What one agent counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentCounts {
    /// Datagrams received.
    pub requests: u64,
    /// Bursts of datagrams (polls, see the [module documentation](self)).
    pub polls: u64,
}

impl AgentCounts {
    /// What was counted between `earlier` and `self`.
    pub fn since(self, earlier: Self) -> Self {
        Self {
            requests: self.requests.saturating_sub(earlier.requests),
            polls: self.polls.saturating_sub(earlier.polls),
        }
    }
}

impl std::ops::Add for AgentCounts {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            requests: self.requests + other.requests,
            polls: self.polls + other.polls,
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    polls: AtomicU64,
}

/// One running agent.
#[derive(Debug)]
pub struct FarmAgent {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The name of the recording it serves (the file name without `.snmprec`).
    pub recording: String,
    counters: Arc<Counters>,
}

impl FarmAgent {
    /// What it counted so far.
    pub fn counts(&self) -> AgentCounts {
        AgentCounts {
            requests: self.counters.requests.load(Ordering::Relaxed),
            polls: self.counters.polls.load(Ordering::Relaxed),
        }
    }
}

/// Many agents, running until dropped.
#[derive(Debug)]
pub struct AgentFarm {
    agents: Vec<FarmAgent>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// The path of recording `name` in `dir`.
pub fn recording_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.snmprec"))
}

impl AgentFarm {
    /// Starts `count` agents on free UDP ports of 127.0.0.1, agent `i` serving
    /// `recordings[i % recordings.len()]` (names of `.snmprec` files in `dir`).
    pub fn start(count: usize, dir: &Path, recordings: &[String]) -> anyhow::Result<Self> {
        anyhow::ensure!(!recordings.is_empty(), "no recording to serve");
        let loaded = recordings
            .iter()
            .map(|name| {
                let path = recording_path(dir, name);
                Recording::load(&path)
                    .map(Arc::new)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("snmp-agents")
            .enable_all()
            .build()?;
        let agents = runtime.block_on(async {
            let mut agents = Vec::with_capacity(count);
            for i in 0..count {
                let which = i % loaded.len();
                let socket = UdpSocket::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
                let addr = socket.local_addr()?;
                let counters = Arc::new(Counters::default());
                let agent = Agent::new(Arc::clone(&loaded[which]));
                tokio::spawn(serve(agent, socket, Arc::clone(&counters)));
                agents.push(FarmAgent {
                    addr,
                    recording: recordings[which].clone(),
                    counters,
                });
            }
            io::Result::Ok(agents)
        })?;
        Ok(Self {
            agents,
            runtime: Some(runtime),
        })
    }

    /// The agents, in the order started.
    pub fn agents(&self) -> &[FarmAgent] {
        &self.agents
    }

    /// What every agent counted so far, in order.
    pub fn counts(&self) -> Vec<AgentCounts> {
        self.agents.iter().map(FarmAgent::counts).collect()
    }
}

impl Drop for AgentFarm {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Answers datagrams on `socket` for ever, counting them and their bursts.
async fn serve(mut agent: Agent, socket: UdpSocket, counters: Arc<Counters>) {
    let mut buf = vec![0u8; 65_535];
    let mut last: Option<Instant> = None;
    loop {
        let (len, peer) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
                ) =>
            {
                continue
            }
            Err(_) => return,
        };
        let now = Instant::now();
        if last.is_none_or(|t| now.duration_since(t) > POLL_GAP) {
            counters.polls.fetch_add(1, Ordering::Relaxed);
        }
        last = Some(now);
        counters.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(reply) = agent.answer(&buf[..len]) {
            // A driver gone away is no concern of the agent's.
            let _ = socket.send_to(&reply, peer).await;
        }
    }
}
