//! The demo stack behind `nut-demo`: upsd and a simulated UPS in one process, with no
//! hardware, no configuration files and no root.
//!
//! The UPS ([`DemoUps`]) runs under the real driver runtime and reaches the real server
//! through the in-process link, so everything a client sees — `upsc`, `upsmon`, `upslog`,
//! PyNUTClient — is what it would see from a real installation.

mod ups;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use nut_driver_api::config::DriverConfig;
use nut_driver_api::driver::DriverParams;
use nut_driver_api::link::{in_process, DriverEndpoint};
use nut_driver_api::proto::config::UpsdUsers;
use nut_driver_api::proto::names::UpsName;
use nut_driver_api::runtime::DriverRuntime;
use nut_server::CancellationToken;
use nut_server::{DeviceConfig, Server};
use tokio::net::TcpListener;

pub use ups::{DemoUps, Phase};

/// What the demo serves and where.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The address to listen on (default `127.0.0.1:3493`, NUT's port).
    pub listen: SocketAddr,
    /// The UPS name (default `demo`).
    pub ups: UpsName,
    /// How long one power-failure cycle lasts.
    pub cycle: Duration,
    /// The password of the `admin` user (SET, FSD, every command, upsmon primary). A random
    /// one is made when `None`.
    pub password: Option<String>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], nut_driver_api::proto::net::DEFAULT_PORT)),
            ups: UpsName::new("demo").expect("a valid name"),
            cycle: Duration::from_secs(120),
            password: None,
        }
    }
}

/// A password of 16 hex digits from the OS random source.
fn random_password() -> anyhow::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("can't read /dev/urandom for the demo password")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The users of the demo server: one `admin` who may do everything.
fn demo_users(password: &str) -> anyhow::Result<UpsdUsers> {
    let text = format!(
        "[admin]\n\tpassword = {}\n\tactions = SET FSD\n\tinstcmds = ALL\n\tupsmon primary\n",
        nut_driver_api::proto::tokenizer::quote(password)
    );
    Ok(UpsdUsers::parse(text.as_bytes(), "(demo users)")?.config)
}

/// Runs the demo until `shutdown` is cancelled: binds `options.listen`, starts the
/// simulated UPS and the server, and prints how to reach them on stdout.
pub async fn run(options: DemoOptions, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = TcpListener::bind(options.listen).await.with_context(|| {
        format!(
            "can't listen on {} (is another upsd running? try --listen 127.0.0.1:3494)",
            options.listen
        )
    })?;
    let addr = listener.local_addr()?;
    let password = match &options.password {
        Some(p) => p.clone(),
        None => random_password()?,
    };

    let (connector, drivers) = in_process();
    let config = DriverConfig::new(
        "nut-demo",
        options.ups.clone(),
        DriverParams::new("simulated"),
    )
    .with_poll_interval(1);
    let driver = DriverRuntime::new(Box::new(DemoUps::new(options.cycle)), config)
        .with_socket(false)
        .with_in_process(drivers);

    let mut builder = Server::builder()
        .device_config(
            DeviceConfig::new(options.ups.clone(), DriverEndpoint::InProcess(connector))
                .with_desc("Simulated UPS (nut-rs demo)"),
        )
        .listener(listener)
        .shutdown_token(shutdown.child_token());
    for user in demo_users(&password)?.users {
        builder = builder.user(user);
    }
    let server = builder.start().await.context("starting the server")?;

    let host = if addr.ip().is_loopback() && addr.port() == 3493 {
        "localhost".to_owned()
    } else {
        addr.to_string()
    };
    let ups = &options.ups;
    println!("nut-rs demo: upsd listening on {addr}, serving the simulated UPS \"{ups}\".");
    println!(
        "The UPS loses mains power for half of every {} s cycle, runs its battery down to low, and recovers.",
        options.cycle.as_secs()
    );
    println!();
    println!("  upsc {ups}@{host}                 # every variable");
    println!(
        "  upsc {ups}@{host} ups.status      # watch OL -> OB DISCHRG -> OB DISCHRG LB -> OL CHRG"
    );
    println!("  upscmd -u admin -p {password} {ups}@{host} beeper.disable");
    println!("  upsrw -s battery.charge.low=30 -u admin -p {password} {ups}@{host}");
    println!();
    println!("Stop with Ctrl-C.");

    let driver_token = shutdown.child_token();
    let driver_task = tokio::spawn(driver.run(driver_token.clone()));
    server.run().await;
    driver_token.cancel();
    match driver_task.await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e).context("the simulated UPS stopped"),
        Err(e) => Err(e).context("the simulated UPS panicked"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    #[test]
    fn users_parse_with_any_password() {
        let users = demo_users("we\"ird #pass").unwrap();
        let admin = &users.users[0];
        assert!(admin.check_password("we\"ird #pass"));
        assert!(admin.allows_action("SET"));
    }

    #[tokio::test]
    async fn serves_the_simulated_ups() {
        let options = DemoOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            password: Some("secret".into()),
            ..DemoOptions::default()
        };
        // Bind ourselves first to learn a free port, then hand the port to the demo.
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = probe.local_addr().unwrap();
        drop(probe);
        let options = DemoOptions {
            listen: addr,
            ..options
        };
        let shutdown = CancellationToken::new();
        let demo = tokio::spawn(run(options, shutdown.clone()));

        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no status from the demo"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
                continue;
            };
            let mut stream = BufReader::new(stream);
            stream
                .get_mut()
                .write_all(b"GET VAR demo ups.status\n")
                .await
                .unwrap();
            let mut line = String::new();
            stream.read_line(&mut line).await.unwrap();
            if line.starts_with("VAR demo ups.status") && !line.contains("WAIT") {
                break line;
            }
        };
        assert_eq!(status, "VAR demo ups.status \"OL\"\n");
        shutdown.cancel();
        demo.await.unwrap().unwrap();
    }
}
