//! Scenarios for the decision state machine, on a fake clock.

use super::*;

fn conf(text: &str) -> UpsmonConf {
    let parsed = UpsmonConf::parse(text.as_bytes(), "upsmon.conf").unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    parsed.config
}

fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// The events among `actions`, as `EVENT ups` strings.
fn events(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a {
            Action::Notify(n) => match &n.ups {
                Some(u) => format!("{} {u}", n.event),
                None => n.event.to_string(),
            },
            Action::Wall(_) => "wall".into(),
            Action::SetFsd(i) => format!("setfsd {i}"),
            Action::Shutdown => "shutdown".into(),
        })
        .collect()
}

/// One poll round: every UPS reports its status (None = poll failed), then `check`.
fn round(d: &mut Decider, statuses: &[Option<&str>], now: Duration) -> Vec<String> {
    let mut all = Vec::new();
    for (i, st) in statuses.iter().enumerate() {
        all.extend(match st {
            Some(st) => d.poll_status(i, st, None, now),
            None => d.poll_failed(i, now),
        });
    }
    all.extend(d.check(now));
    events(&all)
}

const PRIMARY: &str = "MONITOR a@h 1 u p primary\nFINALDELAY 3\nHOSTSYNC 10\n";
const SECONDARY: &str = "MONITOR a@h 1 u p secondary\nFINALDELAY 0\nHOSTSYNC 10\n";

#[test]
fn single_ups_primary_full_power_failure() {
    let mut d = Decider::new(&conf(PRIMARY));
    // The first OL is silent, and so is the first good poll.
    assert!(round(&mut d, &[Some("OL CHRG")], s(0)).is_empty());
    assert_eq!(d.poll_interval(), s(5));
    assert_eq!(round(&mut d, &[Some("OB DISCHRG")], s(5)), ["ONBATT a@h"]);
    assert!(round(&mut d, &[Some("OB DISCHRG")], s(10)).is_empty());
    assert_eq!(
        round(&mut d, &[Some("OB DISCHRG LB")], s(15)),
        ["LOWBATT a@h", "setfsd 0"]
    );
    assert!(matches!(d.phase(), Phase::WaitingForSecondaries { .. }));
    // Another system is still logged in: SHUTDOWN_HOSTSYNC once, then wait.
    assert_eq!(
        events(&d.logins_counted(Some(2), s(15))),
        ["SHUTDOWN_HOSTSYNC"]
    );
    assert!(d.logins_counted(Some(2), s(16)).is_empty());
    // It logged out: SHUTDOWN now, the command after FINALDELAY.
    assert_eq!(
        events(&d.logins_counted(Some(1), s(17))),
        ["wall", "SHUTDOWN"]
    );
    assert!(d.tick(s(19)).is_empty());
    assert_eq!(events(&d.tick(s(20))), ["shutdown"]);
    assert_eq!(d.phase(), Phase::ShutdownRequested);
    assert!(d.tick(s(30)).is_empty());
}

#[test]
fn primary_stops_waiting_after_hostsync() {
    let mut d = Decider::new(&conf(PRIMARY));
    round(&mut d, &[Some("OL")], s(0));
    round(&mut d, &[Some("OB LB")], s(1));
    assert_eq!(
        events(&d.logins_counted(Some(3), s(1))),
        ["SHUTDOWN_HOSTSYNC"]
    );
    assert!(d.tick(s(11)).is_empty());
    assert_eq!(events(&d.tick(s(12))), ["wall", "SHUTDOWN"]);
    assert_eq!(events(&d.tick(s(15))), ["shutdown"]);
}

#[test]
fn secondary_waits_for_the_primary_then_follows_fsd() {
    let mut d = Decider::new(&conf(SECONDARY));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(round(&mut d, &[Some("OB")], s(5)), ["ONBATT a@h"]);
    // OB LB: a secondary does not shut down by itself before HOSTSYNC.
    assert_eq!(round(&mut d, &[Some("OB LB")], s(10)), ["LOWBATT a@h"]);
    assert!(round(&mut d, &[Some("OB LB")], s(15)).is_empty());
    // The primary set FSD.
    assert_eq!(
        round(&mut d, &[Some("FSD OB LB")], s(16)),
        ["FSD a@h", "wall", "SHUTDOWN", "shutdown"]
    );
}

#[test]
fn secondary_gives_up_on_a_silent_primary() {
    let mut d = Decider::new(&conf(SECONDARY));
    round(&mut d, &[Some("OL")], s(0));
    round(&mut d, &[Some("OB LB")], s(5));
    assert!(round(&mut d, &[Some("OB LB")], s(15)).is_empty());
    assert_eq!(
        round(&mut d, &[Some("OB LB")], s(16)),
        ["wall", "SHUTDOWN", "shutdown"]
    );
}

#[test]
fn secondary_shuts_down_on_fsd_while_online() {
    let mut d = Decider::new(&conf(SECONDARY));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(
        round(&mut d, &[Some("FSD OL")], s(5)),
        ["FSD a@h", "wall", "SHUTDOWN", "shutdown"]
    );
}

#[test]
fn redundant_supplies_survive_losing_one_ups() {
    let text = "MONITOR a@h 1 u p primary\nMONITOR b@h 1 u p primary\nMINSUPPLIES 1\n";
    let mut d = Decider::new(&conf(text));
    assert!(round(&mut d, &[Some("OL"), Some("OL")], s(0)).is_empty());
    assert_eq!(
        round(&mut d, &[Some("OB"), Some("OL")], s(5)),
        ["ONBATT a@h"]
    );
    assert_eq!(
        round(&mut d, &[Some("OB LB"), Some("OL")], s(10)),
        ["LOWBATT a@h"]
    );
    // a@h is critical but b@h still feeds one supply: no shutdown.
    assert_eq!(d.phase(), Phase::Monitoring);
    assert_eq!(round(&mut d, &[None, Some("OL")], s(15)), ["COMMBAD a@h"]);
    assert_eq!(d.phase(), Phase::Monitoring);
    // Losing the second one too is fatal.
    assert_eq!(
        round(&mut d, &[None, Some("OB LB")], s(20)),
        ["ONBATT b@h", "LOWBATT b@h", "setfsd 0", "setfsd 1"]
    );
}

#[test]
fn minsupplies_two_needs_both() {
    let text = "MONITOR a@h 1 u p secondary\nMONITOR b@h 1 u p secondary\nMINSUPPLIES 2\nHOSTSYNC 0\nFINALDELAY 0\n";
    let mut d = Decider::new(&conf(text));
    round(&mut d, &[Some("OL"), Some("OL")], s(0));
    round(&mut d, &[Some("OB LB"), Some("OL")], s(1));
    assert_eq!(
        round(&mut d, &[Some("OB LB"), Some("OL")], s(2)),
        ["wall", "SHUTDOWN", "shutdown"]
    );
}

#[test]
fn power_value_zero_is_monitoring_only() {
    let text = "MONITOR a@h 1 u p primary\nMONITOR b@h 0 u p primary\n";
    let mut d = Decider::new(&conf(text));
    round(&mut d, &[Some("OL"), Some("OL")], s(0));
    round(&mut d, &[Some("OL"), Some("OB LB")], s(1));
    assert_eq!(d.phase(), Phase::Monitoring);
}

#[test]
fn communication_loss_on_battery_becomes_critical_after_deadtime() {
    let text = "MONITOR a@h 1 u p primary\nDEADTIME 15\nNOCOMMWARNTIME 20\n";
    let mut d = Decider::new(&conf(text));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(round(&mut d, &[Some("OB")], s(5)), ["ONBATT a@h"]);
    assert_eq!(round(&mut d, &[None], s(10)), ["COMMBAD a@h"]);
    assert!(round(&mut d, &[None], s(15)).is_empty());
    assert!(round(&mut d, &[None], s(20)).is_empty());
    // More than DEADTIME since the last good poll: promoted to OB LB, critical.
    assert_eq!(round(&mut d, &[None], s(21)), ["setfsd 0"]);
    assert!(d.flags(0).unwrap().lowbatt);
}

#[test]
fn communication_loss_while_online_is_not_critical_and_nocomm_repeats() {
    let text = "MONITOR a@h 1 u p primary\nNOCOMMWARNTIME 30\n";
    let mut d = Decider::new(&conf(text));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(round(&mut d, &[None], s(5)), ["COMMBAD a@h"]);
    assert!(round(&mut d, &[None], s(20)).is_empty());
    assert_eq!(round(&mut d, &[None], s(30)), ["NOCOMM a@h"]);
    assert!(round(&mut d, &[None], s(45)).is_empty());
    assert_eq!(round(&mut d, &[None], s(61)), ["NOCOMM a@h"]);
    assert_eq!(d.phase(), Phase::Monitoring);
    assert_eq!(round(&mut d, &[Some("OL")], s(65)), ["COMMOK a@h"]);
}

#[test]
fn unreachable_from_the_start() {
    let mut d = Decider::new(&conf("MONITOR a@h 1 u p primary\n"));
    // C: COMMBAD at once, NOCOMM on the next failure (never heard from it).
    assert_eq!(round(&mut d, &[None], s(0)), ["COMMBAD a@h"]);
    assert_eq!(round(&mut d, &[None], s(5)), ["NOCOMM a@h"]);
    // A UPS never heard from counts as online.
    assert_eq!(d.phase(), Phase::Monitoring);
}

#[test]
fn flapping_power() {
    let mut d = Decider::new(&conf(PRIMARY));
    round(&mut d, &[Some("OL")], s(0));
    for k in 0..5 {
        let t = 10 * k + 1;
        assert_eq!(round(&mut d, &[Some("OB")], s(t)), ["ONBATT a@h"]);
        assert_eq!(d.poll_interval(), s(5));
        assert_eq!(round(&mut d, &[Some("OL")], s(t + 5)), ["ONLINE a@h"]);
    }
    assert_eq!(d.phase(), Phase::Monitoring);
}

#[test]
fn pollfreqalert_while_on_battery() {
    let mut d = Decider::new(&conf(
        "MONITOR a@h 1 u p primary\nPOLLFREQ 30\nPOLLFREQALERT 2\n",
    ));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(d.poll_interval(), s(30));
    round(&mut d, &[Some("OB")], s(30));
    assert_eq!(d.poll_interval(), s(2));
    round(&mut d, &[Some("OL")], s(32));
    assert_eq!(d.poll_interval(), s(30));
}

#[test]
fn calibration_is_not_critical_and_notcal_follows() {
    let mut d = Decider::new(&conf(PRIMARY));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(
        round(&mut d, &[Some("OB LB CAL")], s(1)),
        ["ONBATT a@h", "LOWBATT a@h", "CAL a@h"]
    );
    assert_eq!(d.phase(), Phase::Monitoring);
    assert_eq!(
        round(&mut d, &[Some("OL")], s(2)),
        ["NOTCAL a@h", "ONLINE a@h"]
    );
}

#[test]
fn replbatt_is_rate_limited() {
    let mut d = Decider::new(&conf("MONITOR a@h 1 u p primary\nRBWARNTIME 100\n"));
    assert_eq!(round(&mut d, &[Some("OL RB")], s(0)), ["REPLBATT a@h"]);
    assert!(round(&mut d, &[Some("OL RB")], s(50)).is_empty());
    assert!(round(&mut d, &[Some("OL RB")], s(100)).is_empty());
    assert_eq!(round(&mut d, &[Some("OL RB")], s(101)), ["REPLBATT a@h"]);
}

#[test]
fn state_pairs_notify_both_ways() {
    let mut d = Decider::new(&conf(PRIMARY));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(
        round(&mut d, &[Some("OL BYPASS TRIM")], s(1)),
        ["BYPASS a@h", "TRIM a@h"]
    );
    assert_eq!(
        round(&mut d, &[Some("OL BOOST ECO OVER")], s(2)),
        [
            "NOTBYPASS a@h",
            "NOTTRIM a@h",
            "BOOST a@h",
            "ECO a@h",
            "OVER a@h"
        ]
    );
    assert_eq!(
        round(&mut d, &[Some("OL")], s(3)),
        ["NOTOVER a@h", "NOTBOOST a@h", "NOTECO a@h"]
    );
}

#[test]
fn alarm_reports_the_text_and_changes() {
    let mut d = Decider::new(&conf(PRIMARY));
    d.poll_status(0, "OL", None, s(0));
    let a = d.poll_status(0, "ALARM OL", Some("Fan failure"), s(1));
    assert_eq!(
        a,
        [Action::Notify(Notification {
            event: NotifyEvent::Alarm,
            ups: Some("a@h".into()),
            extra: Some("Fan failure".into()),
        })]
    );
    assert!(d
        .poll_status(0, "ALARM OL", Some("Fan failure"), s(2))
        .is_empty());
    assert_eq!(
        events(&d.poll_status(0, "ALARM OL", Some("Overheat"), s(3))),
        ["ALARM a@h"]
    );
    assert_eq!(
        events(&d.poll_status(0, "OL", None, s(4))),
        ["NOTALARM a@h"]
    );
}

#[test]
fn alarm_with_lost_communication_is_critical_unless_disabled() {
    for (critical, expect) in [
        ("", vec!["COMMBAD a@h", "setfsd 0"]),
        ("ALARMCRITICAL 0\n", vec!["COMMBAD a@h"]),
    ] {
        let mut d = Decider::new(&conf(&format!("{PRIMARY}{critical}")));
        round(&mut d, &[Some("OL")], s(0));
        round(&mut d, &[Some("ALARM OL")], s(1));
        assert_eq!(round(&mut d, &[None], s(2)), expect);
    }
}

#[test]
fn bypass_with_lost_communication_is_critical() {
    let mut d = Decider::new(&conf(PRIMARY));
    round(&mut d, &[Some("OL BYPASS")], s(0));
    assert_eq!(round(&mut d, &[None], s(1)), ["COMMBAD a@h", "setfsd 0"]);
}

#[test]
fn off_becomes_critical_after_offduration() {
    let mut d = Decider::new(&conf(&format!("{PRIMARY}OFFDURATION 10\n")));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(round(&mut d, &[Some("OFF")], s(1)), ["OFF a@h"]);
    assert!(round(&mut d, &[Some("OFF")], s(11)).is_empty());
    assert_eq!(round(&mut d, &[Some("OFF")], s(12)), ["setfsd 0"]);

    let mut d = Decider::new(&conf(&format!("{PRIMARY}OFFDURATION -1\n")));
    round(&mut d, &[Some("OFF")], s(0));
    assert!(round(&mut d, &[Some("OFF")], s(1000)).is_empty());
    assert_eq!(round(&mut d, &[Some("OL")], s(1001)), ["NOTOFF a@h"]);
}

#[test]
fn overload_when_silent_after_overduration() {
    let mut d = Decider::new(&conf(&format!("{PRIMARY}OVERDURATION 5\n")));
    round(&mut d, &[Some("OL OVER")], s(0));
    assert_eq!(round(&mut d, &[None], s(2)), ["COMMBAD a@h"]);
    assert_eq!(round(&mut d, &[None], s(6)), ["setfsd 0"]);
    // Default (-1): never critical because of an overload.
    let mut d = Decider::new(&conf(PRIMARY));
    round(&mut d, &[Some("OL OVER")], s(0));
    round(&mut d, &[None], s(2));
    assert!(round(&mut d, &[None], s(100)).is_empty());
}

#[test]
fn oblbduration_delays_the_critical_state() {
    let mut d = Decider::new(&conf(&format!(
        "{PRIMARY}OBLBDURATION 6\nPOLLFREQALERT 4\n"
    )));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(
        round(&mut d, &[Some("OB LB")], s(1)),
        ["ONBATT a@h", "LOWBATT a@h"]
    );
    assert_eq!(d.poll_interval(), s(2));
    assert!(round(&mut d, &[Some("OB LB")], s(5)).is_empty());
    // Back above the threshold: the delay starts again next time.
    assert!(round(&mut d, &[Some("OB")], s(6)).is_empty());
    assert!(round(&mut d, &[Some("OB LB")], s(7)).contains(&"LOWBATT a@h".to_owned()));
    assert!(round(&mut d, &[Some("OB LB")], s(12)).is_empty());
    assert_eq!(round(&mut d, &[Some("OB LB")], s(13)), ["setfsd 0"]);
}

#[test]
fn other_words_come_and_go() {
    let mut d = Decider::new(&conf(PRIMARY));
    round(&mut d, &[Some("OL")], s(0));
    let a = d.poll_status(0, "OL OVERHEAT COMMFAULT", None, s(1));
    assert_eq!(
        a,
        [Action::Notify(Notification {
            event: NotifyEvent::Other,
            ups: Some("a@h".into()),
            extra: Some("OVERHEAT COMMFAULT".into()),
        })]
    );
    assert!(d
        .poll_status(0, "OL COMMFAULT OVERHEAT", None, s(2))
        .is_empty());
    assert_eq!(
        events(&d.poll_status(0, "OL OVERHEAT", None, s(3))),
        ["OTHER a@h"]
    );
    assert_eq!(
        events(&d.poll_status(0, "OL", None, s(4))),
        ["NOTOTHER a@h"]
    );
}

#[test]
fn empty_status_is_a_failed_poll_and_recovery_is_commok() {
    let mut d = Decider::new(&conf(PRIMARY));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(round(&mut d, &[Some("")], s(1)), ["COMMBAD a@h"]);
    assert_eq!(round(&mut d, &[Some("OL")], s(2)), ["COMMOK a@h"]);
    d.connection_dropped(0);
    assert_eq!(round(&mut d, &[Some("OL")], s(3)), ["COMMOK a@h"]);
}

#[test]
fn user_fsd_as_secondary_and_as_primary() {
    let mut d = Decider::new(&conf(SECONDARY));
    assert_eq!(events(&d.user_fsd(s(0))), ["wall", "SHUTDOWN", "shutdown"]);
    let mut d = Decider::new(&conf(PRIMARY));
    assert_eq!(events(&d.user_fsd(s(0))), ["setfsd 0"]);
    // Nothing more while the shutdown is under way.
    assert!(d.user_fsd(s(1)).is_empty());
    assert!(round(&mut d, &[Some("OB LB")], s(1)).len() == 2);
    assert_eq!(events(&d.logins_counted(None, s(2))), ["wall", "SHUTDOWN"]);
}

#[test]
fn noparent_repeats_every_two_minutes() {
    let mut d = Decider::new(&conf(PRIMARY));
    assert_eq!(events(&d.parent_gone(s(0))), ["NOPARENT"]);
    assert!(d.parent_gone(s(60)).is_empty());
    assert_eq!(events(&d.parent_gone(s(120))), ["NOPARENT"]);
}

#[test]
fn reload_keeps_state_of_retained_ups() {
    let mut d = Decider::new(&conf(
        "MONITOR a@h 1 u p secondary\nMONITOR b@h 1 u p secondary\n",
    ));
    round(&mut d, &[Some("OL"), Some("OB")], s(0));
    d.reload(&conf(
        "MONITOR b@h 2 u p primary\nMONITOR c@h 1 u p secondary\n",
    ));
    assert!(d.flags(0).unwrap().onbatt);
    assert!(d.is_primary(0) && !d.is_primary(1));
    assert_eq!(
        round(&mut d, &[Some("OL"), Some("OL")], s(5)),
        ["ONLINE b@h"]
    );
}

#[test]
fn nut_rs_charge_and_runtime_limits() {
    let mut d = Decider::new(&conf(&format!(
        "{SECONDARY}SHUTDOWNCHARGE a@h 30\nSHUTDOWNRUNTIME a@h 120\n"
    )));
    assert!(d.needs_battery_values(0));
    assert!(round(&mut d, &[Some("OL")], s(0)).is_empty());
    // On line, a low charge means nothing.
    d.battery_values(0, Some(10.0), None);
    assert!(round(&mut d, &[Some("OL CHRG")], s(5)).is_empty());
    d.battery_values(0, Some(45.0), Some(600.0));
    assert_eq!(round(&mut d, &[Some("OB DISCHRG")], s(10)), ["ONBATT a@h"]);
    d.battery_values(0, Some(31.0), Some(121.0));
    assert!(round(&mut d, &[Some("OB DISCHRG")], s(15)).is_empty());
    // The runtime limit is passed first: LOWBATT with the reason, and a secondary goes
    // down at once (the limit is its own; no primary will set FSD for it).
    d.battery_values(0, Some(31.0), Some(90.0));
    let actions = d.poll_status(0, "OB DISCHRG", None, s(20));
    assert!(actions.is_empty());
    let actions = d.check(s(20));
    assert_eq!(
        events(&actions),
        ["LOWBATT a@h", "wall", "SHUTDOWN", "shutdown"]
    );
    let Action::Notify(n) = &actions[0] else {
        panic!("{actions:?}")
    };
    assert_eq!(
        n.extra.as_deref(),
        Some("battery.runtime 90 <= SHUTDOWNRUNTIME 120")
    );
}

#[test]
fn nut_rs_time_on_battery_limit_and_counters() {
    let mut d = Decider::new(&conf(&format!(
        "{PRIMARY}SHUTDOWNONBATT a@h 60\nSHUTDOWNCHARGE other@h 5\n"
    )));
    assert!(!d.needs_battery_values(0));
    assert_eq!(d.thresholds(0).unwrap().on_battery, Some(60));
    round(&mut d, &[Some("OL")], s(0));
    assert_eq!(round(&mut d, &[Some("OB")], s(10)), ["ONBATT a@h"]);
    assert_eq!(d.on_battery_for(0, s(40)), Some(s(30)));
    // Back on line before the limit: nothing happens, the counters keep the time.
    assert_eq!(round(&mut d, &[Some("OL")], s(50)), ["ONLINE a@h"]);
    assert_eq!(d.on_battery_for(0, s(50)), None);
    assert_eq!(d.time_on_battery(0, s(50)), s(40));
    assert_eq!(round(&mut d, &[Some("OB")], s(100)), ["ONBATT a@h"]);
    assert!(round(&mut d, &[Some("OB")], s(159)).is_empty());
    assert_eq!(d.time_on_battery(0, s(159)), s(99));
    // 60 s on battery this time: critical, and a primary sets FSD for its secondaries.
    assert_eq!(
        round(&mut d, &[Some("OB")], s(160)),
        ["LOWBATT a@h", "setfsd 0"]
    );
}
