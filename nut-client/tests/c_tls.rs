//! nut-client against Debian's C upsd (built with NSS) configured with a certificate: the
//! server certificate and key live in an NSS database (`CERTPATH`, `CERTIDENT`), made from
//! openssl-generated PEM files with `pk12util`. The client verifies it against the CA file,
//! upgrades opportunistically and refuses a wrong name or an untrusted issuer. C upsd 2.8.0
//! ignores `CERTREQUEST` (see the last test).

use std::net::TcpStream as StdTcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nut_client::{Client, ClientConfig, Error, TlsConfig, TlsMode};

const DEADLINE: Duration = Duration::from_secs(30);

/// Whether a program is installed; panics when it is not and `NUT_RS_INTEROP=1`.
fn have(program: &str) -> bool {
    let found = Path::new(program).exists()
        || (!program.contains('/')
            && std::env::var_os("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).exists())));
    if !found {
        assert!(
            std::env::var("NUT_RS_INTEROP").as_deref() != Ok("1"),
            "NUT_RS_INTEROP=1 but {program} is not installed"
        );
        eprintln!("note: {program} not installed, skipping this interop test");
    }
    found
}

/// A child process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(program: &str, dir: &Path, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{program} {args:?}: {out:?}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA `<ca>.pem`/`<ca>.key` in `dir`.
fn make_ca(dir: &Path, ca: &str) {
    run(
        "openssl",
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN=test {ca}"),
        ],
    );
}

/// `<name>.pem`/`<name>.key` signed by the CA `ca`, with the extensions `ext`.
fn make_cert(dir: &Path, ca: &str, name: &str, ext: &str) {
    std::fs::write(dir.join(format!("{name}.cnf")), ext).unwrap();
    run(
        "openssl",
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={name}"),
        ],
    );
    run(
        "openssl",
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-extfile",
            &format!("{name}.cnf"),
        ],
    );
}

/// C upsd (NSS) with a dummy-ups device, its certificate `localhost` (signed by `ca`) in an
/// NSS database under the nickname "upsd".
struct CUpsd {
    root: tempfile::TempDir,
    port: u16,
    _driver: Proc,
    _upsd: Proc,
}

impl CUpsd {
    fn certs(&self) -> PathBuf {
        self.root.path().join("certs")
    }

    fn config(&self) -> nut_client::ClientConfigBuilder {
        ClientConfig::builder("127.0.0.1")
            .port(self.port)
            .read_timeout(DEADLINE)
    }

    /// The CA file and the name the server certificate carries.
    fn good_tls(&self) -> TlsConfig {
        TlsConfig::new()
            .ca_file(self.certs().join("ca.pem"))
            .server_name("localhost")
    }

    /// Starts everything; `certrequest` goes into upsd.conf when given (the CA is then
    /// trusted in the database for client certificates). `None` when a program is missing.
    async fn start(certrequest: Option<u8>) -> Option<Self> {
        for program in [
            "/lib/nut/upsd",
            "/lib/nut/dummy-ups",
            "openssl",
            "certutil",
            "pk12util",
        ] {
            if !have(program) {
                return None;
            }
        }
        let root = tempfile::tempdir().unwrap();
        let (etc, state, certs, db) = (
            root.path().join("etc"),
            root.path().join("state"),
            root.path().join("certs"),
            root.path().join("nssdb"),
        );
        for d in [&etc, &state, &certs, &db] {
            std::fs::create_dir(d).unwrap();
        }
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();

        make_ca(&certs, "ca");
        make_cert(
            &certs,
            "ca",
            "localhost",
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
             extendedKeyUsage=serverAuth\n",
        );
        make_cert(
            &certs,
            "ca",
            "client",
            "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
        );

        // The NSS database: empty password, server certificate and key as "upsd".
        let sql = format!("sql:{}", db.display());
        run(
            "certutil",
            root.path(),
            &["-N", "-d", &sql, "--empty-password"],
        );
        let p12 = certs.join("upsd.p12").display().to_string();
        run(
            "openssl",
            &certs,
            &[
                "pkcs12",
                "-export",
                "-in",
                "localhost.pem",
                "-inkey",
                "localhost.key",
                "-certfile",
                "ca.pem",
                "-name",
                "upsd",
                "-out",
                &p12,
                "-passout",
                "pass:",
            ],
        );
        run(
            "pk12util",
            root.path(),
            &["-i", &p12, "-d", &sql, "-W", "", "-K", ""],
        );
        let mut upsd_conf = String::new();
        if let Some(level) = certrequest {
            // Trust the CA for client certificates ("T" in the SSL trust field).
            let ca = certs.join("ca.pem").display().to_string();
            run(
                "certutil",
                root.path(),
                &["-A", "-d", &sql, "-n", "test ca", "-t", "CT,,", "-i", &ca],
            );
            upsd_conf.push_str(&format!("CERTREQUEST {level}\n"));
        }

        let port = free_port();
        upsd_conf.push_str(&format!(
            "LISTEN 127.0.0.1 {port}\nCERTPATH {}\nCERTIDENT \"upsd\" \"\"\n",
            db.display()
        ));
        let files = [
            (
                "ups.conf",
                "[dummy]\n driver = dummy-ups\n port = dummy.dev\n".to_owned(),
            ),
            (
                "dummy.dev",
                "ups.status: OL\nbattery.charge: 90\nups.mfr: Dummy Maker\n".to_owned(),
            ),
            ("upsd.conf", upsd_conf),
            (
                "upsd.users",
                "[mon]\n password = monpw\n upsmon primary\n".to_owned(),
            ),
        ];
        for (name, text) in files {
            std::fs::write(etc.join(name), text).unwrap();
        }
        let owner = root.path().display().to_string();
        run("chown", root.path(), &["-R", "nut:nut", &owner]);
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o770)).unwrap();

        let daemon = |program: &str, args: &[&str]| {
            Proc(
                Command::new(program)
                    .args(args)
                    .env("NUT_CONFPATH", &etc)
                    .env("NUT_STATEPATH", &state)
                    .env("NUT_ALTPIDPATH", &state)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        };
        let driver = daemon("/lib/nut/dummy-ups", &["-a", "dummy", "-u", "nut", "-F"]);
        let sock = state.join("dummy-ups-dummy");
        wait_for("the dummy-ups socket", || sock.exists().then_some(()));
        let upsd = daemon("/lib/nut/upsd", &["-F", "-u", "nut"]);
        wait_for("C upsd to listen", || {
            StdTcpStream::connect(("127.0.0.1", port)).ok()
        });
        let c = Self {
            root,
            port,
            _driver: driver,
            _upsd: upsd,
        };
        // Plain text until the driver's first dump has arrived.
        let plain = Client::connect(c.config().build()).await.unwrap();
        let start = Instant::now();
        loop {
            if let Ok(v) = plain.get_var("dummy", "ups.status").await {
                if v.as_str() == "OL" {
                    break;
                }
            }
            assert!(start.elapsed() < DEADLINE, "the dummy-ups dump never came");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(c)
    }
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The whole error chain as text.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        text.push_str(&format!(": {e}"));
        source = e.source();
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_c_upsd_nss_certificate() {
    let Some(upsd) = CUpsd::start(None).await else {
        return;
    };

    // Required TLS, the CA file, the name in the certificate: variables read over TLS.
    let required = upsd
        .config()
        .tls_mode(TlsMode::Required)
        .tls(upsd.good_tls())
        .build();
    let client = Client::connect(required).await.unwrap();
    assert!(client.is_tls());
    assert_eq!(client.get_var("dummy", "ups.status").await.unwrap(), "OL");
    assert_eq!(
        client.get_var("dummy", "battery.charge").await.unwrap(),
        "90"
    );
    assert_eq!(
        client.get_var("dummy", "ups.mfr").await.unwrap(),
        "Dummy Maker"
    );

    // A name the certificate does not carry: a certificate error.
    let wrong_name = upsd
        .config()
        .tls_mode(TlsMode::Required)
        .tls(
            TlsConfig::new()
                .ca_file(upsd.certs().join("ca.pem"))
                .server_name("ups.example.net"),
        )
        .build();
    match Client::connect(wrong_name).await {
        Err(e @ Error::Tls(_)) => {
            let text = chain(&e);
            assert!(text.contains("certificate"), "{text}");
        }
        other => panic!("wrong name accepted: {other:?}"),
    }

    // An untrusted issuer (the server's own certificate is not a CA): refused too.
    let untrusted = upsd
        .config()
        .tls_mode(TlsMode::Required)
        .tls(
            TlsConfig::new()
                .ca_file(upsd.certs().join("client.pem"))
                .server_name("localhost"),
        )
        .build();
    assert!(matches!(
        Client::connect(untrusted).await,
        Err(Error::Tls(_))
    ));

    // Opportunistic (C's "try SSL"): C upsd offers STARTTLS, so the client upgrades.
    let opportunistic = upsd
        .config()
        .tls_mode(TlsMode::Opportunistic)
        .tls(upsd.good_tls())
        .build();
    let client = Client::connect(opportunistic).await.unwrap();
    assert!(client.is_tls());
    assert_eq!(client.get_var("dummy", "ups.status").await.unwrap(), "OL");

    // Login as a primary over TLS, which C upsd counts.
    let primary = upsd
        .config()
        .tls_mode(TlsMode::Required)
        .tls(upsd.good_tls())
        .credentials("mon", "monpw")
        .build();
    let client = Client::connect(primary).await.unwrap();
    client.login("dummy").await.unwrap();
    assert_eq!(client.get_num_logins("dummy").await.unwrap(), 1);
}

/// C NUT 2.8.0 compiles its client-certificate code (`CERTREQUEST`) only under
/// `WITH_CLIENT_CERTIFICATE_VALIDATION`, which its configure script never defines: Debian's
/// upsd does not know the keyword (it is not among the binary's strings) and never asks for a
/// certificate. A client with a certificate and one without are both served. Our upsd does
/// enforce `CERTREQUEST` (see nut-server's README); this pins down the difference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_upsd_2_8_0_ignores_certrequest() {
    let Some(upsd) = CUpsd::start(Some(2)).await else {
        return;
    };
    let certs = upsd.certs();
    let with_cert = upsd
        .config()
        .tls_mode(TlsMode::Required)
        .tls(
            upsd.good_tls()
                .client_cert(certs.join("client.pem"), certs.join("client.key")),
        )
        .build();
    let client = Client::connect(with_cert).await.unwrap();
    assert!(client.is_tls());
    assert_eq!(client.get_var("dummy", "ups.status").await.unwrap(), "OL");

    let without = upsd
        .config()
        .tls_mode(TlsMode::Required)
        .tls(upsd.good_tls())
        .build();
    let client = Client::connect(without).await.unwrap();
    assert!(client.is_tls());
    assert_eq!(client.get_var("dummy", "ups.status").await.unwrap(), "OL");
}
