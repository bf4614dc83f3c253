//! Tests of the Eaton / MGE subdriver: claims, model names, table paths, corpus units.

use std::collections::HashMap;

use super::*;
use crate::usb::hid::string_to_path;
use crate::usb::hid_ups::table::test_support::{corpus_descriptor, state_for, unresolved_paths};

fn given() -> ClaimContext {
    ClaimContext {
        productid_given: true,
        explore: false,
    }
}

#[test]
fn claims() {
    let ctx = ClaimContext::default();
    let yes = Claim::Yes(Tweaks::NONE);
    for (vendor, product) in IDS.iter().copied().filter(|(v, _)| *v != PHOENIXTEC_VENDOR) {
        assert_eq!(
            claim(&UsbDeviceInfo::new(vendor, product), &ctx),
            yes,
            "{vendor:04x}:{product:04x}"
        );
    }
    // unknown products of the known vendors: only on request
    for vendor in [
        MGE_VENDOR,
        DELL_VENDOR,
        POWERWARE_VENDOR,
        HP_VENDOR,
        AEG_VENDOR,
        IBM_VENDOR,
    ] {
        let d = UsbDeviceInfo::new(vendor, 0x1234);
        assert_eq!(claim(&d, &ctx), Claim::No, "{vendor:04x}");
        assert_eq!(claim(&d, &given()), yes, "{vendor:04x}");
    }
    // Phoenixtec: AEG units only, listed product or not, asked for or not
    let mut d = UsbDeviceInfo::new(PHOENIXTEC_VENDOR, 0xffff);
    d.product = Some("Offline UPS".into());
    assert_eq!(claim(&d, &given()), Claim::No);
    d.vendor = Some("AEG Power Solutions".into());
    assert_eq!(claim(&d, &ctx), yes);
    let mut d = UsbDeviceInfo::new(PHOENIXTEC_VENDOR, 0x0003);
    assert_eq!(claim(&d, &given()), Claim::No);
    d.product = Some("PROTECT NAS (AEG)".into());
    assert_eq!(claim(&d, &ctx), yes);
    // other vendors
    assert_eq!(
        claim(&UsbDeviceInfo::new(0x051d, 0x0002), &given()),
        Claim::No
    );
    assert_eq!(
        claim(&UsbDeviceInfo::new(0x0764, 0x0501), &given()),
        Claim::No
    );
}

#[test]
fn model_names() {
    assert_eq!(
        model_name("ELLIPSE", "650"),
        ("ellipse 650".into(), Some(TYPE_OFFLINE))
    );
    assert_eq!(
        model_name("Protection Station", "500"),
        ("Protection Station 500".into(), Some(TYPE_PEGASUS))
    );
    assert_eq!(
        model_name("Evolution", "650"),
        ("Evolution 650".into(), Some(TYPE_EVOLUTION_650))
    );
    assert_eq!(
        model_name("EX", "3000 XL"),
        ("EX 3000 XL".into(), Some(TYPE_PULSAR_M + 2))
    );
    assert_eq!(
        model_name("Eaton 5P", "1550"),
        ("5P 1550".into(), Some(TYPE_5P))
    );
    assert_eq!(
        model_name("Eaton 5E", "1100i"),
        ("Eaton 5E 1100i".into(), None)
    );
    // names compare exactly
    assert_eq!(model_name("ellipse", "650"), ("ellipse 650".into(), None));
}

fn refine(
    vendor: u16,
    product: Option<&str>,
    imodel: Option<&str>,
    power: f64,
) -> (Option<String>, i64) {
    let mut state = state_for(vendor, 0xffff);
    if let Some(p) = product {
        let _ = state.set("ups.model", p);
    }
    let mut scratch = HashMap::new();
    let mut ctx = ConvContext {
        state: &mut state,
        scratch: &mut scratch,
    };
    if let Some(m) = imodel {
        assert_eq!(model_from_imodel(&mut ctx, m), None);
    }
    assert_eq!(model_from_power(&mut ctx, power), None);
    let ty = model_type(&ctx);
    assert!(ctx.state.value(MODEL_LINE).is_none());
    (ctx.state.value("ups.model").map(str::to_owned), ty)
}

#[test]
fn model_lines() {
    // iModel wins over the nominal power
    assert_eq!(
        refine(MGE_VENDOR, Some("Evolution"), Some("650"), 650.0),
        (Some("Evolution 650".into()), TYPE_EVOLUTION_650)
    );
    // an empty iModel: the nominal power stands in
    assert_eq!(
        refine(MGE_VENDOR, Some("Protection Station"), Some(""), 800.9),
        (Some("Protection Station 800".into()), TYPE_PEGASUS)
    );
    // no product string
    assert_eq!(
        refine(MGE_VENDOR, None, None, 2000.0),
        (Some("unknown 2000".into()), TYPE_DEFAULT)
    );
    // Dell: the product string as it is
    assert_eq!(
        refine(DELL_VENDOR, Some("Dell UPS Tower"), Some("1000"), 1000.0),
        (Some("Dell UPS Tower".into()), TYPE_DEFAULT)
    );
}

#[test]
fn strings() {
    let mut d = UsbDeviceInfo::new(MGE_VENDOR, 0xffff);
    let mut state = DeviceState::new();
    assert_eq!(format_mfr(&d).as_deref(), Some("Eaton"));
    assert_eq!(format_model(&d, &mut state), None);
    d.vendor = Some("EATON".into());
    d.product = Some("Ellipse ECO".into());
    assert_eq!(format_mfr(&d).as_deref(), Some("EATON"));
    assert_eq!(format_model(&d, &mut state).as_deref(), Some("Ellipse ECO"));
}

#[test]
fn paths_resolve() {
    assert!(
        unresolved_paths(&MGE).is_empty(),
        "{:?}",
        unresolved_paths(&MGE)
    );
    assert_eq!(
        string_to_path(
            "UPS.PowerConverter.Input.[1].Phase.[12].Voltage",
            MGE.usages
        ),
        Some(vec![
            0x0084_0004,
            0x0084_0016,
            0x0084_001a,
            0x00ff_0001,
            0xffff_0010,
            0x00ff_000c,
            0x0084_0030
        ])
    );
}

#[test]
fn table_shape() {
    // The lines that refine the model come before every line that depends on it.
    assert_eq!(TABLE[0].var, MODEL_LINE);
    assert_eq!(TABLE[1].var, MODEL_LINE);
    assert!(TABLE[2..].iter().all(|item| item.var != MODEL_LINE));
    // ABM's mode and state come before the status bits.
    let first_bool = TABLE.iter().position(|i| i.var == "BOOL").unwrap_or(0);
    let abm = TABLE
        .iter()
        .position(|i| i.path == "UPS.BatterySystem.Charger.ABMEnable")
        .unwrap_or(usize::MAX);
    assert!(abm < first_bool);
    let good = TABLE
        .iter()
        .position(|i| i.path == "UPS.PowerSummary.PresentStatus.Good");
    let used = TABLE
        .iter()
        .position(|i| i.path == "UPS.PowerConverter.Input.[1].PresentStatus.Used");
    assert!(good < used);
}

#[test]
fn corpus_units() {
    let units = [
        ("Eaton_3S-700", MGE_VENDOR, 0xffff),
        ("Eaton_5E", MGE_VENDOR, 0xffff),
        ("Eaton_5SC-1500i-R", MGE_VENDOR, 0xffff),
        ("Eaton_9PX-2200GRT-L", MGE_VENDOR, 0xffff),
        ("Eaton_Ellipse-ECO", MGE_VENDOR, 0xffff),
        ("Eaton_Protection-Station", MGE_VENDOR, 0xffff),
        ("IBM_1000VA-750W-Tower", IBM_VENDOR, 0x0001),
    ];
    for (folder, vendor, product) in units {
        let Some(mut desc) = corpus_descriptor(folder) else {
            return;
        };
        let d = UsbDeviceInfo::new(vendor, product);
        assert!(
            matches!(claim(&d, &ClaimContext::default()), Claim::Yes(_)),
            "{folder}"
        );
        let before = desc.clone();
        assert!(!(MGE.fix_report_desc)(&d, &mut desc));
        assert_eq!(desc, before);
        let has = |path: &str| {
            string_to_path(path, MGE.usages).is_some_and(|p| desc.find(&p, None).is_some())
        };
        assert!(has("UPS.PowerSummary.RemainingCapacity"), "{folder}");
        assert!(has("UPS.PowerSummary.PresentStatus.ACPresent"), "{folder}");
        let mapped = TABLE.iter().filter(|item| has(item.path)).count();
        assert!(mapped >= 20, "{folder}: only {mapped} lines map");
    }
}
