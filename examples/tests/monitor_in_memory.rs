//! `nut_client::monitor::Monitor` against our own upsd, embedded and reached over in-memory
//! pipes (`nut_server::testing`), with a driver in the same process: the UPS goes on
//! battery, then low; the monitor, primary of the UPS, sets FSD on the server and decides to
//! shut down. No TCP port, no other process.

use std::time::Duration;

use nut_client::monitor::{Action, Monitor};
use nut_client::proto::config::{NotifyEvent, UpsdUser, UpsmonConf, UpsmonRole};
use nut_server::driver_api::link::{in_process, DriverEndpoint};
use nut_server::driver_api::{proto::names::UpsName, state::DeviceState};
use nut_server::{testing, Server};
use tokio::sync::mpsc;

#[tokio::test]
async fn primary_monitor_over_an_in_memory_upsd() {
    // The driver: a status for each message on `statuses`.
    let (link, mut drivers) = in_process();
    let (statuses, mut next) = mpsc::unbounded_channel::<&'static str>();
    tokio::spawn(async move {
        let mut ups = DeviceState::new();
        ups.set("ups.status", "OL").unwrap();
        ups.set("battery.charge", "100").unwrap();
        ups.set_data_ok(true);
        let Some(mut server) = drivers.accept().await else {
            return;
        };
        server.send_all(ups.dump()).await.unwrap();
        loop {
            tokio::select! {
                status = next.recv() => {
                    let Some(status) = status else { break };
                    ups.set("ups.status", status).unwrap();
                    server.send_all(ups.take_changes()).await.unwrap();
                }
                msg = server.recv() => if msg.is_none() { break },
            }
        }
    });
    let mut user = UpsdUser::new("mon", "pw").unwrap();
    user.upsmon = Some(UpsmonRole::Primary);
    let server = Server::builder()
        .device(
            UpsName::new("myups").unwrap(),
            DriverEndpoint::InProcess(link),
        )
        .user(user)
        .in_memory()
        .start()
        .await
        .unwrap();
    let handle = server.handle();

    // Wait for the driver's dump, as upsmon would see WAIT first.
    let client = testing::pair(&handle).await.unwrap();
    for _ in 0..500 {
        match client.get_var("myups", "ups.status").await {
            Ok(v) if v.as_str() == "OL" => break,
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }

    let conf = UpsmonConf::parse(
        b"MONITOR myups@localhost 1 mon pw primary\nPOLLFREQ 1\nPOLLFREQALERT 1\nFINALDELAY 0\n",
        "upsmon.conf",
    )
    .unwrap()
    .config;
    let mut monitor = Monitor::new(conf).with_connector(testing::connector(&handle));
    assert!(monitor.poll_round().await.is_empty());
    assert!(monitor.sessions()[0].is_connected());
    // Logged in as this UPS's primary: the server counts the login.
    assert_eq!(client.get_num_logins("myups").await.unwrap(), 1);

    statuses.send("OB DISCHRG").unwrap();
    statuses.send("OB LB").unwrap();
    let mut seen = Vec::new();
    let run = async {
        while let Some(action) = monitor.next_action().await {
            seen.push(action);
        }
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the monitor decides within a minute");
    let events: Vec<NotifyEvent> = seen
        .iter()
        .filter_map(|a| match a {
            Action::Notify(n) => Some(n.event),
            _ => None,
        })
        .collect();
    // The OB status may or may not be seen before OB LB: ONBATT comes either way.
    assert_eq!(
        events,
        [
            NotifyEvent::OnBatt,
            NotifyEvent::LowBatt,
            NotifyEvent::Shutdown
        ],
        "{seen:?}"
    );
    assert!(seen.contains(&Action::SetFsd(0)));
    assert_eq!(seen.last(), Some(&Action::Shutdown));
    // upsd holds the forced-shutdown flag now.
    let status = client.get_var("myups", "ups.status").await.unwrap();
    assert!(status.as_str().starts_with("FSD"), "{status:?}");

    handle.shutdown();
    server.run().await;
}
