//! `rusb` (what our drivers use, linked to the system libusb) on the emulated library: the test
//! re-runs itself with `LD_LIBRARY_PATH` pointing at the emulator, and the child enumerates,
//! opens, reads descriptors, strings and reports, and sees an interrupt and an unplug.

use std::time::Duration;

use nut_usb_emu::runner::{self, LibDir, RunOptions};

const CHILD: &str = "NUT_USB_EMU_TEST_CHILD";

const DEVICE: &str = "vendor-id 051d
product-id 0002
bus 3
address 7
port-path 1.4
manufacturer \"American Power Conversion\"
product \"Back-UPS 500 FW: 6.5.I USB FW: c1 \"
serial AB0427
report-descriptor 05 84 09 04 a1 01 85 0c 09 66 75 08 95 01 b1 02 c0
feature 0c 64 00 00 14 0a
at 0s interrupt 13 00
";

fn child() -> Result<(), String> {
    let e = |what: &str| {
        let what = what.to_owned();
        move |err: rusb::Error| format!("{what}: {err}")
    };
    let version = rusb::version();
    if (version.major(), version.minor(), version.micro()) != (1, 0, 26) {
        return Err("not the emulated libusb's version".into());
    }
    let devices = rusb::devices().map_err(e("devices"))?;
    let list: Vec<_> = devices.iter().collect();
    if list.len() != 1 {
        return Err(format!("{} devices listed", list.len()));
    }
    let device = &list[0];
    let desc = device.device_descriptor().map_err(e("descriptor"))?;
    if (desc.vendor_id(), desc.product_id()) != (0x051d, 2) {
        return Err(format!(
            "ids {:04x}:{:04x}",
            desc.vendor_id(),
            desc.product_id()
        ));
    }
    if (
        device.bus_number(),
        device.address(),
        device.port_numbers().map_err(e("ports"))?,
    ) != (3, 7, vec![1, 4])
    {
        return Err("bus/address/ports".into());
    }
    let config = device.config_descriptor(0).map_err(e("config"))?;
    let interface = config.interfaces().next().ok_or("no interface")?;
    let alt = interface.descriptors().next().ok_or("no altsetting")?;
    if alt.class_code() != 3 || alt.extra() != [9, 0x21, 0x10, 0x01, 0, 1, 0x22, 17, 0] {
        return Err(format!(
            "interface class {} extra {:02x?}",
            alt.class_code(),
            alt.extra()
        ));
    }
    let endpoint = alt.endpoint_descriptors().next().ok_or("no endpoint")?;
    if endpoint.address() != 0x81 {
        return Err("endpoint".into());
    }
    let handle = device.open().map_err(e("open"))?;
    let product = handle
        .read_product_string_ascii(&desc)
        .map_err(e("product"))?;
    if product != "Back-UPS 500 FW: 6.5.I USB FW: c1 " {
        return Err(format!("product {product:?}"));
    }
    handle.claim_interface(0).map_err(e("claim"))?;
    let timeout = Duration::from_secs(1);
    let mut buf = [0u8; 64];
    let n = handle
        .read_control(0x81, 6, 0x2200, 0, &mut buf, timeout)
        .map_err(e("report descriptor"))?;
    if n != 17 {
        return Err(format!("report descriptor of {n} bytes"));
    }
    let n = handle
        .read_control(0xa1, 1, 0x030c, 0, &mut buf[..6], timeout)
        .map_err(e("GET_REPORT"))?;
    if buf[..n] != [0x0c, 0x64, 0, 0, 0x14, 0x0a] {
        return Err(format!("GET_REPORT {:02x?}", &buf[..n]));
    }
    handle
        .write_control(0x21, 9, 0x030c, 0, &[0x0c, 0x32], timeout)
        .map_err(e("SET_REPORT"))?;
    let n = handle
        .read_control(0xa1, 1, 0x030c, 0, &mut buf[..6], timeout)
        .map_err(e("GET_REPORT"))?;
    if buf[..n] != [0x0c, 0x32] {
        return Err(format!("GET_REPORT after SET_REPORT {:02x?}", &buf[..n]));
    }
    let n = handle
        .read_interrupt(0x81, &mut buf, timeout)
        .map_err(e("interrupt"))?;
    if buf[..n] != [0x13, 0] {
        return Err(format!("interrupt {:02x?}", &buf[..n]));
    }
    match handle.read_interrupt(0x81, &mut buf, Duration::from_millis(100)) {
        Err(rusb::Error::Timeout) => {}
        other => return Err(format!("second interrupt: {other:?}")),
    }
    let control = std::env::var(nut_usb_emu::emu::ENV_CONTROL).map_err(|_| "no control file")?;
    std::fs::write(&control, "unplug\n").map_err(|err| err.to_string())?;
    match handle.read_control(0xa1, 1, 0x030c, 0, &mut buf, timeout) {
        Err(rusb::Error::NoDevice) => {}
        other => return Err(format!("after unplug: {other:?}")),
    }
    if !rusb::devices().map_err(e("devices"))?.is_empty() {
        return Err("the unplugged device is still listed".into());
    }
    Ok(())
}

#[test]
fn rusb_reads_the_emulated_device() {
    if std::env::var_os(CHILD).is_some() {
        if let Err(message) = child() {
            panic!("rusb on the emulator: {message}");
        }
        return;
    }
    let dir = std::env::temp_dir().join(format!("usb-emu-rusb-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let device = dir.join("ups.dev");
    let control = dir.join("control");
    std::fs::write(&device, DEVICE).unwrap_or_else(|err| panic!("{err}"));
    std::fs::write(&control, "").unwrap_or_else(|err| panic!("{err}"));
    let exe = std::env::current_exe().unwrap_or_default();
    let library = runner::find_library(&exe).unwrap_or_else(|err| panic!("{err}"));
    let lib_dir = LibDir::new(&library).unwrap_or_else(|err| panic!("{err}"));
    let options = RunOptions {
        devices: vec![device],
        log: Some(dir.join("log")),
        control: Some(control),
        library: Some(library),
        command: vec![
            exe.into_os_string(),
            "--exact".into(),
            "rusb_reads_the_emulated_device".into(),
            "--nocapture".into(),
        ],
    };
    let mut cmd = runner::command(&options, &lib_dir).unwrap_or_else(|err| panic!("{err}"));
    cmd.env(CHILD, "1");
    let output = cmd.output().unwrap_or_else(|err| panic!("{err}"));
    let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    assert!(
        output.status.success(),
        "child failed:\n{}\n{}\n--- transfers ---\n{log}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(log.contains("control unplug"), "{log}");
    drop(lib_dir);
    let _ = std::fs::remove_dir_all(&dir);
}
