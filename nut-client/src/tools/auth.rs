//! What `upscmd` and `upsrw` share: the credential prompts, sending USERNAME and PASSWORD
//! the way C does (replies read but not checked), and following a tracked command.

use std::fs::OpenOptions;
use std::io::BufRead;
use std::time::{Duration, Instant};

use crate::proto::names::Value;
use crate::proto::net::{Request, Response};
use crate::proto::secret::Secret;
use crate::Client;

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

/// upscmd's and upsrw's `-t SECONDS` (how long `-w` waits for the result), or C's message
/// and the exit code 1 when it is not a number that fits.
pub fn tracking_timeout(value: Option<&str>, io: &mut Stdio<'_>) -> Result<u32, i32> {
    str_to_uint(value.unwrap_or_default()).map_err(|reason| {
        io.eprintln(&format!(
            "Could not convert the provided value for timeout ('-t' option) to unsigned int: {reason}"
        ));
        1
    })
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

/// Asks for the password as C does with glibc's `getpass`: on the controlling terminal
/// (`/dev/tty`) when there is one, with echo off (through rpassword), else `Password: ` on
/// stderr and a line from stdin. Nothing read (end of file, an error) is an empty answer.
/// The answer is cut as C copies it into its `SMALLBUF` buffer.
pub fn prompt_password(io: &mut Stdio<'_>) -> String {
    let line = match OpenOptions::new().read(true).write(true).open(TTY) {
        Ok(_) => tty_password(TTY, "Password: ").into_bytes(),
        Err(_) => {
            let _ = io.err.write_all(b"Password: ");
            let _ = io.err.flush();
            read_answer(io.input)
        }
    };
    c_buffer(line)
}

/// The controlling terminal.
const TTY: &str = "/dev/tty";

/// `prompt` on the terminal `tty` and the line typed there, not echoed; a line feed is
/// written when it is done. Nothing read is an empty answer.
fn tty_password(tty: &str, prompt: &str) -> String {
    let config = rpassword::ConfigBuilder::new()
        .input_file_path(tty)
        .output_file_path(tty)
        .build();
    rpassword::prompt_password_with_config(prompt, config).unwrap_or_default()
}

/// A line of `input` without its line feed, as `getpass` reads one when there is no
/// terminal (the rest of the input stays for later reads); nothing read is empty.
fn read_answer(input: &mut dyn BufRead) -> Vec<u8> {
    let mut line = Vec::new();
    if input.read_until(b'\n', &mut line).is_err() {
        line.clear();
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    line
}

/// `snprintf(buf, SMALLBUF, "%s", line)`: up to the first NUL, at most `SMALLBUF - 1`
/// bytes.
fn c_buffer(mut line: Vec<u8>) -> String {
    if let Some(nul) = line.iter().position(|&b| b == 0) {
        line.truncate(nul);
    }
    line.truncate(SMALLBUF - 1);
    String::from_utf8_lossy(&line).into_owned()
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
    reply: Result<Response, crate::Error>,
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

    #[test]
    fn password_is_cut_like_c() {
        assert_eq!(c_buffer(b"secret".to_vec()), "secret");
        assert_eq!(c_buffer(b"sec\0ret".to_vec()), "sec");
        assert_eq!(c_buffer(vec![b'x'; 600]).len(), SMALLBUF - 1);
    }

    #[test]
    fn without_a_terminal_a_whole_line_is_read() {
        let mut input: &[u8] = b"pass word\nnext\n";
        assert_eq!(read_answer(&mut input), b"pass word");
        // The rest is left for later reads.
        assert_eq!(input, b"next\n");
        let mut partial: &[u8] = b"abc";
        assert_eq!(read_answer(&mut partial), b"abc");
        let mut empty: &[u8] = b"";
        assert_eq!(read_answer(&mut empty), b"");
    }

    #[test]
    fn on_a_terminal_echo_is_off() {
        use nix::sys::termios::{self, LocalFlags};
        use std::io::{Read, Write};
        let pty = nix::pty::openpty(None, None).unwrap();
        let tty = std::fs::File::from(pty.slave);
        let path = nix::unistd::ttyname(&tty).unwrap();
        let mut master = std::fs::File::from(pty.master);
        let before = termios::tcgetattr(&tty).unwrap();
        assert!(before.local_flags.contains(LocalFlags::ECHO));
        let path = path.to_string_lossy().into_owned();
        let typing = std::thread::spawn(move || tty_password(&path, "Password: "));
        let mut prompt = [0u8; 10];
        master.read_exact(&mut prompt).unwrap();
        assert_eq!(&prompt, b"Password: ");
        // Typed once echo is off (rpassword turns it off after the prompt).
        while termios::tcgetattr(&tty)
            .unwrap()
            .local_flags
            .contains(LocalFlags::ECHO)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        master.write_all(b"s3cret\n").unwrap();
        assert_eq!(typing.join().unwrap(), "s3cret");
        // No echo of the password: the next output is the line feed written after it.
        let mut newline = [0u8; 2];
        master.read_exact(&mut newline).unwrap();
        assert_eq!(&newline, b"\r\n");
        // The settings are back as they were.
        let after = termios::tcgetattr(&tty).unwrap();
        assert_eq!(after.local_flags, before.local_flags);
    }
}
