//! C NUT's clients (`upsc`, `upscmd`, `upsrw`, `upsmon`) and PyNUTClient against C upsd and
//! against ours, side by side over the same C `dummy-ups` socket: the outputs must be
//! identical byte for byte. And C's `upsc` doing STARTTLS with our server.

use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};

use crate::support::*;

const DEV: &str = "ups.status: OL\nbattery.charge: 90\nups.mfr: Dummy Maker\n\
ups.model: Model \"X\" #1\ninput.voltage: 230.0\nups.id: test\n";

struct Stack {
    dirs: Dirs,
    _driver: Proc,
    _c_upsd: Proc,
    c_port: u16,
    ours: SocketAddr,
    server: nut_server::Server,
}

async fn stack() -> Option<Stack> {
    if !have("/lib/nut/dummy-ups") || !have("/lib/nut/upsd") {
        return None;
    }
    let dirs = Dirs::new();
    let c_port = free_port();
    dirs.write(
        "ups.conf",
        "[dummy]\n driver = dummy-ups\n port = dummy.dev\n desc = \"Dummy \\\"UPS\\\"\"\n",
    );
    dirs.write("dummy.dev", DEV);
    dirs.write("upsd.conf", &format!("LISTEN 127.0.0.1 {c_port}\n"));
    dirs.write("upsd.users", USERS);
    let driver = Proc(
        Command::new("/lib/nut/dummy-ups")
            .args(["-a", "dummy", "-u", "nut", "-F"])
            .env("NUT_CONFPATH", dirs.etc())
            .env("NUT_STATEPATH", dirs.state())
            .env("NUT_ALTPIDPATH", dirs.state())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let sock = dirs.state().join("dummy-ups-dummy");
    wait_for("the dummy-ups socket", || sock.exists().then_some(()));
    let c_upsd = dirs.c_upsd(c_port);
    let (server, ours) = our_server(dirs.config()).await;
    let c_addr: SocketAddr = ([127, 0, 0, 1], c_port).into();
    tokio::task::spawn_blocking(move || {
        for addr in [c_addr, ours] {
            let mut c = Client::connect(addr);
            wait_for("the dummy-ups dump", || {
                (c.ask("GET VAR dummy ups.status") == ["VAR dummy ups.status \"OL\""]).then_some(())
            });
        }
    })
    .await
    .unwrap();
    Some(Stack {
        dirs,
        _driver: driver,
        _c_upsd: c_upsd,
        c_port,
        ours,
        server,
    })
}

fn run(program: &str, args: &[String]) -> Output {
    Command::new(program).args(args).output().unwrap()
}

/// Runs `program` with `args` (where `{}` stands for `127.0.0.1:<port>`) against both
/// servers and checks that stdout, stderr and the exit status agree.
fn same_output(stack: &Stack, program: &str, args: &[&str]) -> String {
    let with = |port: u16| -> Vec<String> {
        args.iter()
            .map(|a| a.replace("{}", &format!("127.0.0.1:{port}")))
            .collect()
    };
    let c = run(program, &with(stack.c_port));
    let ours = run(program, &with(stack.ours.port()));
    let show = |o: &Output| {
        format!(
            "status {:?}\nstdout:\n{}stderr:\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let (c_text, our_text) = (show(&c), show(&ours));
    // Port numbers in messages are the only expected difference.
    let our_text_norm = our_text.replace(&stack.ours.port().to_string(), &stack.c_port.to_string());
    assert_eq!(c_text, our_text_norm, "{program} {args:?}");
    c_text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_clients_see_the_same_as_with_c_upsd() {
    let Some(stack) = stack().await else { return };
    let stack = tokio::task::spawn_blocking(move || {
        if have("upsc") {
            let out = same_output(&stack, "upsc", &["dummy@{}"]);
            assert!(out.contains("ups.model: Model X\n"), "{out}");
            same_output(&stack, "upsc", &["dummy@{}", "ups.status"]);
            same_output(&stack, "upsc", &["DUMMY@{}", "UPS.STATUS"]);
            same_output(&stack, "upsc", &["dummy@{}", "nosuch.var"]);
            same_output(&stack, "upsc", &["nosuch@{}"]);
            same_output(&stack, "upsc", &["-l", "{}"]);
            same_output(&stack, "upsc", &["-L", "{}"]);
            same_output(&stack, "upsc", &["-c", "dummy@{}"]);
        }
        if have("upscmd") {
            same_output(&stack, "upscmd", &["-l", "dummy@{}"]);
            same_output(
                &stack,
                "upscmd",
                &["-u", "admin", "-p", "adminpw", "dummy@{}", "nosuch.cmd"],
            );
            same_output(
                &stack,
                "upscmd",
                &["-u", "admin", "-p", "wrong", "dummy@{}", "driver.reload"],
            );
            same_output(
                &stack,
                "upscmd",
                &["-u", "limited", "-p", "lpw", "dummy@{}", "driver.reload"],
            );
        }
        if have("upsrw") {
            same_output(&stack, "upsrw", &["dummy@{}"]);
            let out = same_output(
                &stack,
                "upsrw",
                &[
                    "-s",
                    "ups.id=rack 7",
                    "-u",
                    "admin",
                    "-p",
                    "adminpw",
                    "-w",
                    "dummy@{}",
                ],
            );
            assert!(out.contains("SUCCESS"), "{out}");
            same_output(
                &stack,
                "upsrw",
                &["-s", "ups.id=x", "-u", "mon", "-p", "monpw", "dummy@{}"],
            );
            same_output(
                &stack,
                "upsrw",
                &["-s", "nosuch=1", "-u", "admin", "-p", "adminpw", "dummy@{}"],
            );
        }
        if have("/usr/bin/python3") {
            let script = "import PyNUT, sys\n\
c = PyNUT.PyNUTClient(host='127.0.0.1', port=int(sys.argv[1]), login='admin', password='adminpw')\n\
print(c.GetUPSList())\nprint(c.GetUPSVars('dummy'))\nprint(c.GetRWVars('dummy'))\n\
print(c.GetUPSCommands('dummy'))\nprint(c.ListClients('dummy'))\nprint(c.ver())\n\
try:\n    c.RunUPSCommand('dummy', 'nosuch.cmd')\nexcept Exception as e:\n    print('error', e)\n";
            same_output(&stack, "/usr/bin/python3", &["-c", script, "{}"]);
        }
        stack
    })
    .await
    .unwrap();
    if have("/lib/nut/upsmon") {
        upsmon_logs_in(&stack).await;
    }
    stack.server.handle().shutdown();
    stack.server.run().await;
}

/// A short upsmon primary session against each server: it logs in, NUMLOGINS shows it.
async fn upsmon_logs_in(stack: &Stack) {
    for (name, port) in [("c", stack.c_port), ("ours", stack.ours.port())] {
        let dir = stack.dirs.root.path().join(format!("upsmon-{name}"));
        std::fs::create_dir(&dir).unwrap();
        let conf = dir.join("upsmon.conf");
        std::fs::write(
            &conf,
            format!(
                "MONITOR dummy@127.0.0.1:{port} 1 mon monpw primary\nRUN_AS_USER root\n\
                 SHUTDOWNCMD \"/bin/true\"\nPOWERDOWNFLAG {}/killpower\nPOLLFREQ 1\n",
                dir.display()
            ),
        )
        .unwrap();
        let _upsmon = Proc(
            private_run("/lib/nut/upsmon")
                .args(["-F", "-p"])
                .env("NUT_CONFPATH", &dir)
                .env("NUT_STATEPATH", &dir)
                .env("NUT_ALTPIDPATH", &dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        tokio::task::spawn_blocking(move || {
            let mut c = Client::connect(addr);
            wait_for("upsmon's LOGIN", || {
                (c.ask("GET NUMLOGINS dummy") == ["NUMLOGINS dummy 1"]).then_some(())
            });
            assert_eq!(
                c.ask("LIST CLIENT dummy"),
                [
                    "BEGIN LIST CLIENT dummy",
                    "CLIENT dummy 127.0.0.1",
                    "END LIST CLIENT dummy"
                ]
            );
        })
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_with_c_upsc() {
    if !have("openssl") || !have("upsc") {
        return;
    }
    let dirs = Dirs::new();
    let key = dirs.etc().join("key.pem");
    let cert = dirs.etc().join("cert.pem");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut pem = std::fs::read(&cert).unwrap();
    pem.extend(std::fs::read(&key).unwrap());
    let certfile = dirs.etc().join("upsd.pem");
    std::fs::write(&certfile, pem).unwrap();
    dirs.write("ups.conf", "[fake]\n driver = fake\n port = none\n");
    dirs.write(
        "upsd.conf",
        &format!("CERTFILE {}\nDISABLE_WEAK_SSL true\n", certfile.display()),
    );
    dirs.write("upsd.users", USERS);
    let _driver = FakeDriver::start(&dirs.state().join("fake-fake"), fake_state(false));
    let (server, addr) = our_server(dirs.config()).await;
    let handle = server.handle();
    tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(addr);
        wait_for("the fake driver", || {
            (c.ask("GET VAR fake ups.status") == ["VAR fake ups.status \"OL\""]).then_some(())
        });
        let out = run("upsc", &[format!("fake@{addr}"), "ups.status".into()]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "OL\n", "{out:?}");
        // Plaintext right after STARTTLS is refused: the connection closes.
        let mut c = Client::connect(addr);
        c.send(b"STARTTLS\nNETVER\n");
        assert_eq!(c.line().as_deref(), Some("OK STARTTLS"));
        assert!(c.is_closed());
    })
    .await
    .unwrap();
    assert!(
        handle.stats().tls_sessions >= 1,
        "upsc did not use TLS: {:?}",
        handle.stats()
    );
    server.handle().shutdown();
    server.run().await;
}
