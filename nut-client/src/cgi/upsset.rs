//! `upsset.cgi`: change the writable variables of a UPS and run its instant commands, with
//! an upsd.users login, from POSTed forms. It refuses to run unless `upsset.conf` holds the
//! line `I_HAVE_SECURED_MY_CGI_DIRECTORY`.

use nut_proto::config::{UpsAddress, UpssetConf};
use nut_proto::names::{CmdName, NameError, UpsName, Value, VarName};
use nut_proto::net::{Request as NetRequest, VarKind};
use nut_proto::secret::Secret;

use super::{check_host, connect, post_args, read_hosts, Host, Output, Request, UPS_VERSION};
use crate::{Client, Error};

/// The most `UPSVAR_` fields read (C stops after 65).
const MAX_VARS: usize = 65;
/// The longest `UPSVAR_` value read.
const MAX_VAR_LEN: usize = 256;

/// The form fields.
#[derive(Debug, Default)]
struct Form {
    username: Option<String>,
    password: Option<String>,
    function: Option<String>,
    monups: Option<String>,
    upscommand: Option<String>,
    vars: Vec<(String, String)>,
}

impl Form {
    fn read(args: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        let mut count = 0;
        for (name, value) in args {
            if let Some(var) = name.strip_prefix("UPSVAR_") {
                if count < MAX_VARS && value.len() <= MAX_VAR_LEN {
                    form.vars.push((var.to_owned(), value));
                    count += 1;
                }
                continue;
            }
            let slot = match name.as_str() {
                "username" => &mut form.username,
                "password" => &mut form.password,
                "function" => &mut form.function,
                "monups" => &mut form.monups,
                "upscommand" => &mut form.upscommand,
                _ => continue,
            };
            *slot = Some(value);
        }
        form
    }
}

/// A page, ended early.
struct Done;

struct Page<'a> {
    req: &'a Request,
    out: Output,
    form: Form,
}

fn or_null(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("(null)")
}

impl Page<'_> {
    fn p(&mut self, text: &str) {
        self.out.print(text);
    }

    fn header(&mut self, title: &str) {
        self.p("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.0 Transitional//EN\"\n\t\"http://www.w3.org/TR/REC-html40/loose.dtd\">\n<HTML>\n");
        self.p(&format!("<HEAD><TITLE>upsset: {title}</TITLE></HEAD>\n"));
        self.p("<BODY BGCOLOR=\"#FFFFFF\" TEXT=\"#000000\" LINK=\"#0000EE\" VLINK=\"#551A8B\">\n");
        self.p("<TABLE BGCOLOR=\"#50A0A0\" ALIGN=\"CENTER\">\n<TR><TD>\n");
    }

    fn start_table(&mut self) {
        self.p("<TABLE CELLPADDING=\"5\" CELLSPACING=\"0\" ALIGN=\"CENTER\" WIDTH=\"100%\">\n");
        self.p("<TR><TH COLSPAN=2 BGCOLOR=\"#60B0B0\">\n");
        self.p(&format!(
            "<FONT SIZE=\"+2\">Network UPS Tools upsset {UPS_VERSION}</FONT>\n</TH></TR>\n"
        ));
    }

    fn hidden(&mut self, next: Option<&str>) {
        let user = or_null(&self.form.username).to_owned();
        let pass = or_null(&self.form.password).to_owned();
        self.p(&format!(
            "<INPUT TYPE=\"HIDDEN\" NAME=\"username\" VALUE=\"{user}\">\n"
        ));
        self.p(&format!(
            "<INPUT TYPE=\"HIDDEN\" NAME=\"password\" VALUE=\"{pass}\">\n"
        ));
        if let Some(next) = next {
            self.p(&format!(
                "<INPUT TYPE=\"HIDDEN\" NAME=\"function\" VALUE=\"{next}\">\n"
            ));
        }
    }

    /// The UPS and function chooser (C's `do_pickups`).
    fn pickups(&mut self, current: &str) {
        self.p("<FORM METHOD=\"POST\" ACTION=\"upsset.cgi\">\n");
        self.p("Select UPS and function:\n<BR>\n");
        let path = self.req.confpath.join("hosts.conf");
        let hosts = match read_hosts(&path, &mut self.out) {
            Ok(h) => h,
            Err(e) => {
                self.p("Error: hosts.conf unavailable\n</FORM>\n");
                self.out.eprint(&format!("upsset: {e}"));
                return;
            }
        };
        self.p("<SELECT NAME=\"monups\">\n");
        for host in hosts {
            let selected = if self.form.monups.as_deref() == Some(host.sys.as_str()) {
                "SELECTED"
            } else {
                ""
            };
            self.p(&format!(
                "<OPTION VALUE=\"{}\"{selected}>{}</OPTION>\n",
                host.sys, host.desc
            ));
        }
        self.p("</SELECT>\n<SELECT NAME=\"function\">\n");
        for (value, label) in [("showsettings", "Settings"), ("showcmds", "Commands")] {
            let selected = if current == value { " SELECTED" } else { "" };
            self.p(&format!(
                "<OPTION VALUE=\"{value}\"{selected}>{label}</OPTION>\n"
            ));
        }
        self.p("</SELECT>\n");
        self.hidden(None);
        self.p("<INPUT TYPE=\"SUBMIT\" VALUE=\"View\">\n</FORM>\n");
    }

    fn error_page(&mut self, next: &str, title: &str, msg: &str) -> Done {
        self.header(title);
        self.start_table();
        self.p(&format!(
            "<TR><TH COLSPAN=2 BGCOLOR=\"#60B0B0\">\nError: {msg}\n</TH></TR>\n"
        ));
        self.p("<TR><TD ALIGN=\"CENTER\" COLSPAN=2>\n");
        self.pickups(next);
        self.p("</TD></TR>\n</TABLE>\n</TD></TR></TABLE>\n</BODY></HTML>\n");
        Done
    }

    fn login_screen(&mut self) {
        self.header("Login");
        self.p("<FORM METHOD=\"POST\" ACTION=\"upsset.cgi\">\n");
        self.start_table();
        for (label, kind, name) in [
            ("Username", "TEXT", "username"),
            ("Password", "PASSWORD", "password"),
        ] {
            self.p(&format!(
                "<TR BGCOLOR=\"#60B0B0\">\n<TH>{label}</TH>\n<TD><INPUT TYPE=\"{kind}\" NAME=\"{name}\" VALUE=\"\"></TD>\n</TR>\n"
            ));
        }
        self.p("<TR><TD COLSPAN=2 ALIGN=\"CENTER\">\n");
        self.p("<INPUT TYPE=\"HIDDEN\" NAME=\"function\" VALUE=\"pickups\">\n");
        self.p("<INPUT TYPE=\"SUBMIT\" VALUE=\"Login\">\n");
        self.p("<INPUT TYPE=\"RESET\" VALUE=\"Reset fields\">\n");
        self.p("</TD></TR></TABLE>\n</FORM>\n</TD></TR></TABLE>\n</BODY></HTML>\n");
    }

    fn initial_pickups(&mut self) {
        self.header("Select a UPS");
        self.start_table();
        self.p("<TR><TD ALIGN=\"CENTER\" COLSPAN=\"2\">\n");
        self.pickups("");
        self.p("</TD></TR>\n</TABLE>\n</TD></TR></TABLE>\n</BODY></HTML>\n");
    }

    /// C's `checkhost` then `upsd_connect`: the hosts.conf entry, the UPS name and a client.
    async fn open(&mut self) -> Result<(Host, String, Client), Done> {
        let monups = self.form.monups.clone().unwrap_or_default();
        let Some(host) = check_host(self.req, &monups, &mut self.out) else {
            return Err(self.error_page(
                "showsettings",
                "Access denied",
                "Access to that host is not authorized",
            ));
        };
        let addr: &UpsAddress = &host.addr;
        let ups = addr.ups().as_str().to_owned();
        match connect(addr).await {
            Ok(client) => Ok((host, ups, client)),
            Err(e) => Err(self.error_page(
                "showsettings",
                "Connect failure",
                &format!("Unable to connect to {monups}: {}", e.c_message()),
            )),
        }
    }

    /// C's `send_auth`: USERNAME and PASSWORD. C reads the replies without looking at
    /// them: only a lost connection stops it.
    async fn auth(&mut self, client: &Client, next: &str) -> Result<(), Done> {
        let user = or_null(&self.form.username).to_owned();
        let pass = or_null(&self.form.password).to_owned();
        let request = Value::new(user).map(|username| NetRequest::Username { username });
        if let Err(e) = reply_line(client, request).await {
            return Err(self.error_page(
                next,
                "Can't set user name",
                &format!("Set user name failed: {}", e.c_message()),
            ));
        }
        let request = Ok(NetRequest::Password {
            password: Secret::new(pass),
        });
        if let Err(e) = reply_line(client, request).await {
            return Err(self.error_page(
                next,
                "Can't set password",
                &format!("Password set failed: {}", e.c_message()),
            ));
        }
        Ok(())
    }

    async fn show_cmds(&mut self) -> Done {
        let (host, ups, client) = match self.open().await {
            Ok(v) => v,
            Err(done) => return done,
        };
        let cmds = match client.list_cmds(&ups).await {
            Ok(c) => c,
            Err(e) => {
                self.out
                    .eprint(&format!("LIST CMD {ups} failed: {}", e.c_message()));
                return self.error_page(
                    "showcmds",
                    "Server protocol error",
                    "LIST CMD command failed",
                );
            }
        };
        if cmds.is_empty() {
            return self.error_page(
                "showcmds",
                "No instant commands supported",
                "This UPS doesn't support any instant commands.",
            );
        }
        self.header("Instant commands");
        self.p("<FORM ACTION=\"upsset.cgi\" METHOD=\"POST\">\n");
        self.start_table();
        self.p(&format!(
            "<TR><TH BGCOLOR=\"#60B0B0\"COLSPAN=2>{}</TH></TR>\n",
            host.desc
        ));
        self.p("<TR BGCOLOR=\"#60B0B0\" ALIGN=\"CENTER\">\n<TD>Instant commands</TD>\n");
        self.p("<TD>\n<SELECT NAME=\"upscommand\">\n<OPTION VALUE=\"\" SELECTED></OPTION>\n");
        for cmd in cmds {
            if let Ok(desc) = client.get_cmd_desc(&ups, &cmd).await {
                self.p(&format!("<OPTION VALUE=\"{cmd}\">{desc}</OPTION>\n"));
            }
        }
        self.p("</SELECT>\n</TD></TR>\n");
        self.p("<TR BGCOLOR=\"#60B0B0\">\n<TD COLSPAN=\"2\" ALIGN=\"CENTER\">\n");
        self.hidden(Some("docmd"));
        self.p(&format!(
            "<INPUT TYPE=\"HIDDEN\" NAME=\"monups\" VALUE=\"{}\">\n",
            host.sys
        ));
        self.p("<INPUT TYPE=\"SUBMIT\" VALUE=\"Issue command\">\n");
        self.p("<INPUT TYPE=\"RESET\" VALUE=\"Reset\">\n</TD></TR>\n</TABLE>\n</FORM>\n");
        self.p("<TR><TD ALIGN=\"CENTER\">\n");
        self.pickups("showcmds");
        self.p("</TD></TR>\n</TABLE>\n</BODY></HTML>\n");
        Done
    }

    async fn do_cmd(&mut self) -> Done {
        let monups = self.form.monups.clone().unwrap_or_default();
        if check_host(self.req, &monups, &mut self.out).is_none() {
            return self.error_page(
                "showsettings",
                "Access denied",
                "Access to that host is not authorized",
            );
        }
        let command = self.form.upscommand.clone().unwrap_or_default();
        if command.is_empty() {
            return self.error_page("showcmds", "Form error", "No instant command selected");
        }
        let (_, ups, client) = match self.open().await {
            Ok(v) => v,
            Err(done) => return done,
        };
        if let Err(done) = self.auth(&client, "showcmds").await {
            return done;
        }
        let request = UpsName::new(ups.as_str()).and_then(|ups| {
            Ok(NetRequest::InstCmd {
                ups,
                cmd: CmdName::new(command.as_str())?,
                param: None,
            })
        });
        match reply_line(&client, request).await {
            Ok(line) => {
                self.header("Issuing command");
                self.start_table();
                self.p(&format!(
                    "<TR><TD><PRE>\nSending command: {command}\nResponse: {line}\n</PRE></TD></TR>\n"
                ));
            }
            Err(e) => {
                self.header("Error while reading command response");
                self.start_table();
                self.p(&format!(
                    "<TR><TD>Error reading command response: {}\n</TD></TR>",
                    e.c_message()
                ));
            }
        }
        self.p("<TR><TD ALIGN=\"CENTER\" COLSPAN=2>\n");
        self.pickups("showcmds");
        self.p("</TD></TR>\n</TABLE>\n</TD></TR></TABLE>\n</BODY></HTML>\n");
        Done
    }

    /// One writable variable's form field (C's `do_type`).
    async fn field(&mut self, client: &Client, ups: &str, var: &str) {
        let Ok(var_type) = client.get_type(ups, var).await else {
            self.p("Unknown type\n");
            return;
        };
        // The words as upsd sends them: RW, ENUM, RANGE, STRING:n or NUMBER.
        if var_type.enumerated {
            return self.enum_field(client, ups, var).await;
        }
        if var_type.range {
            self.p("Unrecognized\n");
        }
        match var_type.kind {
            Some(VarKind::String { max_len }) => {
                let Ok(value) = client.get_var(ups, var).await else {
                    self.p("Unavailable\n");
                    self.out
                        .eprint(&format!("do_string: can't get current value of {var}"));
                    return;
                };
                // C keeps the length in a char.
                let size = max_len as i8;
                self.p(&format!(
                    "<INPUT TYPE=\"TEXT\" NAME=\"UPSVAR_{var}\" VALUE=\"{}\" SIZE=\"{size}\">\n",
                    value.as_str()
                ));
            }
            Some(VarKind::Number) => self.p("Unrecognized\n"),
            None => {}
        }
    }

    async fn enum_field(&mut self, client: &Client, ups: &str, var: &str) {
        let Ok(current) = client.get_var(ups, var).await else {
            self.p("Unavailable\n");
            self.out
                .eprint(&format!("do_enum: can't get current value of {var}"));
            return;
        };
        let values = match client.list_enum(ups, var).await {
            Ok(v) => v,
            Err(e) => {
                self.p("Unavailable\n");
                self.out
                    .eprint(&format!("Error doing ENUM {ups} {var}: {}", e.c_message()));
                return;
            }
        };
        self.p(&format!("<SELECT NAME=\"UPSVAR_{var}\">\n"));
        for value in values {
            let value = value.as_str();
            let selected = if value == current.as_str() {
                " SELECTED"
            } else {
                ""
            };
            self.p(&format!(
                "<OPTION VALUE=\"{value}\" {selected}>{value}</OPTION>\n"
            ));
        }
        self.p("</SELECT>\n");
    }

    async fn show_settings(&mut self) -> Done {
        let (host, ups, client) = match self.open().await {
            Ok(v) => v,
            Err(done) => return done,
        };
        let rw = match client.list_rw(&ups).await {
            Ok(v) => v,
            Err(e) => {
                self.out
                    .eprint(&format!("LIST RW {ups} failed: {}", e.c_message()));
                return self.error_page(
                    "showsettings",
                    "Server protocol error",
                    "LIST RW command failed",
                );
            }
        };
        self.header("Current settings");
        self.p("<FORM ACTION=\"upsset.cgi\" METHOD=\"POST\">\n");
        self.start_table();
        self.p(&format!(
            "<TR><TH BGCOLOR=\"#60B0B0\"COLSPAN=2>{}</TH></TR>\n",
            host.desc
        ));
        self.p("<TR BGCOLOR=\"#60B0B0\">\n<TH>Setting</TH>\n<TH>Value</TH></TR>\n");
        for entry in rw {
            let var = entry.name.as_str();
            self.p(&format!(
                "<!-- <TR><TD>Device</TD><TD>{ups}</TD></TR> -->\n<TR BGCOLOR=\"#60B0B0\" ALIGN=\"CENTER\">\n<TD>"
            ));
            let label = match client.get_desc(&ups, var).await {
                Ok(d) if d != "Unavailable" => d,
                _ => var.to_owned(),
            };
            self.p(&format!("{label}</TD>\n<TD>\n"));
            self.field(&client, &ups, var).await;
            self.p("</TD>\n</TR>\n");
        }
        self.p("<TR BGCOLOR=\"#60B0B0\">\n<TD COLSPAN=\"2\" ALIGN=\"CENTER\">\n");
        self.hidden(Some("savesettings"));
        self.p(&format!(
            "<INPUT TYPE=\"HIDDEN\" NAME=\"monups\" VALUE=\"{}\">\n",
            host.sys
        ));
        self.p("<INPUT TYPE=\"SUBMIT\" VALUE=\"Save changes\">\n");
        self.p("<INPUT TYPE=\"RESET\" VALUE=\"Reset\">\n</TD></TR>\n</TABLE>\n</FORM>\n");
        self.p("<TR><TD ALIGN=\"CENTER\">\n");
        self.pickups("showsettings");
        self.p("</TD></TR>\n</TABLE>\n</BODY></HTML>\n");
        Done
    }

    /// C's `setvar`: whether the variable changed.
    async fn set_var(&mut self, client: &Client, ups: &str, var: &str, value: &str) -> bool {
        let Ok(old) = client.get_var(ups, var).await else {
            self.p(&format!("Can't get old value for {var}, aborting SET\n"));
            return false;
        };
        let old = old.into_string();
        if old == value {
            return false;
        }
        self.p(&format!("set {var} to {value} (was {old})\n"));
        let request = UpsName::new(ups).and_then(|ups| {
            Ok(NetRequest::SetVar {
                ups,
                var: VarName::new(var)?,
                value: Value::new(value)?,
            })
        });
        match reply_line(client, request).await {
            Ok(line) if line.starts_with("OK") => {
                self.p("OK\n");
                true
            }
            Ok(line) => {
                self.p(&format!("Unexpected response: {line}\n"));
                false
            }
            Err(e) => {
                self.p(&format!("Error: SET failed: {}\n", e.c_message()));
                false
            }
        }
    }

    async fn save_settings(&mut self) -> Done {
        let (_, ups, client) = match self.open().await {
            Ok(v) => v,
            Err(done) => return done,
        };
        if let Err(done) = self.auth(&client, "showsettings").await {
            return done;
        }
        self.header("Saving settings");
        self.start_table();
        self.p("<TR><TD><PRE>\n");
        let mut changed = 0;
        for (var, value) in std::mem::take(&mut self.form.vars) {
            if self.set_var(&client, &ups, &var, &value).await {
                changed += 1;
            }
        }
        if changed == 0 {
            self.p("No settings changed.\n");
        } else {
            let s = if changed == 1 { "" } else { "s" };
            self.p(&format!("Updated {changed} setting{s}.\n"));
        }
        self.p("</PRE></TD></TR>\n");
        self.p("<TR><TD ALIGN=\"CENTER\" COLSPAN=\"2\">\n");
        self.pickups("showsettings");
        self.p("</TD></TR>\n</TABLE>\n</TD></TR></TABLE>\n</BODY></HTML>\n");
        Done
    }
}

/// Sends a request and reads its reply line as C's `upscli_readline` does: an `ERR`
/// reply is a line like any other. A name that cannot go on the wire gets the `ERR` that
/// upsd would send.
async fn reply_line(
    client: &Client,
    request: Result<NetRequest, NameError>,
) -> Result<String, Error> {
    match request {
        Ok(request) => {
            let reply = client.request(request).await?;
            Ok(reply.to_string().trim_end_matches('\n').to_owned())
        }
        Err(e) => {
            let code = Error::InvalidArgument(e).c_code();
            Ok(code.map_or_else(|| "ERR INVALID-ARGUMENT".into(), |c| format!("ERR {c}")))
        }
    }
}

/// Whether upsset.conf lets upsset run; the page C prints when it does not.
fn gate(req: &Request, out: &mut Output) -> bool {
    let path = req.confpath.join("upsset.conf");
    let conf = match UpssetConf::load(&path) {
        Ok(parsed) => {
            for w in &parsed.warnings {
                out.eprint(&w.to_string());
            }
            parsed.config
        }
        Err(e) => {
            out.eprint(&e.to_string());
            out.print("<PRE>\nError: Can't open upsset.conf to verify security settings.\nRefusing to start until this is fixed.\n</PRE>\n");
            out.eprint("upsset.conf does not exist to permit execution");
            out.code = 1;
            return false;
        }
    };
    let enabled = conf.secured;
    if !enabled {
        out.print("<PRE>\nError: Secure mode has not been enabled in upsset.conf.\nRefusing to start until this is fixed.\n</PRE>\n");
        out.eprint("upsset.conf does not permit execution");
        out.code = 1;
    }
    enabled
}

/// `upsset.cgi` for one request (its form fields in the request body).
pub async fn upsset(req: &Request) -> Output {
    let mut out = Output::default();
    out.print("Content-type: text/html\n\n");
    if !gate(req, &mut out) {
        return out;
    }
    let form = match post_args(&req.body) {
        Ok(args) => Form::read(args),
        Err(e) => {
            out.eprint(&e.to_string());
            out.code = 1;
            return out;
        }
    };
    let mut page = Page { req, out, form };
    let function = match (
        &page.form.username,
        &page.form.password,
        &page.form.function,
    ) {
        (Some(_), Some(_), Some(f)) => f.clone(),
        _ => {
            page.login_screen();
            return page.out;
        }
    };
    if function == "pickups" || page.form.monups.is_none() {
        page.initial_pickups();
        return page.out;
    }
    match function.as_str() {
        "showsettings" => {
            page.show_settings().await;
        }
        "savesettings" => {
            let monups = page.form.monups.clone().unwrap_or_default();
            if check_host(req, &monups, &mut page.out).is_none() {
                page.error_page(
                    "showsettings",
                    "Access denied",
                    "Access to that host is not authorized",
                );
            } else {
                page.save_settings().await;
            }
        }
        "showcmds" => {
            page.show_cmds().await;
        }
        "docmd" => {
            page.do_cmd().await;
        }
        other => page.p(&format!("Error: Unhandled function name [{other}]\n")),
    }
    page.out
}
