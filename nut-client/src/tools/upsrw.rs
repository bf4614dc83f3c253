//! `upsrw`: lists writable variables with their types and accepted values, or sets one —
//! with the output, messages and exit codes of C NUT 2.8.0's `upsrw`.

use crate::proto::names::{UpsName, Value, VarName};
use crate::proto::net::{ErrorCode, Request, Response, VarKind};
use crate::Client;

use super::auth::{
    enable_tracking, finish, prompt_password, prompt_username, send_credentials, tracking_timeout,
    DEFAULT_TRACKING_TIMEOUT, SMALLBUF,
};
use super::common::{
    c_atoi, c_strerror, connect_first_operand, prog_name, read_line, server_code, Getopt, Opt,
    Stdio, NUT_VERSION,
};

fn usage(prog: &str) -> String {
    format!(
        "Network UPS Tools {prog} {NUT_VERSION}\n\n\
usage: {prog} [-h]\n       \
{prog} [-s <variable>] [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups>\n\n\
Demo program to set variables within UPS hardware.\n\n  \
-h            display this help text\n  \
-s <variable>\tspecify variable to be changed\n\
\t\tuse -s VAR=VALUE to avoid prompting for value\n  \
-l            show all possible read/write variables.\n  \
-u <username> set username for command authentication\n  \
-p <password> set password for command authentication\n  \
-w            wait for the completion of setting by the driver\n                \
and return its actual result from the device\n  \
-t <timeout>\tset a timeout when using -w (in seconds, default: {DEFAULT_TRACKING_TIMEOUT})\n\n  \
<ups>         UPS identifier - <upsname>[@<hostname>[:<port>]]\n\n\
Call without -s to show all possible read/write variables (same as -l).\n"
    )
}

/// Runs `upsrw` with `args` (program name first); returns the exit code.
pub async fn run(args: &[String], io: &mut Stdio<'_>) -> i32 {
    let prog = prog_name(args.first(), "upsrw");
    let rest = args.get(1..).unwrap_or_default();
    let mut getopt = Getopt::new(rest, "hls:p:t:u:wV", &prog);
    let mut setvar: Option<String> = None;
    let mut tracking = false;
    let mut username: Option<String> = None;
    let mut password: Option<String> = None;
    let mut timeout = DEFAULT_TRACKING_TIMEOUT;
    while let Some(opt) = getopt.next(io.err) {
        match opt {
            Opt::Flag('s', value) => setvar = value,
            Opt::Flag('l', _) => {
                if setvar.take().is_some() {
                    io.eprintln("Listing mode requested, overriding setvar specified earlier!");
                }
            }
            Opt::Flag('p', value) => password = value,
            Opt::Flag('u', value) => username = value,
            Opt::Flag('t', value) => match tracking_timeout(value.as_deref(), io) {
                Ok(t) => timeout = t,
                Err(code) => return code,
            },
            Opt::Flag('w', _) => tracking = true,
            Opt::Flag('V', _) => {
                io.print(&format!("Network UPS Tools {prog} {NUT_VERSION}\n"));
                return 0;
            }
            _ => {
                io.print(&usage(&prog));
                return 0;
            }
        }
    }
    let (target, client) = match connect_first_operand(&getopt, &usage(&prog), io).await {
        Ok(connected) => connected,
        Err(code) => return code,
    };
    let result = match setvar {
        Some(setvar) => {
            let settings = Settings {
                username,
                password,
                tracking,
                timeout,
            };
            set_var(&client, &target.ups, &setvar, settings, io).await
        }
        None => print_rw_list(&client, &target.ups, io).await,
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            io.eprintln(&message);
            1
        }
    }
}

struct Settings {
    username: Option<String>,
    password: Option<String>,
    tracking: bool,
    timeout: u32,
}

async fn set_var(
    client: &Client,
    ups: &str,
    setvar: &str,
    settings: Settings,
    io: &mut Stdio<'_>,
) -> Result<(), String> {
    let user = match settings.username {
        Some(user) => user,
        None => prompt_username(io, false)?,
    };
    let password = match settings.password {
        Some(password) => password,
        None => prompt_password(io),
    };
    let (var, value) = match setvar.split_once('=') {
        Some((var, value)) => (var.to_owned(), value.to_owned()),
        None => {
            io.print(&format!("Enter new value for {setvar}: "));
            let _ = io.out.flush();
            let mut value = read_line(io.input, SMALLBUF).unwrap_or_default();
            value.pop();
            (setvar.to_owned(), value)
        }
    };
    send_credentials(client, &user, &password).await?;
    if !var.contains('.') {
        return Err("Error: old variable names are not supported".into());
    }
    if settings.tracking {
        enable_tracking(client, "set variable").await?;
    }
    let reply = match set_request(ups, &var, &value) {
        Ok(request) => client.request(request).await,
        Err(code) => Ok(Response::err(code)),
    };
    finish(
        client,
        reply,
        "Set variable failed",
        settings.tracking,
        settings.timeout,
        io,
    )
    .await
}

/// The SET VAR request, or the ERR code upsd would give for names it cannot have.
fn set_request(ups: &str, var: &str, value: &str) -> Result<Request, ErrorCode> {
    let ups = UpsName::new(ups).map_err(|_| ErrorCode::UnknownUps)?;
    let var = VarName::new(var).map_err(|_| ErrorCode::VarNotSupported)?;
    let value = Value::new(value).map_err(|_| ErrorCode::InvalidValue)?;
    Ok(Request::SetVar { ups, var, value })
}

async fn print_rw_list(client: &Client, ups: &str, io: &mut Stdio<'_>) -> Result<(), String> {
    let vars = match client.list_rw(ups).await {
        Ok(vars) => vars,
        Err(e) if server_code(&e) == Some(ErrorCode::UnknownCommand) => {
            return Err("Error: upsd is too old to support this query".into())
        }
        Err(e) => return Err(format!("Error: {}", c_strerror(&e))),
    };
    for var in vars {
        let name = var.name.as_str();
        io.print(&format!("[{name}]\n"));
        match client.get_desc(ups, name).await {
            Ok(desc) => io.print(&format!("{desc}\n")),
            Err(_) => io.print("Description unavailable\n"),
        }
        print_type(client, ups, name, io).await?;
        io.print("\n");
    }
    Ok(())
}

/// What C's `do_type` prints for a variable.
async fn print_type(
    client: &Client,
    ups: &str,
    var: &str,
    io: &mut Stdio<'_>,
) -> Result<(), String> {
    let Ok(var_type) = client.get_type(ups, var).await else {
        io.print("Unknown type\n");
        return Ok(());
    };
    // C walks the flags in the order upsd sends them: RW, ENUM, RANGE, then the kind.
    if var_type.range {
        return print_range(client, ups, var, io).await;
    }
    match var_type.kind {
        Some(VarKind::String { max_len }) => {
            if var_type.enumerated {
                print_enum(client, ups, var, Some(Some(max_len)), io).await
            } else {
                let value = current(client, ups, var, "do_string").await?;
                io.print(&format!(
                    "Type: STRING\nMaximum length: {max_len}\nValue: {value}\n"
                ));
                Ok(())
            }
        }
        Some(VarKind::Number) => {
            if var_type.enumerated {
                print_enum(client, ups, var, Some(None), io).await
            } else {
                let value = current(client, ups, var, "do_number").await?;
                io.print(&format!("Type: NUMBER\nValue: {value}\n"));
                Ok(())
            }
        }
        None if var_type.enumerated => print_enum(client, ups, var, None, io).await,
        None => Ok(()),
    }
}

async fn current(client: &Client, ups: &str, var: &str, what: &str) -> Result<String, String> {
    client
        .get_var(ups, var)
        .await
        .map(|v| v.into_string())
        .map_err(|_| format!("{what}: can't get current value of {var}"))
}

/// `kind`: `None` for an old server that sends no kind, `Some(Some(len))` for a string,
/// `Some(None)` for a number.
async fn print_enum(
    client: &Client,
    ups: &str,
    var: &str,
    kind: Option<Option<i64>>,
    io: &mut Stdio<'_>,
) -> Result<(), String> {
    let value = current(client, ups, var, "do_enum").await?;
    let options = client
        .list_enum(ups, var)
        .await
        .map_err(|e| format!("Error: {}", c_strerror(&e)))?;
    match kind {
        Some(Some(max_len)) => io.print(&format!("Type: ENUM STRING\nMaximum length: {max_len}\n")),
        Some(None) => io.print("Type: ENUM NUMBER\n"),
        None => io.print("Type: ENUM\n"),
    }
    for option in options {
        let selected = if option.as_str() == value {
            " SELECTED"
        } else {
            ""
        };
        io.print(&format!("Option: \"{}\"{selected}\n", option.as_str()));
    }
    Ok(())
}

async fn print_range(
    client: &Client,
    ups: &str,
    var: &str,
    io: &mut Stdio<'_>,
) -> Result<(), String> {
    let value = current(client, ups, var, "do_range").await?;
    let current = c_atoi(&value);
    let ranges = client
        .list_range(ups, var)
        .await
        .map_err(|e| format!("Error: {}", c_strerror(&e)))?;
    io.print("Type: RANGE NUMBER\n");
    for range in ranges {
        // C reads the bounds with atoi into an int.
        let (min, max) = (range.min as i32, range.max as i32);
        let selected = if current >= min && current <= max {
            " SELECTED"
        } else {
            ""
        };
        io.print(&format!("Option: \"{min}-{max}\"{selected}\n"));
    }
    Ok(())
}
