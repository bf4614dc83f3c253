//! The CGI programs against Debian's C ones (package nut-cgi), both served by a real
//! lighttpd (mod_cgi, a generated configuration on a free port) over the same upsd (ours)
//! and dummy-ups devices: upsstats.cgi's pages (list, single, treemode, refresh, a refused
//! host, a template using every directive), upsset.cgi's pages (login, pickups, settings,
//! commands, errors, the upsset.conf gate) and a SET through it reaching upsd, compared
//! byte for byte; upsimage.cgi's PNGs compared decoded (size, colours, pixels).
//!
//! C's list page reads hosts.conf from its built-in /etc/nut (it ignores NUT_CONFPATH
//! there), so lighttpd runs in a mount namespace of its own with the test's folder mounted
//! on /etc/nut (nothing outside the test sees it). Where that is not permitted, the list
//! pages are not compared and the test says so.
//!
//! Skipped with a note when lighttpd, the C CGIs or their templates are missing, unless
//! `NUT_RS_INTEROP=1`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod support;

use support::http::{request, Reply};
use support::{free_port, have, wait_for, Proc, Site};

const LIGHTTPD: &str = "/usr/sbin/lighttpd";
const C_CGI: &str = "/usr/lib/cgi-bin/nut";
const TEMPLATES: &str = "/etc/nut";
const PROGRAMS: [&str; 3] = ["upsstats", "upsimage", "upsset"];

const DUMMY_DEV: &str = "ups.mfr: Acme\nups.model: Test 1500\nups.status: OL CHRG\n\
    battery.charge: 87\nbattery.charge.low: 20\nbattery.runtime: 3725\n\
    battery.voltage: 27.1\nbattery.voltage.nominal: 24\ninput.voltage: 230.4\n\
    input.voltage.nominal: 230\ninput.transfer.low: 180\ninput.transfer.high: 260\n\
    input.frequency: 50.0\noutput.voltage: 229.8\nups.load: 42\nups.temperature: 31.5\n\
    ups.delay.shutdown: 20\n";
const SECOND_DEV: &str = "ups.model: Small\nups.status: OB LB\nbattery.charge: 9\n\
    battery.runtime: 59\ninput.voltage: 0\ninput.transfer.low: 90\n\
    input.transfer.high: 140\nups.load: 130\nbattery.temperature: 40\n";

/// A template with every directive, for upsstats-single.html.
const CUSTOM: &str = "@REFRESH@<p>@HOST@ @HOSTDESC@ @VERSION@\n\
    @HOSTLINK@ @TREELINK@ @STATUS@ @STATUSCOLOR@ @RUNTIME@\n\
    @UPSTEMP@@DEGREES@ @TEMPF@@UPSTEMP@@DEGREES@ @BATTTEMP@ @AMBTEMP@ @TEMPC@\n\
    @IMG battery.charge width=80 height=200 bogus=1 bar_col=0xff0000@\n\
    @IMG input.voltage@ @IMG ups.load x@ @IMG nothing.here@\n\
    @IFEQ ups.status OL CHRG@wrong @ELSE@eq-else@ENDIF@\n\
    @IFEQ ups.model Test@@ELSE@no@ENDIF@ @IFEQ a@\n\
    @IFBETWEEN input.transfer.low input.transfer.high input.voltage@in@ELSE@out@ENDIF@\n\
    @IFBETWEEN a b@ @IFSUPP ups.nothing@x@ELSE@y@ENDIF@ @VAR ups.nothing@\n\
    @UNKNOWN@ @VAR ups.model@ mail@example.org is cut\n\
    @UPSSTATSPATH /s.cgi@@UPSIMAGEPATH /i.cgi@@HOSTLINK@@IMG ups.load@\n\
    @FOREACHUPS@ loop @HOST@\n@VAR ups.load@ @ENDFOR@ after\n@VAR ups.load@ end\n";

/// The set-up: our upsd with two dummy-ups devices, lighttpd serving C's CGIs under `/c/`
/// and ours under `/rs/`, in folders with different configurations.
struct Web {
    port: u16,
    site: Site,
    /// Whether lighttpd sees the test's folder as /etc/nut (list pages comparable).
    etc_mounted: bool,
    _lighttpd: Proc,
    _upsd: Proc,
    _drivers: Vec<Proc>,
}

fn our_cgi(name: &str) -> PathBuf {
    let exe = match name {
        "upsstats" => env!("CARGO_BIN_EXE_upsstats-cgi"),
        "upsimage" => env!("CARGO_BIN_EXE_upsimage-cgi"),
        _ => env!("CARGO_BIN_EXE_upsset-cgi"),
    };
    PathBuf::from(exe)
}

/// Whether this process may mount in a namespace of its own.
fn can_mount_etc(dir: &Path) -> bool {
    Command::new("unshare")
        .args(["-m", "sh", "-c", "mount --bind \"$0\" /etc/nut"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success())
}

impl Web {
    fn start(tmp: &Path) -> Self {
        let dev = tmp.join("dummy.dev");
        let second = tmp.join("second.dev");
        fs::write(&dev, DUMMY_DEV).unwrap();
        fs::write(&second, SECOND_DEV).unwrap();
        let ups_conf = format!(
            "[dummy]\n\tdriver = dummy-ups\n\tport = {}\n\tdesc = \"Test UPS\"\n\
             [second]\n\tdriver = dummy-ups\n\tport = {}\n",
            dev.display(),
            second.display()
        );
        let site = Site::new(&tmp.join("nut"), &ups_conf, "", &[]);
        // A third UPS on a server that is not there.
        let hosts = format!(
            "MONITOR {} \"Test UPS one\"\nMONITOR {} \"Second UPS\"\n\
             MONITOR dead@127.0.0.1:{} \"Dead UPS\"\n",
            site.ups("dummy"),
            site.ups("second"),
            free_port()
        );
        // Configurations: main (Debian's templates), custom (a template with every
        // directive), nogate (upsset.conf without the magic line), noconf (no upsset.conf).
        let confs = ["main", "custom", "nogate", "noconf"];
        for conf in confs {
            let dir = tmp.join(conf);
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("hosts.conf"), &hosts).unwrap();
            for t in ["upsstats.html", "upsstats-single.html"] {
                fs::copy(Path::new(TEMPLATES).join(t), dir.join(t)).unwrap();
            }
        }
        fs::write(tmp.join("custom/upsstats-single.html"), CUSTOM).unwrap();
        fs::write(tmp.join("custom/upsstats.html"), CUSTOM).unwrap();
        for conf in ["main", "custom"] {
            fs::write(
                tmp.join(conf).join("upsset.conf"),
                "# secured\nI_HAVE_SECURED_MY_CGI_DIRECTORY\n",
            )
            .unwrap();
        }
        fs::write(tmp.join("nogate/upsset.conf"), "# not yet\n").unwrap();

        // The web root: /<conf>/<c|rs>/<program>.cgi.
        let www = tmp.join("www");
        let mut env_rules = String::new();
        for conf in confs {
            for (side, dir) in [("c", None), ("rs", Some(()))] {
                let d = www.join(conf).join(side);
                fs::create_dir_all(&d).unwrap();
                for p in PROGRAMS {
                    let target = match dir {
                        None => Path::new(C_CGI).join(format!("{p}.cgi")),
                        Some(()) => our_cgi(p),
                    };
                    std::os::unix::fs::symlink(target, d.join(format!("{p}.cgi"))).unwrap();
                }
            }
            env_rules += &format!(
                "$HTTP[\"url\"] =~ \"^/{conf}/\" {{\n  setenv.add-environment = ( \"NUT_CONFPATH\" => \"{}\" )\n}}\n",
                tmp.join(conf).display()
            );
        }
        let port = free_port();
        let conf = tmp.join("lighttpd.conf");
        fs::write(
            &conf,
            format!(
                "server.document-root = \"{}\"\nserver.bind = \"127.0.0.1\"\nserver.port = {port}\n\
                 server.modules = ( \"mod_cgi\", \"mod_setenv\" )\n\
                 server.errorlog = \"{}\"\ncgi.assign = ( \".cgi\" => \"\" )\n{env_rules}",
                www.display(),
                tmp.join("lighttpd.log").display()
            ),
        )
        .unwrap();

        let upsd = Proc::spawn(
            site.command(env!("CARGO_BIN_EXE_upsd"))
                .args(["-u", "nut", "-F"]),
        );
        let drivers = ["dummy", "second"]
            .map(|ups| {
                Proc::spawn(
                    site.command(env!("CARGO_BIN_EXE_dummy-ups"))
                        .args(["-a", ups, "-u", "nut", "-F"]),
                )
            })
            .into();
        let main = tmp.join("main");
        let etc_mounted = can_mount_etc(&main);
        let lighttpd = if etc_mounted {
            Proc::spawn(
                Command::new("unshare")
                    .args(["-m", "sh", "-c"])
                    .arg(format!(
                        "mount --bind '{}' /etc/nut && exec {LIGHTTPD} -D -f '{}'",
                        main.display(),
                        conf.display()
                    )),
            )
        } else {
            eprintln!("note: no mount namespace here: C's list pages read the real /etc/nut and are not compared");
            Proc::spawn(Command::new(LIGHTTPD).arg("-D").arg("-f").arg(&conf))
        };
        let web = Self {
            port,
            site,
            etc_mounted,
            _lighttpd: lighttpd,
            _upsd: upsd,
            _drivers: drivers,
        };
        wait_for(
            "lighttpd",
            Duration::from_secs(30),
            Duration::from_millis(50),
            || std::net::TcpStream::connect(("127.0.0.1", port)).ok(),
        );
        for ups in ["dummy", "second"] {
            wait_for(
                "the drivers' data",
                Duration::from_secs(60),
                Duration::from_millis(100),
                || {
                    let out = web.site.output(
                        env!("CARGO_BIN_EXE_upsc"),
                        &[web.site.ups(ups), "ups.status".into()],
                    );
                    let text = String::from_utf8_lossy(&out.stdout).into_owned();
                    (out.status.success() && !text.contains("WAIT")).then_some(())
                },
            );
        }
        web
    }

    fn get(&self, conf: &str, side: &str, program: &str, query: &str) -> Reply {
        let path = format!("/{conf}/{side}/{program}.cgi{query}");
        request(self.port, "GET", &path, &[], b"")
    }

    fn post(&self, conf: &str, side: &str, form: &str) -> Reply {
        let path = format!("/{conf}/{side}/upsset.cgi");
        request(
            self.port,
            "POST",
            &path,
            &["Content-Type: application/x-www-form-urlencoded"],
            form.as_bytes(),
        )
    }

    /// The same GET of C's and ours: their bodies (the date masked) must be identical.
    fn same_get(&self, conf: &str, program: &str, query: &str) -> String {
        let c = self.get(conf, "c", program, query);
        let ours = self.get(conf, "rs", program, query);
        same(&format!("{conf} {program}{query}"), &c, &ours)
    }

    fn same_post(&self, conf: &str, form: &str) -> String {
        let c = self.post(conf, "c", form);
        let ours = self.post(conf, "rs", form);
        same(&format!("{conf} upsset {form}"), &c, &ours)
    }

    fn var(&self, ups: &str, var: &str) -> String {
        let out = self.site.output(
            env!("CARGO_BIN_EXE_upsc"),
            &[self.site.ups(ups), var.into()],
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Waits for upsd to show `value` (a SET reaches the driver, then comes back).
    fn wait_value(&self, var: &str, value: &str) {
        wait_for(
            value,
            Duration::from_secs(30),
            Duration::from_millis(100),
            || (self.var("dummy", var) == value).then_some(()),
        );
    }

    fn set(&self, var: &str, value: &str) {
        let out = self.site.output(
            env!("CARGO_BIN_EXE_upsrw"),
            &[
                "-s",
                &format!("{var}={value}"),
                "-u",
                "admin",
                "-p",
                "pw",
                "-w",
                &self.site.ups("dummy"),
            ],
        );
        assert!(out.status.success(), "upsrw: {out:?}");
    }
}

/// The one thing that differs between two runs: `@DATE %a %b %d %X %Z %Y@`'s line
/// (`Fri Dec 04 23:59:59 UTC 2026`) becomes `<DATE>`.
fn mask_date(page: &str) -> String {
    let is_date = |line: &str| {
        let w: Vec<&str> = line.split(' ').collect();
        w.len() == 6
            && w[2].len() == 2
            && w[3].len() == 8
            && w[3].bytes().filter(|&b| b == b':').count() == 2
            && w[5].len() == 4
            && w[5].bytes().all(|b| b.is_ascii_digit())
    };
    page.split_inclusive('\n')
        .map(|l| {
            if is_date(l.trim_end_matches('\n')) {
                "<DATE>\n"
            } else {
                l
            }
        })
        .collect()
}

fn same(what: &str, c: &Reply, ours: &Reply) -> String {
    let c_body = mask_date(&String::from_utf8_lossy(&c.body));
    let our_body = mask_date(&String::from_utf8_lossy(&ours.body));
    if c_body != our_body {
        let c_lines: Vec<&str> = c_body.lines().collect();
        let our_lines: Vec<&str> = our_body.lines().collect();
        let first = (0..c_lines.len().max(our_lines.len()))
            .find(|&i| c_lines.get(i) != our_lines.get(i))
            .unwrap_or(0);
        panic!(
            "{what}: pages differ from line {}:\n--- C\n{}\n--- ours\n{}\n",
            first + 1,
            c_lines[first.min(c_lines.len())..]
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n"),
            our_lines[first.min(our_lines.len())..]
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    assert_eq!(c.status, ours.status, "{what}: HTTP status");
    c_body
}

/// The hosts.conf UPS whose server is not there.
fn dead_ups(tmp: &Path) -> String {
    let hosts = fs::read_to_string(tmp.join("main/hosts.conf")).unwrap();
    let line = hosts.lines().find(|l| l.contains("dead@")).unwrap();
    line.split(' ').nth(1).unwrap().to_owned()
}

fn ready() -> bool {
    let templates = [
        format!("{TEMPLATES}/upsstats.html"),
        format!("{TEMPLATES}/upsstats-single.html"),
    ];
    let mut needed = vec![LIGHTTPD.to_owned(), "/usr/bin/unshare".to_owned()];
    needed.extend(PROGRAMS.map(|p| format!("{C_CGI}/{p}.cgi")));
    needed.extend(templates);
    let needed: Vec<&str> = needed.iter().map(String::as_str).collect();
    have(&needed)
}

#[test]
fn upsstats_pages_as_c() {
    if !ready() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let web = Web::start(tmp.path());
    let dummy = web.site.ups("dummy");
    if web.etc_mounted {
        let page = web.same_get("main", "upsstats", "");
        assert!(
            page.contains("Test UPS one") && page.contains("Second UPS"),
            "{page}"
        );
        assert!(page.contains("<DATE>"), "{page}");
        web.same_get("main", "upsstats", "?refresh=30");
        // C reads this template from NUT_CONFPATH, and hosts.conf from /etc/nut.
        let page = web.same_get("custom", "upsstats", "");
        assert!(page.contains("[error: Invalid argument]"), "{page}");
    }
    let page = web.same_get("main", "upsstats", &format!("?host={dummy}"));
    assert!(page.contains("Test 1500"), "{page}");
    let tree = web.same_get("main", "upsstats", &format!("?host={dummy}&treemode"));
    assert!(tree.contains("<TD>battery.charge</TD>"), "{tree}");
    web.same_get(
        "main",
        "upsstats",
        &format!("?host={}&refresh=5", web.site.ups("second")),
    );
    web.same_get("main", "upsstats", "?host=nobody@127.0.0.1");
    let dead = dead_ups(tmp.path());
    let page = web.same_get("main", "upsstats", &format!("?host={dead}"));
    assert!(page.contains("Connection refused"), "{page}");
    web.same_get("main", "upsstats", &format!("?host={dead}&treemode"));
    let custom = web.same_get("custom", "upsstats", &format!("?host={dummy}&refresh=7"));
    assert!(custom.contains("<IMG SRC=\"upsimage.cgi?host="), "{custom}");
    web.same_get(
        "custom",
        "upsstats",
        &format!("?host={}", web.site.ups("second")),
    );
    web.same_get("custom", "upsstats", &format!("?host={dummy}&treemode"));
    web.same_get("custom", "upsstats", "?host=a%2");
}

#[test]
fn upsset_pages_and_a_set_as_c() {
    if !ready() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let web = Web::start(tmp.path());
    let dummy = web.site.ups("dummy");
    let monups = dummy.replace(':', "%3A").replace('@', "%40");
    let login = "username=admin&password=pw";

    // The gate.
    let page = web.same_post("nogate", login);
    assert!(page.contains("Secure mode has not been enabled"), "{page}");
    let page = web.same_post("noconf", login);
    assert!(page.contains("Can't open upsset.conf"), "{page}");

    let page = web.same_get("main", "upsset", "");
    assert!(page.contains("NAME=\"password\""), "{page}");
    web.same_post("main", &format!("{login}&function=pickups"));
    web.same_post("main", &format!("{login}&function=showsettings"));
    let page = web.same_post(
        "main",
        &format!("{login}&function=showsettings&monups={monups}"),
    );
    assert!(page.contains("NAME=\"UPSVAR_ups.model\""), "{page}");
    web.same_post(
        "main",
        &format!("{login}&function=showcmds&monups={monups}"),
    );
    web.same_post("main", &format!("{login}&function=docmd&monups={monups}"));
    web.same_post(
        "main",
        &format!("{login}&function=docmd&monups={monups}&upscommand=test.battery.start"),
    );
    web.same_post(
        "main",
        &format!("{login}&function=showsettings&monups=other%40host"),
    );
    web.same_post(
        "main",
        &format!("{login}&function=nonsense&monups={monups}"),
    );
    // A wrong password: upsd refuses the SET.
    web.same_post(
        "main",
        &format!("username=admin&password=no&function=savesettings&monups={monups}&UPSVAR_ups.model=Nope"),
    );
    assert_eq!(web.var("dummy", "ups.model"), "Test 1500");

    // A SET through each program reaches upsd (set back in between, so both print the same).
    let form = format!(
        "{login}&function=savesettings&monups={monups}&UPSVAR_ups.model=Renamed+by%20CGI&UPSVAR_ups.mfr=Acme"
    );
    let c = web.post("main", "c", &form);
    web.wait_value("ups.model", "Renamed by CGI");
    web.set("ups.model", "Test 1500");
    web.wait_value("ups.model", "Test 1500");
    let ours = web.post("main", "rs", &form);
    let page = same("savesettings", &c, &ours);
    assert!(
        page.contains("set ups.model to Renamed by CGI (was Test 1500)\nOK\n"),
        "{page}"
    );
    web.wait_value("ups.model", "Renamed by CGI");
}

/// The pixels of a PNG as RGBA rows, and its size.
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<[u8; 4]>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let px = buf[..info.buffer_size()]
        .chunks(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect();
    (info.width, info.height, px)
}

/// The text colour of the images (scale numbers and summary, by default).
const TEXT: [u8; 4] = [255, 255, 0, 255];

/// The boxes `[x0, y0, x1, y1]` around runs of rows holding text-coloured pixels: one per
/// label (or per column of labels drawn upwards).
fn text_boxes(width: u32, px: &[[u8; 4]]) -> Vec<[u32; 4]> {
    let mut boxes: Vec<[u32; 4]> = Vec::new();
    let mut open = false;
    for (y, row) in px.chunks(width as usize).enumerate() {
        let xs: Vec<u32> = (0..width).filter(|&x| row[x as usize] == TEXT).collect();
        let (Some(&x0), Some(&x1)) = (xs.first(), xs.last()) else {
            open = false;
            continue;
        };
        let y = y as u32;
        match boxes.last_mut() {
            Some(b) if open => *b = [b[0].min(x0), b[1], b[2].max(x1), y],
            _ => boxes.push([x0, y, x1, y]),
        }
        open = true;
    }
    boxes
}

#[test]
fn upsimage_pngs_as_c() {
    if !ready() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let web = Web::start(tmp.path());
    let dummy = web.site.ups("dummy");
    let second = web.site.ups("second");
    let queries = [
        format!("?host={dummy}&display=battery.charge"),
        format!("?host={dummy}&display=ups.load"),
        format!("?host={dummy}&display=input.voltage"),
        format!("?host={dummy}&display=battery.voltage"),
        format!("?host={dummy}&display=ups.temperature&tempmax=60"),
        format!("?host={dummy}&display=input.frequency"),
        format!("?host={second}&display=ups.load&width=150&height=200&scale_height=150&bar_col=0xff00ff&back_col=0x102030"),
        format!("?host={second}&display=input.voltage"),
        format!("?host={dummy}&display=nothing"),
        "?host=nobody@127.0.0.1&display=ups.load".to_owned(),
        "?display=ups.load".to_owned(),
        format!("?host={}&display=ups.load", dead_ups(tmp.path())),
        format!("?host={}&display=ups.load&width=200&height=100", dead_ups(tmp.path())),
    ];
    for q in queries {
        let c = web.get("main", "c", "upsimage", &q);
        let ours = web.get("main", "rs", "upsimage", &q);
        assert_eq!(c.status, 200, "{q}");
        assert_eq!(ours.status, 200, "{q}");
        assert!(
            ours.head
                .to_ascii_lowercase()
                .contains("content-type: image/png"),
            "{q}"
        );
        let (cw, ch, cpx) = decode(&c.body);
        let (w, h, px) = decode(&ours.body);
        assert_eq!((w, h), (cw, ch), "{q}: size");
        let colours = |px: &[[u8; 4]]| {
            let mut set: Vec<[u8; 4]> = px.to_vec();
            set.sort_unstable();
            set.dedup();
            set
        };
        assert_eq!(colours(&px), colours(&cpx), "{q}: colours");
        // gd's font is not ours (its glyphs differ a little): text pixels (the text colour in
        // either image) are
        // compared as boxes, within a pixel; every other pixel (scale, zones, bar, background) exactly.
        let text = |p: &[u8; 4]| *p == TEXT;
        let differ: Vec<(u32, u32, [u8; 4], [u8; 4])> = px
            .iter()
            .zip(&cpx)
            .enumerate()
            .filter(|(_, (a, b))| a != b && !text(a) && !text(b))
            .map(|(i, (a, b))| (i as u32 % w, i as u32 / w, *b, *a))
            .collect();
        assert!(
            differ.is_empty(),
            "{q}: {} pixels differ (x, y, C, ours): {:?}",
            differ.len(),
            &differ[..differ.len().min(12)]
        );
        if q.contains("dead@") {
            // Error messages (letters, drawn upwards when the image is tall): one box
            // around the text, within two pixels (the two fonts' letters differ more than
            // their digits).
            let whole = |b: Vec<[u32; 4]>| {
                b.iter().fold([u32::MAX, u32::MAX, 0, 0], |a, b| {
                    [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ]
                })
            };
            let (c, ours) = (whole(text_boxes(w, &cpx)), whole(text_boxes(w, &px)));
            let near = c.iter().zip(&ours).all(|(a, b)| a.abs_diff(*b) <= 2);
            assert!(near, "{q}: text at {c:?} in C, {ours:?} in ours");
            continue;
        }
        let (c_boxes, our_boxes) = (text_boxes(w, &cpx), text_boxes(w, &px));
        assert_eq!(
            c_boxes.len(),
            our_boxes.len(),
            "{q}: labels {c_boxes:?} {our_boxes:?}"
        );
        for (c, ours) in c_boxes.iter().zip(&our_boxes) {
            let near = c.iter().zip(ours).all(|(a, b)| a.abs_diff(*b) <= 1);
            assert!(near, "{q}: label at {c:?} in C, {ours:?} in ours");
        }
    }
}
