//! upsmon over TLS against our upsd (the `upsd` binary, with a CERTFILE) over our dummy-ups:
//! `FORCESSL 1` + `CERTVERIFY 1` with the right CA and certificate name connects and follows
//! the UPS (OB, then OL); a CERTHOST name the certificate does not carry, or a server without TLS, is
//! refused (COMMBAD, no login), and upsmon keeps running.
//!
//! The certificates are made at test time with the openssl CLI; without it (or without a
//! `nut` user for the driver) the test prints a note and passes, unless `NUT_RS_INTEROP=1`.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(60);

mod support;

use support::{free_port, interop, Proc};

fn wait_for<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    support::wait_for(what, DEADLINE, Duration::from_millis(100), f)
}

/// A CA and a server certificate for `localhost` (key included) made with the openssl CLI.
fn make_certs(dir: &Path) -> bool {
    let run = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let ok = run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test CA",
    ]) && run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]) && run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    if ok {
        let mut pem = fs::read(dir.join("server.pem")).unwrap();
        pem.extend(fs::read(dir.join("server.key")).unwrap());
        fs::write(dir.join("upsd.pem"), pem).unwrap();
        // CERTPATH is a directory of CA certificates, as for C's OpenSSL build.
        fs::create_dir_all(dir.join("cas")).unwrap();
        fs::copy(dir.join("ca.pem"), dir.join("cas/ca.pem")).unwrap();
    }
    ok
}

/// Our upsd (with `CERTFILE` when `certfile` is given) over our dummy-ups.
struct Server {
    dir: PathBuf,
    port: u16,
    _driver: Proc,
    _upsd: Proc,
}

impl Server {
    fn start(dir: &Path, certfile: Option<&Path>) -> Self {
        let port = free_port();
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join("ups.dev"), "ups.status: OB\n").unwrap();
        fs::write(
            dir.join("ups.conf"),
            "[dummy]\n\tdriver = dummy-ups\n\tport = ups.dev\n",
        )
        .unwrap();
        let mut upsd_conf = format!("LISTEN 127.0.0.1 {port}\n");
        if let Some(cert) = certfile {
            upsd_conf += &format!("CERTFILE {}\n", cert.display());
        }
        fs::write(dir.join("upsd.conf"), upsd_conf).unwrap();
        fs::write(
            dir.join("upsd.users"),
            "[pri]\n\tpassword = pripass\n\tupsmon primary\n",
        )
        .unwrap();
        fs::set_permissions(dir, fs::Permissions::from_mode(0o777)).unwrap();
        let env = |c: &mut Command| {
            c.env("NUT_CONFPATH", dir)
                .env("NUT_STATEPATH", dir)
                .env("NUT_ALTPIDPATH", dir);
        };
        let mut c = Command::new(env!("CARGO_BIN_EXE_dummy-ups"));
        c.args(["-a", "dummy", "-F"]);
        env(&mut c);
        let driver = Proc::spawn(&mut c);
        wait_for("the driver socket", || {
            dir.join("dummy-ups-dummy").exists().then_some(())
        });
        let mut c = Command::new(env!("CARGO_BIN_EXE_upsd"));
        c.arg("-F");
        env(&mut c);
        let server = Self {
            dir: dir.to_owned(),
            port,
            _driver: driver,
            _upsd: Proc::spawn(&mut c),
        };
        wait_for("upsd to serve the UPS", || {
            server
                .ask("GET VAR dummy ups.status")
                .filter(|l| l.starts_with("VAR"))
        });
        server
    }

    /// One request on a fresh plain connection; the reply line.
    fn ask(&self, line: &str) -> Option<String> {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        (&stream).write_all(format!("{line}\n").as_bytes()).ok()?;
        let mut reply = String::new();
        BufReader::new(&stream).read_line(&mut reply).ok()?;
        Some(reply.trim_end().to_owned())
    }

    /// Rewrites the .dev file (dummy-ups re-reads it when it changes).
    fn set_status(&self, status: &str) {
        fs::write(self.dir.join("ups.dev"), format!("ups.status: {status}\n")).unwrap();
    }

    fn logins(&self) -> Option<String> {
        self.ask("GET NUMLOGINS dummy")
    }
}

/// Our upsmon with `tls` settings, recording its notifications in `dir/events`.
struct Upsmon {
    dir: PathBuf,
    proc: Proc,
}

impl Upsmon {
    fn start(dir: &Path, port: u16, tls: &str) -> Self {
        fs::create_dir_all(dir).unwrap();
        let script = dir.join("notify.sh");
        fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$NOTIFYTYPE\" >> {}\n",
                dir.join("events").display()
            ),
        )
        .unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        let mut conf = format!(
            "MONITOR dummy@127.0.0.1:{port} 1 pri pripass primary\nNOTIFYCMD {}\n\
             SHUTDOWNCMD \"true\"\nPOWERDOWNFLAG {}\nPOLLFREQ 1\nPOLLFREQALERT 1\n{tls}",
            script.display(),
            dir.join("killpower").display(),
        );
        for e in ["ONLINE", "ONBATT", "COMMOK", "COMMBAD", "NOCOMM"] {
            conf += &format!("NOTIFYFLAG {e} EXEC\n");
        }
        let conf_path = dir.join("upsmon.conf");
        fs::write(&conf_path, conf).unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_upsmon"));
        c.args(["-F", "-p", "-f"])
            .arg(&conf_path)
            .env("NUT_PIDPATH", dir)
            .env("NUT_CONFPATH", dir);
        Self {
            dir: dir.to_owned(),
            proc: Proc::spawn(&mut c),
        }
    }

    fn events(&self) -> Vec<String> {
        fs::read_to_string(self.dir.join("events"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn wait_event(&self, event: &str) {
        wait_for(event, || {
            self.events().iter().any(|e| e == event).then_some(())
        });
    }
}

#[test]
fn upsmon_forcessl_certverify_against_our_upsd() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    fs::create_dir_all(&certs).unwrap();
    if !make_certs(&certs) {
        assert!(!interop(), "NUT_RS_INTEROP=1 but the openssl CLI failed");
        eprintln!("note: skipping, the openssl CLI is not available");
        return;
    }
    let cas = certs.join("cas");
    let tls = Server::start(&tmp.path().join("tls"), Some(&certs.join("upsd.pem")));
    let plain = Server::start(&tmp.path().join("plain"), None);
    let verified = |certname: &str| {
        format!(
            "CERTPATH {}\nCERTVERIFY 1\nFORCESSL 1\nCERTHOST 127.0.0.1 {certname} 1 1\n",
            cas.display()
        )
    };

    // The right CA and name: connects, logs in and follows OB → OL.
    let good = Upsmon::start(&tmp.path().join("good"), tls.port, &verified("localhost"));
    good.wait_event("ONBATT");
    tls.set_status("OL");
    good.wait_event("ONLINE");
    assert_eq!(tls.logins().as_deref(), Some("NUMLOGINS dummy 1"));
    drop(good);
    wait_for("upsmon's login to go", || {
        (tls.logins().as_deref() == Some("NUMLOGINS dummy 0")).then_some(())
    });
    tls.set_status("OB");

    // The global settings (no CERTHOST line) check the MONITOR host name, 127.0.0.1, which
    // the certificate does not carry; a CERTHOST name it does not carry fails the same way.
    let global = format!(
        "CERTPATH {}\nCERTVERIFY 1\nFORCESSL 1\n",
        cas.join("ca.pem").display()
    );
    for (name, settings) in [("global", global), ("wrong", verified("ups.example.net"))] {
        let mut bad = Upsmon::start(&tmp.path().join(name), tls.port, &settings);
        bad.wait_event("COMMBAD");
        std::thread::sleep(Duration::from_secs(2));
        assert!(bad.proc.running(), "{name}: upsmon died");
        assert_eq!(tls.logins().as_deref(), Some("NUMLOGINS dummy 0"), "{name}");
        let events = bad.events();
        assert!(
            events.iter().all(|e| e == "COMMBAD" || e == "NOCOMM"),
            "{name}: {events:?}"
        );
    }

    // FORCESSL 1 against a server without TLS: refused. Without it: plain text is fine.
    let mut forced = Upsmon::start(&tmp.path().join("forced"), plain.port, "FORCESSL 1\n");
    forced.wait_event("COMMBAD");
    std::thread::sleep(Duration::from_secs(2));
    assert!(forced.proc.running());
    assert_eq!(plain.logins().as_deref(), Some("NUMLOGINS dummy 0"));
    drop(forced);
    let relaxed = Upsmon::start(&tmp.path().join("relaxed"), plain.port, "");
    relaxed.wait_event("ONBATT");
    assert_eq!(plain.logins().as_deref(), Some("NUMLOGINS dummy 1"));
}

/// Runs our dummy-ups as a repeater of `dummy@<host>:<port>` with the extra `-x` options,
/// dumping after the first update (`-d 1`); a run that has not ended after a few seconds
/// (the runtime retrying a refused server) is stopped. Returns (dump, stderr).
fn repeat(dir: &Path, host: &str, port: u16, options: &[String]) -> (String, String) {
    use std::process::Stdio;
    let mut c = Command::new(env!("CARGO_BIN_EXE_dummy-ups"));
    c.args([
        "-s",
        "mirror",
        "-x",
        &format!("port=dummy@{host}:{port}"),
        "-d",
        "1",
    ])
    .env("NUT_STATEPATH", dir)
    .env("NUT_ALTPIDPATH", dir)
    .env("NUT_CONFPATH", dir)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for o in options {
        c.args(["-x", o]);
    }
    let mut child = support::Kill(c.spawn().unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while child.0.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.0.kill();
    let out = child.take_output();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The dummy-ups repeater over STARTTLS: with `certverify` and the right CA it mirrors the
/// UPS; with another CA, a name the certificate does not carry, or (with `forcessl`) a
/// server without TLS, it refuses, never falling back to plain text; without `certverify`
/// it says the certificate is not verified.
#[test]
fn repeater_verifies_the_remote_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let (certs, others) = (tmp.path().join("certs"), tmp.path().join("others"));
    fs::create_dir_all(&certs).unwrap();
    fs::create_dir_all(&others).unwrap();
    if !make_certs(&certs) || !make_certs(&others) {
        assert!(!interop(), "NUT_RS_INTEROP=1 but the openssl CLI failed");
        eprintln!("note: skipping, the openssl CLI is not available");
        return;
    }
    let tls = Server::start(&tmp.path().join("tls"), Some(&certs.join("upsd.pem")));
    let plain = Server::start(&tmp.path().join("plain"), None);
    let work = tmp.path().join("work");
    fs::create_dir_all(&work).unwrap();
    let verify = |cas: &Path| {
        vec![
            format!("certpath={}", cas.display()),
            "certverify".to_owned(),
        ]
    };

    let (dump, said) = repeat(&work, "localhost", tls.port, &verify(&certs.join("cas")));
    assert!(dump.contains("ups.status: OB"), "{dump}\n{said}");
    assert!(!said.contains("not be verified"), "{said}");

    let mut named = verify(&certs.join("cas/ca.pem"));
    named.push("certname=localhost".to_owned());
    let (dump, said) = repeat(&work, "127.0.0.1", tls.port, &named);
    assert!(dump.contains("ups.status: OB"), "certname: {dump}\n{said}");

    for (what, host, port, options) in [
        (
            "another CA",
            "localhost",
            tls.port,
            verify(&others.join("cas")),
        ),
        (
            "a name not in the certificate",
            "127.0.0.1",
            tls.port,
            verify(&certs.join("cas")),
        ),
        (
            "no TLS, forcessl",
            "localhost",
            plain.port,
            vec!["forcessl".to_owned()],
        ),
        (
            "no TLS, certverify",
            "localhost",
            plain.port,
            verify(&certs.join("cas")),
        ),
    ] {
        let (dump, said) = repeat(&work, host, port, &options);
        assert!(
            !dump.contains("ups.status"),
            "{what}: mirrored anyway: {dump}"
        );
        assert!(
            said.to_ascii_lowercase().contains("certificate")
                || said.contains("TLS")
                || said.contains("STARTTLS"),
            "{what}: no reason given: {said}"
        );
    }

    // Without verification, as C: mirrored, with a warning.
    let (dump, said) = repeat(&work, "localhost", tls.port, &[]);
    assert!(dump.contains("ups.status: OB"), "{dump}\n{said}");
    assert!(said.contains("will not be verified"), "{said}");

    // A verification that cannot work is a configuration error at once.
    let (_, said) = repeat(&work, "localhost", tls.port, &["certverify".to_owned()]);
    assert!(said.contains("no certpath"), "{said}");
}
