//! Behaviour over time: stale drivers and recovery, idle timeout, MAXCONN, reload, STARTTLS
//! refusals, bad input that must not hang a session.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use nut_server::proto::config::{Listen, UpsdUser};
use nut_server::{Server, ServerConfig};

use crate::support::*;

fn fake_dirs() -> Dirs {
    let dirs = Dirs::new();
    dirs.write("ups.conf", "[fake]\n driver = fake\n port = none\n");
    dirs.write("upsd.conf", "MAXAGE 3\n");
    dirs.write("upsd.users", USERS);
    dirs
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn status(addr: SocketAddr) -> Vec<String> {
    Client::connect(addr).ask("GET VAR fake ups.status")
}

fn wait_status(addr: SocketAddr, want: &str) {
    wait_for(want, || (status(addr) == [want]).then_some(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_driver_is_detected_and_recovers_after_restart() {
    let dirs = fake_dirs();
    let sock = dirs.state().join("fake-fake");
    let (server, addr) = our_server(dirs.config()).await;
    blocking(move || wait_status(addr, "ERR DRIVER-NOT-CONNECTED")).await;

    // A driver that never answers PING goes stale after MAXAGE.
    let silent = FakeDriver::start_with(&sock, fake_state(false), false);
    blocking(move || wait_status(addr, "VAR fake ups.status \"OL\"")).await;
    blocking(move || wait_status(addr, "ERR DATA-STALE")).await;

    // Killed: the state is dropped.
    drop(silent);
    blocking(move || wait_status(addr, "ERR DRIVER-NOT-CONNECTED")).await;

    // Restarted (and answering PING): fresh again, and it stays fresh past MAXAGE.
    let _driver = FakeDriver::start(&sock, fake_state(false));
    blocking(move || wait_status(addr, "VAR fake ups.status \"OL\"")).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    blocking(move || wait_status(addr, "VAR fake ups.status \"OL\"")).await;
    server.handle().shutdown();
    server.run().await;
}

both_ways!(idle_clients_are_dropped: idle_clients_are_dropped_on_the_poll_thread, idle_clients_are_dropped_on_tasks);

async fn idle_clients_are_dropped(serving: Serving) {
    let dirs = fake_dirs();
    let mut config = dirs.config();
    config.idle_timeout = Duration::from_millis(500);
    let (server, addr) = our_server_serving(config, serving).await;
    blocking(move || {
        let mut idle = Client::connect(addr);
        assert!(idle.is_closed(), "the idle client was not dropped");
        // A talking client outlives the timeout.
        let mut busy = Client::connect(addr);
        for _ in 0..8 {
            assert_eq!(busy.ask("NETVER"), ["1.3"]);
            std::thread::sleep(Duration::from_millis(150));
        }
    })
    .await;
    server.handle().shutdown();
    server.run().await;
}

both_ways!(shutdown_closes_idle_and_busy_clients: shutdown_closes_idle_and_busy_clients_on_the_poll_thread, shutdown_closes_idle_and_busy_clients_on_tasks);

async fn shutdown_closes_idle_and_busy_clients(serving: Serving) {
    let dirs = fake_dirs();
    let (server, addr) = our_server_serving(dirs.config(), serving).await;
    let (idle, mut busy) = blocking(move || {
        let mut idle = Client::connect(addr);
        assert_eq!(idle.ask("NETVER"), ["1.3"]);
        let mut busy = Client::connect(addr);
        assert_eq!(busy.ask("NETVER"), ["1.3"]);
        (idle, busy)
    })
    .await;
    // The busy client keeps requests queued and reads no reply: when the server stops,
    // its input is never empty and its replies no longer fit in the socket buffers. A
    // writer thread sends until the connection breaks.
    let mut writer = busy.stream().try_clone().unwrap();
    let flood = std::thread::spawn(move || {
        let burst = b"HELP\nNETVER\n".repeat(64);
        while writer.write_all(&burst).is_ok() {}
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let handle = server.handle();
    handle.shutdown();
    tokio::time::timeout(Duration::from_secs(10), server.run())
        .await
        .expect("the server did not stop with clients connected");
    blocking(move || {
        let (mut idle, mut busy) = (idle, busy);
        assert!(idle.is_closed(), "the idle client was left open");
        // Whatever replies were in flight, the stream ends.
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(busy.stream(), &mut sink);
        flood.join().unwrap();
    })
    .await;
}

both_ways!(maxconn_holds_extra_clients_back: maxconn_holds_extra_clients_back_on_the_poll_thread, maxconn_holds_extra_clients_back_on_tasks);

async fn maxconn_holds_extra_clients_back(serving: Serving) {
    let dirs = fake_dirs();
    let mut config = dirs.config();
    config.maxconn = Some(2);
    let (server, addr) = our_server_serving(config, serving).await;
    blocking(move || {
        let mut a = Client::connect(addr);
        let mut b = Client::connect(addr);
        assert_eq!(a.ask("NETVER"), ["1.3"]);
        assert_eq!(b.ask("NETVER"), ["1.3"]);
        let mut c = Client::connect(addr);
        c.send(b"NETVER\n");
        c.stream()
            .set_read_timeout(Some(Duration::from_millis(700)))
            .unwrap();
        assert!(
            c.stream().peek(&mut [0u8; 1]).is_err(),
            "a third client was served with MAXCONN 2"
        );
        c.stream().set_read_timeout(Some(DEADLINE)).unwrap();
        drop(a);
        assert_eq!(c.line().as_deref(), Some("1.3"));
    })
    .await;
    server.handle().shutdown();
    server.run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_applies_users_devices_and_listeners_without_dropping_clients() {
    let dirs = fake_dirs();
    let _driver = FakeDriver::start(&dirs.state().join("fake-fake"), fake_state(false));
    let (server, addr) = our_server(dirs.config()).await;
    let handle = server.handle();
    let mut old = blocking(move || {
        wait_status(addr, "VAR fake ups.status \"OL\"");
        let mut c = Client::connect(addr);
        assert_eq!(c.ask("USERNAME newuser"), ["OK"]);
        assert_eq!(c.ask("PASSWORD newpw"), ["OK"]);
        assert_eq!(c.ask("FSD fake"), ["ERR ACCESS-DENIED"]);
        assert_eq!(c.ask("GET VAR other ups.status"), ["ERR UNKNOWN-UPS"]);
        c
    })
    .await;

    let port = free_port();
    let mut config: ServerConfig = dirs.config();
    let mut user = UpsdUser::new("newuser", "newpw").unwrap();
    user.actions.push("FSD".into());
    config.users.users.push(user);
    dirs.write(
        "ups.conf",
        "[fake]\n driver = fake\n port = none\n[other]\n driver = fake\n port = none\n",
    );
    config.devices = dirs.config().devices;
    config.listen = vec![Listen::new("127.0.0.1", Some(port))];
    handle.reload(config).await.unwrap();
    assert!(handle.local_addrs().await.iter().any(|a| a.port() == port));

    let _other = FakeDriver::start(&dirs.state().join("fake-other"), fake_state(false));
    blocking(move || {
        // The old session is still there, with the new rights and devices.
        assert_eq!(old.ask("FSD fake"), ["OK FSD-SET"]);
        wait_for("the new device", || {
            (old.ask("GET VAR other ups.status") == ["VAR other ups.status \"OL\""]).then_some(())
        });
        assert_eq!(
            old.ask("GET VAR fake ups.status"),
            ["VAR fake ups.status \"FSD OL\""]
        );
        let mut new = Client::connect(([127, 0, 0, 1], port).into());
        assert_eq!(new.ask("LIST UPS").len(), 4);
    })
    .await;

    // The same address under another name: the socket stays and serves on.
    let mut renamed = dirs.config();
    renamed.listen = vec![Listen::new("localhost", Some(port))];
    handle.reload(renamed).await.unwrap();
    assert!(handle
        .local_addrs()
        .await
        .contains(&([127, 0, 0, 1], port).into()));
    blocking(move || {
        let mut new = Client::connect(([127, 0, 0, 1], port).into());
        assert_eq!(new.ask("LIST UPS").len(), 4);
    })
    .await;

    // A reload whose address cannot be bound changes nothing when every address is
    // required...
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let blocked = Listen::new("127.0.0.1", Some(blocker.local_addr().unwrap().port()));
    let mut strict = dirs.config();
    strict.listen = vec![Listen::new("127.0.0.1", Some(port)), blocked.clone()];
    strict.allow_not_all_listeners = false;
    let err = handle.reload(strict).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot listen on 127.0.0.1 port"),
        "{err}"
    );
    assert!(handle.local_addrs().await.iter().any(|a| a.port() == port));
    blocking(move || assert_eq!(Client::connect(addr).ask("LIST UPS").len(), 4)).await;
    // ... and is left out when not, as upsd.conf's files have it (C 2.8.0's start-up).
    let mut lenient = dirs.config();
    assert!(lenient.allow_not_all_listeners);
    lenient.listen = vec![blocked];
    handle.reload(lenient).await.unwrap();
    let addrs = handle.local_addrs().await;
    assert!(!addrs.iter().any(|a| a.port() == port), "{addrs:?}");
    blocking(move || assert_eq!(Client::connect(addr).ask("LIST UPS").len(), 4)).await;
    server.handle().shutdown();
    server.run().await;
}

/// Starts a server from upsd.conf `lines` (binding before the runtime, as the upsd binary
/// does, when `early`); the addresses it listens on, or the error.
async fn start_with(
    dirs: &Dirs,
    lines: &str,
    early: bool,
) -> Result<(Server, Vec<SocketAddr>), nut_server::ServerError> {
    dirs.write("upsd.conf", lines);
    let config = dirs.config();
    let builder = Server::builder().config(config);
    let builder = if early {
        tokio::task::spawn_blocking(move || builder.bind())
            .await
            .unwrap()?
    } else {
        builder
    };
    let server = builder.start().await?;
    let addrs = server.local_addrs().await;
    Ok((server, addrs))
}

async fn stop(server: Server) {
    server.handle().shutdown();
    server.run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_lines_that_fail_are_left_out_as_c_2_8_0_does() {
    let dirs = fake_dirs();
    for early in [false, true] {
        // `localhost` is 127.0.0.1 (or ::1 first): the pair serves, whichever binds first.
        let port = free_port();
        let (server, addrs) = start_with(
            &dirs,
            &format!("LISTEN 127.0.0.1 {port}\nLISTEN localhost {port}\n"),
            early,
        )
        .await
        .unwrap();
        assert!(!addrs.is_empty() && addrs.len() <= 2, "{addrs:?}");
        assert!(addrs.iter().all(|a| a.port() == port));
        let v4: SocketAddr = ([127, 0, 0, 1], port).into();
        assert!(addrs.contains(&v4), "{addrs:?}");
        blocking(move || assert_eq!(Client::connect(v4).ask("LIST UPS").len(), 3)).await;
        stop(server).await;

        // A duplicate line: one socket.
        let port = free_port();
        let (server, addrs) = start_with(
            &dirs,
            &format!("LISTEN 127.0.0.1 {port}\nLISTEN 127.0.0.1 {port}\n"),
            early,
        )
        .await
        .unwrap();
        assert_eq!(addrs, [SocketAddr::from(([127, 0, 0, 1], port))]);
        stop(server).await;

        // An address this host does not have, beside one it has.
        let port = free_port();
        let (server, addrs) = start_with(
            &dirs,
            &format!("LISTEN 192.0.2.1 {port}\nLISTEN 127.0.0.1 {port}\n"),
            early,
        )
        .await
        .unwrap();
        assert_eq!(addrs, [SocketAddr::from(([127, 0, 0, 1], port))]);
        stop(server).await;

        // The defaults (127.0.0.1 and ::1 on 3493 when nothing is given) work with or
        // without IPv6; here with a port, both families named.
        let port = free_port();
        let (server, addrs) = start_with(
            &dirs,
            &format!("LISTEN ::1 {port}\nLISTEN 127.0.0.1 {port}\n"),
            early,
        )
        .await
        .unwrap();
        assert!(addrs.contains(&([127, 0, 0, 1], port).into()), "{addrs:?}");
        stop(server).await;

        // Nothing at all: C's message.
        let err = start_with(&dirs, "LISTEN 192.0.2.1 3493\n", early)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "no listening interface available");

        // A name that does not resolve ends the start, as in C.
        let err = start_with(
            &dirs,
            "LISTEN 127.0.0.1 0\nLISTEN no-such-host.invalid 3493\n",
            early,
        )
        .await
        .unwrap_err();
        assert!(err.to_string().starts_with("getaddrinfo: "), "{err}");
    }
}

both_ways!(bad_input_never_hangs_a_session: bad_input_never_hangs_a_session_on_the_poll_thread, bad_input_never_hangs_a_session_on_tasks);

async fn bad_input_never_hangs_a_session(serving: Serving) {
    let dirs = fake_dirs();
    let (server, addr) = our_server_serving(dirs.config(), serving).await;
    blocking(move || {
        let mut c = Client::connect(addr);
        // A line over the hard limit gets no reply, the session goes on.
        let mut long = b"GET VAR fake ".to_vec();
        long.extend(std::iter::repeat_n(b'x', 70_000));
        long.push(b'\n');
        c.send(&long);
        assert_eq!(c.ask("NETVER"), ["1.3"]);
        // Every byte value, then a normal request.
        let all: Vec<u8> = (0u8..=255).filter(|&b| b != b'\n' && b != b'"').collect();
        c.send(&all);
        c.send(b"\n");
        assert_eq!(c.reply(), ["ERR UNKNOWN-COMMAND"]);
        assert_eq!(c.ask("NETVER"), ["1.3"]);
        // STARTTLS without a certificate.
        assert_eq!(c.ask("STARTTLS"), ["ERR FEATURE-NOT-CONFIGURED"]);
        assert_eq!(c.ask("LOGOUT"), ["OK Goodbye"]);
        assert!(c.is_closed());
    })
    .await;
    server.handle().shutdown();
    server.run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_past_the_poll_threads_limit_are_served_by_tasks() {
    let dirs = fake_dirs();
    let (server, addr) = our_server_polling(dirs.config(), 2).await;
    let handle = server.handle();
    let stats = handle.clone();
    blocking(move || {
        // The first two go to the poll thread, the others to tasks; all are answered alike,
        // in any order of turns.
        let mut clients: Vec<Client> = (0..5).map(|_| Client::connect(addr)).collect();
        for round in 0..3 {
            for (i, c) in clients.iter_mut().enumerate().rev() {
                assert_eq!(c.ask("NETVER"), ["1.3"], "client {i}, round {round}");
                assert_eq!(
                    c.ask("GET VAR nosuch ups.status"),
                    ["ERR UNKNOWN-UPS"],
                    "client {i}, round {round}"
                );
            }
        }
        assert_eq!(stats.stats().active, 5);
        // Leaving frees the thread's places: the clients that take them are answered too.
        for mut c in clients.drain(..2) {
            assert_eq!(c.ask("LOGOUT"), ["OK Goodbye"]);
            assert!(c.is_closed());
        }
        wait_for("two clients gone", || {
            (stats.stats().active == 3).then_some(())
        });
        clients.extend((0..3).map(|_| Client::connect(addr)));
        for (i, c) in clients.iter_mut().enumerate() {
            assert_eq!(c.ask("NETVER"), ["1.3"], "client {i} after the others left");
        }
        assert_eq!(stats.stats().active, 6);
    })
    .await;
    handle.shutdown();
    tokio::time::timeout(Duration::from_secs(10), server.run())
        .await
        .expect("the server did not stop");
}

both_ways!(replies_wait_for_a_reader_that_lags: replies_wait_for_a_reader_that_lags_on_the_poll_thread, replies_wait_for_a_reader_that_lags_on_tasks);

/// A client that sends far more requests than the socket buffers hold before it reads any
/// reply: the server stops reading while its replies wait, and every reply arrives, in order.
async fn replies_wait_for_a_reader_that_lags(serving: Serving) {
    // About 8 MB of replies: more than the socket buffers take.
    const REQUESTS: usize = 200_000;
    let dirs = fake_dirs();
    let (server, addr) = our_server_serving(dirs.config(), serving).await;
    blocking(move || {
        let mut c = Client::connect(addr);
        let help = c.ask("HELP");
        let mut writer = c.stream().try_clone().unwrap();
        let flood = std::thread::spawn(move || {
            for i in 0..REQUESTS {
                let line = if i % 2 == 0 { "NETVER\n" } else { "HELP\n" };
                writer.write_all(line.as_bytes()).unwrap();
            }
        });
        // Long enough for the replies to fill the socket buffers.
        std::thread::sleep(Duration::from_millis(500));
        for i in 0..REQUESTS {
            let got = c.line();
            if i % 2 == 0 {
                assert_eq!(got.as_deref(), Some("1.3"), "reply {i}");
            } else {
                assert_eq!(got.as_ref(), help.first(), "reply {i}");
            }
        }
        flood.join().unwrap();
        assert_eq!(c.ask("NETVER"), ["1.3"]);
    })
    .await;
    server.handle().shutdown();
    server.run().await;
}
