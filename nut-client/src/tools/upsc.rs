//! `upsc`: shows a UPS's variables, the UPSes of a server, or the clients of a UPS — with
//! the output, messages and exit codes of C NUT 2.8.0's `upsc`.

use crate::proto::net::ErrorCode;
use crate::{Client, Error};

use super::common::{
    c_strerror, connect, connected_before, prog_name, server_code, split_addr, split_name, Getopt,
    Opt, Stdio, NSS_INIT_NOTICE, NUT_VERSION,
};

fn usage(prog: &str) -> String {
    format!(
        "Network UPS Tools upsc {NUT_VERSION}\n\n\
usage: {prog} -l | -L [<hostname>[:port]]\n       \
{prog} <ups> [<variable>]\n       \
{prog} -c <ups>\n\n\
Demo program to display UPS variables.\n\n\
First form (lists UPSes):\n  \
-l         - lists each UPS on <hostname>, one per line.\n  \
-L         - lists each UPS followed by its description (from ups.conf).\n               \
Default hostname: localhost\n\n\
Second form (lists variables and values):\n  \
<ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form\n  \
<variable> - optional, display this variable only.\n               \
Default: list all variables for <host>\n\n\
Third form (lists clients connected to a device):\n  \
-c         - lists each client connected on <ups>, one per line.\n  \
<ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form\n"
    )
}

/// "Error: …" for a failed LIST, with C's special case for servers that lack the query.
fn list_error(e: &Error) -> String {
    match server_code(e) {
        Some(ErrorCode::UnknownCommand) => "Error: upsd is too old to support this query".into(),
        _ => format!("Error: {}", c_strerror(e)),
    }
}

/// Runs `upsc` with `args` (program name first); returns the exit code.
pub async fn run(args: &[String], io: &mut Stdio<'_>) -> i32 {
    let prog = prog_name(args.first(), "upsc");
    let rest = args.get(1..).unwrap_or_default();
    let mut getopt = Getopt::new(rest, "hlLcV", &prog);
    let (mut varlist, mut clientlist, mut verbose) = (false, false, false);
    while let Some(opt) = getopt.next(io.err) {
        match opt {
            Opt::Flag('L', _) => {
                verbose = true;
                varlist = true;
            }
            Opt::Flag('l', _) => varlist = true,
            Opt::Flag('c', _) => clientlist = true,
            // C's upsc names the wrong program here; kept for byte-identical output.
            Opt::Flag('V', _) => {
                io.eprintln(&format!("Network UPS Tools upscmd {NUT_VERSION}"));
                return 0;
            }
            _ => {
                io.print(&usage(&prog));
                return 0;
            }
        }
    }
    let operands = getopt.operands();

    let target = if varlist {
        let addr = operands.first().map(String::as_str).unwrap_or("localhost");
        match split_addr(addr, io.err) {
            Some((host, port)) => super::common::UpsTarget {
                ups: String::new(),
                host,
                port,
            },
            None => {
                io.eprintln("Error: invalid hostname.\nRequired format: [hostname[:port]]");
                return 1;
            }
        }
    } else {
        match split_name(operands.first().map(String::as_str), io.err) {
            Some(target) => target,
            None => {
                io.eprintln(
                    "Error: invalid UPS definition.\nRequired format: upsname[@hostname[:port]]",
                );
                return 1;
            }
        }
    };

    let client = match connect(&target, true).await {
        Ok(client) => {
            io.eprintln(NSS_INIT_NOTICE);
            client
        }
        Err(e) => {
            if connected_before(&e) {
                io.eprintln(NSS_INIT_NOTICE);
            }
            io.eprintln(&format!("Error: {}", c_strerror(&e)));
            return 1;
        }
    };

    let result = if varlist {
        list_upses(&client, verbose, io).await
    } else if clientlist {
        list_clients(&client, &target.ups, io).await
    } else if let Some(var) = operands.get(1) {
        print_var(&client, &target.ups, var, io).await
    } else {
        list_vars(&client, &target.ups, io).await
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            io.eprintln(&message);
            1
        }
    }
}

async fn list_upses(client: &Client, verbose: bool, io: &mut Stdio<'_>) -> Result<(), String> {
    let upses = client.list_ups().await.map_err(|e| list_error(&e))?;
    for ups in upses {
        match verbose {
            true => io.print(&format!("{}: {}\n", ups.name, ups.desc.as_str())),
            false => io.print(&format!("{}\n", ups.name)),
        }
    }
    Ok(())
}

async fn list_clients(client: &Client, ups: &str, io: &mut Stdio<'_>) -> Result<(), String> {
    let clients = client.list_clients(ups).await.map_err(|e| list_error(&e))?;
    for entry in clients {
        io.print(&format!("{}\n", entry.addr.as_str()));
    }
    Ok(())
}

async fn print_var(
    client: &Client,
    ups: &str,
    var: &str,
    io: &mut Stdio<'_>,
) -> Result<(), String> {
    if !var.contains('.') {
        return Err("Error: old-style variable names are not supported".into());
    }
    match client.get_var(ups, var).await {
        Ok(value) => {
            io.print(&format!("{value}\n"));
            Ok(())
        }
        Err(e) if server_code(&e) == Some(ErrorCode::UnknownCommand) => {
            Err("Error: variable unknown (old upsd detected)".into())
        }
        Err(e) => Err(format!("Error: {}", c_strerror(&e))),
    }
}

async fn list_vars(client: &Client, ups: &str, io: &mut Stdio<'_>) -> Result<(), String> {
    let vars = client.list_vars(ups).await.map_err(|e| list_error(&e))?;
    for var in vars {
        io.print(&format!("{}: {}\n", var.name, var.value.as_str()));
    }
    Ok(())
}
