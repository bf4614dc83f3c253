//! Differential test of the whole stack: OUR upsd over OUR dummy-ups against C upsd over C
//! dummy-ups, both serving the same .dev file under the same UPS name. C's `upsc`,
//! `upsc -l`, `upsrw`, `upscmd -l` and a PyNUTClient script must print the same bytes (and
//! exit the same way) on both; only the `driver.version*` / `driver.name` lines and the four
//! `driver.*` commands our runtime adds beyond C 2.8.0 are normalised away.
//!
//! Skipped with a note when C NUT or PyNUT is not installed, unless `NUT_RS_INTEROP=1`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod support;

use support::{Kill, Site, C_DUMMY, C_UPSD};

const PYTHON: &str = "/usr/bin/python3";
const DEADLINE: Duration = Duration::from_secs(60);

/// What the PyNUTClient script prints: every call of the binding that reads.
const PYNUT_SCRIPT: &str = r#"
import sys, PyNUT
c = PyNUT.PyNUTClient(host="127.0.0.1", port=int(sys.argv[1]))
def show(x):
    return x.decode() if isinstance(x, bytes) else str(x)
for name, desc in sorted(c.GetUPSList().items()):
    print("UPS", show(name), show(desc))
for k, v in sorted(c.GetUPSVars("dev").items()):
    print(show(k), "=", show(v))
for k, v in sorted(c.GetRWVars("dev").items()):
    print(show(k), "(rw) =", show(v))
for k, v in sorted(c.GetUPSCommands("dev").items()):
    print(show(k), "(cmd)", show(v))
for k in c.ListClients("dev"):
    print("client", show(k))
"#;

/// The C programs and PyNUT, or a note (a failure under NUT_RS_INTEROP=1).
fn have(programs: &[&str]) -> bool {
    let pynut = Command::new(PYTHON)
        .args(["-c", "import PyNUT"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !pynut {
        return support::skip_unless_interop(&["PyNUT"]);
    }
    support::have(programs)
}

/// One stack: upsd and dummy-ups (both C's or both ours) in a directory owned by `nut`.
struct Stack {
    site: Site,
    port: u16,
    _procs: Vec<Kill>,
}

impl Stack {
    fn start(dir: &Path, dev: &str, upsd: &str, driver: &str) -> Self {
        let site = Site::new(
            dir,
            "[dev]\n\tdriver = dummy-ups\n\tport = x.dev\n\tdesc = \"stack test\"\n",
            "",
            &[("x.dev", dev)],
        );
        let procs = vec![
            site.spawn(driver, &["-a", "dev", "-F", "-u", "nut"]),
            site.spawn(upsd, &["-F", "-u", "nut"]),
        ];
        Self {
            port: site.port,
            site,
            _procs: procs,
        }
    }

    /// Runs a client: its exit status, stdout and stderr, as one text.
    fn run(&self, program: &str, args: &[String]) -> String {
        let out = self.site.output(program, args);
        format!(
            "status {:?}\n--- stdout\n{}--- stderr\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    fn ups(&self) -> String {
        self.site.ups("dev")
    }

    fn wait_ready(&self) {
        let start = Instant::now();
        loop {
            let out = self.run("upsc", &[self.ups(), "ups.status".into()]);
            if out.contains("stdout\nOL") {
                return;
            }
            assert!(start.elapsed() < DEADLINE, "never ready: {out}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Drops the lines that differ by design: the driver's version and name, and the
/// `driver.*` commands our runtime adds.
fn normalise(text: &str) -> String {
    const DIFFERENT: [&str; 6] = [
        "driver.version",
        "driver.name",
        "driver.exit",
        "driver.killpower",
        "driver.reload",
        "driver.reload-or-exit",
    ];
    text.lines()
        .filter(|l| !DIFFERENT.iter().any(|d| l.starts_with(d)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn our_stack_prints_what_the_c_stack_prints() {
    if !have(&[C_UPSD, C_DUMMY, "upsc", "upsrw", "upscmd"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(recording) =
        support::recorded("nut-ddl/APC/APC__Back-UPS_500__newhidups__2.0.3__01.dev")
    else {
        return;
    };
    let dev = std::fs::read_to_string(recording).unwrap();
    let dev = format!("{dev}ups.id: \"two  words\"\ninput.quality: fine\nups.load: 23\n");
    let ours = Stack::start(
        &tmp.path().join("ours"),
        &dev,
        env!("CARGO_BIN_EXE_upsd"),
        env!("CARGO_BIN_EXE_dummy-ups"),
    );
    let theirs = Stack::start(&tmp.path().join("theirs"), &dev, C_UPSD, C_DUMMY);
    ours.wait_ready();
    theirs.wait_ready();
    let script = tmp.path().join("pynut.py");
    std::fs::write(&script, PYNUT_SCRIPT).unwrap();

    type Args = fn(&Stack, &Path) -> Vec<String>;
    let cases: [(&str, &str, Args); 7] = [
        ("upsc", "upsc", |s, _| vec![s.ups()]),
        ("upsc var", "upsc", |s, _| vec![s.ups(), "ups.id".into()]),
        ("upsc -l", "upsc", |s, _| {
            vec!["-l".into(), format!("127.0.0.1:{}", s.port)]
        }),
        ("upsc unknown", "upsc", |s, _| {
            vec![format!("nosuch@127.0.0.1:{}", s.port)]
        }),
        ("upsrw", "upsrw", |s, _| vec![s.ups()]),
        ("upscmd -l", "upscmd", |s, _| vec!["-l".into(), s.ups()]),
        ("PyNUTClient", PYTHON, |s, script| {
            vec![script.display().to_string(), s.port.to_string()]
        }),
    ];
    for (what, program, args) in cases {
        let a = normalise(&ours.run(program, &args(&ours, &script)));
        let b = normalise(&theirs.run(program, &args(&theirs, &script)));
        assert_eq!(a, b, "{what}: ours first");
        assert!(a.contains("status Some("), "{what}: {a}");
    }
    let upsrw = ours.run("upsrw", &[ours.ups()]);
    assert!(upsrw.contains("Type: STRING"), "{upsrw}");
    let cmds = ours.run("upscmd", &["-l".into(), ours.ups()]);
    assert!(cmds.contains("load.off"), "{cmds}");
    let upsc = normalise(&ours.run("upsc", &[ours.ups()]));
    assert!(upsc.contains("ups.id: two  words"), "{upsc}");
    let pynut = normalise(&ours.run(
        PYTHON,
        &[script.display().to_string(), ours.port.to_string()],
    ));
    assert!(pynut.contains("UPS dev stack test"), "{pynut}");
    assert!(pynut.contains("ups.load = 23"), "{pynut}");
}
