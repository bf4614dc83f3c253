//! `nut-rs`: every program of nut-rs in one binary, chosen by the name it is run under.
//!
//! The separate programs share most of their code (tokio, rustls, the protocol, the drivers'
//! runtime), so one binary with a link per program is a fraction of their total size: the
//! installation for small machines (routers, NAS boxes, a Raspberry Pi beside the UPS).
//!
//! ```text
//! nut-rs --link /usr/local/sbin        # a symbolic link per program, named as C NUT's
//! upsc ups@localhost                   # run through its link, as the program itself
//! nut-rs upsc ups@localhost            # or named as the first argument
//! nut-rs --list                        # the programs it holds
//! ```
//!
//! Each program is the very file its own binary is built from (`src/bin/<name>.rs`), included
//! here as a module, so the two cannot drift apart. The CGI programs answer to C's names
//! (`upsstats.cgi`, …), which cargo cannot give a binary.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode, Termination};

#[path = "../apc_modbus.rs"]
mod apc_modbus;
#[path = "../apcsmart.rs"]
mod apcsmart;
#[path = "../bcmxcp.rs"]
mod bcmxcp;
#[path = "../bcmxcp_usb.rs"]
mod bcmxcp_usb;
#[path = "../blazer_ser.rs"]
mod blazer_ser;
#[path = "../blazer_usb.rs"]
mod blazer_usb;
#[path = "../dummy-ups.rs"]
mod dummy_ups;
#[path = "../liebert-esp2.rs"]
mod liebert_esp2;
#[path = "../mge-shut.rs"]
mod mge_shut;
#[path = "../mge-utalk.rs"]
mod mge_utalk;
#[path = "../nut-demo.rs"]
mod nut_demo;
#[path = "../nut-scanner.rs"]
mod nut_scanner;
#[path = "../nut-sim.rs"]
mod nut_sim;
#[path = "../nut-web.rs"]
mod nut_web;
#[path = "../nutdrv_qx.rs"]
mod nutdrv_qx;
#[path = "../powercom.rs"]
mod powercom;
#[path = "../powerpanel.rs"]
mod powerpanel;
#[path = "../riello_ser.rs"]
mod riello_ser;
#[path = "../riello_usb.rs"]
mod riello_usb;
#[path = "../snmp-ups.rs"]
mod snmp_ups;
#[path = "../tripplite_usb.rs"]
mod tripplite_usb;
#[path = "../upsc.rs"]
mod upsc;
#[path = "../upscmd.rs"]
mod upscmd;
#[path = "../upscode2.rs"]
mod upscode2;
#[path = "../upsd.rs"]
mod upsd;
#[path = "../upsdrvctl.rs"]
mod upsdrvctl;
#[path = "../upsimage-cgi.rs"]
mod upsimage_cgi;
#[path = "../upslog.rs"]
mod upslog;
#[path = "../upsmon.rs"]
mod upsmon;
#[path = "../upsrw.rs"]
mod upsrw;
#[path = "../upssched.rs"]
mod upssched;
#[path = "../upsset-cgi.rs"]
mod upsset_cgi;
#[path = "../upsstats-cgi.rs"]
mod upsstats_cgi;
#[path = "../usbhid-ups.rs"]
mod usbhid_ups;

/// A program: the name its link gets, and its `main`.
struct Program {
    name: &'static str,
    main: fn() -> ExitCode,
}

/// Every program, by the name of its link (C NUT's name where C has the program).
const PROGRAMS: &[Program] = &[
    Program {
        name: "apc_modbus",
        main: || report(apc_modbus::main),
    },
    Program {
        name: "apcsmart",
        main: || report(apcsmart::main),
    },
    Program {
        name: "bcmxcp",
        main: || report(bcmxcp::main),
    },
    Program {
        name: "bcmxcp_usb",
        main: || report(bcmxcp_usb::main),
    },
    Program {
        name: "blazer_ser",
        main: || report(blazer_ser::main),
    },
    Program {
        name: "blazer_usb",
        main: || report(blazer_usb::main),
    },
    Program {
        name: "dummy-ups",
        main: || report(dummy_ups::main),
    },
    Program {
        name: "liebert-esp2",
        main: || report(liebert_esp2::main),
    },
    Program {
        name: "mge-shut",
        main: || report(mge_shut::main),
    },
    Program {
        name: "mge-utalk",
        main: || report(mge_utalk::main),
    },
    Program {
        name: "nut-demo",
        main: || report(nut_demo::main),
    },
    Program {
        name: "nut-scanner",
        main: || report(nut_scanner::main),
    },
    Program {
        name: "nut-sim",
        main: || report(nut_sim::main),
    },
    Program {
        name: "nut-web",
        main: || report(nut_web::main),
    },
    Program {
        name: "nutdrv_qx",
        main: || report(nutdrv_qx::main),
    },
    Program {
        name: "powercom",
        main: || report(powercom::main),
    },
    Program {
        name: "powerpanel",
        main: || report(powerpanel::main),
    },
    Program {
        name: "riello_ser",
        main: || report(riello_ser::main),
    },
    Program {
        name: "riello_usb",
        main: || report(riello_usb::main),
    },
    Program {
        name: "snmp-ups",
        main: || report(snmp_ups::main),
    },
    Program {
        name: "tripplite_usb",
        main: || report(tripplite_usb::main),
    },
    Program {
        name: "upsc",
        main: || report(upsc::main),
    },
    Program {
        name: "upscmd",
        main: || report(upscmd::main),
    },
    Program {
        name: "upscode2",
        main: || report(upscode2::main),
    },
    Program {
        name: "upsd",
        main: || report(upsd::main),
    },
    Program {
        name: "upsdrvctl",
        main: || report(upsdrvctl::main),
    },
    Program {
        name: "upsimage.cgi",
        main: || report(upsimage_cgi::main),
    },
    Program {
        name: "upslog",
        main: || report(upslog::main),
    },
    Program {
        name: "upsmon",
        main: || report(upsmon::main),
    },
    Program {
        name: "upsrw",
        main: || report(upsrw::main),
    },
    Program {
        name: "upssched",
        main: || report(upssched::main),
    },
    Program {
        name: "upsset.cgi",
        main: || report(upsset_cgi::main),
    },
    Program {
        name: "upsstats.cgi",
        main: || report(upsstats_cgi::main),
    },
    Program {
        name: "usbhid-ups",
        main: || report(usbhid_ups::main),
    },
];

/// Runs a program's `main` and turns what it returns into an exit code, as Rust's runtime
/// does for a binary's `main`.
fn report<T: Termination>(main: fn() -> T) -> ExitCode {
    main().report()
}

/// The program called `name`: its link name, or the name of its separate binary (the CGI
/// programs' `upsstats-cgi`, …).
fn find(name: &str) -> Option<&'static Program> {
    PROGRAMS
        .iter()
        .find(|p| p.name == name || p.name.replace(".cgi", "-cgi") == name)
}

const USAGE: &str = "\
Usage: nut-rs PROGRAM [ARGUMENT...]    run PROGRAM (or run nut-rs under PROGRAM's name)
       nut-rs --link DIRECTORY [PROGRAM...]
                                       make a symbolic link to nut-rs in DIRECTORY for each
                                       PROGRAM (default: all), named after it
       nut-rs --list                   list the programs
       nut-rs --help | --version
";

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let called = Path::new(&argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if let Some(program) = find(called) {
        return (program.main)();
    }
    let rest: Vec<OsString> = args.collect();
    let Some(first) = rest.first().and_then(|a| a.to_str()) else {
        eprint!("{USAGE}");
        return ExitCode::FAILURE;
    };
    match first {
        "-h" | "--help" => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        "-V" | "--version" => {
            println!("nut-rs {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        "--list" => {
            for p in PROGRAMS {
                println!("{}", p.name);
            }
            ExitCode::SUCCESS
        }
        "--link" => link(&rest[1..]),
        name => match find(name) {
            // Run again under the program's name, which the program reads from argv[0].
            Some(program) => {
                let err = match std::env::current_exe() {
                    Ok(exe) => Command::new(exe).arg0(program.name).args(&rest[1..]).exec(),
                    Err(e) => e,
                };
                eprintln!("nut-rs: can't run {name}: {err}");
                ExitCode::FAILURE
            }
            None => {
                eprintln!("nut-rs: no program named {name:?} (nut-rs --list lists them)");
                ExitCode::FAILURE
            }
        },
    }
}

/// `--link DIRECTORY [PROGRAM...]`: a symbolic link to this binary per program. An existing
/// symbolic link is replaced; any other file of that name is left alone, with an error.
fn link(args: &[OsString]) -> ExitCode {
    let Some(dir) = args.first() else {
        eprint!("nut-rs: --link needs a directory\n{USAGE}");
        return ExitCode::FAILURE;
    };
    let dir = Path::new(dir);
    let exe = match std::env::current_exe().and_then(|e| e.canonicalize()) {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("nut-rs: can't find my own program: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut chosen = Vec::new();
    for name in &args[1..] {
        match name.to_str().and_then(find) {
            Some(p) => chosen.push(p),
            None => {
                eprintln!("nut-rs: no program named {name:?} (nut-rs --list lists them)");
                return ExitCode::FAILURE;
            }
        }
    }
    if chosen.is_empty() {
        chosen.extend(PROGRAMS);
    }
    let mut failed = false;
    for p in chosen {
        let path = dir.join(p.name);
        if let Ok(meta) = path.symlink_metadata() {
            if !meta.file_type().is_symlink() {
                eprintln!(
                    "nut-rs: {} exists and is not a link: left alone",
                    path.display()
                );
                failed = true;
                continue;
            }
            if let Err(e) = std::fs::remove_file(&path) {
                eprintln!("nut-rs: can't replace {}: {e}", path.display());
                failed = true;
                continue;
            }
        }
        if let Err(e) = std::os::unix::fs::symlink(&exe, &path) {
            eprintln!("nut-rs: can't link {}: {e}", path.display());
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
