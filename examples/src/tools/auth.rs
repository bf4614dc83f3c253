//! What `upscmd` and `upsrw` share: the credential prompts, sending USERNAME and PASSWORD
//! the way C does (replies read but not checked), and following a tracked command.

use std::time::{Duration, Instant};

use nut_client::proto::names::Value;
use nut_client::proto::net::{Request, Response};
use nut_client::proto::secret::Secret;
use nut_client::Client;

use super::common::{c_strerror, current_user, read_line, Stdio};

/// C's `SMALLBUF`: the size of the buffers prompts are read into.
pub const SMALLBUF: usize = 512;

/// C's `DEFAULT_TRACKING_TIMEOUT`, seconds.
pub const DEFAULT_TRACKING_TIMEOUT: u32 = 10;

/// Length of the tracking ids C's tools accept (a UUID: 36 characters).
const UUID_LEN: usize = 36;

/// The reply as C prints it: the line without its line feed.
pub fn reply_line(reply: &Response) -> String {
    let text = reply.to_string();
    text.lines().next().unwrap_or_default().to_owned()
}

/// C's `str_to_uint(…, 10)`: the whole string must be a number that fits; the error is the
/// `errno` text C prints.
pub fn str_to_uint(s: &str) -> Result<u32, &'static str> {
    let t = s.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Invalid argument");
    }
    t.parse().map_err(|_| "Numerical result out of range")
}

/// Asks for the user name as C does (`Username (login): ` on stdout, the login name when
/// the answer is empty). `Err` holds the message C exits with.
pub fn prompt_username(io: &mut Stdio<'_>, fail_on_eof: bool) -> Result<String, String> {
    let me = current_user();
    match &me {
        Some(name) => io.print(&format!("Username ({name}): ")),
        None => io.print("Username: "),
    }
    let _ = io.out.flush();
    let line = read_line(io.input, SMALLBUF);
    let line = match line {
        Some(line) => line,
        None if fail_on_eof => return Err("Error reading from stdin!".into()),
        None => String::new(),
    };
    if line.len() > 1 {
        let mut user = line;
        user.pop();
        return Ok(user);
    }
    me.ok_or_else(|| "No username available - even tried getpwuid".into())
}

/// Asks for the password as `getpass` does without a terminal: `Password: ` on stderr,
/// a line from stdin.
pub fn prompt_password(io: &mut Stdio<'_>) -> String {
    let _ = write!(io.err, "Password: ");
    let _ = io.err.flush();
    let mut line = read_line(io.input, SMALLBUF).unwrap_or_default();
    if line.ends_with('\n') {
        line.pop();
    }
    line
}

/// Sends USERNAME and PASSWORD as C's tools do: the replies are read but not looked at
/// (a wrong password shows up as ACCESS-DENIED at the command). An empty user name or
/// password is not sent: C sends a bare `USERNAME` / `PASSWORD`, which upsd refuses
/// without changing the session, so leaving it out has the same effect.
pub async fn send_credentials(client: &Client, user: &str, password: &str) -> Result<(), String> {
    if !user.is_empty() {
        let request = Request::Username {
            username: Value::lossy(user),
        };
        client
            .request(request)
            .await
            .map_err(|e| format!("Set username failed: {}", c_strerror(&e)))?;
    }
    if !password.is_empty() {
        let request = Request::Password {
            password: Secret::new(password),
        };
        client
            .request(request)
            .await
            .map_err(|e| format!("Set password failed: {}", c_strerror(&e)))?;
    }
    Ok(())
}

/// Turns tracking on; `what` is "command" (upscmd) or "set variable" (upsrw).
pub async fn enable_tracking(client: &Client, what: &str) -> Result<(), String> {
    let reply = client
        .request(Request::SetTracking { enable: true })
        .await
        .map_err(|e| format!("Enabling {what} status tracking failed: {}", c_strerror(&e)))?;
    match reply {
        Response::Ok => Ok(()),
        other => Err(format!(
            "Enabling {what} status tracking failed. upsd answered: {}",
            reply_line(&other)
        )),
    }
}

/// After SET VAR or INSTCMD: prints the reply (and, with tracking, the final outcome) to
/// stderr as C does. `failed` is the prefix for a lost connection ("Instant command
/// failed", "Set variable failed").
pub async fn finish(
    client: &Client,
    reply: Result<Response, nut_client::Error>,
    failed: &str,
    tracking: bool,
    timeout: u32,
    io: &mut Stdio<'_>,
) -> Result<(), String> {
    let reply = reply.map_err(|e| format!("{failed}: {}", c_strerror(&e)))?;
    let line = reply_line(&reply);
    if !line.starts_with("OK") {
        return Err(format!("Unexpected response from upsd: {line}"));
    }
    let id = match &reply {
        Response::OkTracking(id) if tracking && id.as_str().len() == UUID_LEN => id.clone(),
        _ => {
            io.eprintln(&line);
            return Ok(());
        }
    };
    let start = Instant::now();
    loop {
        if start.elapsed() >= Duration::from_secs(u64::from(timeout)) {
            return Err("Can't receive status tracking information: timeout".into());
        }
        let reply = client
            .request(Request::GetTracking {
                id: Some(id.clone()),
            })
            .await
            .map_err(|e| {
                format!(
                    "Can't receive status tracking information: {}",
                    c_strerror(&e)
                )
            })?;
        let line = reply_line(&reply);
        if !line.starts_with("PENDING") {
            io.eprintln(&line);
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint_parsing() {
        assert_eq!(str_to_uint("15"), Ok(15));
        assert_eq!(str_to_uint(" +7"), Ok(7));
        assert_eq!(str_to_uint("-5"), Err("Invalid argument"));
        assert_eq!(str_to_uint("abc"), Err("Invalid argument"));
        assert_eq!(str_to_uint("5x"), Err("Invalid argument"));
        assert_eq!(
            str_to_uint("99999999999"),
            Err("Numerical result out of range")
        );
    }
}
