//! Configuration files: realistic files, broken files, round trips, Debian's sample files and
//! the same broken files fed to the C programs of NUT 2.8.0.
//!
//! Tests that need Debian's files or programs skip with a note when they are missing, unless
//! `NUT_RS_INTEROP=1` is set (then missing means failure). The tests that run C programs also
//! need root (the C daemons insist on files owned by user `nut`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_proto::config::*;

fn interop_required() -> bool {
    std::env::var("NUT_RS_INTEROP").is_ok_and(|v| v == "1")
}

/// Returns whether a prerequisite is there; prints a note (or fails under NUT_RS_INTEROP=1)
/// when it is not.
fn have(ok: bool, what: &str) -> bool {
    if !ok {
        assert!(
            !interop_required(),
            "NUT_RS_INTEROP=1 but {what} is missing"
        );
        eprintln!("note: skipping, {what} is missing (set NUT_RS_INTEROP=1 to require it)");
    }
    ok
}

fn messages(warnings: &[ConfigWarning]) -> Vec<String> {
    warnings.iter().map(ToString::to_string).collect()
}

// ---------------------------------------------------------------------------------------
// Debian's sample files

#[test]
fn debian_sample_files_parse_cleanly() {
    let dir = Path::new("/etc/nut");
    type Check = fn(&Path) -> Result<Vec<ConfigWarning>, ConfigError>;
    let files: [(&str, Check); 6] = [
        ("ups.conf", |p| UpsConf::load(p).map(|p| p.warnings)),
        ("upsd.conf", |p| UpsdConf::load(p).map(|p| p.warnings)),
        ("upsd.users", |p| UpsdUsers::load(p).map(|p| p.warnings)),
        ("upsmon.conf", |p| UpsmonConf::load(p).map(|p| p.warnings)),
        ("upssched.conf", |p| {
            UpsschedConf::load(p).map(|p| p.warnings)
        }),
        ("nut.conf", |p| NutConf::load(p).map(|p| p.warnings)),
    ];
    for (name, check) in files {
        let path = dir.join(name);
        if !have(path.is_file(), &format!("{}", path.display())) {
            continue;
        }
        let warnings = check(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(messages(&warnings), Vec::<String>::new(), "{name}");
    }
    let path = dir.join("upsmon.conf");
    if path.is_file() {
        let conf = UpsmonConf::load(&path).unwrap().config;
        // Debian's sample sets these to C's defaults, explicitly.
        assert_eq!(conf.shutdowncmd.as_deref(), Some("/sbin/shutdown -h +0"));
        assert_eq!(
            (conf.pollfreq, conf.deadtime, conf.rbwarntime),
            (5, 15, 43200)
        );
    }
}

#[test]
fn load_reports_missing_files() {
    let err = UpsdConf::load("/nonexistent/nut-rs/upsd.conf").unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err
        .to_string()
        .starts_with("/nonexistent/nut-rs/upsd.conf: "));
    assert_eq!(err.line(), None);
}

// ---------------------------------------------------------------------------------------
// Realistic files

const UPS_CONF: &str = r#"# Several devices, as an admin would write them.
maxretry = 3
retrydelay = 10
pollinterval = 2
user = nut

[serverroom]
	driver = usbhid-ups
	port = auto
	desc = "Server room \"A\" (Eaton 5PX)"
	vendorid = 0463
	productid = ffff
	serial = "G355J04006"
	pollfreq = 15
	override.battery.charge.low = 30
	default.input.voltage.nominal = 230
	sdorder = 1

[rack-pdu]
	driver = snmp-ups
	port = 10.0.0.50
	community = "pub lic"
	snmp_version = v2c
	mibs = auto
	nolock
	maxstartdelay = 120

[desk]
	driver = nutdrv_qx
	port = /dev/ttyUSB0
	protocol = megatec
	ignorelb
	sdorder = -1
	synchronous = yes
"#;

#[test]
fn realistic_ups_conf() {
    let p = UpsConf::parse(UPS_CONF.as_bytes(), "ups.conf").unwrap();
    assert_eq!(messages(&p.warnings), Vec::<String>::new());
    let c = &p.config;
    assert_eq!(
        (c.global.maxretry, c.global.retrydelay),
        (Some(3), Some(10))
    );
    assert_eq!(c.global.user.as_deref(), Some("nut"));
    let names: Vec<_> = c.ups.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["serverroom", "rack-pdu", "desk"]);
    let a = c.get("SERVERROOM").unwrap();
    assert_eq!(a.desc.as_deref(), Some("Server room \"A\" (Eaton 5PX)"));
    assert_eq!(a.sdorder, Some(1));
    let keys: Vec<_> = a.options.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "vendorid",
            "productid",
            "serial",
            "pollfreq",
            "override.battery.charge.low",
            "default.input.voltage.nominal"
        ]
    );
    let pdu = c.get("rack-pdu").unwrap();
    assert_eq!(pdu.option("community"), Some(Some("pub lic")));
    assert!(pdu.nolock && !pdu.ignorelb);
    assert_eq!(c.maxstartdelay_for(pdu), 120);
    assert_eq!(c.maxstartdelay_for(a), DEFAULT_MAXSTARTDELAY);
    let desk = c.get("desk").unwrap();
    assert!(desk.ignorelb);
    assert_eq!(c.synchronous_for(desk), Synchronous::Yes);
    assert_eq!(c.user_for(desk), Some("nut"));
    round_trip_ups(c);
}

fn round_trip_ups(c: &UpsConf) {
    let text = c.to_text();
    let back = UpsConf::parse(text.as_bytes(), "ups.conf").unwrap();
    assert_eq!(&back.config, c);
    assert_eq!(back.config.to_text(), text);
}

#[test]
fn realistic_upsd_conf_and_users() {
    let conf = "# upsd.conf\nLISTEN 127.0.0.1 3493\nLISTEN ::1 3493\nLISTEN 192.168.1.10\n\
                MAXAGE 25\nSTATEPATH /run/nut\nMAXCONN 256\nCERTFILE /etc/nut/upsd.pem\n\
                DISABLE_WEAK_SSL true\nTRACKINGDELAY 600\nALLOW_NO_DEVICE 1\n";
    let p = UpsdConf::parse(conf.as_bytes(), "upsd.conf").unwrap();
    assert_eq!(messages(&p.warnings), Vec::<String>::new());
    let c = &p.config;
    assert_eq!(c.listen.len(), 3);
    assert_eq!(c.listen[2].port_or_default(), 3493);
    assert_eq!((c.maxage, c.trackingdelay, c.maxconn), (25, 600, Some(256)));
    assert!(c.disable_weak_ssl && c.allow_no_device && !c.allow_not_all_listeners);
    let text = c.to_text();
    assert_eq!(UpsdConf::parse(text.as_bytes(), "x").unwrap().config, *c);

    let users = r#"
[admin]
	password = "Adm1n p@ss"
	actions = Set FSD
	actions = fsd
	instcmds = test.battery.start Test.Battery.Stop
	instcmds = beeper.toggle

[upsmon_local]
	password = localpw
	upsmon primary

[upsmon_remote]
	password = remotepw
	upsmon slave

[viewer]
	password = v
"#;
    let p = UpsdUsers::parse(users.as_bytes(), "upsd.users").unwrap();
    assert_eq!(messages(&p.warnings), Vec::<String>::new());
    let u = &p.config;
    let admin = u.get("admin").unwrap();
    assert_eq!(admin.actions, ["Set", "FSD", "fsd"]);
    assert!(admin.allows_action("SET") && admin.allows_action("set"));
    assert!(!admin.allows_action("LOGIN"));
    assert!(admin.allows_instcmd("TEST.BATTERY.START"));
    assert!(!admin.allows_instcmd("shutdown.return"));
    assert!(admin.check_password("Adm1n p@ss") && !admin.check_password("adm1n p@ss"));
    let local = u.get("upsmon_local").unwrap();
    assert!(
        local.allows_action("LOGIN") && local.allows_action("MASTER") && local.allows_action("fsd")
    );
    let remote = u.get("upsmon_remote").unwrap();
    assert_eq!(remote.upsmon, Some(UpsmonRole::Slave));
    assert!(remote.allows_action("login") && !remote.allows_action("FSD"));
    let viewer = u.get("viewer").unwrap();
    assert!(!viewer.allows_action("SET") && !viewer.allows_instcmd("x"));
    let debug = format!("{u:?}");
    for secret in ["Adm1n p@ss", "localpw", "remotepw"] {
        assert!(!debug.contains(secret), "Debug shows a password");
    }
    let text = u.to_text();
    let back = UpsdUsers::parse(text.as_bytes(), "upsd.users").unwrap();
    assert_eq!(back.config, *u);
    assert_eq!(back.config.to_text(), text);
}

#[test]
fn realistic_upsmon_primary_and_secondary() {
    let primary = r#"RUN_AS_USER nut
MONITOR serverroom@localhost 1 upsmon_local localpw primary
MONITOR rack-pdu@localhost 0 upsmon_local localpw master
MINSUPPLIES 1
SHUTDOWNCMD "/sbin/shutdown -h +0"
NOTIFYCMD /usr/sbin/upssched
POLLFREQ 5
POLLFREQALERT 2
HOSTSYNC 30
DEADTIME 15
POWERDOWNFLAG /etc/killpower
NOTIFYMSG ONBATT "UPS %s is on battery power!"
NOTIFYMSG LOWBATT "UPS %s: battery low"
NOTIFYFLAG ONLINE SYSLOG+WALL+EXEC
NOTIFYFLAG ONBATT SYSLOG+WALL+EXEC
NOTIFYFLAG LOWBATT SYSLOG+WALL+EXEC
NOTIFYFLAG REPLBATT IGNORE
RBWARNTIME 43200
NOCOMMWARNTIME 300
FINALDELAY 5
"#;
    let p = UpsmonConf::parse(primary.as_bytes(), "upsmon.conf").unwrap();
    assert_eq!(messages(&p.warnings), Vec::<String>::new());
    let c = &p.config;
    assert_eq!(c.monitors.len(), 2);
    assert!(c.monitors.iter().all(|m| m.role.is_primary()));
    assert_eq!(c.total_power_value(), 1);
    assert_eq!((c.pollfreqalert, c.hostsync), (2, 30));
    assert_eq!(
        format_notify_message(
            c.notify_message_for(NotifyEvent::OnBatt),
            &["serverroom@localhost"]
        ),
        "UPS serverroom@localhost is on battery power!"
    );
    assert_eq!(
        c.notify_message_for(NotifyEvent::CommBad),
        "Communications with UPS %s lost"
    );
    assert!(c
        .notify_flags_for(NotifyEvent::Online)
        .contains(NotifyFlags::EXEC));
    assert!(c
        .notify_flags_for(NotifyEvent::ReplBatt)
        .contains(NotifyFlags::IGNORE));
    assert_eq!(
        c.notify_flags_for(NotifyEvent::CommOk),
        NotifyFlags::SYSLOG.with(NotifyFlags::WALL)
    );
    assert!(!format!("{c:?}").contains("localpw"));
    let text = c.to_text();
    assert_eq!(UpsmonConf::parse(text.as_bytes(), "x").unwrap().config, *c);

    let secondary = "MONITOR serverroom@nutserver.example.com:3493 1 upsmon_remote remotepw secondary\n\
                     MONITOR desk@[fd00::10] 1 upsmon_remote remotepw slave\n\
                     MINSUPPLIES 2\nSHUTDOWNCMD \"/sbin/shutdown -h now\"\nCERTVERIFY 1\nFORCESSL 1\n\
                     CERTPATH /etc/nut/certs\nCERTHOST nutserver.example.com \"NUT server\" 1 1\n";
    let p = UpsmonConf::parse(secondary.as_bytes(), "upsmon.conf").unwrap();
    assert_eq!(messages(&p.warnings), Vec::<String>::new());
    let c = &p.config;
    assert!(c.monitors.iter().all(|m| !m.role.is_primary()));
    assert_eq!(c.monitors[0].system.host(), Some("nutserver.example.com"));
    assert_eq!(c.monitors[0].system.port(), Some(3493));
    assert_eq!(c.monitors[1].system.host_or_default(), "fd00::10");
    assert_eq!(c.total_power_value(), u64::from(c.minsupplies));
    assert!(c.certverify && c.forcessl);
    assert_eq!(
        c.certhosts,
        [CertHost::new(
            "nutserver.example.com",
            "NUT server",
            true,
            true
        )]
    );
    let text = c.to_text();
    assert_eq!(UpsmonConf::parse(text.as_bytes(), "x").unwrap().config, *c);
}

#[test]
fn realistic_upssched_hosts_and_nut_conf() {
    let sched = r#"CMDSCRIPT /usr/local/bin/upssched-cmd
PIPEFN /run/nut/upssched/upssched.pipe
LOCKFN /run/nut/upssched/upssched.lock

AT ONBATT * START-TIMER onbatt 30
AT ONLINE * CANCEL-TIMER onbatt online
AT LOWBATT * EXECUTE lowbatt
AT COMMBAD * START-TIMER commbad 30
AT COMMOK * CANCEL-TIMER commbad commok
AT NOCOMM * EXECUTE commbad
AT SHUTDOWN * EXECUTE powerdown
AT REPLBATT serverroom@localhost EXECUTE replace-battery
"#;
    let p = UpsschedConf::parse(sched.as_bytes(), "upssched.conf").unwrap();
    assert_eq!(messages(&p.warnings), Vec::<String>::new());
    let c = &p.config;
    assert_eq!(c.rules.len(), 8);
    assert_eq!(
        c.matching(NotifyEvent::ReplBatt, "serverroom@localhost")
            .count(),
        1
    );
    assert_eq!(
        c.matching(NotifyEvent::ReplBatt, "desk@localhost").count(),
        0
    );
    let text = c.to_text();
    assert_eq!(
        UpsschedConf::parse(text.as_bytes(), "x").unwrap().config,
        *c
    );

    let hosts =
        "MONITOR serverroom@localhost \"Server room\"\nMONITOR desk@10.0.0.5:3493 \"Desk\"\n";
    let p = HostsConf::parse(hosts.as_bytes(), "hosts.conf").unwrap();
    assert!(p.warnings.is_empty());
    assert_eq!(p.config.to_text(), hosts);

    let nut = "# See nut.conf(5)\nMODE=netserver\nUPSD_OPTIONS=\"\"\nUPSMON_OPTIONS=''\nPOWEROFF_WAIT=15m\n";
    let p = NutConf::parse(nut.as_bytes(), "nut.conf").unwrap();
    assert!(p.warnings.is_empty());
    assert_eq!(p.config.mode(), Some(NutMode::Netserver));
    assert_eq!(p.config.get("POWEROFF_WAIT"), Some("15m"));
}

// ---------------------------------------------------------------------------------------
// Broken files: messages and lines

#[test]
fn broken_ups_conf() {
    // A bare value key is fatal (C upsd and upsdrvctl crash on it).
    let err = UpsConf::parse(b"[a]\n\tdriver = dummy-ups\n\n\tport\n", "ups.conf").unwrap_err();
    assert_eq!(err.line(), Some(4));
    assert_eq!(err.kind(), Some(ErrorKind::MissingValue));
    let p = UpsConf::parse(
        b"maxretry = three\n[a]\n\tdriver = dummy-ups\n\tport = \"x#y\n\tdesc = Two words\n",
        "ups.conf",
    )
    .unwrap();
    assert_eq!(
        messages(&p.warnings),
        [
            "ups.conf:1: maxretry: \"three\" is not a number; C NUT reads it as 0",
            "ups.conf:2: Warning: ignoring incomplete configuration for UPS [a]",
            "ups.conf:4: Parse error: Unbalanced word due to unescaped # in quotes",
            "ups.conf:5: desc: extra argument(s) ignored: words (quote values that hold spaces)",
        ]
    );
    assert_eq!(p.config.global.maxretry, Some(0));
    assert_eq!(p.config.ups[0].desc.as_deref(), Some("Two"));
}

#[test]
fn broken_upsd_users_and_upsmon() {
    let p = UpsdUsers::parse(
        b"actions = SET\n[u]\n\tpassword = x\n\tupsmon boss\n\tactions = \"SET#\n\tinstcmd = all\n",
        "upsd.users",
    )
    .unwrap();
    assert_eq!(
        messages(&p.warnings),
        [
            "upsd.users:1: Ignoring actions definition outside user section",
            "upsd.users:4: Unknown upsmon type boss",
            "upsd.users:5: Parse error: Unbalanced word due to unescaped # in quotes",
            "upsd.users:6: Unrecognized user setting instcmd",
        ]
    );
    assert_eq!(p.config.users[0].upsmon, None);

    let p = UpsmonConf::parse(
        b"MONITOR ups@host 1 u p boss\nDEADTIME\nFINALDELAY 5s\nNOTIFYFLAG ONBATT syslog\nHOSTSYNC 99999999999\n",
        "upsmon.conf",
    )
    .unwrap();
    assert_eq!(
        messages(&p.warnings),
        [
            "upsmon.conf:1: UPS [ups@host]: unknown role 'boss' (expected primary or secondary); C NUT treats it as secondary",
            "upsmon.conf:2: invalid directive DEADTIME",
            "upsmon.conf:3: FINALDELAY: \"5s\" is not a number; C NUT reads it as 5",
            "upsmon.conf:4: Invalid notify flag: [syslog]",
            "upsmon.conf:5: HOSTSYNC: value 99999999999 is out of range; ignored",
        ]
    );
    assert_eq!(p.config.monitors[0].role, UpsmonRole::Secondary);
    assert_eq!(p.config.finaldelay, 5);
    assert_eq!(p.config.hostsync, 15);
    assert!(p.config.notify_flags_for(NotifyEvent::OnBatt).is_empty());
}

// ---------------------------------------------------------------------------------------
// The same files fed to the C programs

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A scratch configuration directory, owned by user `nut` as the C daemons require.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str, files: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("nut-rs-config-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("state")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let status = Command::new("chown")
            .arg("-R")
            .arg("nut:nut")
            .arg(&dir)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "chown nut failed");
        let status = Command::new("chmod")
            .arg("770")
            .arg(dir.join("state"))
            .status();
        assert!(status.is_ok_and(|s| s.success()));
        Self(dir)
    }

    /// Runs a C program with this directory as NUT_CONFPATH; kills it after `limit`.
    /// Returns its stderr and stdout lines without timestamps, and its exit code.
    fn run(
        &self,
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
        limit: Duration,
    ) -> (Vec<String>, Option<i32>) {
        let mut child = Command::new(program)
            .args(args)
            .env("NUT_CONFPATH", &self.0)
            .env("NUT_STATEPATH", self.0.join("state"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + limit;
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        let lines = text
            .lines()
            .map(|l| match l.split_once('\t') {
                Some((stamp, rest)) if stamp.trim().parse::<f64>().is_ok() => rest.to_owned(),
                _ => l.to_owned(),
            })
            .collect();
        (lines, out.status.code())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every `core` message is printed by C and is part of one of our warnings.
fn assert_both_say(c_lines: &[String], ours: &[ConfigWarning], cores: &[&str]) {
    for core in cores {
        assert!(
            c_lines.iter().any(|l| l.contains(core)),
            "C did not print {core:?}; it printed:\n{}",
            c_lines.join("\n")
        );
        assert!(
            ours.iter().any(|w| w.message.contains(core)),
            "we did not report {core:?}; we reported:\n{}",
            messages(ours).join("\n")
        );
    }
}

fn can_run_c(program: &str) -> bool {
    have(Path::new(program).is_file(), program)
        && have(is_root(), "root (to give files to user nut)")
}

#[test]
fn c_upsd_agrees_on_upsd_conf_and_users() {
    if !can_run_c("/lib/nut/upsd") {
        return;
    }
    let upsd_conf =
        "LISTEN 127.0.0.1 0\nMAXAGE abc\nFOO bar\nMAXAGE\nACL x y\nDISABLE_WEAK_SSL maybe\n\
                     ALLOW_NO_DEVICE perhaps\nACCEPT all\nDEBUG_MIN -2\n";
    let users =
        "password = before\n[admin]\n\tpassword = secret\n\tactions = SET fsd\n\tupsmon weird\n\
                 \tbogus = x\n\tallowfrom = x\n\tpassword = again\n[admin]\n\tactions = XYZ\n";
    let scratch = Scratch::new(
        "upsd",
        &[
            ("upsd.conf", upsd_conf),
            ("upsd.users", users),
            (
                "ups.conf",
                "[dummy]\n\tdriver = dummy-ups\n\tport = x.dev\n",
            ),
        ],
    );
    let (c_lines, _) = scratch.run(
        "/lib/nut/upsd",
        &["-F", "-u", "nut"],
        &[],
        Duration::from_millis(1500),
    );
    let ours = UpsdConf::parse(upsd_conf.as_bytes(), "upsd.conf")
        .unwrap()
        .warnings;
    assert_both_say(
        &c_lines,
        &ours,
        &[
            "MAXAGE has non numeric value (abc)!",
            "invalid directive MAXAGE abc",
            "invalid directive FOO bar",
            "invalid directive MAXAGE",
            "ACL in upsd.conf is no longer supported - switch to LISTEN",
            "DISABLE_WEAK_SSL has non boolean value (maybe)!",
            "invalid directive DISABLE_WEAK_SSL maybe",
            "ALLOW_NO_DEVICE has non numeric and non boolean value (perhaps)!",
            "ACCEPT in upsd.conf is no longer supported - switch to LISTEN",
            "DEBUG_MIN has non numeric or negative value in upsd.conf",
        ],
    );
    let ours = UpsdUsers::parse(users.as_bytes(), "upsd.users")
        .unwrap()
        .warnings;
    assert_both_say(
        &c_lines,
        &ours,
        &[
            "Unknown upsmon type weird",
            "Unrecognized user setting bogus",
            "allowfrom in upsd.users is no longer used",
            "Ignoring duplicate password for admin",
            "Ignoring duplicate user admin",
        ],
    );
}

#[test]
fn c_upsmon_agrees_on_upsmon_conf() {
    if !can_run_c("/lib/nut/upsmon") {
        return;
    }
    let conf = "MONITOR dummy@127.0.0.1:1 1 mon p primary\nMONITOR dummy@127.0.0.1:1 1 mon p secondary\n\
                MONITOR third@ 1 mon p slave\nMONITOR short 1 mon\nPOLLFREQ -3\n\
                NOTIFYFLAG ONLINE SYSLOG+BAD+EXEC\nNOTIFYFLAG WHAT SYSLOG\nNOTIFYMSG WHAT \"x\"\nFOO\n\
                DEBUG_MIN x\nFINALDELAY -1\n";
    let scratch = Scratch::new("upsmon", &[("upsmon.conf", conf)]);
    // -K only reads the configuration and checks the power-down flag.
    let (c_lines, _) = scratch.run("/lib/nut/upsmon", &["-K"], &[], Duration::from_secs(10));
    if c_lines
        .iter()
        .any(|l| l.contains("Fatal error: A previous upsmon instance is already running"))
    {
        eprintln!("note: skipping, an upsmon is running on this machine");
        return;
    }
    let ours = UpsmonConf::parse(conf.as_bytes(), "upsmon.conf")
        .unwrap()
        .warnings;
    assert_both_say(
        &c_lines,
        &ours,
        &[
            "Warning: ignoring duplicate UPS [dummy@127.0.0.1:1]",
            "unable to split UPS name [third@]",
            // C goes on with the rest of the line ("short 1 mon"); we do not repeat the
            // words of a MONITOR-like line, which may hold a password.
            "invalid directive MONITOR",
            "Ignoring invalid POLLFREQ value: -3",
            "Invalid notify flag: [BAD]",
            "Warning: invalid notify type [WHAT]",
            "'WHAT' is not a valid notify event name",
            "invalid directive FOO",
            "WARNING : Invalid DEBUG_MIN value found in upsmon.conf global settings",
            "Ignoring invalid FINALDELAY value: -1",
        ],
    );

    let old = "MONITOR ups@localhost 1 pass primary\n";
    let scratch = Scratch::new("upsmon-old", &[("upsmon.conf", old)]);
    let (c_lines, code) = scratch.run("/lib/nut/upsmon", &["-K"], &[], Duration::from_secs(10));
    assert_eq!(code, Some(1));
    let err = UpsmonConf::parse(old.as_bytes(), "upsmon.conf").unwrap_err();
    let core = "Unable to use old-style MONITOR line without a username";
    assert!(c_lines.iter().any(|l| l.contains(core)), "{c_lines:?}");
    assert!(err.to_string().contains(core));
}

#[test]
fn c_upssched_agrees_on_upssched_conf() {
    if !have(
        Path::new("/usr/sbin/upssched").is_file(),
        "/usr/sbin/upssched",
    ) {
        return;
    }
    if !have(is_root(), "root (to give files to user nut)") {
        return;
    }
    let env = [("UPSNAME", "dummy@localhost"), ("NOTIFYTYPE", "ONBATT")];
    let early = "FOO bar\nAT ONBATT * START-TIMER x 10\n";
    let scratch = Scratch::new("upssched-early", &[("upssched.conf", early)]);
    let (c_lines, code) = scratch.run("/usr/sbin/upssched", &[], &env, Duration::from_secs(10));
    assert_eq!(code, Some(1));
    let err = UpsschedConf::parse(early.as_bytes(), "upssched.conf").unwrap_err();
    let core = "CMDSCRIPT must be set before any ATs in the config file!";
    assert!(c_lines.iter().any(|l| l.contains(core)), "{c_lines:?}");
    assert!(err.to_string().ends_with(core));
    assert_eq!(err.line(), Some(2));

    let conf = "CMDSCRIPT /bin/true\nPIPEFN /nonexistent/p\nLOCKFN /nonexistent/l\nFOO bar\n\
                AT ONBATT *\nAT ONBATT * BOGUS x\nAT ONBATT * EXECUTE \"\"\n";
    let scratch = Scratch::new("upssched", &[("upssched.conf", conf)]);
    let (c_lines, _) = scratch.run("/usr/sbin/upssched", &[], &env, Duration::from_secs(10));
    let ours = UpsschedConf::parse(conf.as_bytes(), "upssched.conf")
        .unwrap()
        .warnings;
    assert_both_say(
        &c_lines,
        &ours,
        &[
            "invalid directive FOO bar",
            "invalid directive AT ONBATT *",
            "Invalid command: BOGUS",
            "Empty EXECUTE command argument",
        ],
    );
}

#[test]
fn c_drivers_agree_on_ups_conf() {
    if !can_run_c("/lib/nut/dummy-ups") {
        return;
    }
    let conf = "pollinterval = 0\n[x]\n\tdriver = dummy-ups\n\tport = x.dev\n";
    let scratch = Scratch::new("driver", &[("ups.conf", conf)]);
    let (c_lines, code) = scratch.run(
        "/lib/nut/dummy-ups",
        &["-a", "x", "-u", "nut"],
        &[],
        Duration::from_secs(10),
    );
    assert_ne!(code, Some(0));
    let ours = UpsConf::parse(conf.as_bytes(), "ups.conf")
        .unwrap()
        .warnings;
    assert_both_say(&c_lines, &ours, &["Error: invalid pollinterval: 0"]);
    assert_eq!(ours[0].kind, WarningKind::DriverFatal);

    // C upsdrvctl crashes on a bare 'driver'; we refuse the file.
    if !have(
        Path::new("/usr/sbin/upsdrvctl").is_file(),
        "/usr/sbin/upsdrvctl",
    ) {
        return;
    }
    let conf = "[x]\n\tdriver\n\tport = x.dev\n";
    let scratch = Scratch::new("upsdrvctl", &[("ups.conf", conf)]);
    let (_, code) = scratch.run(
        "/usr/sbin/upsdrvctl",
        &["-t", "start"],
        &[],
        Duration::from_secs(10),
    );
    assert_eq!(code, None, "C upsdrvctl was expected to die by a signal");
    assert_eq!(
        UpsConf::parse(conf.as_bytes(), "ups.conf")
            .unwrap_err()
            .kind(),
        Some(ErrorKind::MissingValue)
    );
}

/// A misspelled or malformed line of a file that holds passwords is reported without the
/// password (C repeats the whole line).
#[test]
fn warnings_never_repeat_passwords() {
    let secret = "s3cr3t-pw";
    let upsmon = format!(
        "MONITR ups@h 1 mon {secret} primary\nMONITOR ups@h 1 mon {secret} primary extra\nmonitor ups@h mon {secret}\n"
    );
    let users = format!("[u]\npassword {secret}\npasswd = {secret}\npassword = {secret} two\n");
    let ups = format!(
        "[u]\ndriver = snmp-ups\nport = x\nauthPassword {secret}\nprivPassword = {secret} more\ncommunity {secret}\n"
    );
    let mut all = messages(
        &UpsmonConf::parse(upsmon.as_bytes(), "upsmon.conf")
            .unwrap()
            .warnings,
    );
    all.extend(messages(
        &UpsdUsers::parse(users.as_bytes(), "upsd.users")
            .unwrap()
            .warnings,
    ));
    all.extend(messages(
        &UpsConf::parse(ups.as_bytes(), "ups.conf").unwrap().warnings,
    ));
    assert!(all.len() >= 6, "{all:#?}");
    for m in &all {
        assert!(!m.contains("s3cr3t"), "{m}");
    }
}
