//! `nut-demo`: upsd on 127.0.0.1:3493 with a simulated UPS that fails and recovers on a loop.
//! No hardware, no configuration files, no root.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use nut_examples::demo::{self, DemoOptions};
use nut_examples::proto::names::UpsName;
use nut_server::CancellationToken;

/// Runs a NUT server with a simulated UPS in one process.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value_t = SocketAddr::from(([127, 0, 0, 1], nut_proto::paths::PORT)))]
    listen: SocketAddr,
    /// Name of the simulated UPS.
    #[arg(long, default_value = "demo")]
    ups: UpsName,
    /// Length of one power-failure cycle, in seconds.
    #[arg(long, default_value_t = 120)]
    cycle: u64,
    /// Password of the `admin` user (random when not given).
    #[arg(long)]
    password: Option<String>,
    /// More log output (repeatable).
    #[arg(short = 'D', action = clap::ArgAction::Count)]
    debug: u8,
}

#[tokio::main]
pub(crate) async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    nut_examples::daemon::init_logging(args.debug);
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    let options = DemoOptions {
        listen: args.listen,
        ups: args.ups,
        cycle: Duration::from_secs(args.cycle),
        password: args.password,
    };
    demo::run(options, shutdown).await
}
