//! `upsstats.cgi`: the status pages, rendered from the `upsstats.html` (every hosts.conf
//! UPS) and `upsstats-single.html` (`?host=ups@host`) templates, or the data tree of one UPS
//! (`?host=ups@host&treemode`). `refresh=N` adds a `<META HTTP-EQUIV="Refresh">` tag where
//! a template says `@REFRESH@`.

use nut_proto::config::UpsAddress;
use nut_proto::net::ErrorCode;
use nut_proto::template::{Command, Line, Segment, Template};

use super::upsimage::IMG_ARGS;
use super::{check_host, connect, read_hosts, Host, Output, Request, UPS_VERSION};
use crate::c_text::{c_strtol, c_strtol_prefix};
use crate::strftime::{now_local, strftime};
use crate::{Client, Error};

/// The longest query value read (C's `MAX_CGI_STRLEN`).
const MAX_ARG: usize = 128;

/// The status words the page spells out, and how bad each is (C's `status.h` table).
const STATUS_WORDS: [(&str, &str, u8); 10] = [
    ("OFF", "OFF", 1),
    ("OL", "ONLINE", 0),
    ("OB", "ON BATTERY", 2),
    ("LB", "LOW BATTERY", 2),
    ("RB", "REPLACE BATTERY", 2),
    ("OVER", "OVERLOAD", 2),
    ("TRIM", "VOLTAGE TRIM", 1),
    ("BOOST", "VOLTAGE BOOST", 1),
    ("CAL", "CALIBRATION", 1),
    ("BYPASS", "BYPASS", 2),
];

/// The `@IMG type@` variables and the words of their `ALT` text.
const IMG_TYPES: [(&[&str], &str); 9] = [
    (
        &[
            "input.voltage",
            "input.L1-N.voltage",
            "input.L2-N.voltage",
            "input.L3-N.voltage",
            "input.L1-L2.voltage",
            "input.L2-L3.voltage",
            "input.L3-L1.voltage",
        ],
        "Input voltage",
    ),
    (&["battery.voltage"], "Battery voltage"),
    (&["battery.charge"], "Battery charge"),
    (
        &[
            "output.voltage",
            "output.L1-N.voltage",
            "output.L2-N.voltage",
            "output.L3-N.voltage",
            "output.L1-L2.voltage",
            "output.L2-L3.voltage",
            "output.L3-L1.voltage",
        ],
        "Output voltage",
    ),
    (
        &[
            "ups.load",
            "output.L1.power.percent",
            "output.L2.power.percent",
            "output.L3.power.percent",
            "output.L1.realpower.percent",
            "output.L2.realpower.percent",
            "output.L3.realpower.percent",
        ],
        "UPS load",
    ),
    (&["input.frequency"], "Input frequency"),
    (&["output.frequency"], "Output frequency"),
    (&["ups.temperature"], "UPS temperature"),
    (&["ambient.temperature"], "Ambient temperature"),
];

/// The state of the connection to the current UPS's upsd.
enum Link {
    /// Nothing tried yet (C's zeroed connection handle, which fails every request).
    Idle,
    /// Connected.
    Up(Client),
    /// The connection failed, or was lost.
    Down,
}

/// The page being rendered.
struct Render {
    out: Output,
    hosts: Vec<Host>,
    /// The index of the current UPS in `hosts`; `None` past the end of a FOREACHUPS loop.
    current: Option<usize>,
    /// The hosts.conf entry the connection was last made for.
    last: Option<usize>,
    link: Link,
    /// The UPS name on the current server.
    ups: String,
    /// The last error of the connection, for C's `report_error`.
    error: Option<Error>,
    celsius: bool,
    refresh: i64,
    skip_clause: bool,
    skip_block: bool,
    stats_path: String,
    image_path: String,
    /// The line after the FOREACHUPS line (0: no loop seen).
    loop_start: usize,
}

/// Prints a template's warnings to standard error, as the administrator's hint.
fn warn_template(out: &mut Output, name: &str, template: &Template) {
    for w in template.warnings() {
        out.eprint(&format!("upsstats: {name}: {w}"));
    }
}

impl Render {
    fn host(&self) -> Option<&Host> {
        self.current.and_then(|i| self.hosts.get(i))
    }

    /// C's `ups_connect`: reuses the connection for the same server.
    async fn connect(&mut self) {
        let Some(index) = self.current else { return };
        let host = self.hosts[index].clone();
        if let Some(last) = self.last {
            let before = &self.hosts[last];
            if before.sys == host.sys {
                self.last = Some(index);
                return;
            }
            if same_server(&before.addr, &host.addr) {
                self.ups = host.addr.ups().as_str().to_owned();
                self.last = Some(index);
                return;
            }
        }
        self.ups = host.addr.ups().as_str().to_owned();
        match connect(&host.addr).await {
            Ok(client) => self.link = Link::Up(client),
            Err(e) => {
                self.out.eprint(&format!(
                    "UPS [{}]: can't connect to server: {}",
                    host.sys,
                    e.c_message()
                ));
                self.error = Some(e);
                self.link = Link::Down;
            }
        }
        self.last = Some(index);
    }

    /// C's `report_error`.
    fn report_error(&mut self) {
        let text = match &self.error {
            // C asks its never-connected handle, which answers "Invalid argument".
            _ if matches!(self.link, Link::Idle) => "[error: Invalid argument]\n".into(),
            Some(e) if e.c_code() == Some(ErrorCode::VarNotSupported) => "Not supported\n".into(),
            Some(e) => format!("[error: {}]\n", e.c_message()),
            None => "[error: Unknown error]\n".into(),
        };
        self.out.print(&text);
    }

    /// C's `check_ups_fd`.
    fn linked(&mut self, report: bool) -> bool {
        if matches!(self.link, Link::Down | Link::Idle) {
            if report {
                self.report_error();
            }
            return false;
        }
        if self.current.is_none() {
            if report {
                self.out.print("No UPS specified for monitoring\n");
            }
            return false;
        }
        true
    }

    /// C's `get_var`: the value, or `None` (with C's message when `verbose`).
    async fn get(&mut self, var: &str, verbose: bool) -> Option<String> {
        if !self.linked(true) {
            return None;
        }
        let Link::Up(client) = &self.link else {
            return None;
        };
        match client.get_var(&self.ups, var).await {
            Ok(v) => Some(v.into_string()),
            Err(e) => {
                if e.is_transport() {
                    self.link = Link::Down;
                }
                self.error = Some(e);
                if verbose {
                    self.report_error();
                }
                None
            }
        }
    }

    async fn status(&mut self) {
        let Some(value) = self.get("ups.status", true).await else {
            return;
        };
        for word in value.split([' ', '\n']).filter(|w| !w.is_empty()) {
            for (name, desc, _) in STATUS_WORDS {
                if word.eq_ignore_ascii_case(name) {
                    self.out.print(&format!("{desc}<br>"));
                }
            }
        }
    }

    async fn status_color(&mut self) {
        if !self.linked(false) {
            self.out.print("#FF0000");
            return;
        }
        let Some(value) = self.get("ups.status", false).await else {
            self.out.print("#FFFF00");
            return;
        };
        let severity = value
            .split(' ')
            .flat_map(|w| STATUS_WORDS.iter().filter(move |(n, _, _)| *n == w))
            .map(|(_, _, s)| *s)
            .max()
            .unwrap_or(0);
        self.out.print(match severity {
            0 => "#00FF00",
            1 => "#FFFF00",
            _ => "#FF0000",
        });
    }

    async fn runtime(&mut self) {
        let Some(value) = self.get("battery.runtime", true).await else {
            return;
        };
        let total = c_strtol(&value) as i32;
        let hours = total / 3600;
        let minutes = (total - hours * 3600) / 60;
        let seconds = total % 60;
        self.out
            .print(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
    }

    async fn temperature(&mut self, var: &str) {
        let Some(value) = self.get(var, true).await else {
            return;
        };
        if self.celsius {
            self.out.print(&value);
        } else {
            let f = crate::c_text::c_strtod(&value) * 1.8 + 32.0;
            self.out.print(&crate::c_text::format_fixed(f, 1));
        }
    }

    async fn img(&mut self, kind: &str, args: Option<&str>) -> bool {
        let Some((_, desc)) = IMG_TYPES.iter().find(|(names, _)| names.contains(&kind)) else {
            return false;
        };
        let mut extra = String::new();
        if let Some(args) = args.filter(|a| a.len() >= 3) {
            for arg in args.split(' ') {
                let Some((name, value)) = arg.split_once('=') else {
                    continue;
                };
                if IMG_ARGS.iter().any(|a| a.name == name) {
                    let piece = if extra.is_empty() {
                        format!("{name}={value}")
                    } else {
                        format!("&amp;{name}={value}")
                    };
                    // C builds this in a 512-byte buffer.
                    let room = 511usize.saturating_sub(extra.len());
                    extra.push_str(cut(&piece, room));
                }
            }
        }
        let Some(value) = self.get(kind, true).await else {
            return true;
        };
        let sys = self.host().map(|h| h.sys.clone()).unwrap_or_default();
        let mut tag = format!(
            "<IMG SRC=\"{}?host={sys}&amp;display={kind}",
            self.image_path
        );
        if !extra.is_empty() {
            tag.push_str("&amp;");
            tag.push_str(&extra);
        }
        tag.push_str(&format!("\" ALT=\"{desc}: {value}\">"));
        self.out.print(&tag);
        true
    }

    async fn if_supp(&mut self, var: &str, want: Option<&str>) {
        if !self.linked(false) {
            self.skip_clause = true;
            return;
        }
        match self.get(var, false).await {
            Some(v) if want.is_none_or(|w| w == v) => {}
            _ => self.skip_clause = true,
        }
    }

    async fn if_between(&mut self, words: &[String]) {
        if words.len() != 3 {
            self.out.print("upsstats: IFBETWEEN: Argument error!\n");
            return;
        }
        if !self.linked(false) {
            return;
        }
        let mut values = [0i64; 3];
        for (slot, var) in values.iter_mut().zip(words) {
            let Some(text) = self.get(var, false).await else {
                return;
            };
            let Some((v, _)) = c_strtol_prefix(&text) else {
                return;
            };
            *slot = v;
        }
        let [low, high, value] = values;
        if low > value || high < value {
            self.skip_clause = true;
        }
    }

    /// C's `do_command`; `line` is the index of the line being read, for FOREACHUPS.
    /// Returns the line to read next when a loop goes round again.
    async fn command(&mut self, cmd: &Command, line: usize) -> Option<usize> {
        if *cmd == Command::EndIf {
            self.skip_clause = false;
            self.skip_block = false;
            return None;
        }
        if self.skip_block {
            return None;
        }
        if *cmd == Command::Else {
            if self.skip_clause {
                self.skip_clause = false;
            } else {
                self.skip_block = true;
            }
            return None;
        }
        if self.skip_clause {
            return None;
        }
        match cmd {
            Command::Var(var) => {
                if let Some(v) = self.get(var, true).await {
                    self.out.print(&v);
                }
            }
            Command::Host => {
                let text = self.host().map_or("(null)".into(), |h| h.sys.clone());
                self.out.print(&text);
            }
            Command::HostDesc => {
                let text = self.host().map_or("(null)".into(), |h| h.desc.clone());
                self.out.print(&text);
            }
            Command::Runtime => self.runtime().await,
            Command::Status => self.status().await,
            Command::StatusColor => self.status_color().await,
            Command::TempF => self.celsius = false,
            Command::TempC => self.celsius = true,
            Command::Date(format) => {
                let text = strftime(format, &now_local());
                self.out.print(&text);
            }
            Command::Img { kind, args } => {
                self.img(kind, args.as_deref()).await;
            }
            Command::Version => self.out.print(UPS_VERSION),
            Command::Refresh if self.refresh > 0 => {
                self.out.print(&format!(
                    "<META HTTP-EQUIV=\"Refresh\" CONTENT=\"{}\">",
                    self.refresh
                ));
            }
            Command::ForEachUps => {
                self.loop_start = line + 1;
                self.current = Some(0).filter(|_| !self.hosts.is_empty());
                self.connect().await;
            }
            Command::EndFor => {
                if self.loop_start == 0 {
                    return None;
                }
                let next = self
                    .current
                    .map(|i| i + 1)
                    .filter(|&i| i < self.hosts.len());
                self.current = next;
                if next.is_some() {
                    self.connect().await;
                    return Some(self.loop_start);
                }
            }
            Command::HostLink => {
                if let Some(host) = self.host() {
                    let mut text = format!("<a href=\"{}?host={}", self.stats_path, host.sys);
                    if self.refresh > 0 {
                        text.push_str(&format!("&amp;refresh={}", self.refresh));
                    }
                    text.push_str(&format!("\">{}</a>", host.desc));
                    self.out.print(&text);
                }
            }
            Command::TreeLink => {
                if let Some(host) = self.host() {
                    let text = format!(
                        "<a href=\"{}?host={}&amp;treemode\">All data</a>",
                        self.stats_path, host.sys
                    );
                    self.out.print(&text);
                }
            }
            Command::IfSupp(var) => self.if_supp(var, None).await,
            Command::UpsTemp => self.temperature("ups.temperature").await,
            Command::BattTemp => self.temperature("battery.temperature").await,
            Command::AmbTemp => self.temperature("ambient.temperature").await,
            Command::Degrees => self
                .out
                .print(if self.celsius { "&deg;C" } else { "&deg;F" }),
            Command::IfEq(words) => {
                if words.len() == 2 {
                    self.if_supp(&words[0], Some(&words[1])).await;
                } else {
                    self.out.print("upsstats: IFEQ: Argument error!\n");
                }
            }
            Command::IfBetween(words) => self.if_between(words).await,
            Command::UpsStatsPath(p) if !p.is_empty() => self.stats_path.clone_from(p),
            Command::UpsImagePath(p) if !p.is_empty() => self.image_path.clone_from(p),
            _ => {}
        }
        None
    }

    /// C's `parse_line` over one line; the line to go on with.
    async fn line(&mut self, line: &Line, index: usize) -> usize {
        let mut next = index + 1;
        for segment in &line.segments {
            match segment {
                Segment::Command(cmd) => {
                    if let Some(to) = Box::pin(self.command(cmd, index)).await {
                        // C seeks back, but reads the rest of this line first.
                        next = to;
                    }
                }
                Segment::Text(text) if !self.skip_clause && !self.skip_block => {
                    self.out.stdout.extend_from_slice(text);
                }
                _ => {}
            }
        }
        next
    }

    async fn run(&mut self, template: &Template) {
        let mut index = 0;
        while let Some(line) = template.lines().get(index) {
            index = self.line(line, index).await;
        }
    }
}

/// Whether two hosts.conf systems are on the same upsd (C compares host and port).
fn same_server(a: &UpsAddress, b: &UpsAddress) -> bool {
    a.host_or_default() == b.host_or_default() && a.port_or_default() == b.port_or_default()
}

/// The longest start of `s` of at most `max` bytes.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

const HTML_START: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.0 Transitional//EN\"\n\t\"http://www.w3.org/TR/REC-html40/loose.dtd\">\n";

/// The error page of the list mode.
fn error_page(out: &mut Output, title: &str, body: &str) {
    out.print(HTML_START);
    out.print(&format!(
        "<HTML><HEAD>\n<TITLE>{title}</TITLE>\n</HEAD><BODY>\n{body}\n</BODY></HTML>\n"
    ));
    out.code = 1;
}

/// The data tree of one UPS (`treemode`).
async fn tree(render: &mut Render) {
    let desc = render.host().map(|h| h.desc.clone()).unwrap_or_default();
    let vars = match &render.link {
        Link::Up(client) => client.list_vars(&render.ups).await,
        // C's list request on a handle whose connection failed.
        _ => {
            render.out.print("[error: Driver not connected]\n");
            return;
        }
    };
    let vars = match vars {
        Ok(v) => v,
        Err(e) => {
            render.error = Some(e);
            render.report_error();
            return;
        }
    };
    let out = &mut render.out;
    out.print(HTML_START);
    out.print("<HTML>\n");
    out.print(&format!(
        "<HEAD><TITLE>upsstat: data tree of {desc}</TITLE></HEAD>\n"
    ));
    out.print("<BODY BGCOLOR=\"#FFFFFF\" TEXT=\"#000000\" LINK=\"#0000EE\" VLINK=\"#551A8B\">\n");
    out.print("<TABLE BGCOLOR=\"#50A0A0\" ALIGN=\"CENTER\">\n<TR><TD>\n");
    out.print("<TABLE CELLPADDING=\"5\" CELLSPACING=\"0\" ALIGN=\"CENTER\" WIDTH=\"100%\">\n");
    out.print("<TR><TH COLSPAN=3 BGCOLOR=\"#50A0A0\">\n");
    out.print(&format!("<FONT SIZE=\"+2\">{desc}</FONT>\n"));
    out.print("</TH></TR>\n");
    out.print("<TR><TH COLSPAN=3 BGCOLOR=\"#60B0B0\"></TH></TR>\n");
    for var in vars {
        out.print("<TR BGCOLOR=\"#60B0B0\" ALIGN=\"LEFT\">\n");
        out.print(&format!("<TD>{}</TD>\n<TD>:</TD>\n", var.name));
        out.print(&format!("<TD>{}<br></TD>\n", var.value.as_str()));
        out.print("</TR>\n");
    }
    out.print("</TABLE>\n</TD></TR></TABLE>\n</BODY></HTML>\n");
}

/// Reads a template from the configuration folder, or prints C's error.
fn load_template(req: &Request, name: &str, out: &mut Output) -> Option<Template> {
    let path = req.confpath.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let template = Template::parse(&bytes);
            warn_template(out, name, &template);
            Some(template)
        }
        Err(e) => {
            out.eprint(&format!(
                "upsstats: Can't open {}: {}",
                path.display(),
                crate::c_text::strerror(&e)
            ));
            out.print(&format!("Error: can't open template file ({name})\n"));
            out.code = 1;
            None
        }
    }
}

/// `upsstats.cgi` for one request.
pub async fn upsstats(req: &Request) -> Output {
    let mut out = Output::default();
    let mut host_arg: Option<String> = None;
    let mut refresh = -1;
    let mut treemode = false;
    let args = match req.short_query_args(MAX_ARG) {
        Ok(args) => args,
        Err(e) => {
            out.eprint(&e.to_string());
            out.code = 1;
            return out;
        }
    };
    for (name, value) in args {
        match name.as_str() {
            "host" => host_arg = Some(value),
            "refresh" => refresh = c_strtol(&value) as i32 as i64,
            "treemode" => treemode = true,
            _ => {}
        }
    }
    out.print("Content-type: text/html\nPragma: no-cache\n\n");

    let mut render = Render {
        out,
        hosts: Vec::new(),
        current: None,
        last: None,
        link: Link::Idle,
        ups: String::new(),
        error: None,
        celsius: true,
        refresh,
        skip_clause: false,
        skip_block: false,
        stats_path: "upsstats.cgi".into(),
        image_path: "upsimage.cgi".into(),
        loop_start: 0,
    };

    if let Some(host) = host_arg {
        let Some(entry) = check_host(req, &host, &mut render.out) else {
            render.out.print(&format!(
                "Access to that host [{host}] is not authorized.\n"
            ));
            render.out.code = 1;
            return render.out;
        };
        render.hosts = vec![entry];
        render.current = Some(0);
        render.connect().await;
        if treemode {
            tree(&mut render).await;
        } else if let Some(template) = load_template(req, "upsstats-single.html", &mut render.out) {
            render.run(&template).await;
        }
        return render.out;
    }

    match read_hosts(&req.confpath.join("hosts.conf"), &mut render.out) {
        Err(e) => {
            error_page(
                &mut render.out,
                "Error: can't open hosts.conf",
                "Error: can't open hosts.conf",
            );
            render.out.eprint(&format!("upsstats: {e}"));
            return render.out;
        }
        Ok(hosts) if hosts.is_empty() => {
            error_page(
                &mut render.out,
                "Error: no hosts to monitor",
                "Error: no hosts to monitor (check <CODE>hosts.conf</CODE>)",
            );
            render.out.eprint("upsstats: no hosts to monitor");
            return render.out;
        }
        Ok(hosts) => render.hosts = hosts,
    }
    render.current = Some(0);
    if let Some(template) = load_template(req, "upsstats.html", &mut render.out) {
        render.run(&template).await;
    }
    render.out
}
