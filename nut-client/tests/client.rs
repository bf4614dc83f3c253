//! The client against small scripted servers, in memory (over `Connector` pipes) unless the
//! test is about TCP itself: pipelining, timeouts, reconnect with session replay, the watch
//! stream, TLS with certificate checks, and bad replies.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use nut_client::proto::names::VarName;
use nut_client::proto::net::ErrorCode;
use nut_client::{
    Client, ClientConfig, ClientConfigBuilder, Connector, Error, Grant, ReconnectPolicy, TlsConfig,
    VarChange,
};

/// Answers one request line the way a tiny upsd would; `None` closes the connection.
type Script = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

async fn serve_lines<S: AsyncRead + AsyncWrite + Unpin>(stream: S, script: Script) {
    let (read, mut write) = tokio::io::split(stream);
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        match script(&line) {
            Some(reply) => {
                if write.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
            }
            None => return,
        }
    }
}

/// An in-memory server: each connection the client opens (the first and every reconnection)
/// is a fresh pipe whose far end `script` answers; no TCP port is used.
struct FakeServer {
    connector: Connector,
    /// Connections opened so far.
    accepted: Arc<AtomicUsize>,
}

impl FakeServer {
    fn new(script: Script) -> Self {
        Self::serving(move |far| tokio::spawn(serve_lines(far, script.clone())))
    }

    /// A server whose far ends `serve` takes.
    fn serving<F>(serve: F) -> Self
    where
        F: Fn(tokio::io::DuplexStream) -> tokio::task::JoinHandle<()> + Send + Sync + 'static,
    {
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let serve = Arc::new(serve);
        let connector = Connector::new(move |_host, _port| {
            count.fetch_add(1, Ordering::SeqCst);
            let serve = serve.clone();
            async move {
                let (near, far) = tokio::io::duplex(64 * 1024);
                serve(far);
                Ok(near)
            }
        });
        Self {
            connector,
            accepted,
        }
    }

    /// A configuration that connects to this server.
    fn builder(&self) -> ClientConfigBuilder {
        ClientConfig::builder("in-memory").connector(self.connector.clone())
    }

    fn config(&self) -> ClientConfig {
        self.builder().read_timeout(Duration::from_secs(30)).build()
    }
}

/// A server on 127.0.0.1:0 that answers every connection with `script`, for what only TCP
/// shows (a `ups@host:port` address); returns its port.
async fn tcp_server(script: Script) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_lines(stream, script.clone()));
        }
    });
    port
}

fn config(port: u16) -> ClientConfig {
    ClientConfig::builder("127.0.0.1")
        .port(port)
        .read_timeout(Duration::from_secs(30))
        .build()
}

#[tokio::test]
async fn pipelined_requests_get_their_own_replies() {
    // The server answers only once it has seen a whole batch: it proves that the client
    // writes requests without waiting for earlier replies.
    let server = FakeServer::serving(|far| {
        tokio::spawn(async move {
            let (read, mut write) = tokio::io::split(far);
            let mut lines = BufReader::new(read).lines();
            let mut batch = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                batch.push(line);
                if batch.len() == 20 {
                    for line in batch.drain(..) {
                        let var = line.rsplit(' ').next().unwrap().to_owned();
                        let reply = format!("VAR ups {var} \"{}\"\n", var.trim_start_matches("v."));
                        write.write_all(reply.as_bytes()).await.unwrap();
                    }
                }
            }
        })
    });
    let client = Client::connect(server.config()).await.unwrap();
    let calls = (0..20).map(|i| {
        let client = client.clone();
        async move { (i, client.get_var("ups", &format!("v.{i}")).await) }
    });
    for (i, value) in futures_util::future::join_all(calls).await {
        assert_eq!(value.unwrap().as_str(), i.to_string());
    }
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let server = FakeServer::new(Arc::new(|_: &str| Some(String::new())));
    let config = server
        .builder()
        .read_timeout(Duration::from_millis(300))
        .build();
    let client = Client::connect(config).await.unwrap();
    let err = client.get_var("ups", "ups.status").await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.is_transport() && err.is_timeout());
    // The connection is gone afterwards, and without reconnect it stays gone.
    let err = client.get_var("ups", "ups.status").await.unwrap_err();
    assert!(err.is_closed(), "{err:?}");
}

#[tokio::test]
async fn connect_errors_are_transport_errors() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    match Client::connect(config(port)).await {
        Err(Error::Connect { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused)
        }
        other => panic!("{other:?}"),
    }
    match Client::connect(config(1).clone_with_host("nonexistent.invalid")).await {
        Err(Error::Resolve { .. }) => {}
        other => panic!("{other:?}"),
    }
}

trait WithHost {
    fn clone_with_host(&self, host: &str) -> ClientConfig;
}

impl WithHost for ClientConfig {
    fn clone_with_host(&self, host: &str) -> ClientConfig {
        let mut c = self.clone();
        c.host = host.to_owned();
        c
    }
}

#[tokio::test]
async fn server_errors_and_bad_replies() {
    let script: Script = Arc::new(|line: &str| {
        Some(match line {
            l if l.starts_with("GET VAR ups ups.status") => "VAR ups ups.status \"OL\"\n".into(),
            l if l.starts_with("GET VAR") => "ERR VAR-NOT-SUPPORTED\n".into(),
            l if l.starts_with("LIST") => "BEGIN LIST VAR ups\nGARBAGE\n".into(),
            _ => "ERR UNKNOWN-COMMAND\n".into(),
        })
    });
    let server = FakeServer::new(script);
    let client = Client::connect(server.config()).await.unwrap();
    let err = client.get_var("ups", "ups.nope").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::VarNotSupported));
    assert!(!err.is_transport());
    // Invalid names are refused before anything is sent.
    assert!(matches!(
        client.get_var("bad name", "x.y").await,
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(client.get_var("ups", "ups.status").await.unwrap(), "OL");
    let err = client.list_vars("ups").await.unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
}

#[tokio::test]
async fn addresses_typed_names_values_and_grants() {
    // A pre-2.8 server: PRIMARY unknown, MASTER granted.
    let port = tcp_server(Arc::new(|line: &str| {
        Some(
            match line {
                "GET VAR ups battery.charge" => "VAR ups battery.charge \"87.5\"\n",
                "LIST VAR ups" => {
                    "BEGIN LIST VAR ups\nVAR ups battery.charge \"87.5\"\nVAR ups ups.status \"OB LB\"\nEND LIST VAR ups\n"
                }
                "PRIMARY ups" => "ERR UNKNOWN-COMMAND\n",
                "MASTER ups" => "OK MASTER-GRANTED\n",
                _ => "ERR UNKNOWN-UPS\n",
            }
            .to_owned(),
        )
    }))
    .await;
    let (client, ups) = Client::connect_ups(&format!("ups@127.0.0.1:{port}"))
        .await
        .unwrap();
    assert_eq!(ups.as_str(), "ups");
    // A typed name, its reference, and plain text all work.
    let by_name = client.get_var(&ups, "battery.charge").await.unwrap();
    let by_text = client.get_var("ups", "battery.charge").await.unwrap();
    let var = VarName::new("battery.charge").unwrap();
    assert_eq!(client.get_var(ups.clone(), var).await.unwrap(), by_name);
    assert_eq!(by_name, by_text);
    // GET and LIST give the same value type.
    let vars = client.list_vars(&ups).await.unwrap();
    assert_eq!(vars[0].value, by_name);
    assert_eq!(vars[0].value.as_f64(), Some(87.5));
    assert!(vars[1].value.as_status().is_low_battery());
    assert_eq!(client.primary(&ups).await.unwrap(), Grant::Master);
    // Bad names are refused before anything is sent.
    assert!(matches!(
        client.get_var("no such", "x").await,
        Err(Error::InvalidArgument(_))
    ));

    // Bad addresses are refused with a readable message.
    let err = Client::connect_ups("ups@host:99999").await.unwrap_err();
    assert!(matches!(err, Error::Address(_)));
    assert_eq!(
        format!("{err:?}"),
        "invalid UPS address: no port specified after ':' separator"
    );
}

#[tokio::test]
async fn reconnect_replays_the_session() {
    // Each connection answers a few requests, then the server drops it.
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = log.clone();
    let per_conn = Arc::new(AtomicUsize::new(0));
    let script: Script = Arc::new(move |line: &str| {
        seen.lock().unwrap().push(line.to_owned());
        let n = per_conn.fetch_add(1, Ordering::SeqCst);
        if line.starts_with("GET VAR") && n % 6 == 5 {
            return None;
        }
        Some(match line {
            l if l.starts_with("USERNAME") || l.starts_with("PASSWORD") => "OK\n".into(),
            l if l.starts_with("LOGIN") => "OK\n".into(),
            l if l.starts_with("PRIMARY") => "OK PRIMARY-GRANTED\n".into(),
            l if l.starts_with("GET VAR") => "VAR ups ups.status \"OL\"\n".into(),
            _ => "ERR UNKNOWN-COMMAND\n".into(),
        })
    });
    let server = FakeServer::new(script);
    let accepted = server.accepted.clone();
    let policy = ReconnectPolicy::new(
        Duration::from_millis(10),
        Duration::from_millis(100),
        Some(20),
    );
    let config = server
        .builder()
        .credentials("admin", "secret")
        .reconnect(policy)
        .build();
    let client = Client::connect(config).await.unwrap();
    client.login("ups").await.unwrap();
    client.primary("ups").await.unwrap();
    for _ in 0..10 {
        assert_eq!(client.get_var("ups", "ups.status").await.unwrap(), "OL");
    }
    assert!(
        accepted.load(Ordering::SeqCst) >= 2,
        "the server never dropped us"
    );
    let log = log.lock().unwrap();
    let logins = log.iter().filter(|l| l.starts_with("LOGIN ups")).count();
    let primaries = log.iter().filter(|l| l.starts_with("PRIMARY ups")).count();
    let users = log
        .iter()
        .filter(|l| l.starts_with("USERNAME admin"))
        .count();
    let conns = accepted.load(Ordering::SeqCst);
    assert_eq!((users, logins, primaries), (conns, conns, conns), "{log:?}");
}

#[tokio::test]
async fn reconnect_gives_up_after_max_attempts() {
    let server = FakeServer::new(Arc::new(|line: &str| {
        if line.starts_with("GET") {
            None
        } else {
            Some("OK\n".into())
        }
    }));
    let policy = ReconnectPolicy::new(
        Duration::from_millis(10),
        Duration::from_millis(20),
        Some(2),
    );
    let config = server.builder().reconnect(policy).build();
    let client = Client::connect(config).await.unwrap();
    // Every GET kills the connection: the retry fails too, and the error is reported.
    let err = client.get_var("ups", "ups.status").await.unwrap_err();
    assert!(err.is_transport(), "{err:?}");
}

#[tokio::test]
async fn watch_yields_changes() {
    let load = Arc::new(AtomicUsize::new(10));
    let value = load.clone();
    let script: Script = Arc::new(move |line: &str| {
        if !line.starts_with("LIST VAR ups") {
            return Some("ERR UNKNOWN-COMMAND\n".into());
        }
        let load = value.load(Ordering::SeqCst);
        let mut reply = String::from("BEGIN LIST VAR ups\n");
        reply.push_str("VAR ups ups.status \"OL\"\n");
        reply.push_str(&format!("VAR ups ups.load \"{load}\"\n"));
        if load > 10 {
            reply.push_str("VAR ups ups.alarm \"hot\"\n");
        }
        reply.push_str("END LIST VAR ups\n");
        Some(reply)
    });
    let server = FakeServer::new(script);
    let client = Client::connect(server.config()).await.unwrap();
    let mut watch = client.watch("ups", Duration::from_millis(20)).unwrap();
    let first = watch.next().await.unwrap().unwrap();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|c| matches!(c, VarChange::Added { .. })));
    load.store(42, Ordering::SeqCst);
    let second = tokio::time::timeout(Duration::from_secs(30), watch.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(second.len(), 2, "{second:?}");
    assert!(matches!(&second[0], VarChange::Added { name, .. } if name.as_str() == "ups.alarm"));
    assert!(
        matches!(&second[1], VarChange::Changed { old, new, .. } if old == "10" && new == "42")
    );
    assert!(client.watch("ups", Duration::ZERO).is_err());
}

/// Makes a CA and a server certificate for `localhost` with the openssl CLI, in `dir`.
fn make_certs(dir: &std::path::Path) -> bool {
    let run = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(&[
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
    ])
}

#[tokio::test]
async fn starttls_verifies_the_certificate() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;

    let dir = tempfile::tempdir().unwrap();
    if !make_certs(dir.path()) {
        if std::env::var("NUT_RS_INTEROP").is_ok_and(|v| v == "1") {
            panic!("openssl CLI is needed to make test certificates");
        }
        eprintln!("note: skipping TLS test: openssl CLI not available");
        return;
    }
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.path().join("server.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.path().join("server.key")).unwrap();
    let server_config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 9];
                use tokio::io::AsyncReadExt;
                if stream.read_exact(&mut buf).await.is_err() || &buf != b"STARTTLS\n" {
                    return;
                }
                stream.write_all(b"OK STARTTLS\n").await.unwrap();
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let script: Script = Arc::new(|_: &str| Some("VAR ups ups.status \"OL\"\n".into()));
                serve_lines(tls, script).await;
            });
        }
    });
    let ca = dir.path().join("ca.pem");
    // Right CA, right name (connecting to 127.0.0.1, expecting "localhost").
    let good = ClientConfig::builder("127.0.0.1")
        .port(port)
        .tls(TlsConfig::new().ca_file(&ca).server_name("localhost"))
        .build();
    let client = Client::connect(good).await.unwrap();
    assert!(client.is_tls());
    assert_eq!(client.get_var("ups", "ups.status").await.unwrap(), "OL");
    // Wrong expected name.
    let wrong_name = ClientConfig::builder("127.0.0.1")
        .port(port)
        .tls(TlsConfig::new().ca_file(&ca).server_name("ups.example.net"))
        .build();
    assert!(matches!(
        Client::connect(wrong_name).await,
        Err(Error::Tls(_))
    ));
    // Untrusted: the server's certificate itself is not a CA.
    let untrusted = ClientConfig::builder("127.0.0.1")
        .port(port)
        .tls(
            TlsConfig::new()
                .ca_file(dir.path().join("server.pem"))
                .server_name("localhost"),
        )
        .build();
    assert!(matches!(
        Client::connect(untrusted).await,
        Err(Error::Tls(_))
    ));
    // No verification (C's CERTVERIFY 0) connects.
    let insecure = ClientConfig::builder("127.0.0.1")
        .port(port)
        .tls(TlsConfig::insecure())
        .build();
    assert!(Client::connect(insecure).await.unwrap().is_tls());
}

#[cfg(feature = "blocking")]
#[test]
fn blocking_client_works() {
    let server = FakeServer::new(Arc::new(|_: &str| {
        Some("VAR ups ups.status \"OB LB\"\n".into())
    }));
    let client = nut_client::blocking::Client::connect(server.config()).unwrap();
    let status = client.status("ups").unwrap();
    assert!(status.is_on_battery() && status.is_low_battery());
}
