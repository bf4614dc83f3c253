//! `upscmd`: lists and starts instant commands — with the output, messages and exit codes
//! of C NUT 2.8.0's `upscmd`.

use crate::proto::names::{CmdName, UpsName, Value};
use crate::proto::net::{ErrorCode, Request, Response};
use crate::Client;

use super::auth::{
    enable_tracking, finish, prompt_password, prompt_username, send_credentials, tracking_timeout,
    DEFAULT_TRACKING_TIMEOUT,
};
use super::common::{
    c_strerror, connect_first_operand, prog_name, server_code, Getopt, Opt, Stdio, NUT_VERSION,
};

fn usage(prog: &str) -> String {
    format!(
        "Network UPS Tools upscmd {NUT_VERSION}\n\n\
usage: {prog} [-h]\n       \
{prog} [-l <ups>]\n       \
{prog} [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups> <command> [<value>]\n\n\
Administration program to initiate instant commands on UPS hardware.\n\n  \
-h\t\tdisplay this help text\n  \
-l <ups>\tshow available commands on UPS <ups>\n  \
-u <username>\tset username for command authentication\n  \
-p <password>\tset password for command authentication\n  \
-w            wait for the completion of command by the driver\n                \
and return its actual result from the device\n  \
-t <timeout>\tset a timeout when using -w (in seconds, default: {DEFAULT_TRACKING_TIMEOUT})\n\n  \
<ups>\t\tUPS identifier - <upsname>[@<hostname>[:<port>]]\n  \
<command>\tValid instant command - test.panel.start, etc.\n  \
[<value>]\tAdditional data for command - number of seconds, etc.\n"
    )
}

/// Runs `upscmd` with `args` (program name first); returns the exit code.
pub async fn run(args: &[String], io: &mut Stdio<'_>) -> i32 {
    let prog = prog_name(args.first(), "upscmd");
    let rest = args.get(1..).unwrap_or_default();
    let mut getopt = Getopt::new(rest, "lhu:p:t:wV", &prog);
    let mut cmdlist = false;
    let mut tracking = false;
    let mut username: Option<String> = None;
    let mut password: Option<String> = None;
    let mut timeout = DEFAULT_TRACKING_TIMEOUT;
    while let Some(opt) = getopt.next(io.err) {
        match opt {
            Opt::Flag('l', _) => cmdlist = true,
            Opt::Flag('u', value) => username = value,
            Opt::Flag('p', value) => password = value,
            Opt::Flag('t', value) => match tracking_timeout(value.as_deref(), io) {
                Ok(t) => timeout = t,
                Err(code) => return code,
            },
            Opt::Flag('w', _) => tracking = true,
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
    let (target, client) = match connect_first_operand(&getopt, &usage(&prog), io).await {
        Ok(connected) => connected,
        Err(code) => return code,
    };
    if cmdlist {
        return match list_cmds(&client, &target.ups, io).await {
            Ok(()) => 0,
            Err(message) => {
                io.eprintln(&message);
                1
            }
        };
    }
    let operands = getopt.operands();
    if operands.len() < 2 {
        io.print(&usage(&prog));
        return 0;
    }
    let cmd = &operands[1];
    if !cmd.contains('.') {
        io.eprintln("Error: old command names are not supported");
        return 1;
    }
    let result = async {
        let user = match username {
            Some(user) => user,
            None => prompt_username(io, true)?,
        };
        let password = match password {
            Some(password) => password,
            None => prompt_password(io),
        };
        send_credentials(&client, &user, &password).await?;
        if tracking {
            enable_tracking(&client, "command").await?;
        }
        let reply = match instcmd_request(&target.ups, cmd, operands.get(2)) {
            Ok(request) => client.request(request).await,
            Err(code) => Ok(Response::err(code)),
        };
        finish(
            &client,
            reply,
            "Instant command failed",
            tracking,
            timeout,
            io,
        )
        .await
    }
    .await;
    match result {
        Ok(()) => 0,
        Err(message) => {
            io.eprintln(&message);
            1
        }
    }
}

/// The INSTCMD request, or the ERR code upsd would give for names it cannot have.
fn instcmd_request(ups: &str, cmd: &str, param: Option<&String>) -> Result<Request, ErrorCode> {
    let ups = UpsName::new(ups).map_err(|_| ErrorCode::UnknownUps)?;
    let cmd = CmdName::new(cmd).map_err(|_| ErrorCode::CmdNotSupported)?;
    let param = param.map(|p| Value::lossy(p));
    Ok(Request::InstCmd { ups, cmd, param })
}

async fn list_cmds(client: &Client, ups: &str, io: &mut Stdio<'_>) -> Result<(), String> {
    let cmds = match client.list_cmds(ups).await {
        Ok(cmds) => cmds,
        Err(e) if server_code(&e) == Some(ErrorCode::UnknownCommand) => {
            return Err("Error: upsd is too old to support this query".into())
        }
        Err(e) => return Err(format!("Error: {}", c_strerror(&e))),
    };
    io.print(&format!("Instant commands supported on UPS [{ups}]:\n\n"));
    // Ask for every description at once: the requests are pipelined on the connection.
    let descs =
        futures_util::future::join_all(cmds.iter().map(|cmd| client.get_cmd_desc(ups, cmd))).await;
    for (cmd, desc) in cmds.iter().zip(descs) {
        match desc {
            Ok(desc) => io.print(&format!("{cmd} - {desc}\n")),
            Err(_) => io.print(&format!("{cmd}\n")),
        }
    }
    Ok(())
}
