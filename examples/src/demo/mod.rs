//! The demo stack behind `nut-demo`: upsd and a simulated UPS in one process, with no
//! hardware, no configuration files and no root.
//!
//! The UPS (nut-drivers' simulated UPS model, [`ModelDriver`], through a power failure on a
//! fixed cycle) runs under the real driver runtime and reaches the real server through the
//! in-process link, so everything a client sees — `upsc`, `upsmon`, `upslog`,
//! PyNUTClient — is what it would see from a real installation.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use nut_driver_api::config::DriverConfig;
use nut_driver_api::driver::{DriverInfo, DriverParams};
use nut_driver_api::link::{in_process, DriverEndpoint, InProcessListener};
use nut_driver_api::proto::config::UpsdUsers;
use nut_driver_api::proto::names::UpsName;
use nut_driver_api::runtime::{DriverRuntime, RunOutcome};
use nut_drivers::sim::driver::ModelDriver;
use nut_drivers::sim::model::PowerCycle;
use nut_drivers::sim::UpsModel;
use nut_server::CancellationToken;
use nut_server::{DeviceConfig, Server};
use tokio::net::TcpListener;

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

    let host = if addr.ip().is_loopback() && addr.port() == nut_proto::paths::PORT {
        "localhost".to_owned()
    } else {
        addr.to_string()
    };
    print!(
        "{}",
        banner(&options, addr, &host, &password, &ToolPaths::find())
    );

    let driver_token = shutdown.child_token();
    let driver_task = tokio::spawn(supervise(
        options.cycle,
        config,
        drivers,
        driver_token.clone(),
    ));
    server.run().await;
    driver_token.cancel();
    match driver_task.await {
        Ok(result) => result,
        Err(e) => Err(e).context("the simulated UPS panicked"),
    }
}

/// The demo's UPS, fully charged, at the start of its power-failure cycle of `cycle`.
pub fn demo_ups(cycle: Duration) -> ModelDriver {
    let model = UpsModel {
        ident: (
            "nut-rs".into(),
            "Demo UPS 1500".into(),
            env!("CARGO_PKG_VERSION").into(),
        ),
        serial: "DEMO0001".into(),
        realpower_nominal: 900,
        ..UpsModel::default()
    };
    ModelDriver::new(std::sync::Arc::new(std::sync::Mutex::new(model)))
        .with_info(DriverInfo::new(
            "nut-demo",
            "Simulated UPS for the demo",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_power_cycle(PowerCycle::new(cycle))
}

/// How long the demo waits before it restarts a simulated UPS that exited.
const RESTART_DELAY: Duration = Duration::from_secs(1);

/// Runs the simulated UPS until `token` is cancelled, and starts it again when a client ends
/// it with `driver.exit`, as `upsdrvctl`'s supervision or systemd would restart a real
/// driver; the server finds the new one through the same in-process link.
async fn supervise(
    cycle: Duration,
    config: DriverConfig,
    drivers: InProcessListener,
    token: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        let runtime = DriverRuntime::new(Box::new(demo_ups(cycle)), config.clone())
            .with_socket(false)
            .with_in_process(drivers.clone());
        let outcome = runtime
            .run(token.clone())
            .await
            .context("the simulated UPS stopped")?;
        if !matches!(outcome, RunOutcome::Exited) {
            return Ok(());
        }
        println!(
            "The simulated UPS exited (driver.exit); restarting it in {} s, as a supervised driver would be.",
            RESTART_DELAY.as_secs()
        );
        tokio::select! {
            () = token.cancelled() => return Ok(()),
            () = tokio::time::sleep(RESTART_DELAY) => {}
        }
    }
}

/// How the demo's user runs this project's client tools: the installed or built programs
/// beside `nut-demo` when they are there, else through `cargo run` in the source tree. C
/// NUT's tools work as well, but need not be installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolPaths {
    /// What to type before the tool's name: a directory ending in `/`, or nothing when the
    /// tools beside `nut-demo` are the ones on `PATH`. `None`: run them with `cargo run`.
    prefix: Option<String>,
}

impl ToolPaths {
    /// Looks for `upsc` beside the running program.
    pub fn find() -> Self {
        let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf))
        else {
            return Self { prefix: None };
        };
        if !dir.join("upsc").is_file() {
            return Self { prefix: None };
        }
        let on_path = std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|p| p.join("upsc") == dir.join("upsc"))
        });
        if on_path {
            return Self {
                prefix: Some(String::new()),
            };
        }
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| dir.strip_prefix(cwd).ok().map(std::path::Path::to_path_buf))
            .filter(|rel| !rel.as_os_str().is_empty())
            .unwrap_or(dir);
        Self {
            prefix: Some(format!("{}/", shown.display())),
        }
    }

    /// The command line that runs `tool`.
    pub fn command(&self, tool: &str) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}{tool}"),
            None => format!("cargo run -q -p nut-examples --bin {tool} --"),
        }
    }
}

/// What the demo prints when it is up: where it listens, how to query and control it with
/// this project's tools, and where to go next.
fn banner(
    options: &DemoOptions,
    addr: SocketAddr,
    host: &str,
    password: &str,
    tools: &ToolPaths,
) -> String {
    let ups = &options.ups;
    let upsc = tools.command("upsc");
    let upscmd = tools.command("upscmd");
    let upsrw = tools.command("upsrw");
    let target = format!("{ups}@{host}");
    format!(
        "nut-rs demo: upsd listening on {addr}, serving the simulated UPS \"{ups}\".\n\
         The UPS loses mains power for half of every {cycle} s cycle, runs its battery down to low, and recovers.\n\
         \n\
         Query it with this project's client tools (C NUT's upsc, upscmd and upsrw work as well):\n\
         \n\
         \x20 # every variable\n\
         \x20 {upsc} {target}\n\
         \x20 # the status: OL -> OB DISCHRG -> OB DISCHRG LB -> OL CHRG\n\
         \x20 {upsc} {target} ups.status\n\
         \x20 # an instant command and a setting, as user admin\n\
         \x20 {upscmd} -u admin -p {password} {target} beeper.disable\n\
         \x20 {upsrw} -s battery.charge.low=30 -u admin -p {password} {target}\n\
         \x20 # end the simulated UPS: the demo restarts it, as a supervised driver would be\n\
         \x20 {upscmd} -u admin -p {password} {target} driver.exit\n\
         \n\
         Next: a real UPS and a real installation are in README.md, sections \"USB UPSes\" and\n\
         \"Install and run as a service\"; the drivers for serial and SNMP devices in nut-drivers/README.md.\n\
         \n\
         Stop with Ctrl-C.\n",
        cycle = options.cycle.as_secs(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    #[test]
    fn banner_commands_run_this_projects_tools() {
        let options = DemoOptions::default();
        let addr = options.listen;
        let cargo = banner(
            &options,
            addr,
            "localhost",
            "pw",
            &ToolPaths { prefix: None },
        );
        assert!(cargo.contains(
            "\n  cargo run -q -p nut-examples --bin upsc -- demo@localhost ups.status\n"
        ));
        assert!(cargo.contains(
            "\n  cargo run -q -p nut-examples --bin upscmd -- -u admin -p pw demo@localhost driver.exit\n"
        ));
        let built = ToolPaths {
            prefix: Some("target/debug/".into()),
        };
        let text = banner(&options, addr, "localhost", "pw", &built);
        assert!(text.contains(
            "\n  target/debug/upsrw -s battery.charge.low=30 -u admin -p pw demo@localhost\n"
        ));
        assert!(text.contains("Install and run as a service"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_demo_ups_names_itself_and_cycles() {
        use nut_driver_api::{DeviceState, Driver};
        let mut ups = demo_ups(Duration::from_secs(8));
        assert_eq!(ups.info().name, "nut-demo");
        let mut state = DeviceState::new();
        ups.identify(&mut state).await.unwrap();
        assert_eq!(state.value("ups.model"), Some("Demo UPS 1500"));
        assert_eq!(state.value("device.serial"), Some("DEMO0001"));
        assert_eq!(state.value("ups.realpower.nominal"), Some("900"));
        assert_eq!(state.value("ups.status"), Some("OL"));
        tokio::time::advance(Duration::from_secs(3)).await;
        ups.update(&mut state).await.unwrap();
        assert_eq!(state.value("ups.status"), Some("OB DISCHRG"));
    }

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

        // driver.exit ends the simulated UPS; the demo starts it again and the server
        // serves it again (the ups.mfr of a fresh start).
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut stream = BufReader::new(stream);
        stream
            .get_mut()
            .write_all(b"USERNAME admin\nPASSWORD secret\nINSTCMD demo driver.exit\n")
            .await
            .unwrap();
        for _ in 0..3 {
            let mut line = String::new();
            stream.read_line(&mut line).await.unwrap();
            assert_eq!(line, "OK\n");
        }
        let mut saw_stale = false;
        loop {
            assert!(
                tokio::time::Instant::now() < deadline + Duration::from_secs(30),
                "the demo did not restart its UPS"
            );
            stream
                .get_mut()
                .write_all(b"GET VAR demo ups.status\n")
                .await
                .unwrap();
            let mut line = String::new();
            stream.read_line(&mut line).await.unwrap();
            if line.starts_with("ERR DATA-STALE") || line.starts_with("ERR DRIVER-NOT-CONNECTED") {
                saw_stale = true;
            } else if saw_stale && line.starts_with("VAR demo ups.status") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        shutdown.cancel();
        demo.await.unwrap().unwrap();
    }
}
