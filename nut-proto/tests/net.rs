//! Known-answer and round-trip tests of the network protocol.
//!
//! The expected replies come from sessions with C upsd 2.8.0 (Debian bookworm) and dummy-ups
//! on a loopback port; the expected request lines from C's clients (upsclient.c, upsc,
//! upscmd, upsrw, upsmon).

use nut_proto::names::{CmdName, UpsName, Value, VarName};
use nut_proto::net::{
    ClientEntry, Command, ErrorCode, ListItem, ListQuery, ListReply, RangeEntry, ReplyLine,
    Request, RequestError, Response, ResponseAssembler, ResponseError, Text, TrackingId, UpsEntry,
    VarEntry, VarKind, VarType, HELP_TEXT,
};
use nut_proto::secret::Secret;

fn ups(s: &str) -> UpsName {
    UpsName::new(s).unwrap()
}
fn var(s: &str) -> VarName {
    VarName::new(s).unwrap()
}
fn cmd(s: &str) -> CmdName {
    CmdName::new(s).unwrap()
}
fn val(s: &str) -> Value {
    Value::new(s).unwrap()
}

/// What C upsd 2.8 does with a request line before its state checks: `Ok` with the parsed
/// request, or the ERR code it sends (`None`: no reply at all).
fn c_upsd(line: &[u8], username: bool, password: bool) -> Result<Request, Option<ErrorCode>> {
    let words = nut_proto::tokenizer::tokenize_line(line)
        .map_err(|_| None)?
        .words;
    let (command, args) = Command::split(&words).map_err(|e| e.code())?;
    if command.requires_auth() {
        if !username {
            return Err(Some(ErrorCode::UsernameRequired));
        }
        if !password {
            return Err(Some(ErrorCode::PasswordRequired));
        }
    }
    Request::parse_args(command, args).map_err(|e| e.code())
}

/// Decodes a request and checks that it re-encodes to `wire` and decodes back to itself.
fn request_round_trip(request: &Request, wire: &str) {
    let encoded = request.encode();
    assert_eq!(encoded, wire, "encoding of {request:?}");
    let decoded = Request::decode(encoded.as_bytes()).unwrap();
    assert_eq!(&decoded, request, "{wire:?}");
    assert_eq!(decoded.encode(), wire);
}

#[test]
fn every_request_kind_encodes_as_c_clients_write_it() {
    let cases: Vec<(Request, &str)> = vec![
        (
            Request::GetVar {
                ups: ups("MyUps"),
                var: var("ups.status"),
            },
            "GET VAR MyUps ups.status\n",
        ),
        (
            Request::GetType {
                ups: ups("u"),
                var: var("ups.id"),
            },
            "GET TYPE u ups.id\n",
        ),
        (
            Request::GetDesc {
                ups: ups("u"),
                var: var("ups.id"),
            },
            "GET DESC u ups.id\n",
        ),
        (
            Request::GetCmdDesc {
                ups: ups("u"),
                cmd: cmd("load.off"),
            },
            "GET CMDDESC u load.off\n",
        ),
        (Request::GetUpsDesc { ups: ups("u") }, "GET UPSDESC u\n"),
        (Request::GetNumLogins { ups: ups("u") }, "GET NUMLOGINS u\n"),
        (Request::GetTracking { id: None }, "GET TRACKING\n"),
        (
            Request::GetTracking {
                id: Some(TrackingId::new("2DDC5036-F665-4D29-BE4C-0374D091D263").unwrap()),
            },
            "GET TRACKING 2DDC5036-F665-4D29-BE4C-0374D091D263\n",
        ),
        (
            Request::GetTracking {
                id: Some(TrackingId::new("a b").unwrap()),
            },
            "GET TRACKING \"a b\"\n",
        ),
        (Request::List(ListQuery::Ups), "LIST UPS\n"),
        (
            Request::List(ListQuery::Var { ups: ups("u") }),
            "LIST VAR u\n",
        ),
        (
            Request::List(ListQuery::Rw { ups: ups("u") }),
            "LIST RW u\n",
        ),
        (
            Request::List(ListQuery::Cmd { ups: ups("u") }),
            "LIST CMD u\n",
        ),
        (
            Request::List(ListQuery::Enum {
                ups: ups("u"),
                var: var("v"),
            }),
            "LIST ENUM u v\n",
        ),
        (
            Request::List(ListQuery::Range {
                ups: ups("u"),
                var: var("v"),
            }),
            "LIST RANGE u v\n",
        ),
        (
            Request::List(ListQuery::Client { ups: ups("u") }),
            "LIST CLIENT u\n",
        ),
        (
            Request::SetVar {
                ups: ups("u"),
                var: var("ups.id"),
                value: val("My UPS"),
            },
            "SET VAR u ups.id \"My UPS\"\n",
        ),
        // upsrw escapes with pconf_encode: \ " and #.
        (
            Request::SetVar {
                ups: ups("u"),
                var: var("ups.id"),
                value: val("a\"b\\c#d"),
            },
            "SET VAR u ups.id \"a\\\"b\\\\c\\#d\"\n",
        ),
        (
            Request::SetVar {
                ups: ups("u"),
                var: var("v"),
                value: val(""),
            },
            "SET VAR u v \"\"\n",
        ),
        (Request::SetTracking { enable: true }, "SET TRACKING ON\n"),
        (Request::SetTracking { enable: false }, "SET TRACKING OFF\n"),
        (
            Request::InstCmd {
                ups: ups("u"),
                cmd: cmd("load.off"),
                param: None,
            },
            "INSTCMD u load.off\n",
        ),
        (
            Request::InstCmd {
                ups: ups("u"),
                cmd: cmd("load.off.delay"),
                param: Some(val("120")),
            },
            "INSTCMD u load.off.delay 120\n",
        ),
        (
            Request::InstCmd {
                ups: ups("u"),
                cmd: cmd("x"),
                param: Some(val("two words")),
            },
            "INSTCMD u x \"two words\"\n",
        ),
        (
            Request::InstCmd {
                ups: ups("u"),
                cmd: cmd("x"),
                param: Some(val("")),
            },
            "INSTCMD u x \"\"\n",
        ),
        (Request::Login { ups: ups("u") }, "LOGIN u\n"),
        (Request::Logout, "LOGOUT\n"),
        (
            Request::Username {
                username: val("monuser"),
            },
            "USERNAME monuser\n",
        ),
        (
            Request::Password {
                password: Secret::new("secret"),
            },
            "PASSWORD secret\n",
        ),
        (
            Request::Password {
                password: Secret::new("p#ss word"),
            },
            "PASSWORD \"p\\#ss word\"\n",
        ),
        (Request::Primary { ups: ups("u") }, "PRIMARY u\n"),
        (Request::Master { ups: ups("u") }, "MASTER u\n"),
        (Request::Fsd { ups: ups("u") }, "FSD u\n"),
        (Request::StartTls, "STARTTLS\n"),
        (Request::Help, "HELP\n"),
        (Request::Ver, "VER\n"),
        (Request::NetVer, "NETVER\n"),
        (Request::ProtVer, "PROTVER\n"),
    ];
    for (request, wire) in &cases {
        request_round_trip(request, wire);
    }
    // Every command appears.
    for command in Command::ALL {
        assert!(
            cases.iter().any(|(r, _)| r.command() == *command),
            "{command}"
        );
    }
}

#[test]
fn requests_keep_the_senders_spelling_and_match_keywords_in_any_case() {
    let req = Request::decode(b"Get Var DUMMY UPS.STATUS\n").unwrap();
    assert_eq!(
        req,
        Request::GetVar {
            ups: ups("dummy"),
            var: var("ups.status")
        }
    );
    assert_eq!(req.encode(), "GET VAR DUMMY UPS.STATUS\n");
    assert_eq!(req.ups().map(UpsName::as_str), Some("DUMMY"));
    let req = Request::decode(b"set tracking oN\n").unwrap();
    assert_eq!(req, Request::SetTracking { enable: true });
    let req = Request::decode(b"list enum u V\n").unwrap();
    assert_eq!(req.encode(), "LIST ENUM u V\n");
}

#[test]
fn tokenizer_quirks_reach_the_parser_as_in_c() {
    let get = |line: &[u8]| Request::decode(line);
    let status = Ok(Request::GetVar {
        ups: ups("dummy"),
        var: var("ups.status"),
    });
    // All of these read `GET VAR dummy ups.status` in C upsd 2.8.0.
    for line in [
        &b"GET VAR dummy ups.status # comment\n"[..],
        b"GET VAR dummy \"ups.status\"\n",
        b"GET VAR dummy ups.st\x01atus\n",
        b"GET VAR dummy ups.st\xe9atus\n",
        b"GET VAR dummy ups.status=x\n",
        b"GET VAR \"dummy\" ups\\.status\n",
        b"GET\tVAR\x0bdummy\x0cups.status\r\n",
        b"GET VAR dummy ups.status\x00\n",
        b"GET VAR dummy ups.status extra words\n",
        b"GET VAR dummy \"ups.\nstatus\"\n",
    ] {
        assert_eq!(get(line), status, "{:?}", String::from_utf8_lossy(line));
    }
    // Escaped quotes inside a value.
    assert_eq!(
        get(br#"SET VAR u ups.id "say \"hi\" \\ \# ok""#).unwrap(),
        Request::SetVar {
            ups: ups("u"),
            var: var("ups.id"),
            value: val("say \"hi\" \\ # ok")
        }
    );
    // `=` is a word of its own: the variable name becomes `=`, which matches nothing.
    assert_eq!(
        get(b"GET VAR dummy=ups.status").unwrap_err().code(),
        Some(ErrorCode::VarNotSupported)
    );
    // 40 words: the 32-word limit drops the extra ones, which GET ignores anyway.
    let many: String = (1..=40).map(|i| format!(" w{i}")).collect();
    assert_eq!(
        get(format!("GET VAR dummy ups.status{many}").as_bytes()),
        status
    );
    // A 600-byte UPS name is cut to 512 bytes: still a valid name, so the server says UNKNOWN-UPS.
    let long = "d".repeat(600);
    match get(format!("GET VAR {long} ups.status").as_bytes()).unwrap() {
        Request::GetVar { ups, .. } => assert_eq!(ups.as_str().len(), 512),
        other => panic!("{other:?}"),
    }
    // A 600-byte value is cut to 512 bytes too.
    match get(format!("SET VAR u v \"{long}\"").as_bytes()).unwrap() {
        Request::SetVar { value, .. } => assert_eq!(value.as_str().len(), 512),
        other => panic!("{other:?}"),
    }
}

/// Lines sent to C upsd 2.8.0 and what it answered, for everything decided before its state
/// checks. `None`: no reply. `Ok`: the request is valid (C went on to its state checks).
#[test]
fn malformed_requests_get_c_upsds_error_codes() {
    use ErrorCode::*;
    let unauthenticated: &[(&str, Option<ErrorCode>)] = &[
        ("", Some(UnknownCommand)),
        ("\r", Some(UnknownCommand)),
        ("# comment", Some(UnknownCommand)),
        ("   ", Some(UnknownCommand)),
        ("FOO", Some(UnknownCommand)),
        ("REQ ups ups.status", Some(UnknownCommand)),
        ("ver x", Some(InvalidArgument)),
        ("NETVER x", Some(InvalidArgument)),
        ("PROTVER x", Some(InvalidArgument)),
        ("HELP x", Some(InvalidArgument)),
        ("LOGOUT x", Some(InvalidArgument)),
        ("get", Some(InvalidArgument)),
        ("GET FOO", Some(InvalidArgument)),
        ("GET FOO a", Some(InvalidArgument)),
        ("GET FOO a b", Some(InvalidArgument)),
        ("GET VAR dummy", Some(InvalidArgument)),
        ("GET NUMLOGINS", Some(InvalidArgument)),
        ("GET CMDDESC u", Some(InvalidArgument)),
        ("LIST", Some(InvalidArgument)),
        ("LIST VAR", Some(InvalidArgument)),
        ("LIST FOO x", Some(InvalidArgument)),
        ("LIST ENUM dummy", Some(InvalidArgument)),
        ("LIST FOO x y", Some(InvalidArgument)),
        ("USERNAME", Some(InvalidArgument)),
        ("USERNAME a b", Some(InvalidArgument)),
        ("PASSWORD", Some(InvalidArgument)),
        ("LOGIN dummy", Some(UsernameRequired)),
        ("SET", Some(UsernameRequired)),
        ("INSTCMD", Some(UsernameRequired)),
        ("FSD", Some(UsernameRequired)),
        ("PRIMARY", Some(UsernameRequired)),
        ("MASTER", Some(UsernameRequired)),
        ("GET VAR x server.foo", None), // valid request; C answers VAR-NOT-SUPPORTED from state
        ("GET VAR dummy \"ups.st#atus\"", None),
    ];
    for (line, expected) in unauthenticated {
        let got = c_upsd(line.as_bytes(), false, false);
        match (expected, &got) {
            (None, Ok(_)) if !line.contains('#') => {}
            (None, Err(None)) if line.contains('#') => {}
            (Some(code), Err(Some(got))) if got == code => {}
            _ => panic!("{line:?}: expected {expected:?}, got {got:?}"),
        }
    }
    // USERNAME set, PASSWORD not.
    assert_eq!(
        c_upsd(b"LOGIN dummy", true, false),
        Err(Some(PasswordRequired))
    );

    let authenticated: &[(&str, Option<ErrorCode>)] = &[
        ("LOGIN", Some(InvalidArgument)),
        ("LOGIN a b", Some(InvalidArgument)),
        ("LOGIN \"a b\"", Some(UnknownUps)),
        ("SET", Some(InvalidArgument)),
        ("SET VAR", Some(InvalidArgument)),
        ("SET VAR dummy ups.status", Some(InvalidArgument)),
        ("SET FOO a b c", Some(InvalidArgument)),
        ("SET TRACKING", Some(InvalidArgument)),
        ("SET TRACKING maybe", Some(InvalidArgument)),
        ("INSTCMD dummy", Some(InvalidArgument)),
        ("INSTCMD dummy \"a b\"", Some(CmdNotSupported)),
        ("PRIMARY", Some(InvalidArgument)),
        ("PRIMARY a b", Some(InvalidArgument)),
        ("MASTER", Some(InvalidArgument)),
        ("FSD", Some(InvalidArgument)),
        ("FSD \"a b\"", Some(UnknownUps)),
        ("SET VAR dummy \"a b\" x", Some(VarNotSupported)),
    ];
    for (line, expected) in authenticated {
        let got = c_upsd(line.as_bytes(), true, true).map_err(Option::unwrap);
        assert_eq!(got.as_ref().err(), expected.as_ref(), "{line:?}: {got:?}");
    }
}

#[test]
fn extra_words_are_ignored_where_c_ignores_them() {
    let cases: &[(&str, Request)] = &[
        (
            "GET UPSDESC dummy extra",
            Request::GetUpsDesc { ups: ups("dummy") },
        ),
        (
            "GET TRACKING a b",
            Request::GetTracking {
                id: Some(TrackingId::new("a").unwrap()),
            },
        ),
        ("LIST UPS extra", Request::List(ListQuery::Ups)),
        (
            "LIST VAR u extra",
            Request::List(ListQuery::Var { ups: ups("u") }),
        ),
        (
            "SET TRACKING on extra",
            Request::SetTracking { enable: true },
        ),
        (
            "SET VAR dummy ups.status \"OB LB\" extra",
            Request::SetVar {
                ups: ups("dummy"),
                var: var("ups.status"),
                value: val("OB LB"),
            },
        ),
        ("STARTTLS foo", Request::StartTls),
        // C takes the INSTCMD parameter only when there are exactly three arguments.
        (
            "INSTCMD dummy load.off 1 2",
            Request::InstCmd {
                ups: ups("dummy"),
                cmd: cmd("load.off"),
                param: None,
            },
        ),
        (
            "INSTCMD dummy load.off 5",
            Request::InstCmd {
                ups: ups("dummy"),
                cmd: cmd("load.off"),
                param: Some(val("5")),
            },
        ),
    ];
    for (line, request) in cases {
        assert_eq!(
            &Request::decode(line.as_bytes()).unwrap(),
            request,
            "{line:?}"
        );
    }
}

#[test]
fn request_errors_explain_themselves() {
    let err = Request::decode(b"LIST FOO x").unwrap_err();
    assert_eq!(
        err,
        RequestError::InvalidArgument {
            command: Command::List,
            reason: "unknown sub-command"
        }
    );
    assert_eq!(err.to_string(), "LIST: unknown sub-command");
    let err = Request::decode(b"LOGIN \"my ups\"").unwrap_err();
    assert_eq!(
        err.to_string(),
        "LOGIN: UPS name \"my ups\" contains the invalid character ' '"
    );
    assert_eq!(
        Request::decode(b"").unwrap_err().to_string(),
        "empty request"
    );
    assert!(matches!(
        Request::decode(b"GET VAR u \"#\""),
        Err(RequestError::Tokenize(_))
    ));
}

/// Encodes `response`, checks the text, then decodes it line by line with the assembler.
fn response_round_trip(response: &Response, wire: &str) {
    let encoded = response.encode();
    assert_eq!(encoded, wire, "encoding of {response:?}");
    let decoded = decode_all(wire.as_bytes()).unwrap();
    assert_eq!(decoded, std::slice::from_ref(response), "{wire:?}");
    assert_eq!(decoded[0].encode(), wire);
}

fn decode_all(wire: &[u8]) -> Result<Vec<Response>, ResponseError> {
    let mut asm = ResponseAssembler::new();
    let mut out = Vec::new();
    for line in wire.split_inclusive(|&b| b == b'\n') {
        out.extend(asm.push_line(line)?);
    }
    assert!(!asm.is_in_list(), "unterminated list in {wire:?}");
    Ok(out)
}

#[test]
fn single_line_replies_are_byte_identical_to_c_upsd() {
    let id = TrackingId::new("2DDC5036-F665-4D29-BE4C-0374D091D263").unwrap();
    let cases: Vec<(Response, &str)> = vec![
        (Response::Ok, "OK\n"),
        (Response::OkGoodbye, "OK Goodbye\n"),
        (Response::OkStartTls, "OK STARTTLS\n"),
        (Response::OkPrimaryGranted, "OK PRIMARY-GRANTED\n"),
        (Response::OkMasterGranted, "OK MASTER-GRANTED\n"),
        (Response::OkFsdSet, "OK FSD-SET\n"),
        (Response::OkTracking(id), "OK TRACKING 2DDC5036-F665-4D29-BE4C-0374D091D263\n"),
        (Response::err(ErrorCode::FeatureNotConfigured), "ERR FEATURE-NOT-CONFIGURED\n"),
        (
            Response::Err { code: ErrorCode::AccessDenied, extra: vec![val("why"), val("two words")] },
            "ERR ACCESS-DENIED why \"two words\"\n",
        ),
        (Response::err(ErrorCode::Other("NEW-CODE".into())), "ERR NEW-CODE\n"),
        (
            Response::Var { ups: ups("DUMMY"), var: var("UPS.STATUS"), value: val("OL") },
            "VAR DUMMY UPS.STATUS \"OL\"\n",
        ),
        (
            Response::Var { ups: ups("dummy"), var: var("ups.status"), value: val("FSD OL") },
            "VAR dummy ups.status \"FSD OL\"\n",
        ),
        // C escapes values with pconf_encode: \ " and #.
        (
            Response::Var { ups: ups("u"), var: var("ups.mfr"), value: val("a\"b\\c#d\x7f") },
            "VAR u ups.mfr \"a\\\"b\\\\c\\#d\x7f\"\n",
        ),
        (
            Response::Var {
                ups: ups("x"),
                var: var("server.info"),
                value: val("Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"),
            },
            "VAR x server.info \"Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/\"\n",
        ),
        (
            Response::Type {
                ups: ups("dummy"),
                var: var("ups.status"),
                var_type: VarType { rw: true, kind: Some(VarKind::String { max_len: 32 }), ..Default::default() },
            },
            "TYPE dummy ups.status RW STRING:32\n",
        ),
        (
            Response::Type {
                ups: ups("dummy"),
                var: var("input.transfer.low"),
                var_type: VarType { rw: true, kind: Some(VarKind::Number), ..Default::default() },
            },
            "TYPE dummy input.transfer.low RW NUMBER\n",
        ),
        (
            Response::Type {
                ups: ups("u"),
                var: var("v"),
                var_type: VarType { rw: true, enumerated: true, range: true, kind: Some(VarKind::Number) },
            },
            "TYPE u v RW ENUM RANGE NUMBER\n",
        ),
        (
            Response::Type { ups: ups("u"), var: var("v"), var_type: VarType::default() },
            "TYPE u v\n",
        ),
        (
            Response::Desc { ups: ups("dummy"), var: var("ups.status"), desc: val("UPS status") },
            "DESC dummy ups.status \"UPS status\"\n",
        ),
        (
            Response::Desc { ups: ups("u"), var: var("x.y"), desc: val("Description unavailable") },
            "DESC u x.y \"Description unavailable\"\n",
        ),
        (
            Response::CmdDesc { ups: ups("dummy"), cmd: cmd("load.off"), desc: val("Turn off the load immediately") },
            "CMDDESC dummy load.off \"Turn off the load immediately\"\n",
        ),
        (
            Response::UpsDesc { ups: ups("dummy"), desc: val("Test #1 \"quoted\" box") },
            "UPSDESC dummy \"Test \\#1 \\\"quoted\\\" box\"\n",
        ),
        (Response::UpsDesc { ups: ups("nodesc"), desc: val("Unavailable") }, "UPSDESC nodesc \"Unavailable\"\n"),
        (Response::NumLogins { ups: ups("dummy"), count: 0 }, "NUMLOGINS dummy 0\n"),
        (Response::NumLogins { ups: ups("dummy"), count: 4_000_000_000 }, "NUMLOGINS dummy 4000000000\n"),
        (Response::TrackingEnabled(true), "ON\n"),
        (Response::TrackingEnabled(false), "OFF\n"),
        (Response::Pending, "PENDING\n"),
        (Response::Success, "SUCCESS\n"),
        (Response::err(ErrorCode::Unknown), "ERR UNKNOWN\n"),
        (Response::err(ErrorCode::InvalidArgument), "ERR INVALID-ARGUMENT\n"),
        (Response::err(ErrorCode::Failed), "ERR FAILED\n"),
        (
            Response::Text(Text::new("Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/").unwrap()),
            "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/\n",
        ),
        (Response::Text(Text::new(HELP_TEXT).unwrap()), "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS\n"),
        (Response::Text(Text::new("1.3").unwrap()), "1.3\n"),
    ];
    for (response, wire) in &cases {
        response_round_trip(response, wire);
    }
}

#[test]
fn every_error_code_round_trips() {
    for code in ErrorCode::KNOWN {
        let wire = format!("ERR {code}\n");
        response_round_trip(&Response::err(code.clone()), &wire);
        assert_eq!(
            ReplyLine::decode(wire.as_bytes()).unwrap(),
            ReplyLine::Single(Response::err(code.clone()))
        );
    }
    // An unknown code, even one built from bad text, stays one word on one line.
    assert_eq!(
        Response::err(ErrorCode::Other("BAD\nOK".into())).encode(),
        "ERR BADOK\n"
    );
    assert_eq!(
        Response::err(ErrorCode::Other("two words".into())).encode(),
        "ERR \"two words\"\n"
    );
    // The spellings of server/neterr.h and the tracking results.
    let wire: Vec<_> = ErrorCode::KNOWN.iter().map(ErrorCode::as_str).collect();
    for expected in [
        "ACCESS-DENIED",
        "UNKNOWN-UPS",
        "VAR-NOT-SUPPORTED",
        "CMD-NOT-SUPPORTED",
        "INVALID-ARGUMENT",
        "INSTCMD-FAILED",
        "SET-FAILED",
        "READONLY",
        "TOO-LONG",
        "FEATURE-NOT-SUPPORTED",
        "FEATURE-NOT-CONFIGURED",
        "ALREADY-SSL-MODE",
        "DRIVER-NOT-CONNECTED",
        "DATA-STALE",
        "ALREADY-LOGGED-IN",
        "INVALID-PASSWORD",
        "ALREADY-SET-PASSWORD",
        "INVALID-USERNAME",
        "ALREADY-SET-USERNAME",
        "USERNAME-REQUIRED",
        "PASSWORD-REQUIRED",
        "UNKNOWN-COMMAND",
        "VAR-UNKNOWN",
        "UNKNOWN-TYPE",
        "UNKNOWN-INSTCMD",
        "MISSING-ARGUMENT",
        "INVALID-VALUE",
        "PASSWORD-INCORRECT",
        "UNKNOWN-VAR",
        "UNKNOWN",
        "FAILED",
    ] {
        assert!(wire.contains(&expected), "{expected}");
    }
}

#[test]
fn lists_are_byte_identical_to_c_upsd() {
    let cases: Vec<(ListReply, &str)> = vec![
        (
            ListReply::Ups(vec![
                UpsEntry { name: ups("dummy"), desc: val("Test #1 \"quoted\" box") },
                UpsEntry { name: ups("nodesc"), desc: val("Description unavailable") },
            ]),
            "BEGIN LIST UPS\nUPS dummy \"Test \\#1 \\\"quoted\\\" box\"\nUPS nodesc \"Description unavailable\"\nEND LIST UPS\n",
        ),
        (ListReply::Ups(vec![]), "BEGIN LIST UPS\nEND LIST UPS\n"),
        (
            ListReply::Var {
                ups: ups("dummy"),
                vars: vec![
                    VarEntry { name: var("battery.charge"), value: val("100") },
                    VarEntry { name: var("ups.status"), value: val("FSD OL") },
                ],
            },
            "BEGIN LIST VAR dummy\nVAR dummy battery.charge \"100\"\nVAR dummy ups.status \"FSD OL\"\nEND LIST VAR dummy\n",
        ),
        (
            ListReply::Rw { ups: ups("dummy"), vars: vec![VarEntry { name: var("ups.mfr"), value: val("ACME") }] },
            "BEGIN LIST RW dummy\nRW dummy ups.mfr \"ACME\"\nEND LIST RW dummy\n",
        ),
        (
            ListReply::Cmd { ups: ups("dummy"), cmds: vec![cmd("load.off")] },
            "BEGIN LIST CMD dummy\nCMD dummy load.off\nEND LIST CMD dummy\n",
        ),
        (
            ListReply::Enum { ups: ups("dummy"), var: var("ups.status"), values: vec![] },
            "BEGIN LIST ENUM dummy ups.status\nEND LIST ENUM dummy ups.status\n",
        ),
        (
            ListReply::Enum { ups: ups("u"), var: var("input.transfer.low"), values: vec![val("103"), val("100")] },
            "BEGIN LIST ENUM u input.transfer.low\nENUM u input.transfer.low \"103\"\nENUM u input.transfer.low \"100\"\nEND LIST ENUM u input.transfer.low\n",
        ),
        (
            ListReply::Range {
                ups: ups("u"),
                var: var("input.transfer.low"),
                ranges: vec![RangeEntry { min: 90, max: 100 }, RangeEntry { min: -5, max: 105 }],
            },
            "BEGIN LIST RANGE u input.transfer.low\nRANGE u input.transfer.low \"90\" \"100\"\nRANGE u input.transfer.low \"-5\" \"105\"\nEND LIST RANGE u input.transfer.low\n",
        ),
        // Items carry the configured name, the frame the client's spelling.
        (
            ListReply::Client {
                ups: ups("DUMMY"),
                clients: vec![
                    ClientEntry { ups: ups("dummy"), addr: val("127.0.0.1") },
                    ClientEntry { ups: ups("dummy"), addr: val("::1") },
                ],
            },
            "BEGIN LIST CLIENT DUMMY\nCLIENT dummy 127.0.0.1\nCLIENT dummy ::1\nEND LIST CLIENT DUMMY\n",
        ),
    ];
    for (list, wire) in cases {
        response_round_trip(&Response::List(list), wire);
    }
}

#[test]
fn list_framing_errors() {
    let err = |wire: &[u8]| decode_all(wire).unwrap_err();
    assert!(matches!(
        err(b"CMD u load.off\n"),
        ResponseError::StrayItem { .. }
    ));
    assert!(matches!(
        err(b"ENUM u v \"1\"\n"),
        ResponseError::StrayItem { .. }
    ));
    assert!(matches!(
        err(b"END LIST VAR u\n"),
        ResponseError::StrayEnd { .. }
    ));
    assert!(matches!(
        err(b"BEGIN LIST VAR u\nEND LIST VAR v\n"),
        ResponseError::EndMismatch { .. }
    ));
    assert!(matches!(
        err(b"BEGIN LIST VAR u\nEND LIST RW u\n"),
        ResponseError::EndMismatch { .. }
    ));
    assert!(matches!(
        err(b"BEGIN LIST VAR u\nVAR other x \"1\"\n"),
        ResponseError::ItemMismatch { .. }
    ));
    assert!(matches!(
        err(b"BEGIN LIST VAR u\nRW u x \"1\"\n"),
        ResponseError::ItemMismatch { .. }
    ));
    assert!(matches!(
        err(b"BEGIN LIST ENUM u v\nENUM u w \"1\"\n"),
        ResponseError::ItemMismatch { .. }
    ));
    assert!(matches!(
        err(b"BEGIN LIST CLIENT u\nCLIENT v 127.0.0.1\n"),
        ResponseError::ItemMismatch { .. }
    ));
    assert!(matches!(
        err(b"BEGIN LIST VAR u\nBEGIN LIST VAR u\n"),
        ResponseError::UnexpectedInList { .. }
    ));
    assert!(matches!(
        err(b"BEGIN LIST VAR u\nERR DATA-STALE\n"),
        ResponseError::UnexpectedInList { .. }
    ));
    let msg = err(b"BEGIN LIST VAR u\nEND LIST VAR v\n").to_string();
    assert_eq!(msg, "\"END LIST VAR v\" does not close LIST VAR u");
    // END LIST matches ignoring case, as names do.
    assert_eq!(
        decode_all(b"BEGIN LIST VAR u\nend list var U\n")
            .unwrap()
            .len(),
        1
    );
    // A VAR line outside a list is the reply to GET VAR.
    assert_eq!(
        decode_all(b"VAR u v \"1\"\n").unwrap(),
        [Response::Var {
            ups: ups("u"),
            var: var("v"),
            value: val("1")
        }]
    );
}

#[test]
fn err_extra_words_are_capped_by_the_word_limit() {
    let extra: Vec<Value> = (0..40).map(|i| val(&format!("w{i}"))).collect();
    let wire = Response::Err {
        code: ErrorCode::DataStale,
        extra: extra.clone(),
    }
    .encode();
    match ReplyLine::decode(wire.as_bytes()).unwrap() {
        ReplyLine::Single(Response::Err { code, extra: got }) => {
            assert_eq!(code, ErrorCode::DataStale);
            assert_eq!(got, extra[..nut_proto::net::MAX_ERR_EXTRA]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_reply_lines() {
    let reason = |line: &[u8]| match ReplyLine::decode(line) {
        Err(ResponseError::Malformed { reason, .. }) => reason,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(line)),
    };
    assert_eq!(reason(b"OK WHATEVER"), "unknown OK reply");
    assert_eq!(reason(b"OK TRACKING"), "unknown OK reply");
    assert_eq!(reason(b"OK a b c"), "unknown OK reply");
    assert_eq!(reason(b"ERR"), "ERR without a code");
    assert_eq!(reason(b"VAR u v"), "wrong number of words");
    assert_eq!(reason(b"VAR u v \"x\" extra"), "wrong number of words");
    assert_eq!(reason(b"VAR \"a b\" v \"x\""), "invalid UPS name");
    assert_eq!(reason(b"NUMLOGINS u -1"), "login count is not a number");
    assert_eq!(
        reason(b"RANGE u v \"1.5\" \"2\""),
        "range bound is not an integer"
    );
    assert_eq!(reason(b"BEGIN VAR u"), "expected LIST after BEGIN or END");
    assert_eq!(reason(b"BEGIN LIST FOO"), "unknown list type");
    assert_eq!(reason(b"ON now"), "wrong number of words");
    assert_eq!(ReplyLine::decode(b"\n"), Err(ResponseError::Empty));
    // Keywords match in any case; the tail of OK as well.
    assert_eq!(
        ReplyLine::decode(b"ok goodbye").unwrap(),
        ReplyLine::Single(Response::OkGoodbye)
    );
    assert_eq!(
        ReplyLine::decode(b"OK\r\n").unwrap(),
        ReplyLine::Single(Response::Ok)
    );
    // Only the part before the first LF counts.
    assert_eq!(
        ReplyLine::decode(b"OK\nERR X").unwrap(),
        ReplyLine::Single(Response::Ok)
    );
    // An item line on its own.
    assert_eq!(
        ReplyLine::decode(b"RANGE u v \"1\" \"2\"").unwrap(),
        ReplyLine::Item(ListItem::Range {
            ups: ups("u"),
            var: var("v"),
            min: 1,
            max: 2
        })
    );
}

#[test]
fn reply_lines_encode_one_line_each() {
    let lines = [
        (
            ReplyLine::Begin(ListQuery::Enum {
                ups: ups("u"),
                var: var("v"),
            }),
            "BEGIN LIST ENUM u v\n",
        ),
        (
            ReplyLine::Item(ListItem::Ups {
                name: ups("u"),
                desc: val("d"),
            }),
            "UPS u \"d\"\n",
        ),
        (
            ReplyLine::Item(ListItem::Client {
                ups: ups("u"),
                addr: val("::1"),
            }),
            "CLIENT u ::1\n",
        ),
        (ReplyLine::End(ListQuery::Ups), "END LIST UPS\n"),
        (ReplyLine::Single(Response::Pending), "PENDING\n"),
    ];
    for (line, wire) in lines {
        assert_eq!(line.to_string(), wire);
        assert_eq!(ReplyLine::decode(wire.as_bytes()).unwrap(), line);
    }
}

#[cfg(feature = "codec")]
mod codec {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use nut_proto::net::codec::{ClientCodec, ClientCodecError, ServerCodec};
    use tokio::io::AsyncWriteExt;
    use tokio_util::codec::{Framed, FramedRead};

    /// A tiny server: answers every request line, including rejected ones, from a fixed table.
    async fn serve(io: tokio::io::DuplexStream) {
        let mut framed = Framed::new(io, ServerCodec::new());
        while let Some(line) = framed.next().await {
            let reply = match line.unwrap() {
                Err(_) => continue, // C upsd sends nothing for a rejected line
                Ok(line) => match Command::split(&line.words) {
                    Err(e) => e.to_response().unwrap(),
                    Ok((command, args)) => match Request::parse_args(command, args) {
                        Err(e) => e.to_response().unwrap(),
                        Ok(Request::Ver) => Response::Text(
                            Text::new(
                                "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/",
                            )
                            .unwrap(),
                        ),
                        Ok(Request::GetVar { ups, var }) => Response::Var {
                            ups,
                            var,
                            value: Value::new("OL").unwrap(),
                        },
                        Ok(Request::List(ListQuery::Var { ups })) => {
                            Response::List(ListReply::Var {
                                ups,
                                vars: (0..3)
                                    .map(|i| VarEntry {
                                        name: VarName::new(format!("v.{i}")).unwrap(),
                                        value: Value::new(i.to_string()).unwrap(),
                                    })
                                    .collect(),
                            })
                        }
                        Ok(Request::Logout) => {
                            framed.send(Response::OkGoodbye).await.unwrap();
                            return;
                        }
                        Ok(_) => Response::Ok,
                    },
                },
            };
            framed.send(&reply).await.unwrap();
        }
    }

    #[tokio::test]
    async fn client_and_server_codecs_talk_over_a_duplex_pipe() {
        let (client_io, server_io) = tokio::io::duplex(64);
        let server = tokio::spawn(serve(server_io));
        let mut client = Framed::new(client_io, ClientCodec::new());

        client.send(&Request::Ver).await.unwrap();
        assert!(
            matches!(client.next().await.unwrap().unwrap(), Response::Text(t) if t.as_str().starts_with("Network UPS Tools"))
        );

        client
            .send(Request::GetVar {
                ups: ups("MyUps"),
                var: var("UPS.status"),
            })
            .await
            .unwrap();
        let reply = client.next().await.unwrap().unwrap();
        assert_eq!(reply.encode(), "VAR MyUps UPS.status \"OL\"\n");

        // Pipelined: three requests, then three replies in order; the list is one reply.
        client
            .feed(Request::List(ListQuery::Var { ups: ups("u") }))
            .await
            .unwrap();
        client.feed(Request::Help).await.unwrap();
        client
            .feed(Request::SetTracking { enable: true })
            .await
            .unwrap();
        SinkExt::<Request>::flush(&mut client).await.unwrap();
        match client.next().await.unwrap().unwrap() {
            Response::List(ListReply::Var { vars, .. }) => assert_eq!(vars.len(), 3),
            other => panic!("{other:?}"),
        }
        assert_eq!(client.next().await.unwrap().unwrap(), Response::Ok);
        assert_eq!(client.next().await.unwrap().unwrap(), Response::Ok);

        client.send(Request::Logout).await.unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), Response::OkGoodbye);
        assert!(client.next().await.is_none());
        server.await.unwrap();
    }

    #[tokio::test]
    async fn server_codec_reports_bad_lines_as_data() {
        let (mut client_io, server_io) = tokio::io::duplex(1024);
        let limits = nut_proto::tokenizer::Limits::c_compatible().with_max_line_len(32);
        let mut server = FramedRead::new(server_io, ServerCodec::with_limits(limits));
        client_io
            .write_all(b"GET VAR u \"a#b\"\n\nget var u v\nLIST VAR xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nVER\nPARTIAL")
            .await
            .unwrap();
        drop(client_io);
        let mut items = Vec::new();
        while let Some(item) = server.next().await {
            items.push(item.unwrap());
        }
        assert_eq!(items.len(), 5);
        assert!(items[0].is_err());
        assert_eq!(items[1].as_ref().unwrap().words, Vec::<String>::new());
        assert_eq!(items[2].as_ref().unwrap().words, ["get", "var", "u", "v"]);
        assert!(matches!(
            items[3],
            Err(nut_proto::tokenizer::TokenizeError::LineTooLong { limit: 32, .. })
        ));
        assert_eq!(items[4].as_ref().unwrap().words, ["VER"]);
    }

    #[tokio::test]
    async fn client_codec_rejects_broken_servers() {
        for (wire, expect_eof) in [
            (&b"BEGIN LIST VAR u\nVAR u v \"1\"\n"[..], true),
            (b"OK\nCMD u x\n", false),
            (b"OK\nPARTIAL", true),
        ] {
            let (client_io, mut server_io) = tokio::io::duplex(1024);
            server_io.write_all(wire).await.unwrap();
            drop(server_io);
            let mut client = FramedRead::new(client_io, ClientCodec::new());
            let mut last = None;
            while let Some(item) = client.next().await {
                last = Some(item);
            }
            match last {
                Some(Err(ClientCodecError::Io(e))) if expect_eof => {
                    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof)
                }
                Some(Err(ClientCodecError::Response(ResponseError::StrayItem { .. })))
                    if !expect_eof => {}
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(wire)),
            }
        }
    }
}
