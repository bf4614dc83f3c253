//! A C upsd with C dummy-ups in a temporary directory, for interop tests.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub(crate) const C_UPSD: &str = "/lib/nut/upsd";
pub(crate) const C_DUMMY: &str = "/lib/nut/dummy-ups";

/// The device file the tests serve.
pub(crate) const DEV: &str = "\
battery.charge: 100
battery.runtime: 1800
input.voltage: 230.0
input.frequency: 50.0
ups.load: 25
ups.status: OL
ups.temperature: 30
ups.mfr: Dummy Corp
ups.model: Test Model
input.transfer.low: 180
input.transfer.high: 270
";

pub(crate) const USERS: &str = "\
[admin]
\tpassword = secret
\tactions = SET FSD
\tinstcmds = ALL
\tupsmon primary
[mon]
\tpassword = pw
\tupsmon secondary
";

/// Whether a missing C program must fail the test (CI) instead of skipping it.
pub(crate) fn interop_required() -> bool {
    std::env::var("NUT_RS_INTEROP").is_ok_and(|v| v == "1")
}

/// Whether the C programs in `paths` exist; if not, says so (or panics under CI).
pub(crate) fn have(paths: &[&str]) -> bool {
    for path in paths {
        let found = if path.starts_with('/') {
            Path::new(path).exists()
        } else {
            which(path).is_some()
        };
        if !found {
            if interop_required() {
                panic!("NUT_RS_INTEROP=1 but {path} is missing");
            }
            eprintln!("note: skipping interop test: {path} is not installed");
            return false;
        }
    }
    true
}

pub(crate) fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.exists())
}

/// A port nobody listens on right now.
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A temporary directory removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("nut-rs-{tag}-{}-{n}-{nanos}", std::process::id()));
        fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// C upsd and C dummy-ups serving the UPS `dummy` (and `other`, described "Second UPS").
pub(crate) struct CNut {
    pub(crate) port: u16,
    children: Vec<Child>,
    pub(crate) dir: TempDir,
}

impl CNut {
    /// Starts them, or `None` when C NUT is not installed (and not required).
    pub(crate) fn start() -> Option<Self> {
        if !have(&[C_UPSD, C_DUMMY]) {
            return None;
        }
        let dir = TempDir::new("cnut");
        let etc = dir.0.join("etc");
        let state = dir.0.join("state");
        fs::create_dir_all(&etc).unwrap();
        fs::create_dir_all(&state).unwrap();
        let port = free_port();
        let dev = etc.join("dummy.dev");
        fs::write(&dev, DEV).unwrap();
        fs::write(
            etc.join("ups.conf"),
            format!(
                "[dummy]\n\tdriver = dummy-ups\n\tport = {0}\n\tdesc = \"Test UPS\"\n\
                 [other]\n\tdriver = dummy-ups\n\tport = {0}\n",
                dev.display()
            ),
        )
        .unwrap();
        fs::write(etc.join("upsd.conf"), format!("LISTEN 127.0.0.1 {port}\n")).unwrap();
        fs::write(etc.join("upsd.users"), USERS).unwrap();
        hand_to_nut(&dir.0);
        let mut nut = Self {
            port,
            children: Vec::new(),
            dir,
        };
        for ups in ["dummy", "other"] {
            nut.spawn(C_DUMMY, &["-a", ups, "-u", "nut", "-F"]);
        }
        wait_for_path(&state.join("dummy-ups-dummy"));
        wait_for_path(&state.join("dummy-ups-other"));
        nut.spawn(C_UPSD, &["-u", "nut", "-F"]);
        nut.wait_ready();
        Some(nut)
    }

    fn spawn(&mut self, program: &str, args: &[&str]) {
        let child = Command::new(program)
            .args(args)
            .env("NUT_CONFPATH", self.dir.0.join("etc"))
            .env("NUT_STATEPATH", self.dir.0.join("state"))
            .env("NUT_ALTPIDPATH", self.dir.0.join("state"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"));
        self.children.push(child);
    }

    /// `ups@127.0.0.1:port`.
    pub(crate) fn ups(&self, ups: &str) -> String {
        format!("{ups}@127.0.0.1:{}", self.port)
    }

    /// Waits until both UPSes report a real status.
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        loop {
            let ready = runtime.block_on(async {
                let client = nut_client::Client::connect_to("127.0.0.1", self.port)
                    .await
                    .ok()?;
                for ups in ["dummy", "other"] {
                    let status = client.get_var(ups, "ups.status").await.ok()?;
                    if status.as_str() == "WAIT" {
                        return None;
                    }
                }
                Some(())
            });
            if ready.is_some() {
                return;
            }
            assert!(Instant::now() < deadline, "C upsd did not become ready");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for CNut {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for_path(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} did not appear",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// C NUT wants its files readable by `nut` and its state directory owned by it.
fn hand_to_nut(root: &Path) {
    let Ok(Some(user)) = nix::unistd::User::from_name("nut") else {
        return;
    };
    let _ = fs::set_permissions(root, fs::Permissions::from_mode(0o755));
    for entry in [root.join("etc"), root.join("state")] {
        let _ = nix::unistd::chown(&entry, Some(user.uid), Some(user.gid));
        let _ = fs::set_permissions(&entry, fs::Permissions::from_mode(0o770));
        if let Ok(files) = fs::read_dir(&entry) {
            for file in files.flatten() {
                let _ = nix::unistd::chown(&file.path(), Some(user.uid), Some(user.gid));
                let _ = fs::set_permissions(file.path(), fs::Permissions::from_mode(0o640));
            }
        }
    }
}

/// The result of running a program: exit code, stdout, stderr.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `program args` with `stdin` as input.
///
/// The program runs in a new session (`setsid`) when that tool exists, so that it has no
/// controlling terminal: password prompts then read `stdin`, as they do on CI, instead of
/// waiting on the terminal of whoever runs `cargo test`.
pub(crate) fn run(program: &str, args: &[&str], stdin: &str) -> Outcome {
    use std::io::Write;
    let setsid = ["/usr/bin/setsid", "/bin/setsid"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let mut command = match setsid {
        Some(setsid) => {
            let mut c = Command::new(setsid);
            c.arg("--wait").arg(program);
            c
        }
        None => Command::new(program),
    };
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("wait");
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
