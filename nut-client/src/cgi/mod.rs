//! The CGI programs of C NUT (feature `cgi`): `upsstats.cgi` ([`upsstats`]), `upsimage.cgi`
//! ([`upsimage`]) and `upsset.cgi` ([`upsset`]), page for page as C NUT 2.8.0 writes them.
//!
//! Each program is a function from what the web server hands a CGI program ([`Request`]:
//! the query string, the POSTed body, the configuration folder) to what it prints
//! ([`Output`]: standard output with the CGI headers, standard error for the server's log,
//! the exit code). The binaries only read the environment and write the output.
//!
//! They read `hosts.conf` (the UPSes that may be shown), `upsset.conf` (upsset's
//! `I_HAVE_SECURED_MY_CGI_DIRECTORY` gate) and the `upsstats.html` / `upsstats-single.html`
//! templates ([`nut_proto::template`]) from `$NUT_CONFPATH` (default `/etc/nut`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use nut_proto::config::{HostsConf, UpsAddress};

use crate::{Client, ClientConfig, Error};

mod canvas;
pub mod upsimage;
pub mod upsset;
pub mod upsstats;

/// The NUT version the pages name (C's `UPS_VERSION`).
pub const UPS_VERSION: &str = "2.8.0";

/// What the web server gives a CGI program.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Request {
    /// `$QUERY_STRING`, if set.
    pub query: Option<String>,
    /// The request body (upsset reads its forms from it).
    pub body: Vec<u8>,
    /// Where the configuration files are.
    pub confpath: PathBuf,
}

impl Request {
    /// A request with this query string and configuration folder.
    pub fn new(query: Option<String>, body: Vec<u8>, confpath: impl Into<PathBuf>) -> Self {
        Self {
            query,
            body,
            confpath: confpath.into(),
        }
    }

    /// The configuration folder as C finds it: `$NUT_CONFPATH`, else `/etc/nut`.
    pub fn default_confpath() -> PathBuf {
        nut_proto::paths::confpath()
    }

    fn conf(&self, name: &str) -> PathBuf {
        self.confpath.join(name)
    }

    /// The query's arguments ([`query_args`]) without those whose name or value is longer
    /// than `max_len`: C's programs skip them (their fixed-size buffers). A bad escape is an
    /// error the program reports as C does.
    pub(crate) fn short_query_args(
        &self,
        max_len: usize,
    ) -> Result<Vec<(String, String)>, FormError> {
        let mut args = query_args(self.query.as_deref().unwrap_or(""))?;
        args.retain(|(name, value)| name.len() <= max_len && value.len() <= max_len);
        Ok(args)
    }
}

/// What a CGI program prints, and how it exits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Standard output: the CGI headers, a blank line, the page.
    pub stdout: Vec<u8>,
    /// Standard error (the web server's error log).
    pub stderr: Vec<u8>,
    /// The exit code.
    pub code: i32,
}

impl Output {
    pub(crate) fn print(&mut self, text: &str) {
        self.stdout.extend_from_slice(text.as_bytes());
    }

    pub(crate) fn eprint(&mut self, text: &str) {
        self.stderr.extend_from_slice(text.as_bytes());
        self.stderr.push(b'\n');
    }

    /// The page without the CGI headers.
    pub fn body(&self) -> &[u8] {
        let end = self.stdout.windows(2).position(|w| w == b"\n\n");
        end.map_or(&self.stdout[..], |i| &self.stdout[i + 2..])
    }
}

/// Why a query string or form could not be read (C exits without a page).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// A `%` not followed by two hexadecimal digits.
    #[error("bad escape char")]
    BadEscape,
}

/// C's `unescape`: `+` is a space, `%XX` a byte (a line feed or carriage return becomes a
/// space).
fn unescape(text: &[u8]) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let byte = match text[i] {
            b'+' => b' ',
            b'%' => {
                let hex = text.get(i + 1..i + 3).ok_or(FormError::BadEscape)?;
                let hex = std::str::from_utf8(hex).map_err(|_| FormError::BadEscape)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(FormError::BadEscape);
                }
                i += 2;
                match u8::from_str_radix(hex, 16).map_err(|_| FormError::BadEscape)? {
                    b'\n' | b'\r' => b' ',
                    b => b,
                }
            }
            b => b,
        };
        out.push(byte);
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// C's `extractcgiargs`: `name=value&...`, both unescaped; a name without `=` has an empty
/// value.
pub fn query_args(query: &str) -> Result<Vec<(String, String)>, FormError> {
    if query.is_empty() {
        return Ok(Vec::new());
    }
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => Ok((unescape(name.as_bytes())?, unescape(value.as_bytes())?)),
            None => Ok((unescape(pair.as_bytes())?, String::new())),
        })
        .collect()
}

/// C's `extractpostargs`: `name=value&...`, the value unescaped but not the name, each pair
/// cut to 511 bytes (C's buffer).
pub fn post_args(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let mut out = Vec::new();
    for pair in body.split(|&b| b == b'&') {
        let pair = &pair[..pair.len().min(511)];
        if pair.is_empty() {
            continue;
        }
        match pair.iter().position(|&b| b == b'=') {
            Some(eq) => out.push((
                String::from_utf8_lossy(&pair[..eq]).into_owned(),
                unescape(&pair[eq + 1..])?,
            )),
            None => out.push((String::from_utf8_lossy(pair).into_owned(), String::new())),
        }
    }
    Ok(out)
}

/// A `MONITOR` entry of hosts.conf.
#[derive(Debug, Clone)]
pub(crate) struct Host {
    /// `ups@host[:port]` as written.
    pub(crate) sys: String,
    /// The same, parsed.
    pub(crate) addr: UpsAddress,
    /// The description.
    pub(crate) desc: String,
}

/// The `MONITOR` entries of hosts.conf, or why the file could not be read. Warnings go to
/// `out`'s standard error.
pub(crate) fn read_hosts(path: &Path, out: &mut Output) -> Result<Vec<Host>, String> {
    let text = std::fs::read(path).map_err(|e| {
        format!(
            "Can't open {}: {}",
            path.display(),
            crate::c_text::strerror(&e)
        )
    })?;
    match HostsConf::parse(&text, &path.display().to_string()) {
        Ok(parsed) => {
            for w in &parsed.warnings {
                out.eprint(&w.to_string());
            }
            Ok(parsed
                .config
                .monitors
                .iter()
                .map(|m| Host {
                    sys: m.system.to_string(),
                    addr: m.system.clone(),
                    desc: m.description.clone(),
                })
                .collect())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// C's `checkhost`: the hosts.conf entry of `host`, if hosts.conf lists it.
pub(crate) fn check_host(req: &Request, host: &str, out: &mut Output) -> Option<Host> {
    match read_hosts(&req.conf("hosts.conf"), out) {
        Ok(hosts) => hosts.into_iter().find(|h| h.sys == host),
        Err(e) => {
            out.eprint(&e);
            None
        }
    }
}

/// Connects to the upsd of `addr` as C's `upscli_connect` without STARTTLS.
pub(crate) async fn connect(addr: &UpsAddress) -> Result<Client, Error> {
    let config = ClientConfig::builder(addr.host_or_default())
        .port(addr.port_or_default())
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(30))
        .build();
    Client::connect(config).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_as_c_reads_them() {
        let args = query_args("host=ups%40nas%3A3493&treemode&refresh=+5&x=a%0Ab").unwrap();
        let args: Vec<(&str, &str)> = args.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(
            args,
            [
                ("host", "ups@nas:3493"),
                ("treemode", ""),
                ("refresh", " 5"),
                ("x", "a b")
            ]
        );
        assert_eq!(query_args("a=%4"), Err(FormError::BadEscape));
        assert_eq!(query_args("a=%zz"), Err(FormError::BadEscape));
        assert!(query_args("").unwrap().is_empty());
    }

    #[test]
    fn posted_forms_keep_names_raw() {
        let args = post_args(b"UPSVAR_a%2Eb=x%2By&function=showcmds&&flag").unwrap();
        assert_eq!(args[0], ("UPSVAR_a%2Eb".into(), "x+y".into()));
        assert_eq!(args[1], ("function".into(), "showcmds".into()));
        assert_eq!(args[2], ("flag".into(), String::new()));
        let long = format!("v={}", "x".repeat(600));
        assert_eq!(post_args(long.as_bytes()).unwrap()[0].1.len(), 509);
    }

    #[test]
    fn body_follows_the_headers() {
        let mut out = Output::default();
        out.print("Content-type: text/html\n\n<p>");
        assert_eq!(out.body(), b"<p>");
    }
}
