//! `nut-bench-upsd`: nut-server embedded in the smallest program that can serve C's
//! configuration files, for the load comparison (`nut-compare --ours-embedded`).
//!
//! It reads `$NUT_CONFPATH` and `$NUT_STATEPATH` like upsd, stays in the foreground, does not
//! drop privileges, and lets the runtime be chosen, to see how the server scales with
//! threads. SIGTERM ends it.

use anyhow::Context as _;
use clap::Parser;
use nut_server::{ConfigPaths, Server, ServerConfig};

/// nut-server over C NUT's configuration files, for benchmarks.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Runtime worker threads: 0 = tokio's default (one per CPU), 1 = a current-thread
    /// runtime.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let loaded = ServerConfig::load(&ConfigPaths::from_env()).context("configuration")?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    let rt = match args.threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        0 => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()?,
    };
    rt.block_on(async {
        let server = Server::builder()
            .config(loaded.config)
            .start()
            .await
            .context("starting the server")?;
        eprintln!("listening on {:?}", server.local_addrs().await);
        server.run().await;
        anyhow::Ok(())
    })
}
