//! Driver socket protocol, `ups.status` words and the cmdvartab loader: known answers,
//! recordings of real C NUT 2.8.0 sessions, and round trips.

use nut_proto::cmdvartab::{self, Cmdvartab, DESCRIPTION_UNAVAILABLE};
use nut_proto::names::{CmdName, Value, VarName};
use nut_proto::sock::{
    DecodeError, DriverMessage, Flag, Flags, ParseError, ServerMessage, TrackingId, TrackingStatus,
};
use nut_proto::status::{Status, StatusWord};

fn var(s: &str) -> VarName {
    VarName::new(s).unwrap()
}

fn cmd(s: &str) -> CmdName {
    CmdName::new(s).unwrap()
}

fn value(s: &str) -> Value {
    Value::new(s).unwrap()
}

fn id(s: &str) -> TrackingId {
    TrackingId::new(s).unwrap()
}

/// Parses `line`, checks it re-encodes to exactly `line`, and returns the message.
fn driver_exact(line: &str) -> DriverMessage {
    let msg =
        DriverMessage::parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(msg.to_string(), line, "re-encoding {line:?}");
    assert_eq!(msg.to_line(), format!("{line}\n"));
    msg
}

fn server_exact(line: &str) -> ServerMessage {
    let msg =
        ServerMessage::parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(msg.to_string(), line, "re-encoding {line:?}");
    msg
}

fn driver_err(line: &str) -> ParseError {
    match DriverMessage::parse_line(line.as_bytes()) {
        Err(DecodeError::Parse { error, .. }) => error,
        other => panic!("{line:?}: expected a parse error, got {other:?}"),
    }
}

fn server_err(line: &str) -> ParseError {
    match ServerMessage::parse_line(line.as_bytes()) {
        Err(DecodeError::Parse { error, .. }) => error,
        other => panic!("{line:?}: expected a parse error, got {other:?}"),
    }
}

// Our own recording: `DUMPALL` sent by hand (python, one connection) to C dummy-ups 2.8.0 on
// a .dev file, 2025-11. The device file had `ups.id: hash\#tag`, quotes in ups.mfr (dropped
// by dummy-ups' own file parser), a backslash and `=` in ups.model.
const DUMMY_UPS_DUMP: &str = "\
SETINFO ALARM \"Replace battery!\"
SETAUX ALARM 32
SETFLAGS ALARM RW STRING
SETINFO battery.charge \"100\"
SETFLAGS battery.charge RW
SETINFO device.mfr \"Dummy Quoted Maker\"
SETINFO device.model \"Backslash = equals\"
SETINFO device.type \"ups\"
SETINFO driver.name \"dummy-ups\"
SETINFO driver.parameter.mode \"dummy-once\"
SETINFO driver.parameter.pollinterval \"2\"
SETINFO driver.parameter.port \"/tmp/sockref/etc/dummy.dev\"
SETINFO driver.parameter.synchronous \"auto\"
SETINFO driver.version \"2.8.0\"
SETINFO driver.version.internal \"0.15\"
SETINFO input.voltage \"230.0\"
SETFLAGS input.voltage RW
SETINFO ups.id \"hash\\#tag\"
SETAUX ups.id 16
SETFLAGS ups.id RW STRING
SETINFO ups.mfr \"Dummy Quoted Maker\"
SETAUX ups.mfr 32
SETFLAGS ups.mfr RW STRING
SETINFO ups.model \"Backslash = equals\"
SETAUX ups.model 32
SETFLAGS ups.model RW STRING
SETINFO ups.status \"OL CHRG\"
SETAUX ups.status 32
SETFLAGS ups.status RW STRING
ADDCMD load.off
DATAOK
DUMPDONE
";

// Our own recording: `DUMPALL` to C nutdrv_qx 2.8.0 (protocol megatec) talking to a fake Q1
// device on a pseudo-terminal: real ADDRANGE lines and NUMBER flags.
const NUTDRV_QX_DUMP: &str = "\
SETINFO battery.charge \"100\"
SETINFO battery.voltage \"13.50\"
SETINFO battery.voltage.high \"13.00\"
SETINFO battery.voltage.low \"10.40\"
SETINFO battery.voltage.nominal \"12.0\"
SETINFO device.type \"ups\"
SETINFO driver.flag.novendor \"enabled\"
SETINFO driver.name \"nutdrv_qx\"
SETINFO driver.parameter.pollfreq \"30\"
SETINFO driver.parameter.pollinterval \"2\"
SETINFO driver.parameter.port \"/dev/pts/0\"
SETINFO driver.parameter.protocol \"megatec\"
SETINFO driver.parameter.synchronous \"auto\"
SETINFO driver.version \"2.8.0\"
SETINFO driver.version.data \"Megatec 0.06\"
SETINFO driver.version.internal \"0.32\"
SETINFO driver.version.usb \"libusb-1.0.26 (API: 0x1000109)\"
SETINFO input.current.nominal \"4.0\"
SETINFO input.frequency \"50.0\"
SETINFO input.frequency.nominal \"50\"
SETINFO input.voltage \"230.0\"
SETINFO input.voltage.fault \"230.0\"
SETINFO input.voltage.nominal \"230\"
SETINFO output.voltage \"229.0\"
SETINFO ups.beeper.status \"enabled\"
SETINFO ups.delay.shutdown \"30\"
ADDRANGE ups.delay.shutdown 12 600
SETFLAGS ups.delay.shutdown RW NUMBER
SETINFO ups.delay.start \"180\"
ADDRANGE ups.delay.start 0 599940
SETFLAGS ups.delay.start RW NUMBER
SETINFO ups.load \"21\"
SETINFO ups.status \"OL\"
SETINFO ups.temperature \"25.0\"
SETINFO ups.type \"offline / line interactive\"
ADDCMD beeper.toggle
ADDCMD load.off
ADDCMD load.on
ADDCMD shutdown.return
ADDCMD shutdown.stayoff
ADDCMD shutdown.stop
ADDCMD test.battery.start
ADDCMD test.battery.start.deep
ADDCMD test.battery.start.quick
ADDCMD test.battery.stop
DATAOK
DUMPDONE
";

#[test]
fn real_dumps_parse_and_re_encode_byte_for_byte() {
    for dump in [DUMMY_UPS_DUMP, NUTDRV_QX_DUMP] {
        let msgs: Vec<_> = dump.lines().map(driver_exact).collect();
        assert_eq!(msgs.last(), Some(&DriverMessage::DumpDone));
        let again: String = msgs.iter().map(DriverMessage::to_line).collect();
        assert_eq!(again, dump);
    }
    let msg = driver_exact("SETINFO ups.id \"hash\\#tag\"");
    assert_eq!(
        msg,
        DriverMessage::SetInfo {
            var: var("ups.id"),
            value: value("hash#tag")
        }
    );
    assert_eq!(
        driver_exact("ADDRANGE ups.delay.start 0 599940"),
        DriverMessage::AddRange {
            var: var("ups.delay.start"),
            min: 0,
            max: 599_940
        }
    );
    assert_eq!(
        driver_exact("SETFLAGS ups.delay.start RW NUMBER"),
        DriverMessage::SetFlags {
            var: var("ups.delay.start"),
            flags: Flags::new(true, false, true)
        }
    );
}

#[cfg(feature = "codec")]
#[test]
fn real_dump_through_the_codec_in_any_chunks() {
    use bytes::BytesMut;
    use nut_proto::sock::ServerCodec;
    use tokio_util::codec::Decoder;

    let expected: Vec<_> = NUTDRV_QX_DUMP
        .lines()
        .map(|l| DriverMessage::parse_line(l.as_bytes()).unwrap())
        .collect();
    for chunk in [1, 2, 7, 64, 4096] {
        let mut codec = ServerCodec::new();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for piece in NUTDRV_QX_DUMP.as_bytes().chunks(chunk) {
            buf.extend_from_slice(piece);
            while let Some(item) = codec.decode(&mut buf).unwrap() {
                got.push(item.unwrap());
            }
        }
        assert_eq!(got, expected, "chunk size {chunk}");
    }
}

#[cfg(feature = "codec")]
#[tokio::test]
async fn codecs_talk_to_each_other_through_async_io() {
    use futures_util::SinkExt;
    use nut_proto::sock::{DriverCodec, ServerCodec};
    use tokio_util::codec::{FramedRead, FramedWrite};

    // The upsd end writes requests; the driver end reads them.
    let requests = vec![
        ServerMessage::DumpAll,
        ServerMessage::Set {
            var: var("ups.id"),
            value: value("a \"b\" #c"),
            tracking: Some(id("T-1")),
        },
    ];
    let mut to_driver = FramedWrite::new(Vec::new(), ServerCodec::new());
    for request in &requests {
        to_driver.send(request).await.unwrap();
    }
    let wire = to_driver.into_inner();
    assert_eq!(
        String::from_utf8(wire.clone()).unwrap(),
        "DUMPALL\nSET ups.id \"a \\\"b\\\" \\#c\" TRACKING T-1\n"
    );
    let mut from_upsd = FramedRead::new(wire.as_slice(), DriverCodec::new());
    let mut got = Vec::new();
    while let Some(item) = futures_next(&mut from_upsd).await {
        got.push(item.unwrap());
    }
    assert_eq!(got, requests);

    // The driver end answers; the upsd end reads, and a bad line does not stop it.
    let mut to_upsd = FramedWrite::new(Vec::new(), DriverCodec::new());
    to_upsd.send(DriverMessage::Pong).await.unwrap();
    let mut wire = to_upsd.into_inner();
    wire.extend_from_slice(b"NONSENSE\nTRACKING T-1 0\nDATAOK");
    let mut from_driver = FramedRead::new(wire.as_slice(), ServerCodec::new());
    assert_eq!(
        futures_next(&mut from_driver).await.unwrap().unwrap(),
        DriverMessage::Pong
    );
    assert!(matches!(
        futures_next(&mut from_driver).await.unwrap(),
        Err(DecodeError::Parse {
            line_no: 2,
            error: ParseError::UnknownCommand { .. }
        })
    ));
    assert_eq!(
        futures_next(&mut from_driver).await.unwrap().unwrap(),
        DriverMessage::Tracking {
            id: id("t-1"),
            status: TrackingStatus::Handled
        }
    );
    // The last line has no line feed: dropped at the end of the stream.
    assert!(futures_next(&mut from_driver).await.is_none());
}

/// `StreamExt::next` without pulling in futures' stream utilities.
#[cfg(feature = "codec")]
async fn futures_next<S: futures_util::Stream<Item = std::io::Result<T>> + Unpin, T>(
    stream: &mut S,
) -> Option<T> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx))
        .await
        .map(Result::unwrap)
}

#[test]
fn recorded_c_upsd_requests() {
    // Our own recording of what C upsd 2.8.0 wrote to a fake driver socket, prompted by
    // upscmd, upsrw and a hand-typed network session.
    assert_eq!(server_exact("DUMPALL"), ServerMessage::DumpAll);
    assert_eq!(server_exact("PING"), ServerMessage::Ping);
    assert_eq!(
        server_exact("INSTCMD load.off"),
        ServerMessage::InstCmd {
            cmd: cmd("load.off"),
            param: None,
            tracking: None
        }
    );
    assert_eq!(
        server_exact("INSTCMD test.battery.start TRACKING 2DDC5036-F665-4D29-BE4C-0374D091D263"),
        ServerMessage::InstCmd {
            cmd: cmd("test.battery.start"),
            param: None,
            tracking: Some(id("2ddc5036-f665-4d29-be4c-0374d091d263"))
        }
    );
    assert_eq!(
        server_exact("INSTCMD test.battery.start 10"),
        ServerMessage::InstCmd {
            cmd: cmd("test.battery.start"),
            param: Some(value("10")),
            tracking: None
        }
    );
    assert_eq!(
        server_exact("INSTCMD load.off 5 TRACKING 59DF2263-3F15-4601-8786-9C36E1900437"),
        ServerMessage::InstCmd {
            cmd: cmd("load.off"),
            param: Some(value("5")),
            tracking: Some(id("59DF2263-3F15-4601-8786-9C36E1900437"))
        }
    );
    assert_eq!(
        server_exact(r#"SET ups.id "q\"uo\\te \#h""#),
        ServerMessage::Set {
            var: var("ups.id"),
            value: value(r#"q"uo\te #h"#),
            tracking: None
        }
    );
    assert_eq!(
        server_exact(r#"SET ups.id "plain" TRACKING 98C489FD-821C-4132-9D93-4F6590B55E63"#),
        ServerMessage::Set {
            var: var("ups.id"),
            value: value("plain"),
            tracking: Some(id("98C489FD-821C-4132-9D93-4F6590B55E63"))
        }
    );
    // C upsd wrote the parameter `a b"c\d=e` bare: a C driver splits it and rejects the line
    // ("Malformed INSTCMD request"); so do we. We write it quoted instead.
    assert!(matches!(
        server_err(r#"INSTCMD test.battery.start a b\"c\\d=e"#),
        ParseError::Malformed {
            command: "INSTCMD",
            ..
        }
    ));
    let fixed = ServerMessage::InstCmd {
        cmd: cmd("test.battery.start"),
        param: Some(value(r#"a b"c\d=e"#)),
        tracking: None,
    };
    assert_eq!(
        fixed.to_string(),
        r#"INSTCMD test.battery.start "a b\"c\\d=e""#
    );
    assert_eq!(server_exact(&fixed.to_string()), fixed);
}

#[test]
fn recorded_c_driver_answers() {
    // Our recording of C dummy-ups and nutdrv_qx 2.8.0 answering tracked requests.
    for (line, code) in [
        ("TRACKING 1bd31808-cb49-4aec-9d75-d056e6f018d2 0", 0),
        ("TRACKING abc-1 1", 1),
        ("TRACKING x5 2", 2),
        ("TRACKING x4 3", 3),
    ] {
        let DriverMessage::Tracking { status, .. } = driver_exact(line) else {
            panic!("{line}");
        };
        assert_eq!(status.code(), code);
    }
    assert_eq!(driver_exact("PONG"), DriverMessage::Pong);
    // A change broadcast by C dummy-ups after `SET ups.id "a\"b\" \\c \#d = e"`: written
    // unescaped, so it arrives cut short (C upsd reads the same).
    assert_eq!(
        DriverMessage::parse_line(br#"SETINFO ups.id "a"b" \c #d = e""#).unwrap(),
        DriverMessage::SetInfo {
            var: var("ups.id"),
            value: value("a")
        }
    );
}

#[test]
fn known_answers_driver_to_server() {
    let table: Vec<(&str, DriverMessage)> = vec![
        (
            "SETINFO ups.status \"OB LB\"",
            DriverMessage::SetInfo {
                var: var("ups.status"),
                value: value("OB LB"),
            },
        ),
        (
            "SETINFO ups.id \"say \\\"hi\\\" a=b \\\\ \\#1\"",
            DriverMessage::SetInfo {
                var: var("ups.id"),
                value: value("say \"hi\" a=b \\ #1"),
            },
        ),
        (
            "SETINFO ups.id \"\"",
            DriverMessage::SetInfo {
                var: var("ups.id"),
                value: value(""),
            },
        ),
        (
            "DELINFO ups.temperature",
            DriverMessage::DelInfo {
                var: var("ups.temperature"),
            },
        ),
        (
            "ADDENUM input.transfer.low \"95\"",
            DriverMessage::AddEnum {
                var: var("input.transfer.low"),
                value: value("95"),
            },
        ),
        (
            "DELENUM input.transfer.low \"98\"",
            DriverMessage::DelEnum {
                var: var("input.transfer.low"),
                value: value("98"),
            },
        ),
        (
            "ADDRANGE input.transfer.low 95 100",
            DriverMessage::AddRange {
                var: var("input.transfer.low"),
                min: 95,
                max: 100,
            },
        ),
        (
            "DELRANGE input.transfer.low -5 -1",
            DriverMessage::DelRange {
                var: var("input.transfer.low"),
                min: -5,
                max: -1,
            },
        ),
        (
            "SETAUX ups.id 8",
            DriverMessage::SetAux {
                var: var("ups.id"),
                aux: 8,
            },
        ),
        (
            "SETFLAGS ups.id RW STRING",
            DriverMessage::SetFlags {
                var: var("ups.id"),
                flags: Flags::new(true, true, false),
            },
        ),
        (
            "SETFLAGS ups.id",
            DriverMessage::SetFlags {
                var: var("ups.id"),
                flags: Flags::empty(),
            },
        ),
        (
            "SETFLAGS x NUMBER IMMUTABLE \"odd flag\"",
            DriverMessage::SetFlags {
                var: var("x"),
                flags: vec![
                    Flag::Number,
                    Flag::Other(value("IMMUTABLE")),
                    Flag::Other(value("odd flag")),
                ]
                .into(),
            },
        ),
        (
            "ADDCMD load.off",
            DriverMessage::AddCmd {
                cmd: cmd("load.off"),
            },
        ),
        (
            "DELCMD load.on",
            DriverMessage::DelCmd {
                cmd: cmd("load.on"),
            },
        ),
        ("DUMPDONE", DriverMessage::DumpDone),
        ("DATAOK", DriverMessage::DataOk),
        ("DATASTALE", DriverMessage::DataStale),
        ("PONG", DriverMessage::Pong),
        (
            "PID 12345",
            DriverMessage::Pid {
                pid: value("12345"),
            },
        ),
        (
            "PID \"StrangeOS process identifier\"",
            DriverMessage::Pid {
                pid: value("StrangeOS process identifier"),
            },
        ),
        (
            "TRACKING 1bd31808-cb49 4",
            DriverMessage::Tracking {
                id: id("1bd31808-cb49"),
                status: TrackingStatus::ConversionFailed,
            },
        ),
        (
            "TRACKING x -1",
            DriverMessage::Tracking {
                id: id("x"),
                status: TrackingStatus::Other(-1),
            },
        ),
        ("OK Goodbye", DriverMessage::Goodbye),
    ];
    for (line, expected) in table {
        let msg = driver_exact(line);
        assert_eq!(msg, expected, "{line}");
        assert_eq!(expected.to_string(), line);
        assert!(line.starts_with(expected.keyword()));
    }
}

#[test]
fn known_answers_server_to_driver() {
    let table: Vec<(&str, ServerMessage)> = vec![
        ("DUMPALL", ServerMessage::DumpAll),
        ("PING", ServerMessage::Ping),
        (
            "INSTCMD panel.test.start",
            ServerMessage::InstCmd {
                cmd: cmd("panel.test.start"),
                param: None,
                tracking: None,
            },
        ),
        (
            "INSTCMD load.on 10 TRACKING 1bd31808-cb49-4aec-9d75-d056e6f018d2",
            ServerMessage::InstCmd {
                cmd: cmd("load.on"),
                param: Some(value("10")),
                tracking: Some(id("1bd31808-cb49-4aec-9d75-d056e6f018d2")),
            },
        ),
        (
            "SET ups.id \"Data room\"",
            ServerMessage::Set {
                var: var("ups.id"),
                value: value("Data room"),
                tracking: None,
            },
        ),
        (
            "SET ups.id \"a=b\" TRACKING 2dedb58a-3b91-4fab-831f-c8af4b90760a",
            ServerMessage::Set {
                var: var("ups.id"),
                value: value("a=b"),
                tracking: Some(id("2dedb58a-3b91-4fab-831f-c8af4b90760a")),
            },
        ),
        ("LOGOUT", ServerMessage::Logout),
        ("GETPID", ServerMessage::GetPid),
        (
            "DUMPVALUE driver.version",
            ServerMessage::DumpValue {
                var: var("driver.version"),
            },
        ),
        ("DUMPSTATUS", ServerMessage::DumpStatus),
        ("NOBROADCAST", ServerMessage::NoBroadcast),
        ("BROADCAST", ServerMessage::Broadcast { level: None }),
        ("BROADCAST 0", ServerMessage::Broadcast { level: Some(0) }),
    ];
    for (line, expected) in table {
        let msg = server_exact(line);
        assert_eq!(msg, expected, "{line}");
        assert!(line.starts_with(expected.keyword()));
    }
}

#[test]
fn case_is_kept_in_names_and_ignored_in_keywords() {
    let msg = DriverMessage::parse_line(b"setInfo UPS.Status \"OL\"").unwrap();
    assert_eq!(msg.to_string(), "SETINFO UPS.Status \"OL\"");
    assert_eq!(
        msg,
        DriverMessage::SetInfo {
            var: var("ups.status"),
            value: value("OL")
        }
    );
    // Values are not names: their case matters.
    assert_ne!(
        msg,
        DriverMessage::SetInfo {
            var: var("ups.status"),
            value: value("ol")
        }
    );
    let msg = ServerMessage::parse_line(b"instcmd Load.Off tracking Ab-1").unwrap();
    assert_eq!(msg.to_string(), "INSTCMD Load.Off TRACKING Ab-1");
    assert_eq!(msg.tracking().map(TrackingId::as_str), Some("Ab-1"));
}

#[test]
fn quirks_of_the_wire() {
    // `=` is a word of its own outside quotes, so a bare a=b value is three words: SETINFO
    // takes the first and ignores the rest, as C does.
    assert_eq!(
        DriverMessage::parse_line(b"SETINFO v a=b").unwrap(),
        DriverMessage::SetInfo {
            var: var("v"),
            value: value("a")
        }
    );
    // Unquoted values are fine when they are one word; we always write them quoted.
    let msg = DriverMessage::parse_line(b"SETINFO v 100\r\n").unwrap();
    assert_eq!(msg.to_string(), "SETINFO v \"100\"");
    // Escapes outside quotes.
    assert_eq!(
        DriverMessage::parse_line(br"ADDENUM v two\ words").unwrap(),
        DriverMessage::AddEnum {
            var: var("v"),
            value: value("two words")
        }
    );
    // A comment ends the line.
    assert_eq!(
        DriverMessage::parse_line(b"DATAOK # fine").unwrap(),
        DriverMessage::DataOk
    );
    // An unescaped # in quotes is a tokenizer error, reported as such.
    assert!(matches!(
        DriverMessage::parse_line(b"SETINFO v \"a#b\""),
        Err(DecodeError::Tokenize(_))
    ));
    // Numbers are strict (C's atoi would read these as 0 or 12).
    assert!(matches!(
        driver_err("ADDRANGE v x 10"),
        ParseError::BadNumber {
            argument: "min",
            ..
        }
    ));
    assert!(matches!(
        driver_err("ADDRANGE v 1 12abc"),
        ParseError::BadNumber {
            argument: "max",
            ..
        }
    ));
    assert!(matches!(
        driver_err("ADDRANGE v 1 99999999999"),
        ParseError::BadNumber {
            argument: "max",
            ..
        }
    ));
    // Requests are not answers and the other way round.
    assert!(matches!(
        driver_err("PING"),
        ParseError::UnknownCommand { .. }
    ));
    assert!(matches!(
        server_err("PONG"),
        ParseError::UnknownCommand { .. }
    ));
    // Error messages name the command.
    assert_eq!(
        driver_err("SETAUX v").to_string(),
        "SETAUX needs 2 argument(s), got 1"
    );
    assert_eq!(
        server_err("BROADCAST on").to_string(),
        "BROADCAST: level \"on\" is not a decimal number"
    );
    let err = DriverMessage::parse_line(b"\nFOO").unwrap_err();
    assert_eq!(err.to_string(), "line 1: empty line");
}

/// Messages built by hand, with awkward values, encode to one line and decode back equal,
/// and the text is stable (names keep their case).
#[test]
fn round_trips_of_awkward_values() {
    let awkward = [
        "",
        " ",
        "\"",
        "\\",
        "#",
        "=",
        "a=b",
        "TRACKING",
        "  lead and trail  ",
        "\x7f",
        "q\"uo\\te #h=",
    ];
    for text in awkward {
        let msgs = [
            DriverMessage::SetInfo {
                var: var("Ups.Id"),
                value: value(text),
            },
            DriverMessage::AddEnum {
                var: var("v"),
                value: value(text),
            },
            DriverMessage::DelEnum {
                var: var("v"),
                value: value(text),
            },
            DriverMessage::Pid { pid: value(text) },
            DriverMessage::SetFlags {
                var: var("v"),
                flags: Flags::from_iter([Flag::parse(value(text)), Flag::Rw]),
            },
        ];
        for msg in msgs {
            let line = msg.to_line();
            let back = DriverMessage::parse_line(line.as_bytes()).unwrap();
            assert_eq!(back, msg, "{line:?}");
            assert_eq!(back.to_line(), line);
        }
        for tracking in [None, Some(id("T"))] {
            let msgs = [
                ServerMessage::InstCmd {
                    cmd: cmd("Cmd.X"),
                    param: Some(value(text)),
                    tracking: tracking.clone(),
                },
                ServerMessage::Set {
                    var: var("v"),
                    value: value(text),
                    tracking: tracking.clone(),
                },
            ];
            for msg in msgs {
                let line = msg.to_line();
                let back = ServerMessage::parse_line(line.as_bytes()).unwrap();
                assert_eq!(back, msg, "{line:?}");
                assert_eq!(back.to_line(), line);
            }
        }
    }
    for n in [i64::MIN, -1, 0, i64::MAX] {
        let msg = DriverMessage::SetAux {
            var: var("v"),
            aux: n,
        };
        assert_eq!(
            DriverMessage::parse_line(msg.to_line().as_bytes()).unwrap(),
            msg
        );
    }
    for (min, max) in [(i32::MIN, i32::MAX), (0, 0)] {
        let msg = DriverMessage::AddRange {
            var: var("v"),
            min,
            max,
        };
        assert_eq!(
            DriverMessage::parse_line(msg.to_line().as_bytes()).unwrap(),
            msg
        );
    }
}

/// Random messages (from a fixed seed) round-trip: value → encode → decode == value, and the
/// text is the same again.
#[cfg(feature = "arbitrary")]
#[test]
fn arbitrary_messages_round_trip() {
    use arbitrary::{Arbitrary, Unstructured};

    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut bytes = vec![0u8; 4096];
    let (mut driver, mut server) = (0, 0);
    for _ in 0..300 {
        for b in bytes.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        let mut u = Unstructured::new(&bytes);
        while let Ok(msg) = DriverMessage::arbitrary(&mut u) {
            let line = msg.to_line();
            let back = DriverMessage::parse_line(line.as_bytes()).unwrap();
            assert_eq!(back, msg, "{line:?}");
            assert_eq!(back.to_line(), line);
            driver += 1;
            if u.is_empty() {
                break;
            }
            let Ok(msg) = ServerMessage::arbitrary(&mut u) else {
                break;
            };
            let line = msg.to_line();
            let back = ServerMessage::parse_line(line.as_bytes()).unwrap();
            assert_eq!(back, msg, "{line:?}");
            assert_eq!(back.to_line(), line);
            server += 1;
            let Ok(status) = Status::arbitrary(&mut u) else {
                break;
            };
            assert_eq!(Status::parse(&status.to_string()), status);
        }
    }
    assert!(driver > 1000 && server > 1000, "{driver} {server}");
}

#[test]
fn status_values_from_drivers() {
    let status = Status::parse("OL CHRG");
    assert_eq!(status.words(), [StatusWord::Ol, StatusWord::Chrg]);
    assert!(status.is_online() && !status.is_on_battery());
    let mut status = Status::parse("ALARM OB DISCHRG LB");
    assert!(status.is_low_battery());
    // upsd's FSD latch puts FSD in front.
    status.insert_first(StatusWord::Fsd);
    assert_eq!(status.to_string(), "FSD ALARM OB DISCHRG LB");
    let status = Status::parse("OL COMMFAULT eco");
    assert_eq!(
        status.words(),
        [
            StatusWord::Ol,
            StatusWord::Other("COMMFAULT".into()),
            StatusWord::Eco
        ]
    );
    assert_eq!(status.to_string(), "OL COMMFAULT ECO");
}

#[test]
fn cmdvartab_inline_sample() {
    let text = b"\
# descriptions (our own sample text)
VARDESC ups.status \"What the unit is doing\"
VARDESC ups.load \"How hard it works (percent)\"
CMDDESC load.off \"Cut the output now\"
VARDESC ups.status \"Replaced later\"
CMDDESC \"test.battery.start\" \"Begin a battery check\"
NOTE ups.status \"ignored keyword\"
VARDESC lonely
";
    let (table, errors) = Cmdvartab::parse(text);
    assert!(errors.is_empty());
    assert_eq!(table.var_desc("ups.status"), Some("Replaced later"));
    assert_eq!(
        table.var_desc_or_default("UPS.LOAD"),
        "How hard it works (percent)"
    );
    assert_eq!(
        table.cmd_desc("test.battery.start"),
        Some("Begin a battery check")
    );
    assert_eq!(table.var_desc_or_default("lonely"), DESCRIPTION_UNAVAILABLE);
    assert_eq!((table.var_count(), table.cmd_count()), (2, 2));
}

/// The cmdvartab that NUT installs. Must exist when `NUT_RS_INTEROP=1`; skipped otherwise.
/// (Its text is not repeated here: the test checks the loader against a plain scan of the
/// file instead.)
#[test]
fn cmdvartab_installed_file() {
    let path = cmdvartab::file_path(std::path::Path::new(cmdvartab::DEFAULT_DATA_DIR));
    let interop = std::env::var_os("NUT_RS_INTEROP").is_some_and(|v| v == "1");
    let (table, errors) = match Cmdvartab::load(&path) {
        Ok(loaded) => loaded,
        Err(e) if !interop && e.is_not_found() => {
            eprintln!(
                "note: {} not installed; skipping (set NUT_RS_INTEROP=1 to require it)",
                path.display()
            );
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert!(errors.is_empty(), "{errors:?}");
    // Every `VARDESC name "..."` / `CMDDESC name "..."` line has a description under its
    // name, in any case, and the counts agree with the distinct names in the file.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut vars = std::collections::HashSet::new();
    let mut cmds = std::collections::HashSet::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(keyword), Some(name)) = (words.next(), words.next()) else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        match keyword {
            "VARDESC" => {
                let desc = table.var_desc(&name.to_ascii_uppercase()).unwrap();
                assert!(
                    !desc.is_empty() && desc != DESCRIPTION_UNAVAILABLE,
                    "{name}"
                );
                assert!(line.contains(desc), "{line}");
                vars.insert(name);
            }
            "CMDDESC" => {
                let desc = table.cmd_desc(&name).unwrap();
                assert!(line.contains(desc), "{line}");
                cmds.insert(name);
            }
            _ => {}
        }
    }
    assert_eq!(table.var_count(), vars.len());
    assert_eq!(table.cmd_count(), cmds.len());
    assert!(
        vars.len() > 100 && cmds.len() > 30,
        "{} {}",
        vars.len(),
        cmds.len()
    );
    for name in ["ups.status", "battery.charge", "input.voltage"] {
        assert!(table.var_desc(name).is_some(), "{name}");
    }
    assert!(table.cmd_desc("load.off").is_some());
    assert_eq!(
        table.var_desc_or_default("no.such.var"),
        DESCRIPTION_UNAVAILABLE
    );
}
