//! UPScode II replies: any text read as code and value lines of every table (status lists
//! included), the charge and runtime estimates on what they leave, `UPPM` parameter lines
//! and C's `%f` must never panic; the simulated unit takes any line; the driver, against a
//! unit that answers each command with the next part of the input (parts separated by
//! 0xff), gets through start-up, two polls, every instant command, SETs and `-k` without a
//! panic or a hang (paused clock).
#![no_main]

use std::collections::VecDeque;
use std::io;

use async_trait::async_trait;
use libfuzzer_sys::fuzz_target;
use nut_driver_api::{DeviceState, Driver, DriverParams};
use nut_drivers::serial::SerialPort;
use nut_drivers::sim::{upscode2 as sim, UpsModel};
use nut_drivers::upscode2::reply::{
    apply, charge_estimate, runtime_estimate, scan_f32, status_words, uppm_parameter,
    BatteryHistory, Readings, Table,
};
use nut_drivers::upscode2::Upscode2;

/// A unit answering each command (each `\r` written) with the next part of the script.
struct Scripted {
    parts: VecDeque<Vec<u8>>,
    out: Vec<u8>,
}

#[async_trait]
impl SerialPort for Scripted {
    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        for _ in data.iter().filter(|&&b| b == b'\r') {
            if let Some(p) = self.parts.pop_front() {
                self.out.extend(p);
            }
        }
        Ok(())
    }

    async fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out.is_empty() {
            std::future::pending::<()>().await;
        }
        let n = self.out.len().min(buf.len());
        buf[..n].copy_from_slice(&self.out[..n]);
        self.out.drain(..n);
        Ok(n)
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.out.clear();
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split(['\n', '\r']).collect();
    let mut r = Readings::default();
    let mut set = Vec::new();
    for table in [
        Table::Simple,
        Table::Nominal,
        Table::Battery,
        Table::Alarms,
        Table::Regulation,
        Table::Environment,
    ] {
        for pair in lines.chunks(2) {
            let _ = apply(
                table,
                pair[0],
                pair.get(1).copied().unwrap_or(""),
                &mut r,
                &mut set,
            );
        }
    }
    let _ = status_words(r.status);
    let mut history = BatteryHistory::default();
    for _ in 0..3 {
        let c = charge_estimate(&r, &mut history);
        assert!(c == -1.0 || (0.0..=100.0).contains(&c) || c.is_nan(), "{c}");
    }
    let _ = runtime_estimate(&r, 0.5);
    for l in &lines {
        let _ = uppm_parameter(l);
        let _ = scan_f32(l);
    }
    let mut model = UpsModel::new();
    for l in &lines {
        let _ = sim::respond(&mut model, l.as_bytes());
    }

    // The driver against a scripted unit.
    let parts: VecDeque<Vec<u8>> = data.split(|&b| b == 0xff).map(<[u8]>::to_vec).collect();
    let mut driver = Upscode2::with_opener(Box::new(move |_: &str| {
        Ok(Box::new(Scripted {
            parts: parts.clone(),
            out: Vec::new(),
        }) as Box<dyn SerialPort>)
    }));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let params = DriverParams::new("fuzz").with_option("use_crlf", None);
        let mut state = DeviceState::new();
        if driver.open(&params, &mut state).await.is_err() {
            return;
        }
        let _ = driver.identify(&mut state).await;
        for _ in 0..2 {
            let _ = driver.update(&mut state).await;
        }
        for cmd in [
            "shutdown.return",
            "shutdown.stop",
            "test.battery.start",
            "load.off",
            "beeper.on",
            "nothing",
        ] {
            let _ = driver.instcmd(&mut state, cmd, Some("5")).await;
        }
        for (var, value) in [
            ("ups.delay.shutdown", "30"),
            ("ups.delay.reboot", "x"),
            ("ups.load", "1"),
        ] {
            let _ = driver.set_var(&mut state, var, value).await;
        }
        let _ = driver.shutdown(&mut state).await;
        driver.close().await;
    });
});
