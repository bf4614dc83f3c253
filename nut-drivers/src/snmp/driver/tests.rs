//! Tests of the snmp-ups driver against agents in memory, with a small mapping written for them.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use nut_driver_api::state::DeviceState;
use nut_driver_api::{Driver, DriverError, DriverParams};
use nut_proto::sock::TrackingStatus;

use super::fetch::{Agent, AgentError, MemoryAgent};
use super::SnmpUps;
use crate::snmp::mib::{flag, var, Item, Lookup, Mapping};
use crate::snmp::pdu::{Oid, Value, VarBind};

const PWR: &[Lookup] = &[
    Lookup {
        value: 2,
        text: Some("OL"),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("OB"),
        hook: None,
    },
];
const BATT: &[Lookup] = &[
    Lookup {
        value: 2,
        text: Some(""),
        hook: None,
    },
    Lookup {
        value: 3,
        text: Some("LB"),
        hook: None,
    },
];
const OUTLET: &[Lookup] = &[
    Lookup {
        value: 1,
        text: Some("off"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("on"),
        hook: None,
    },
];
const SENS: &[Lookup] = &[
    Lookup {
        value: 1,
        text: Some("low"),
        hook: None,
    },
    Lookup {
        value: 2,
        text: Some("high"),
        hook: None,
    },
];

const fn item(
    name: &'static str,
    var_flags: u32,
    len: f64,
    oid: Option<&'static str>,
    default: Option<&'static str>,
    flags: u32,
    lookup: Option<&'static [Lookup]>,
) -> Item {
    Item {
        name,
        var_flags,
        len,
        oid,
        default,
        flags,
        lookup,
    }
}

static ITEMS: &[Item] = &[
    item(
        "ups.mfr",
        var::STRING,
        32.0,
        None,
        Some("Testco"),
        flag::OK | flag::STATIC | flag::ABSENT,
        None,
    ),
    item(
        "ups.model",
        var::STRING,
        32.0,
        Some(".1.3.6.1.4.1.99.1.1.0"),
        Some(""),
        flag::OK | flag::STATIC,
        None,
    ),
    item(
        "battery.charge",
        0,
        1.0,
        Some(".1.3.6.1.4.1.99.1.2.0"),
        Some(""),
        flag::OK,
        None,
    ),
    item(
        "battery.voltage",
        0,
        0.1,
        Some(".1.3.6.1.4.1.99.1.3.0"),
        Some(""),
        flag::OK,
        None,
    ),
    item(
        "input.voltage",
        0,
        1.0,
        Some(".1.3.6.1.4.1.99.1.9.0"),
        Some(""),
        flag::OK | flag::NEG_INVALID,
        None,
    ),
    item(
        "ups.status",
        0,
        1.0,
        Some(".1.3.6.1.4.1.99.1.4.0"),
        Some(""),
        flag::OK | flag::STATUS_PWR,
        Some(PWR),
    ),
    item(
        "ups.status",
        0,
        1.0,
        Some(".1.3.6.1.4.1.99.1.10.0"),
        Some(""),
        flag::OK | flag::STATUS_BATT,
        Some(BATT),
    ),
    item(
        "ups.serial",
        var::STRING,
        32.0,
        Some(".1.3.6.1.4.1.99.1.11.0"),
        Some(""),
        flag::OK | flag::UNIQUE,
        None,
    ),
    item(
        "ups.serial",
        var::STRING,
        32.0,
        Some(".1.3.6.1.4.1.99.1.12.0"),
        Some(""),
        flag::OK,
        None,
    ),
    item(
        "outlet.count",
        0,
        1.0,
        Some(".1.3.6.1.4.1.99.1.5.0"),
        Some(""),
        flag::OK,
        None,
    ),
    item(
        "outlet.%i.status",
        var::STRING,
        8.0,
        Some(".1.3.6.1.4.1.99.1.6.%i"),
        Some(""),
        flag::OK | flag::OUTLET,
        Some(OUTLET),
    ),
    item(
        "outlet.%i.load.off",
        0,
        1.0,
        Some(".1.3.6.1.4.1.99.1.7.%i"),
        Some("1"),
        flag::OK | flag::OUTLET | flag::TYPE_CMD,
        None,
    ),
    item(
        "ups.delay.shutdown",
        var::RW,
        1.0,
        Some(".1.3.6.1.4.1.99.1.8.0"),
        Some(""),
        flag::OK | flag::TYPE_INT,
        None,
    ),
    item(
        "input.sensitivity",
        var::RW | var::STRING,
        8.0,
        Some(".1.3.6.1.4.1.99.1.13.0"),
        Some(""),
        flag::OK,
        Some(SENS),
    ),
    item(
        "load.off",
        0,
        1.0,
        Some(".1.3.6.1.4.1.99.1.14.0"),
        Some("2"),
        flag::OK | flag::TYPE_CMD,
        None,
    ),
    item(
        "load.on",
        0,
        1.0,
        Some(".1.3.6.1.4.1.99.1.15.0"),
        Some("2"),
        flag::OK | flag::TYPE_CMD,
        None,
    ),
];

static TEST_MIB: Mapping = Mapping {
    name: "testmib",
    version: "0.1",
    power_status_oid: Some(".1.3.6.1.4.1.99.1.4.0"),
    probe_oid: None,
    sys_oid: Some(".1.3.6.1.4.1.99"),
    items: ITEMS,
    alarms: &[],
};
static OTHER_MIB: Mapping = Mapping {
    name: "other",
    version: "1.0",
    power_status_oid: None,
    probe_oid: None,
    sys_oid: Some(".1.3.6.1.4.1.77"),
    items: &[Item {
        name: "ups.model",
        var_flags: var::STRING,
        len: 32.0,
        oid: Some(".1.3.6.1.4.1.77.1.0"),
        default: None,
        flags: flag::OK,
        lookup: None,
    }],
    alarms: &[],
};
static MAPPINGS: &[&Mapping] = &[&OTHER_MIB, &TEST_MIB];

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

fn agent() -> MemoryAgent {
    let mut a = MemoryAgent::default();
    let mut put = |o: &str, v: Value| {
        a.values.insert(oid(o), v);
    };
    put(
        ".1.3.6.1.2.1.1.1.0",
        Value::OctetString(b"Test agent".to_vec()),
    );
    put(
        ".1.3.6.1.2.1.1.2.0",
        Value::ObjectId(oid(".1.3.6.1.4.1.99")),
    );
    put(
        ".1.3.6.1.4.1.99.1.1.0",
        Value::OctetString(b"Test UPS 1500".to_vec()),
    );
    put(".1.3.6.1.4.1.99.1.2.0", Value::Gauge32(97));
    put(".1.3.6.1.4.1.99.1.3.0", Value::Integer(547));
    put(".1.3.6.1.4.1.99.1.9.0", Value::Integer(-1));
    put(".1.3.6.1.4.1.99.1.4.0", Value::Integer(2));
    put(".1.3.6.1.4.1.99.1.10.0", Value::Integer(2));
    put(
        ".1.3.6.1.4.1.99.1.11.0",
        Value::OctetString(b"SN-1".to_vec()),
    );
    put(
        ".1.3.6.1.4.1.99.1.12.0",
        Value::OctetString(b"SN-2".to_vec()),
    );
    put(".1.3.6.1.4.1.99.1.5.0", Value::Integer(2));
    put(".1.3.6.1.4.1.99.1.6.1", Value::Integer(2));
    put(".1.3.6.1.4.1.99.1.6.2", Value::Integer(1));
    put(".1.3.6.1.4.1.99.1.7.1", Value::Integer(0));
    put(".1.3.6.1.4.1.99.1.7.2", Value::Integer(0));
    put(".1.3.6.1.4.1.99.1.8.0", Value::Integer(20));
    put(".1.3.6.1.4.1.99.1.13.0", Value::Integer(2));
    put(".1.3.6.1.4.1.99.1.14.0", Value::Integer(1));
    a
}

/// A [`MemoryAgent`] shared with the test, which inspects it while the driver owns a handle.
#[derive(Clone)]
struct Shared(Arc<Mutex<MemoryAgent>>);

#[async_trait]
impl Agent for Shared {
    async fn get(&mut self, oids: &[Oid]) -> Result<Vec<Option<Value>>, AgentError> {
        let mut a = std::mem::take(&mut *self.0.lock().unwrap());
        let r = a.get(oids).await;
        *self.0.lock().unwrap() = a;
        r
    }
    async fn walk(&mut self, root: &Oid) -> Result<Vec<VarBind>, AgentError> {
        let mut a = std::mem::take(&mut *self.0.lock().unwrap());
        let r = a.walk(root).await;
        *self.0.lock().unwrap() = a;
        r
    }
    async fn set(&mut self, varbind: VarBind) -> Result<(), AgentError> {
        let mut a = std::mem::take(&mut *self.0.lock().unwrap());
        let r = a.set(varbind).await;
        *self.0.lock().unwrap() = a;
        r
    }
}

fn driver(shared: &Shared) -> SnmpUps {
    let handle = shared.clone();
    SnmpUps::with_agent(MAPPINGS, move |_: &DriverParams| {
        let agent: Box<dyn Agent> = Box::new(handle.clone());
        Box::pin(async move { Ok::<_, DriverError>(agent) })
    })
}

async fn started(shared: &Shared, params: DriverParams) -> (SnmpUps, DeviceState) {
    let mut d = driver(shared);
    let mut state = DeviceState::new();
    d.open(&params, &mut state).await.unwrap();
    d.identify(&mut state).await.unwrap();
    d.update(&mut state).await.unwrap();
    (d, state)
}

#[tokio::test]
async fn a_device_is_found_by_sysobjectid_and_read_as_c_reads_it() {
    let shared = Shared(Arc::new(Mutex::new(agent())));
    let (d, state) = started(&shared, DriverParams::new("127.0.0.1")).await;
    assert_eq!(d.mapping().unwrap().name, "testmib");
    let v = |n: &str| state.value(n).map(str::to_owned);
    assert_eq!(v("driver.version.data").as_deref(), Some("testmib MIB 0.1"));
    assert_eq!(v("ups.mfr").as_deref(), Some("Testco"));
    assert_eq!(v("ups.model").as_deref(), Some("Test UPS 1500"));
    assert_eq!(v("battery.charge").as_deref(), Some("97"));
    assert_eq!(v("battery.voltage").as_deref(), Some("54.70"));
    assert_eq!(v("input.voltage"), None, "negative is invalid");
    assert_eq!(v("ups.status").as_deref(), Some("OL"));
    assert_eq!(
        v("ups.serial").as_deref(),
        Some("SN-1"),
        "the unique provider wins"
    );
    assert_eq!(v("outlet.count").as_deref(), Some("2"));
    assert_eq!(v("outlet.1.status").as_deref(), Some("on"));
    assert_eq!(v("outlet.2.status").as_deref(), Some("off"));
    assert_eq!(v("device.description").as_deref(), Some("Test agent"));
    assert_eq!(v("input.sensitivity").as_deref(), Some("high"));
    let sens = state.get("input.sensitivity").unwrap();
    assert!(sens.is_writable());
    assert_eq!(
        sens.enums().iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        ["low", "high"]
    );
    for cmd in ["load.off", "outlet.1.load.off", "outlet.2.load.off"] {
        assert!(state.has_cmd(cmd), "{cmd}");
    }
    assert!(!state.has_cmd("load.on"), "its OID is absent");
}

#[tokio::test]
async fn polls_after_the_first_are_few_requests() {
    let shared = Shared(Arc::new(Mutex::new(agent())));
    let (mut d, mut state) = started(
        &shared,
        DriverParams::new("h").with_option("pollfreq", Some("0")),
    )
    .await;
    shared.0.lock().unwrap().requests.clear();
    shared
        .0
        .lock()
        .unwrap()
        .values
        .insert(oid(".1.3.6.1.4.1.99.1.4.0"), Value::Integer(3));
    shared
        .0
        .lock()
        .unwrap()
        .values
        .insert(oid(".1.3.6.1.4.1.99.1.10.0"), Value::Integer(3));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    d.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.status"), Some("OB LB"));
    let requests = shared.0.lock().unwrap().requests.clone();
    assert_eq!(requests.len(), 1, "{requests:?}");
}

#[tokio::test]
async fn sets_and_commands_write_what_c_writes() {
    let shared = Shared(Arc::new(Mutex::new(agent())));
    let (mut d, mut state) = started(&shared, DriverParams::new("h")).await;
    assert_eq!(
        d.set_var(&mut state, "ups.delay.shutdown", "90").await,
        TrackingStatus::Handled
    );
    assert_eq!(state.value("ups.delay.shutdown"), Some("90"));
    assert_eq!(
        d.set_var(&mut state, "input.sensitivity", "low").await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.instcmd(&mut state, "load.off", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.instcmd(&mut state, "outlet.2.load.off", None).await,
        TrackingStatus::Handled
    );
    assert_eq!(
        d.instcmd(&mut state, "outlet.3.load.off", None).await,
        TrackingStatus::Invalid
    );
    assert_eq!(
        d.instcmd(&mut state, "beeper.off", None).await,
        TrackingStatus::Unknown
    );
    assert_eq!(
        d.set_var(&mut state, "ups.delay.shutdown", "soon").await,
        TrackingStatus::Invalid
    );
    let sets = shared.0.lock().unwrap().sets.clone();
    let sets: Vec<_> = sets
        .iter()
        .map(|s| (s.oid.to_string(), s.value.clone()))
        .collect();
    assert_eq!(
        sets,
        [
            (".1.3.6.1.4.1.99.1.8.0".to_owned(), Value::Integer(90)),
            (
                ".1.3.6.1.4.1.99.1.13.0".to_owned(),
                Value::OctetString(b"low".to_vec())
            ),
            (".1.3.6.1.4.1.99.1.14.0".to_owned(), Value::Integer(2)),
            (".1.3.6.1.4.1.99.1.7.2".to_owned(), Value::Integer(1)),
        ]
    );
}

#[tokio::test]
async fn a_silent_agent_makes_the_data_stale_and_recovers() {
    let shared = Shared(Arc::new(Mutex::new(agent())));
    let (mut d, mut state) = started(
        &shared,
        DriverParams::new("h").with_option("pollfreq", Some("0")),
    )
    .await;
    shared.0.lock().unwrap().silent = true;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(d.update(&mut state).await.is_err());
    shared.0.lock().unwrap().silent = false;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    d.update(&mut state).await.unwrap();
    assert_eq!(state.value("ups.status"), Some("OL"));
}

#[tokio::test]
async fn mibs_names_one_mapping_or_fails_clearly() {
    let shared = Shared(Arc::new(Mutex::new(agent())));
    let mut d = driver(&shared);
    let mut state = DeviceState::new();
    let err = d
        .open(
            &DriverParams::new("h").with_option("mibs", Some("nosuch")),
            &mut state,
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Unknown 'mibs' value: nosuch");
    let err = d
        .open(
            &DriverParams::new("h").with_option("mibs", Some("other")),
            &mut state,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Requested 'mibs' value 'other' did not match"),
        "{err}"
    );
    d.open(
        &DriverParams::new("h").with_option("mibs", Some("testmib")),
        &mut state,
    )
    .await
    .unwrap();
    shared
        .0
        .lock()
        .unwrap()
        .values
        .remove(&oid(".1.3.6.1.2.1.1.2.0"));
    let mut d = driver(&shared);
    d.open(&DriverParams::new("h"), &mut state).await.unwrap();
    assert_eq!(
        d.mapping().unwrap().name,
        "testmib",
        "found by probing the model OIDs"
    );
}

#[tokio::test]
async fn a_device_without_its_model_oid_is_read_by_the_mapping_its_data_fits() {
    let mut a = agent();
    a.values.remove(&oid(".1.3.6.1.4.1.99.1.1.0"));
    a.values.insert(
        oid(".1.3.6.1.2.1.1.2.0"),
        Value::ObjectId(oid(".1.3.6.1.4.1.12345")),
    );
    let shared = Shared(Arc::new(Mutex::new(a)));
    let (d, state) = started(&shared, DriverParams::new("h")).await;
    assert_eq!(
        d.mapping().unwrap().name,
        "testmib",
        "its power status answers"
    );
    assert_eq!(state.value("ups.status"), Some("OL"));
    assert_eq!(state.value("ups.model"), None);

    // Nothing of any mapping but the system group: no device.
    let mut a = MemoryAgent::default();
    a.values.insert(
        oid(".1.3.6.1.2.1.1.1.0"),
        Value::OctetString(b"Linux".to_vec()),
    );
    a.values.insert(
        oid(".1.3.6.1.2.1.1.2.0"),
        Value::ObjectId(oid(".1.3.6.1.4.1.99")),
    );
    let shared = Shared(Arc::new(Mutex::new(a)));
    let mut d = driver(&shared);
    let err = d
        .open(&DriverParams::new("h"), &mut DeviceState::new())
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("No supported device detected"),
        "{err}"
    );
}

#[tokio::test]
async fn outlet_variables_without_an_outlet_number_are_unknown() {
    // C 2.8.0 crashes on these.
    let shared = Shared(Arc::new(Mutex::new(agent())));
    let (mut d, mut state) = started(&shared, DriverParams::new("h")).await;
    assert_eq!(
        d.set_var(&mut state, "outlet.desc", "x").await,
        TrackingStatus::Unknown
    );
    assert_eq!(
        d.instcmd(&mut state, "outlet.load.off", None).await,
        TrackingStatus::Unknown
    );
    assert!(shared.0.lock().unwrap().sets.is_empty());
}

#[tokio::test]
async fn an_agent_that_does_not_answer_fails_the_start_with_its_reason() {
    let mut a = agent();
    a.silent = true;
    let shared = Shared(Arc::new(Mutex::new(a)));
    let mut d = driver(&shared);
    let err = d
        .open(&DriverParams::new("h"), &mut DeviceState::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "silent");
    let requests = shared.0.lock().unwrap().requests.len();
    assert_eq!(requests, 1, "no probing of every mapping");
}
