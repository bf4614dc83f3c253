//! The monitor against in-memory stand-ins for upsd, on tokio's paused clock.

use std::sync::{Arc, Mutex};

use nut_proto::config::NotifyEvent;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::*;

/// What the stand-in heard and what it answers.
#[derive(Debug, Default)]
struct Upsd {
    /// The statuses to report, one per poll; the last one stays.
    statuses: Vec<&'static str>,
    polls: usize,
    /// Every line received, in order.
    heard: Vec<String>,
    /// Refuse connections.
    down: bool,
    logins: u64,
}

fn stand_in(upsd: Arc<Mutex<Upsd>>) -> Connector {
    Connector::new(move |_host, _port| {
        let upsd = upsd.clone();
        async move {
            if upsd.lock().unwrap().down {
                return Err(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
            }
            let (near, far) = tokio::io::duplex(4096);
            tokio::spawn(async move {
                let (read, mut write) = tokio::io::split(far);
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply = {
                        let mut u = upsd.lock().unwrap();
                        u.heard.push(line.clone());
                        match line.split(' ').collect::<Vec<_>>()[..] {
                            ["STARTTLS"] => "ERR FEATURE-NOT-CONFIGURED\n".to_owned(),
                            ["GET", "VAR", ups, "ups.status"] => {
                                let i = u.polls.min(u.statuses.len() - 1);
                                u.polls += 1;
                                format!("VAR {ups} ups.status \"{}\"\n", u.statuses[i])
                            }
                            ["GET", "VAR", ups, "battery.charge"] => {
                                format!("VAR {ups} battery.charge \"25\"\n")
                            }
                            ["GET", "VAR", ups, "battery.runtime"] => {
                                format!("VAR {ups} battery.runtime \"600\"\n")
                            }
                            ["FSD", _] => "OK FSD-SET\n".to_owned(),
                            ["GET", "NUMLOGINS", ups] => format!("NUMLOGINS {ups} {}\n", u.logins),
                            _ => "OK\n".to_owned(),
                        }
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
            Ok(near)
        }
    })
}

fn conf(text: &str) -> UpsmonConf {
    UpsmonConf::parse(text.as_bytes(), "upsmon.conf")
        .unwrap()
        .config
}

/// Runs `monitor` until it stops, as `EVENT` strings (and `setfsd`, `wall`, `shutdown`).
async fn run(monitor: &mut Monitor) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(action) = monitor.next_action().await {
        out.push(match action {
            Action::Notify(n) => n.event.to_string(),
            Action::Wall(_) => "wall".into(),
            Action::SetFsd(i) => format!("setfsd {i}"),
            Action::Shutdown => "shutdown".into(),
        });
    }
    out
}

#[tokio::test(start_paused = true)]
async fn primary_sets_fsd_waits_for_secondaries_and_shuts_down() {
    let upsd = Arc::new(Mutex::new(Upsd {
        statuses: vec!["OL", "OL", "OB DISCHRG", "OB LB"],
        logins: 2,
        ..Upsd::default()
    }));
    let mut monitor = Monitor::new(conf(
        "MONITOR ups@h 1 mon pw primary\nHOSTSYNC 5\nFINALDELAY 3\nPOLLFREQ 5\nPOLLFREQALERT 2\n",
    ))
    .with_connector(stand_in(upsd.clone()));
    let start = Instant::now();
    let events = run(&mut monitor).await;
    assert_eq!(
        events,
        [
            "ONBATT",
            "LOWBATT",
            "setfsd 0",
            "SHUTDOWN_HOSTSYNC",
            "wall",
            "SHUTDOWN",
            "shutdown"
        ]
    );
    assert_eq!(monitor.phase(), Phase::ShutdownRequested);
    // Polls at 0, 5, 10 (POLLFREQ), then 12 (POLLFREQALERT); HOSTSYNC runs out after 5 s
    // more, then FINALDELAY.
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(20) && took < Duration::from_secs(22),
        "{took:?}"
    );
    let heard = upsd.lock().unwrap().heard.clone();
    assert_eq!(
        heard[..5],
        [
            "STARTTLS",
            "USERNAME mon",
            "PASSWORD pw",
            "LOGIN ups",
            "PRIMARY ups"
        ]
    );
    assert!(heard.contains(&"FSD ups".to_owned()));
    assert!(heard.contains(&"GET NUMLOGINS ups".to_owned()));
    // Without nut-rs limits, only what C upsmon asks.
    assert!(!heard.iter().any(|l| l.contains("battery")));
    assert_eq!(monitor.next_action().await, None);
}

#[tokio::test(start_paused = true)]
async fn lost_server_is_commbad_then_commok() {
    let upsd = Arc::new(Mutex::new(Upsd {
        statuses: vec!["OL"],
        down: true,
        ..Upsd::default()
    }));
    let mut monitor = Monitor::new(conf(
        "MONITOR ups@h 1 mon pw secondary\nPOLLFREQ 5\nNOCOMMWARNTIME 10\n",
    ))
    .with_connector(stand_in(upsd.clone()));
    let first = monitor.poll_round().await;
    assert!(matches!(&first[..], [Action::Notify(n)] if n.event == NotifyEvent::CommBad));
    upsd.lock().unwrap().down = false;
    let a = monitor.next_action().await.unwrap();
    assert!(matches!(a, Action::Notify(n) if n.event == NotifyEvent::CommOk));
    assert!(monitor.decider().flags(0).unwrap().online);
    assert!(monitor.sessions()[0].is_connected());
    // The line was not known before, so going on line is not announced; losing it is.
    upsd.lock().unwrap().statuses = vec!["OB"];
    let a = monitor.next_action().await.unwrap();
    assert!(matches!(a, Action::Notify(n) if n.event == NotifyEvent::OnBatt));
}

#[tokio::test(start_paused = true)]
async fn reload_keeps_unchanged_lines_and_user_fsd_shuts_down() {
    let upsd = Arc::new(Mutex::new(Upsd {
        statuses: vec!["OL"],
        logins: 1,
        ..Upsd::default()
    }));
    let text = "MONITOR a@h 1 mon pw primary\nFINALDELAY 0\n";
    let mut monitor = Monitor::new(conf(text)).with_connector(stand_in(upsd.clone()));
    assert!(monitor.poll_round().await.is_empty());
    monitor.reload(conf(&format!("{text}MONITOR b@h 1 mon pw secondary\n")));
    assert_eq!(monitor.sessions().len(), 2);
    assert!(monitor.sessions()[0].is_connected());
    assert!(!monitor.sessions()[1].is_connected());
    assert!(monitor.poll_round().await.is_empty());
    assert!(monitor.sessions()[1].is_connected());

    let mut seen = Vec::new();
    monitor.user_fsd_with(|a| seen.push(a.clone())).await;
    assert_eq!(seen, [Action::SetFsd(0)]);
    let rest = run(&mut monitor).await;
    assert_eq!(rest, ["wall", "SHUTDOWN", "shutdown"]);
}

#[tokio::test(start_paused = true)]
async fn charge_limit_reads_battery_values_only_on_battery() {
    let upsd = Arc::new(Mutex::new(Upsd {
        statuses: vec!["OL", "OB DISCHRG"],
        ..Upsd::default()
    }));
    let mut monitor = Monitor::new(conf(
        "MONITOR ups@h 1 mon pw secondary\nFINALDELAY 0\nSHUTDOWNCHARGE ups@h 30\n",
    ))
    .with_connector(stand_in(upsd.clone()));
    let events = run(&mut monitor).await;
    assert_eq!(
        events,
        ["ONBATT", "LOWBATT", "wall", "SHUTDOWN", "shutdown"]
    );
    let heard = upsd.lock().unwrap().heard.clone();
    let status = heard
        .iter()
        .position(|l| l == "GET VAR ups ups.status")
        .unwrap();
    let charge = heard
        .iter()
        .position(|l| l == "GET VAR ups battery.charge")
        .unwrap();
    // The first poll said OL: nothing more was read then.
    assert_eq!(heard[status + 1], "GET VAR ups ups.status");
    assert!(charge > status + 1);
    assert!(heard.contains(&"GET VAR ups battery.runtime".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn actions_as_a_stream() {
    use futures_util::StreamExt;
    let upsd = Arc::new(Mutex::new(Upsd {
        statuses: vec!["OL", "OB LB"],
        ..Upsd::default()
    }));
    let monitor = Monitor::new(conf(
        "MONITOR ups@h 1 mon pw secondary\nFINALDELAY 0\nHOSTSYNC 0\n",
    ))
    .with_connector(stand_in(upsd));
    let actions: Vec<Action> = monitor.into_stream().collect().await;
    assert_eq!(actions.last(), Some(&Action::Shutdown));
    assert!(actions
        .iter()
        .any(|a| matches!(a, Action::Notify(n) if n.event == NotifyEvent::LowBatt)));
}
