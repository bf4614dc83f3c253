//! Client certificates (`CERTREQUEST`): a rustls client with and without a certificate
//! against our upsd, and C's `upsmon` (NSS) presenting a certificate from its database.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::support::*;

/// Runs the openssl CLI in `dir`; panics when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

/// A CA (`<ca>.pem`, `<ca>.key`), made once per name in `dir`.
fn make_ca(dir: &Path, ca: &str) {
    openssl(
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

/// A certificate `<name>.pem` with key `<name>.key`, signed by `<ca>`, with the given
/// extensions.
fn make_cert(dir: &Path, ca: &str, name: &str, ext: &str) {
    std::fs::write(dir.join(format!("{name}.cnf")), ext).unwrap();
    openssl(
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
    openssl(
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

const SERVER_EXT: &str = "subjectAltName=DNS:localhost,IP:127.0.0.1\n\
basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
const CLIENT_EXT: &str = "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";

/// The certificates of these tests, in `dir`: `ca` signs `localhost` (the server) and
/// `client`; `other` (an untrusted CA) signs `stranger`. `upsd.pem` is the server's chain
/// and key in one file; `clientca/` holds the CA certificate for `CERTPATH`.
fn make_certs(dir: &Path) {
    make_ca(dir, "ca");
    make_ca(dir, "other");
    make_cert(dir, "ca", "localhost", SERVER_EXT);
    make_cert(dir, "ca", "client", CLIENT_EXT);
    make_cert(dir, "other", "stranger", CLIENT_EXT);
    let mut pem = std::fs::read(dir.join("localhost.pem")).unwrap();
    pem.extend(std::fs::read(dir.join("localhost.key")).unwrap());
    std::fs::write(dir.join("upsd.pem"), pem).unwrap();
    std::fs::create_dir(dir.join("clientca")).unwrap();
    std::fs::copy(dir.join("ca.pem"), dir.join("clientca/ca.pem")).unwrap();
}

/// Writes the configuration of a server with the fake device and `tls` in upsd.conf.
fn configure(dirs: &Dirs, tls: &str) {
    dirs.write("ups.conf", "[fake]\n driver = fake\n port = none\n");
    dirs.write("upsd.conf", tls);
    dirs.write("upsd.users", USERS);
}

/// Waits until the fake driver's data reaches the server.
async fn wait_ready(addr: SocketAddr) {
    tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(addr);
        wait_for("the fake driver", || {
            (c.ask("GET VAR fake ups.status") == ["VAR fake ups.status \"OL\""]).then_some(())
        });
    })
    .await
    .unwrap();
}

/// STARTTLS with rustls (verifying the server against `ca.pem` as `localhost`), presenting
/// `<cert>.pem` when given, then one request. `Err` describes the step that failed: a
/// refused client certificate shows as a failed handshake or (TLS 1.3, where the server
/// judges the certificate after the client finished) as a failed first read.
async fn tls_request(addr: SocketAddr, certs: &Path, cert: Option<&str>) -> Result<String, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(certs.join("ca.pem")).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match cert {
        None => builder.with_no_client_auth(),
        Some(name) => {
            let chain = CertificateDer::pem_file_iter(certs.join(format!("{name}.pem")))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_file(certs.join(format!("{name}.key"))).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
    };
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"STARTTLS\n").await.unwrap();
    let mut reply = [0u8; 12];
    tcp.read_exact(&mut reply).await.unwrap();
    assert_eq!(&reply, b"OK STARTTLS\n");
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from("localhost").unwrap();
    let tls = tokio::time::timeout(DEADLINE, connector.connect(name, tcp))
        .await
        .map_err(|_| "handshake timed out".to_owned())?
        .map_err(|e| format!("handshake: {e}"))?;
    let mut tls = BufReader::new(tls);
    tls.get_mut()
        .write_all(b"GET VAR fake ups.status\n")
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut line = String::new();
    let n = tokio::time::timeout(DEADLINE, tls.read_line(&mut line))
        .await
        .map_err(|_| "read timed out".to_owned())?
        .map_err(|e| format!("read: {e}"))?;
    if n == 0 {
        return Err("read: connection closed".into());
    }
    Ok(line)
}

fn certs_or_skip() -> Option<(Dirs, PathBuf)> {
    if !have("openssl") {
        return None;
    }
    let dirs = Dirs::new();
    let certs = dirs.root.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    make_certs(&certs);
    Some((dirs, certs))
}

const ANSWER: &str = "VAR fake ups.status \"OL\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certrequest_2_requires_a_verified_client_certificate() {
    let Some((dirs, certs)) = certs_or_skip() else {
        return;
    };
    configure(
        &dirs,
        &format!(
            "CERTFILE {}\nCERTPATH {}\nCERTREQUEST 2\n",
            certs.join("upsd.pem").display(),
            certs.join("clientca").display()
        ),
    );
    let _driver = FakeDriver::start(&dirs.state().join("fake-fake"), fake_state(false));
    let config = dirs.config();
    assert_eq!(
        config.tls.as_ref().unwrap().client_certs(),
        nut_server::proto::config::CertRequest::Require
    );
    let (server, addr) = our_server(config).await;
    wait_ready(addr).await;

    let with_cert = tls_request(addr, &certs, Some("client")).await;
    assert_eq!(with_cert.as_deref(), Ok(ANSWER));
    let without = tls_request(addr, &certs, None).await;
    assert!(without.is_err(), "no client certificate: {without:?}");
    let untrusted = tls_request(addr, &certs, Some("stranger")).await;
    assert!(untrusted.is_err(), "untrusted certificate: {untrusted:?}");
    // Plaintext clients are served as before: CERTREQUEST is about TLS sessions only.
    assert_eq!(server.handle().stats().tls_sessions, 1);

    server.handle().shutdown();
    server.run().await;
}

/// A `nut_client` configuration for `addr`: TLS required, the server verified against
/// `ca.pem` as `localhost`, presenting `<cert>.pem` when given.
fn nut_client_config(
    addr: SocketAddr,
    certs: &Path,
    cert: Option<&str>,
) -> nut_client::ClientConfig {
    let mut tls = nut_client::TlsConfig::new()
        .ca_file(certs.join("ca.pem"))
        .server_name("localhost");
    if let Some(name) = cert {
        tls = tls.client_cert(
            certs.join(format!("{name}.pem")),
            certs.join(format!("{name}.key")),
        );
    }
    nut_client::ClientConfig::builder(addr.ip().to_string())
        .port(addr.port())
        .read_timeout(Duration::from_secs(5))
        .tls(tls)
        .build()
}

/// Connects with `nut_client` and reads `ups.status`; the whole exchange must end (either
/// way) well before [`DEADLINE`].
async fn nut_client_status(
    addr: SocketAddr,
    certs: &Path,
    cert: Option<&str>,
) -> Result<(bool, String), nut_client::Error> {
    let config = nut_client_config(addr, certs, cert);
    assert_eq!(config.tls_mode, nut_client::TlsMode::Required);
    let exchange = async {
        let client = nut_client::Client::connect(config).await?;
        let value = client.get_var("fake", "ups.status").await?;
        Ok((client.is_tls(), value.as_str().to_owned()))
    };
    tokio::time::timeout(DEADLINE, exchange)
        .await
        .expect("nut_client hung")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nut_client_presents_its_client_certificate() {
    let Some((dirs, certs)) = certs_or_skip() else {
        return;
    };
    configure(
        &dirs,
        &format!(
            "CERTFILE {}\nCERTPATH {}\nCERTREQUEST 2\n",
            certs.join("upsd.pem").display(),
            certs.join("clientca").display()
        ),
    );
    let _driver = FakeDriver::start(&dirs.state().join("fake-fake"), fake_state(false));
    let (server, addr) = our_server(dirs.config()).await;
    wait_ready(addr).await;

    let with_cert = nut_client_status(addr, &certs, Some("client")).await;
    assert_eq!(
        with_cert.as_ref().ok(),
        Some(&(true, "OL".to_owned())),
        "{with_cert:?}"
    );
    assert_eq!(server.handle().stats().tls_sessions, 1);

    // The same configuration without the certificate: the server refuses the handshake,
    // which the client reports as a TLS or connection error, not as a timeout.
    let without = nut_client_status(addr, &certs, None).await;
    match &without {
        Err(e) => assert!(e.is_transport() && !e.is_timeout(), "{e:?}"),
        Ok(answer) => panic!("served without a client certificate: {answer:?}"),
    }
    // A certificate from a CA the server does not trust is refused the same way.
    let untrusted = nut_client_status(addr, &certs, Some("stranger")).await;
    match &untrusted {
        Err(e) => assert!(e.is_transport() && !e.is_timeout(), "{e:?}"),
        Ok(answer) => panic!("served with an untrusted certificate: {answer:?}"),
    }
    assert_eq!(server.handle().stats().tls_sessions, 1);

    server.handle().shutdown();
    server.run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certrequest_1_verifies_a_client_certificate_when_one_is_sent() {
    let Some((dirs, certs)) = certs_or_skip() else {
        return;
    };
    // CERTPATH naming a single PEM file.
    configure(
        &dirs,
        &format!(
            "CERTFILE {}\nCERTPATH {}\nCERTREQUEST 1\n",
            certs.join("upsd.pem").display(),
            certs.join("ca.pem").display()
        ),
    );
    let _driver = FakeDriver::start(&dirs.state().join("fake-fake"), fake_state(false));
    let (server, addr) = our_server(dirs.config()).await;
    wait_ready(addr).await;

    assert_eq!(
        tls_request(addr, &certs, Some("client")).await.as_deref(),
        Ok(ANSWER)
    );
    assert_eq!(tls_request(addr, &certs, None).await.as_deref(), Ok(ANSWER));
    let untrusted = tls_request(addr, &certs, Some("stranger")).await;
    assert!(untrusted.is_err(), "untrusted certificate: {untrusted:?}");
    assert_eq!(server.handle().stats().tls_sessions, 2);

    server.handle().shutdown();
    server.run().await;
}

#[test]
fn certrequest_without_certpath_refuses_to_start() {
    let Some((dirs, certs)) = certs_or_skip() else {
        return;
    };
    configure(
        &dirs,
        &format!(
            "CERTFILE {}\nCERTREQUEST 2\n",
            certs.join("upsd.pem").display()
        ),
    );
    let mut paths = nut_server::ConfigPaths::new(dirs.etc());
    paths.statepath = Some(dirs.state());
    let err = nut_server::ServerConfig::load(&paths)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CERTPATH") && err.contains("CERTREQUEST 2"),
        "{err}"
    );
    // Without CERTREQUEST the same files load, with no client certificates asked for.
    configure(
        &dirs,
        &format!("CERTFILE {}\n", certs.join("upsd.pem").display()),
    );
    let loaded = nut_server::ServerConfig::load(&paths).unwrap();
    assert_eq!(
        loaded.config.tls.unwrap().client_certs(),
        nut_server::proto::config::CertRequest::No
    );
}

/// Creates an NSS database in `db` (empty password) holding `<name>.pem`/`<name>.key` of
/// `certs` under the nickname `name`, readable by user nut.
fn nss_db_with(db: &Path, certs: &Path, name: &str) {
    std::fs::create_dir(db).unwrap();
    let sql = format!("sql:{}", db.display());
    let run = |program: &str, args: &[&str]| {
        let out = Command::new(program).args(args).output().unwrap();
        assert!(out.status.success(), "{program} {args:?}: {out:?}");
    };
    run("certutil", &["-N", "-d", &sql, "--empty-password"]);
    let p12 = db.join(format!("{name}.p12"));
    let (pem, key, p12s) = (
        certs.join(format!("{name}.pem")),
        certs.join(format!("{name}.key")),
        p12.display().to_string(),
    );
    run(
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-in",
            &pem.display().to_string(),
            "-inkey",
            &key.display().to_string(),
            "-name",
            name,
            "-out",
            &p12s,
            "-passout",
            "pass:",
        ],
    );
    run("pk12util", &["-i", &p12s, "-d", &sql, "-W", "", "-K", ""]);
    std::fs::remove_file(&p12).unwrap();
    run("chown", &["-R", "nut:nut", &db.display().to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_upsmon_logs_in_with_a_client_certificate() {
    if !have("/lib/nut/upsmon") || !have("certutil") || !have("pk12util") {
        return;
    }
    let Some((dirs, certs)) = certs_or_skip() else {
        return;
    };
    configure(
        &dirs,
        &format!(
            "CERTFILE {}\nCERTPATH {}\nCERTREQUEST 2\n",
            certs.join("upsd.pem").display(),
            certs.join("clientca").display()
        ),
    );
    let _driver = FakeDriver::start(&dirs.state().join("fake-fake"), fake_state(false));
    let (server, addr) = our_server(dirs.config()).await;
    wait_ready(addr).await;

    // upsmon's NSS database holds its client certificate ("client", signed by our CA).
    let mon = dirs.root.path().join("upsmon");
    std::fs::create_dir(&mon).unwrap();
    let db = mon.join("nssdb");
    nss_db_with(&db, &certs, "client");
    std::fs::write(
        mon.join("upsmon.conf"),
        format!(
            "MONITOR fake@127.0.0.1:{} 1 mon monpw primary\nRUN_AS_USER root\n\
             SHUTDOWNCMD \"/bin/true\"\nPOWERDOWNFLAG {}/killpower\nPOLLFREQ 1\n\
             CERTPATH {}\nCERTIDENT \"client\" \"\"\nCERTVERIFY 0\nFORCESSL 1\n",
            addr.port(),
            mon.display(),
            db.display()
        ),
    )
    .unwrap();
    let upsmon = Proc(
        private_run("/lib/nut/upsmon")
            .args(["-F", "-p"])
            .env("NUT_CONFPATH", &mon)
            .env("NUT_STATEPATH", &mon)
            .env("NUT_ALTPIDPATH", &mon)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(addr);
        wait_for("upsmon's LOGIN over TLS", || {
            (c.ask("GET NUMLOGINS fake") == ["NUMLOGINS fake 1"]).then_some(())
        });
        assert_eq!(
            c.ask("LIST CLIENT fake"),
            [
                "BEGIN LIST CLIENT fake",
                "CLIENT fake 127.0.0.1",
                "END LIST CLIENT fake"
            ]
        );
    })
    .await
    .unwrap();
    // The login came over TLS, so the certificate was verified (CERTREQUEST 2).
    assert!(
        server.handle().stats().tls_sessions >= 1,
        "{:?}",
        server.handle().stats()
    );
    drop(upsmon);
    server.handle().shutdown();
    server.run().await;
}
