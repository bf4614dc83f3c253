//! Requests from a client: the command keyword ([`Command`]), the typed request
//! ([`Request`]) and its encoding as C's clients write it.
//!
//! Parsing a request from its words, with the ERR codes C upsd gives for malformed input,
//! lives in [`parse`](super::parse).

use std::fmt;

use crate::names::{CmdName, UpsName, Value, VarName};
use crate::secret::Secret;
use crate::tokenizer::quote;

use super::list::ListQuery;
use super::word::Word;
use crate::names::TrackingId;

/// The first word of a request: the commands C upsd 2.8 knows. Matched without regard to
/// case.
///
/// ```
/// use nut_proto::net::Command;
///
/// assert_eq!(Command::parse("instcmd"), Some(Command::InstCmd));
/// assert!(Command::InstCmd.requires_auth());
/// assert!(!Command::Get.requires_auth());
/// assert_eq!(Command::parse("REQ"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum Command {
    /// `VER`: the server's version text.
    Ver,
    /// `NETVER`: the protocol version.
    NetVer,
    /// `PROTVER`: the protocol version (alias of NETVER since NUT 2.8.0).
    ProtVer,
    /// `HELP`: the list of commands.
    Help,
    /// `STARTTLS`: switch the connection to TLS.
    StartTls,
    /// `GET`: a single value.
    Get,
    /// `LIST`: a list of values.
    List,
    /// `USERNAME`: set the session's user name.
    Username,
    /// `PASSWORD`: set the session's password.
    Password,
    /// `LOGIN`: record that this system draws power from a UPS.
    Login,
    /// `LOGOUT`: end the session.
    Logout,
    /// `PRIMARY`: claim the primary role for a UPS.
    Primary,
    /// `MASTER`: the old name of PRIMARY.
    Master,
    /// `FSD`: set the forced-shutdown flag of a UPS.
    Fsd,
    /// `SET`: change a variable, or the session's tracking mode.
    Set,
    /// `INSTCMD`: run an instant command.
    InstCmd,
}

impl Command {
    /// Every command, in C upsd's table order.
    pub const ALL: &'static [Self] = &[
        Self::Ver,
        Self::NetVer,
        Self::ProtVer,
        Self::Help,
        Self::StartTls,
        Self::Get,
        Self::List,
        Self::Username,
        Self::Password,
        Self::Login,
        Self::Logout,
        Self::Primary,
        Self::Master,
        Self::Fsd,
        Self::Set,
        Self::InstCmd,
    ];

    /// The keyword `word` names, ignoring case; `None` for an unknown keyword (C upsd
    /// answers `ERR UNKNOWN-COMMAND`).
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(word))
    }

    /// The keyword in upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ver => "VER",
            Self::NetVer => "NETVER",
            Self::ProtVer => "PROTVER",
            Self::Help => "HELP",
            Self::StartTls => "STARTTLS",
            Self::Get => "GET",
            Self::List => "LIST",
            Self::Username => "USERNAME",
            Self::Password => "PASSWORD",
            Self::Login => "LOGIN",
            Self::Logout => "LOGOUT",
            Self::Primary => "PRIMARY",
            Self::Master => "MASTER",
            Self::Fsd => "FSD",
            Self::Set => "SET",
            Self::InstCmd => "INSTCMD",
        }
    }

    /// Whether the session must have sent USERNAME and PASSWORD before this command (C's
    /// `FLAG_USER`: LOGIN, PRIMARY, MASTER, FSD, SET, INSTCMD).
    ///
    /// C upsd checks this before it looks at the arguments: without a user name it answers
    /// `ERR USERNAME-REQUIRED`, then without a password `ERR PASSWORD-REQUIRED`, even when the
    /// arguments are wrong.
    pub fn requires_auth(self) -> bool {
        matches!(
            self,
            Self::Login | Self::Primary | Self::Master | Self::Fsd | Self::Set | Self::InstCmd
        )
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request from a client, one line on the wire.
///
/// Names keep the client's spelling, so a server can echo it. [`Display`](fmt::Display) and
/// [`encode`](Self::encode) write the line as C's clients do (ending in LF);
/// [`Request::parse`] and [`Request::decode`] read one as C upsd does.
///
/// ```
/// use nut_proto::net::Request;
///
/// let req = Request::decode(b"set var MyUPS ups.id \"rack 1\"\n").unwrap();
/// assert_eq!(req.to_string(), "SET VAR MyUPS ups.id \"rack 1\"\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum Request {
    /// `GET VAR <ups> <var>`.
    GetVar {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
    },
    /// `GET TYPE <ups> <var>`.
    GetType {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
    },
    /// `GET DESC <ups> <var>`.
    GetDesc {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
    },
    /// `GET CMDDESC <ups> <cmd>`.
    GetCmdDesc {
        /// The UPS.
        ups: UpsName,
        /// The instant command.
        cmd: CmdName,
    },
    /// `GET UPSDESC <ups>`.
    GetUpsDesc {
        /// The UPS.
        ups: UpsName,
    },
    /// `GET NUMLOGINS <ups>`.
    GetNumLogins {
        /// The UPS.
        ups: UpsName,
    },
    /// `GET TRACKING` (is tracking on?) or `GET TRACKING <id>` (outcome of a command).
    GetTracking {
        /// The tracking id, if any.
        id: Option<TrackingId>,
    },
    /// `LIST <query>`.
    List(ListQuery),
    /// `SET VAR <ups> <var> "<value>"`.
    SetVar {
        /// The UPS.
        ups: UpsName,
        /// The variable.
        var: VarName,
        /// The new value.
        value: Value,
    },
    /// `SET TRACKING ON` or `SET TRACKING OFF`.
    SetTracking {
        /// Whether to turn tracking on.
        enable: bool,
    },
    /// `INSTCMD <ups> <cmd> [<param>]`.
    InstCmd {
        /// The UPS.
        ups: UpsName,
        /// The instant command.
        cmd: CmdName,
        /// Its optional parameter (since protocol 1.3).
        param: Option<Value>,
    },
    /// `LOGIN <ups>`.
    Login {
        /// The UPS.
        ups: UpsName,
    },
    /// `LOGOUT`.
    Logout,
    /// `USERNAME <name>` (any word; upsd.users names are case-sensitive).
    Username {
        /// The user name.
        username: Value,
    },
    /// `PASSWORD <password>`.
    Password {
        /// The password. Encoding keeps only the characters a word can hold (0x20–0x7F),
        /// as the server's tokenizer would.
        password: Secret,
    },
    /// `PRIMARY <ups>`.
    Primary {
        /// The UPS.
        ups: UpsName,
    },
    /// `MASTER <ups>` (deprecated alias of PRIMARY; the reply differs).
    Master {
        /// The UPS.
        ups: UpsName,
    },
    /// `FSD <ups>`.
    Fsd {
        /// The UPS.
        ups: UpsName,
    },
    /// `STARTTLS`.
    StartTls,
    /// `HELP`.
    Help,
    /// `VER`.
    Ver,
    /// `NETVER`.
    NetVer,
    /// `PROTVER`.
    ProtVer,
}

impl Request {
    /// The command keyword of this request.
    pub fn command(&self) -> Command {
        match self {
            Self::GetVar { .. }
            | Self::GetType { .. }
            | Self::GetDesc { .. }
            | Self::GetCmdDesc { .. }
            | Self::GetUpsDesc { .. }
            | Self::GetNumLogins { .. }
            | Self::GetTracking { .. } => Command::Get,
            Self::List(_) => Command::List,
            Self::SetVar { .. } | Self::SetTracking { .. } => Command::Set,
            Self::InstCmd { .. } => Command::InstCmd,
            Self::Login { .. } => Command::Login,
            Self::Logout => Command::Logout,
            Self::Username { .. } => Command::Username,
            Self::Password { .. } => Command::Password,
            Self::Primary { .. } => Command::Primary,
            Self::Master { .. } => Command::Master,
            Self::Fsd { .. } => Command::Fsd,
            Self::StartTls => Command::StartTls,
            Self::Help => Command::Help,
            Self::Ver => Command::Ver,
            Self::NetVer => Command::NetVer,
            Self::ProtVer => Command::ProtVer,
        }
    }

    /// The UPS the request is about, if any.
    pub fn ups(&self) -> Option<&UpsName> {
        match self {
            Self::GetVar { ups, .. }
            | Self::GetType { ups, .. }
            | Self::GetDesc { ups, .. }
            | Self::GetCmdDesc { ups, .. }
            | Self::GetUpsDesc { ups }
            | Self::GetNumLogins { ups }
            | Self::SetVar { ups, .. }
            | Self::InstCmd { ups, .. }
            | Self::Login { ups }
            | Self::Primary { ups }
            | Self::Master { ups }
            | Self::Fsd { ups } => Some(ups),
            Self::List(query) => query.ups(),
            _ => None,
        }
    }

    /// Writes the request as C's clients send it: one line ending in LF. Names are written
    /// bare, values quoted (escaping `\`, `"` and `#` as C's `pconf_encode`), other words
    /// bare when they can be and quoted otherwise.
    pub fn write_to<W: fmt::Write + ?Sized>(&self, w: &mut W) -> fmt::Result {
        match self {
            Self::GetVar { ups, var } => writeln!(w, "GET VAR {ups} {var}"),
            Self::GetType { ups, var } => writeln!(w, "GET TYPE {ups} {var}"),
            Self::GetDesc { ups, var } => writeln!(w, "GET DESC {ups} {var}"),
            Self::GetCmdDesc { ups, cmd } => writeln!(w, "GET CMDDESC {ups} {cmd}"),
            Self::GetUpsDesc { ups } => writeln!(w, "GET UPSDESC {ups}"),
            Self::GetNumLogins { ups } => writeln!(w, "GET NUMLOGINS {ups}"),
            Self::GetTracking { id: None } => w.write_str("GET TRACKING\n"),
            Self::GetTracking { id: Some(id) } => {
                writeln!(w, "GET TRACKING {}", Word(id.as_str()))
            }
            Self::List(query) => writeln!(w, "LIST {query}"),
            Self::SetVar { ups, var, value } => {
                writeln!(w, "SET VAR {ups} {var} {}", quote(value.as_str()))
            }
            Self::SetTracking { enable: true } => w.write_str("SET TRACKING ON\n"),
            Self::SetTracking { enable: false } => w.write_str("SET TRACKING OFF\n"),
            Self::InstCmd { ups, cmd, param } => {
                write!(w, "INSTCMD {ups} {cmd}")?;
                if let Some(param) = param {
                    write!(w, " {}", Word(param.as_str()))?;
                }
                w.write_str("\n")
            }
            Self::Login { ups } => writeln!(w, "LOGIN {ups}"),
            Self::Logout => w.write_str("LOGOUT\n"),
            Self::Username { username } => writeln!(w, "USERNAME {}", Word(username.as_str())),
            Self::Password { password } => {
                let password = Value::lossy(password.expose());
                writeln!(w, "PASSWORD {}", Word(password.as_str()))
            }
            Self::Primary { ups } => writeln!(w, "PRIMARY {ups}"),
            Self::Master { ups } => writeln!(w, "MASTER {ups}"),
            Self::Fsd { ups } => writeln!(w, "FSD {ups}"),
            Self::StartTls => w.write_str("STARTTLS\n"),
            Self::Help => w.write_str("HELP\n"),
            Self::Ver => w.write_str("VER\n"),
            Self::NetVer => w.write_str("NETVER\n"),
            Self::ProtVer => w.write_str("PROTVER\n"),
        }
    }

    /// The request as one line ending in LF (see [`write_to`](Self::write_to)).
    ///
    /// The text of a PASSWORD request holds the password.
    pub fn encode(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Request {
    /// The wire form, ending in LF. For [`Request::Password`] this shows the password: use
    /// `{:?}` for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_keywords() {
        for &command in Command::ALL {
            assert_eq!(Command::parse(command.as_str()), Some(command));
            assert_eq!(
                Command::parse(&command.as_str().to_ascii_lowercase()),
                Some(command)
            );
        }
        assert_eq!(Command::parse(""), None);
        assert_eq!(Command::parse("GETX"), None);
        let auth: Vec<_> = Command::ALL
            .iter()
            .filter(|c| c.requires_auth())
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            auth,
            ["LOGIN", "PRIMARY", "MASTER", "FSD", "SET", "INSTCMD"]
        );
    }

    #[test]
    fn password_encoding_cannot_inject_a_line() {
        let req = Request::Password {
            password: Secret::new("pw\nLOGOUT"),
        };
        assert_eq!(req.encode(), "PASSWORD pwLOGOUT\n");
        assert_eq!(format!("{req:?}"), "Password { password: *** }");
        let req = Request::Password {
            password: Secret::new("two words"),
        };
        assert_eq!(req.encode(), "PASSWORD \"two words\"\n");
    }
}
