//! `nut-scanner`: finds power devices and NUT servers and prints the `ups.conf` sections for
//! them, with C NUT 2.8.0's options and output (the scanners are in `nut_scan`).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use clap::error::ErrorKind;
use clap::{ArgAction, CommandFactory, Parser};
use nut_scan::{display, Bus, Finding, IpRange, ScanOptions};

/// Version C prints.
const NUT_VERSION: &str = "2.8.0";

#[derive(Parser, Debug)]
#[command(
    name = "nut-scanner",
    about = "nut-scanner : utility for detection of available power devices.",
    disable_version_flag = true
)]
#[allow(clippy::struct_excessive_bools)]
struct Args {
    /// Scan all available devices except serial ports (default).
    #[arg(short = 'C', long = "complete_scan")]
    complete: bool,
    /// Scan USB devices.
    #[arg(short = 'U', long = "usb_scan")]
    usb: bool,
    /// Scan SNMP devices using built-in mapping definitions.
    #[arg(short = 'S', long = "snmp_scan")]
    snmp: bool,
    /// Scan XML/HTTP devices: not available in this build (prints this help and a warning,
    /// as C without its library).
    #[arg(short = 'M', long = "xml_scan")]
    xml: bool,
    /// Scan NUT devices (old method).
    #[arg(short = 'O', long = "oldnut_scan")]
    oldnut: bool,
    /// Scan NUT devices announced over mDNS (`_nut._tcp`, `_upsd._tcp`), listening for the
    /// timeout.
    #[arg(short = 'A', long = "avahi_scan")]
    avahi: bool,
    /// Scan IPMI devices: not available in this build (prints this help and a warning, as
    /// C without its library).
    #[arg(short = 'I', long = "ipmi_scan")]
    ipmi: bool,
    /// Scan dummy-ups simulation files (.dev, .seq) in the configuration folder.
    #[arg(short = 'n', long = "nut_simulation_scan")]
    simulation: bool,
    /// Scan serial devices (Eaton SHUT and XCP, Megatec/Q1, APC Smart) on these ports:
    /// `auto`, `X-Y`, or a comma-separated list.
    #[arg(short = 'E', long = "eaton_serial", value_name = "serial ports list")]
    serial: Option<String>,
    /// Limit the amount of scanning threads running simultaneously (default: 512).
    #[arg(short = 'T', long = "thread", value_name = "max number of threads")]
    threads: Option<String>,
    /// Network operation timeout in seconds (default 5).
    #[arg(short = 't', long = "timeout", value_name = "timeout in seconds")]
    timeout: Option<String>,
    /// First IP address to scan.
    #[arg(short = 's', long = "start_ip", value_name = "IP address")]
    start_ip: Option<String>,
    /// Last IP address to scan.
    #[arg(short = 'e', long = "end_ip", value_name = "IP address")]
    end_ip: Option<String>,
    /// Give a range of IP using CIDR notation.
    #[arg(short = 'm', long = "mask_cidr", value_name = "IP address/mask")]
    cidr: Option<String>,
    /// Set SNMP v1 community name (default = public).
    #[arg(short = 'c', long = "community")]
    community: Option<String>,
    /// SNMPv3 security level (noAuthNoPriv, authNoPriv, authPriv).
    #[arg(short = 'l', long = "secLevel")]
    sec_level: Option<String>,
    /// SNMPv3 security name.
    #[arg(short = 'u', long = "secName")]
    sec_name: Option<String>,
    /// SNMPv3 authentication pass phrase.
    #[arg(short = 'W', long = "authPassword")]
    auth_password: Option<String>,
    /// SNMPv3 privacy pass phrase.
    #[arg(short = 'X', long = "privPassword")]
    priv_password: Option<String>,
    /// SNMPv3 authentication protocol (MD5, SHA, SHA256, SHA384, SHA512).
    #[arg(short = 'w', long = "authProtocol")]
    auth_protocol: Option<String>,
    /// SNMPv3 privacy protocol (DES, AES, AES192, AES256).
    #[arg(short = 'x', long = "privProtocol")]
    priv_protocol: Option<String>,
    /// IPMI user name (IPMI is not available in this build, as -I).
    #[arg(short = 'b', long = "username")]
    ipmi_username: Option<String>,
    /// IPMI password (IPMI is not available in this build, as -I).
    #[arg(short = 'B', long = "password")]
    ipmi_password: Option<String>,
    /// IPMI authentication type (IPMI is not available in this build, as -I).
    #[arg(short = 'd', long = "authType")]
    ipmi_auth_type: Option<String>,
    /// IPMI 2.0 cipher suite id (IPMI is not available in this build, as -I).
    #[arg(short = 'L', long = "cipher_suite_id")]
    ipmi_cipher: Option<String>,
    /// Port number of remote NUT upsd.
    #[arg(short = 'p', long = "port", value_name = "port number")]
    port: Option<String>,
    /// Display result in the ups.conf format (the default).
    #[arg(short = 'N', long = "disp_nut_conf", overrides_with = "parsable")]
    nut_conf: bool,
    /// Display result in a parsable format.
    #[arg(short = 'P', long = "disp_parsable", overrides_with = "nut_conf")]
    parsable: bool,
    /// Display only scan result. No information on currently scanned bus is displayed.
    #[arg(short = 'q', long = "quiet")]
    quiet: bool,
    /// Raise the debugging level (repeat for more details).
    #[arg(short = 'D', long = "nut_debug_level", action = ArgAction::Count)]
    debug: u8,
    /// Display NUT version.
    #[arg(short = 'V', long = "version")]
    version: bool,
    /// Display available bus that can be scanned.
    #[arg(short = 'a', long = "available")]
    available: bool,
}

/// C's `atol`: leading blanks, a sign, digits; 0 when there are none.
fn atol(text: &str) -> i64 {
    nut_driver_api::status::c_strtol(text)
}

/// What C's nut-scanner writes on stderr after its usage text when an option cannot be used:
/// an unknown option, or a scan whose library it did not find.
const OPTIONS_WARNING: &str =
    "\n\nWARNING: Some error has occurred while processing 'nut-scanner' command-line\n\
                               arguments, see more details above the usage help text.\n\n";

/// C's answer to an option it cannot use: the usage on stdout, [`OPTIONS_WARNING`] on
/// stderr, and `code`.
fn usage_and_exit(code: i32) -> ! {
    let _ = Args::command().print_help();
    let _ = std::io::stdout().flush();
    eprint!("{OPTIONS_WARNING}");
    std::process::exit(code);
}

pub(crate) fn main() {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => {
            // C: getopt's message, the usage, the warning, and -1 as the exit status.
            eprint!("{e}");
            usage_and_exit(255);
        }
    };
    // XML/HTTP and IPMI scans are not built in (nor into Debian's C): C then prints its
    // usage with the warning and exits 0, for the scan flags and for the IPMI options.
    let ipmi_options = [
        &args.ipmi_username,
        &args.ipmi_password,
        &args.ipmi_auth_type,
        &args.ipmi_cipher,
    ];
    if args.xml || args.ipmi || ipmi_options.iter().any(|o| o.is_some()) {
        usage_and_exit(0);
    }
    if args.version {
        println!("Network UPS Tools - {NUT_VERSION}");
        return;
    }
    if args.available {
        // C 2.8.0's list (with its USB, SNMP and avahi libraries found); the simulation file
        // scan (-n), which 2.8.0 lacks, is left out so that the bytes stay C's.
        print!("OLDNUT\nUSB\nSNMP\nAVAHI\nEATON_SERIAL\n");
        return;
    }
    let filter = match args.debug {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // The drivers' claims note known vendors' unknown products: not the scanner's business.
        .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
            "{filter},nut_drivers=error"
        )))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("can't start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    std::process::exit(runtime.block_on(run(args)));
}

/// Prints a progress counter on stderr until dropped, when stderr is a terminal.
struct Counter(Option<tokio::task::JoinHandle<()>>);

impl Counter {
    fn start(progress: nut_scan::Progress, show: bool) -> Self {
        Self(show.then(|| {
            tokio::spawn(async move {
                loop {
                    eprint!(
                        "\rScanning: {}/{} probes done",
                        progress.done(),
                        progress.total()
                    );
                    let _ = std::io::stderr().flush();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        }))
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
            eprint!("\r\x1b[K");
        }
    }
}

async fn run(args: Args) -> i32 {
    let note = |text: &str| {
        if !args.quiet {
            eprintln!("{text}");
        }
    };
    let mut options = ScanOptions::default();
    if let Some(t) = &args.timeout {
        match atol(t) {
            n if n > 0 => options = options.with_timeout(Duration::from_secs(n.unsigned_abs())),
            _ => eprintln!(
                "Illegal timeout value, using default {}s",
                nut_scan::DEFAULT_TIMEOUT.as_secs()
            ),
        }
    }
    if let Some(t) = &args.threads {
        match t.parse::<usize>() {
            Ok(n) if n > 0 => options = options.with_parallel(n),
            _ => eprintln!(
                "WARNING: Requested max scanning thread count {t} ({}) is out of range, using default {}",
                atol(t),
                nut_scan::DEFAULT_PARALLEL
            ),
        }
    }
    let range = match &args.cidr {
        Some(cidr) => IpRange::from_cidr(cidr).map(Some),
        None => IpRange::from_ends(args.start_ip.as_deref(), args.end_ip.as_deref()),
    };
    let range = match range {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let port = match args.port.as_deref().map(str::parse::<u16>) {
        None => None,
        Some(Ok(p)) if p > 0 => Some(p),
        Some(_) => {
            eprintln!(
                "Bad port number: {}",
                args.port.as_deref().unwrap_or_default()
            );
            return 1;
        }
    };
    let all = args.complete
        || !(args.usb
            || args.snmp
            || args.oldnut
            || args.avahi
            || args.simulation
            || args.serial.is_some());
    let started = Instant::now();
    let counter = Counter::start(
        options.progress.clone(),
        !args.quiet && std::io::stderr().is_terminal(),
    );
    // The buses are scanned at once, as C's threads do; each starts by saying so.
    let usb = async {
        if !(all || args.usb) {
            return Vec::new();
        }
        note("Scanning USB bus.");
        nut_scan::usb::scan().await.unwrap_or_else(|e| {
            // No USB at all (no libusb, no buses) ends this scan only, as in C.
            eprintln!("USB scan: {e}");
            Vec::new()
        })
    };
    let snmp = async {
        if !(all || args.snmp) {
            return Ok(Vec::new());
        }
        let Some(range) = &range else {
            note("No start IP, skipping SNMP");
            return Ok(Vec::new());
        };
        note("Scanning SNMP bus.");
        let v3 = nut_scan::snmp::V3Options {
            sec_level: args.sec_level.clone(),
            sec_name: args.sec_name.clone(),
            auth_password: args.auth_password.clone(),
            priv_password: args.priv_password.clone(),
            auth_protocol: args.auth_protocol.clone(),
            priv_protocol: args.priv_protocol.clone(),
        };
        let credentials = nut_scan::snmp::Credentials::from_c_options(args.community.clone(), v3);
        let port = nut_scan::snmp::agent_port();
        nut_scan::snmp::scan(range, port, &credentials, &options)
            .await
            .map_err(|e| e.to_string())
    };
    let nut = async {
        if !(all || args.oldnut) {
            return Vec::new();
        }
        let Some(range) = &range else {
            note("No start IP, skipping NUT bus (old connect method)");
            return Vec::new();
        };
        note("Scanning NUT bus (old connect method).");
        nut_scan::nut::scan(range, port, &options).await
    };
    let avahi = async {
        if !(all || args.avahi) {
            return Vec::new();
        }
        note("Scanning NUT bus (avahi method).");
        nut_scan::mdns::scan(&options).await.unwrap_or_else(|e| {
            // No multicast here ends this scan only.
            eprintln!("{e}");
            Vec::new()
        })
    };
    let serial = async {
        let Some(spec) = &args.serial else {
            return Vec::new();
        };
        note("Scanning serial bus for Eaton devices.");
        nut_scan::serial::scan(&nut_scan::serial::ports(spec), &options).await
    };
    let simulation = async {
        if !args.simulation {
            return Ok(Vec::new());
        }
        let dir = nut_driver_api::config::Env::from_process().config_dir();
        note("Scanning NUT simulation devices.");
        nut_scan::simulation::scan(&dir)
            .map_err(|e| format!("Failed to scan {}: {e}", dir.display()))
    };
    let (usb, snmp, nut, avahi, serial, simulation) =
        tokio::join!(usb, snmp, nut, avahi, serial, simulation);
    drop(counter);
    let (snmp, simulation) = match (snmp, simulation) {
        (Ok(snmp), Ok(simulation)) => (snmp, simulation),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return 1;
        }
    };
    // C's order: USB, SNMP, XML, NUT, simulation files (later C), AVAHI, IPMI, serial; the
    // sections are numbered across them.
    let groups: [&[Finding]; 6] = [&usb, &snmp, &nut, &simulation, &avahi, &serial];
    let out = display::report(&groups, args.parsable);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        eprintln!("nut-scanner: can't write the results: {e}");
        return 1;
    }
    if !args.quiet {
        let count = |bus: Bus| {
            groups
                .iter()
                .flat_map(|g| g.iter())
                .filter(|f| f.bus == bus)
                .count()
        };
        eprintln!(
            "nut-scanner: {} found ({} USB, {} SNMP, {} on NUT servers, {} serial, {} simulation files) in {:.1} s, {} probes",
            groups.iter().map(|g| g.len()).sum::<usize>(),
            count(Bus::Usb),
            count(Bus::Snmp),
            count(Bus::Nut),
            count(Bus::Serial),
            count(Bus::Simulation),
            started.elapsed().as_secs_f64(),
            options.progress.done()
        );
    }
    0
}
