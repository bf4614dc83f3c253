//! The emulator's state: the devices, their report values and faults, the open handles, the
//! script clock, the control file and the transfer log. Entirely safe code; the C ABI in
//! `ffi` is a thin layer over it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::device::{split_report, DeviceSpec, EndpointKind};
use crate::hex;
use crate::q1_bridge::Q1Bridge;
use crate::script::{self, Command, Fault, Target};

/// libusb error codes used by the emulator.
pub mod code {
    /// Input/output error.
    pub const IO: i32 = -1;
    /// Invalid parameter.
    pub const INVALID_PARAM: i32 = -2;
    /// No such device (it may have been disconnected).
    pub const NO_DEVICE: i32 = -4;
    /// Entity not found.
    pub const NOT_FOUND: i32 = -5;
    /// Operation timed out.
    pub const TIMEOUT: i32 = -7;
    /// Overflow.
    pub const OVERFLOW: i32 = -8;
    /// Pipe error (stall).
    pub const PIPE: i32 = -9;
    /// Operation not supported.
    pub const NOT_SUPPORTED: i32 = -12;
}

/// Environment variable naming the device files (colon-separated).
pub const ENV_DEVICES: &str = "NUT_USB_EMU_DEVICES";
/// Environment variable naming the transfer log.
pub const ENV_LOG: &str = "NUT_USB_EMU_LOG";
/// Environment variable naming the control file.
pub const ENV_CONTROL: &str = "NUT_USB_EMU_CONTROL";

/// Identifies one plugging of one device: a re-plugged device is a new `DeviceKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceKey {
    /// Position in the device list given at start (0-based).
    pub slot: usize,
    /// Incremented each time the device is plugged again.
    pub generation: u32,
}

/// The live state of one emulated device.
#[derive(Debug)]
pub struct DeviceState {
    /// The device file (its `strings` are updated by `string` commands).
    pub spec: DeviceSpec,
    /// Current feature report values (wire bytes).
    pub features: BTreeMap<u8, Vec<u8>>,
    /// Current input report values (wire bytes).
    pub inputs: BTreeMap<u8, Vec<u8>>,
    /// Interrupt IN reports waiting to be read.
    pub interrupts: VecDeque<Vec<u8>>,
    /// Bulk IN data waiting to be read.
    pub bulk_in: VecDeque<Vec<u8>>,
    /// Whether the device is on the bus.
    pub plugged: bool,
    /// Current plugging.
    pub generation: u32,
    /// Current device address.
    pub address: u8,
    /// Active faults: target, fault, one-shot.
    pub faults: Vec<(Target, Fault, bool)>,
    /// HID idle rate set by SET_IDLE.
    pub idle: u8,
    /// The Q1 bridge (`q1-bridge` devices): its framing state and simulator connection.
    pub bridge: Option<Q1Bridge>,
    script_pos: usize,
    cycle_start: Duration,
}

impl DeviceState {
    /// A freshly plugged device.
    pub fn new(spec: DeviceSpec) -> Self {
        Self {
            features: spec.features.clone(),
            inputs: spec.inputs.clone(),
            interrupts: VecDeque::new(),
            bulk_in: VecDeque::new(),
            plugged: true,
            generation: 0,
            address: spec.address,
            faults: Vec::new(),
            idle: 0,
            bridge: match (spec.q1_bridge, &spec.q1_socket) {
                (Some(bridge), Some(socket)) => Some(Q1Bridge::new(bridge, socket)),
                _ => None,
            },
            script_pos: 0,
            cycle_start: Duration::ZERO,
            spec,
        }
    }

    /// Applies one command.
    pub fn apply(&mut self, command: &Command) {
        match command {
            Command::Unplug => self.plugged = false,
            Command::Plug { address } => {
                if !self.plugged {
                    self.plugged = true;
                    self.generation = self.generation.wrapping_add(1);
                    if let Some(bridge) = self.bridge.as_mut() {
                        bridge.reset();
                    }
                }
                if let Some(a) = address {
                    self.address = *a;
                }
            }
            Command::Feature(bytes) => {
                if let Some((id, wire)) = split_report(bytes) {
                    patch(&mut self.features, id, &wire);
                }
            }
            Command::Input(bytes) => {
                if let Some((id, wire)) = split_report(bytes) {
                    patch(&mut self.inputs, id, &wire);
                }
            }
            Command::Interrupt(bytes) => {
                if let Some((id, wire)) = split_report(bytes) {
                    patch(&mut self.inputs, id, &wire);
                    if self.features.contains_key(&id) {
                        patch(&mut self.features, id, &wire);
                    }
                    if self.interrupts.len() < 4096 {
                        self.interrupts.push_back(wire);
                    }
                }
            }
            Command::Bulk(bytes) => {
                if self.bulk_in.len() < 4096 {
                    self.bulk_in.push_back(bytes.clone());
                }
            }
            Command::Fault {
                target,
                fault,
                once,
            } => {
                if self.faults.len() < 256 {
                    self.faults.push((*target, *fault, *once));
                }
            }
            Command::Clear(Target::All) => self.faults.clear(),
            Command::Clear(target) => self.faults.retain(|(t, _, _)| t != target),
            Command::String(index, text) => {
                self.spec.strings.insert(*index, text.clone());
            }
        }
    }

    /// Queues a scripted reply: on the bulk IN queue as one piece (bulk reads stream it), or
    /// on the interrupt queue split into packets of the interrupt IN endpoint's size, as a
    /// serial bridge sends them.
    pub fn queue_reply(&mut self, answer: &[u8], bulk: bool) {
        if bulk {
            if self.bulk_in.len() < 4096 {
                self.bulk_in.push_back(answer.to_vec());
            }
            return;
        }
        let packet = self.interrupt_in_packet();
        for chunk in answer.chunks(packet) {
            if self.interrupts.len() < 4096 {
                self.interrupts.push_back(chunk.to_vec());
            }
        }
    }

    /// wMaxPacketSize of the interrupt IN endpoint (8 without one).
    pub fn interrupt_in_packet(&self) -> usize {
        self.spec
            .endpoints
            .iter()
            .find(|e| e.address & 0x80 != 0 && e.kind == EndpointKind::Interrupt)
            .map_or(8, |e| usize::from(e.max_packet.max(1)))
    }

    /// Takes the fault that applies to a report id (or to interrupt transfers with `None`).
    pub fn take_fault(&mut self, report: Option<u8>) -> Option<Fault> {
        let pos = self.faults.iter().position(|(t, _, _)| match (t, report) {
            (Target::All, _) => true,
            (Target::Report(id), Some(r)) => *id == r,
            (Target::Interrupt, None) => true,
            _ => false,
        })?;
        let (_, fault, once) = self.faults[pos];
        if once {
            self.faults.remove(pos);
        }
        Some(fault)
    }

    /// Takes a fault given for `all` (the string requests of Q1 bridges have no report id).
    pub fn take_fault_for_all(&mut self) -> Option<Fault> {
        let pos = self.faults.iter().position(|(t, _, _)| *t == Target::All)?;
        let (_, fault, once) = self.faults[pos];
        if once {
            self.faults.remove(pos);
        }
        Some(fault)
    }

    /// Runs the script up to `now` (time since the emulator started); returns the commands run.
    pub fn run_script(&mut self, now: Duration) -> Vec<Command> {
        let mut done = Vec::new();
        let mut guard = 0;
        while let Some((at, command)) = self.spec.script.get(self.script_pos).cloned() {
            if self.cycle_start + at > now || guard > 100_000 {
                break;
            }
            guard += 1;
            self.apply(&command);
            done.push(command);
            self.script_pos += 1;
            if self.script_pos >= self.spec.script.len() {
                if let Some(period) = self.spec.repeat {
                    self.script_pos = 0;
                    self.cycle_start += period;
                }
            }
        }
        done
    }
}

/// Writes `wire` over the start of the stored report (a shorter value patches, a longer or
/// new one replaces).
fn patch(map: &mut BTreeMap<u8, Vec<u8>>, id: u8, wire: &[u8]) {
    match map.get_mut(&id) {
        Some(old) if old.len() > wire.len() => old[..wire.len()].copy_from_slice(wire),
        _ => {
            map.insert(id, wire.to_vec());
        }
    }
}

/// An open device handle.
#[derive(Debug, Clone, Copy)]
pub struct HandleState {
    /// The device plugging it was opened on.
    pub key: DeviceKey,
    /// Claimed interfaces (bit per interface number below 32).
    pub claimed: u32,
    /// Kernel driver detached from interface 0.
    pub detached: bool,
}

/// What a transfer does once the state has been consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Finished: number of bytes transferred, or a libusb error code.
    Done(Result<usize, i32>),
    /// Nothing to read yet: poll again until the deadline.
    Wait,
    /// The device does not answer: sleep the whole timeout and fail.
    Hang,
}

/// Reads new lines of the control file.
#[derive(Debug)]
struct ControlReader {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
    line: usize,
    target: usize,
}

/// The whole emulator.
#[derive(Debug)]
pub struct Emulator {
    start: Instant,
    /// The devices, in the order given.
    pub devices: Vec<DeviceState>,
    handles: HashMap<u64, HandleState>,
    next_handle: u64,
    control: Option<ControlReader>,
    log: Option<PathBuf>,
}

impl Emulator {
    /// An emulator serving these devices.
    pub fn new(specs: Vec<DeviceSpec>, control: Option<PathBuf>, log: Option<PathBuf>) -> Self {
        Self {
            start: Instant::now(),
            devices: specs.into_iter().map(DeviceState::new).collect(),
            handles: HashMap::new(),
            next_handle: 1,
            control: control.map(|path| ControlReader {
                path,
                offset: 0,
                partial: Vec::new(),
                line: 0,
                target: 0,
            }),
            log,
        }
    }

    /// An emulator configured from `NUT_USB_EMU_DEVICES`, `NUT_USB_EMU_CONTROL` and
    /// `NUT_USB_EMU_LOG`. Device files that do not parse are reported on stderr and skipped.
    pub fn from_env() -> Self {
        let mut specs = Vec::new();
        if let Some(list) = std::env::var_os(ENV_DEVICES) {
            for path in std::env::split_paths(&list) {
                if path.as_os_str().is_empty() {
                    continue;
                }
                match DeviceSpec::load(&path) {
                    Ok(spec) => specs.push(spec),
                    Err(e) => eprintln!("usb-emu: {e}"),
                }
            }
        }
        let var = |name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Self::new(specs, var(ENV_CONTROL), var(ENV_LOG))
    }

    /// Time since the emulator started (the script clock).
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Brings the devices up to date: runs due script steps and new control-file lines.
    pub fn tick(&mut self) {
        let now = self.elapsed();
        for slot in 0..self.devices.len() {
            let done = self.devices[slot].run_script(now);
            for command in done {
                self.log_event(slot, &format!("script {}", command.to_line()));
            }
        }
        self.read_control();
    }

    fn read_control(&mut self) {
        let Some(reader) = self.control.as_mut() else {
            return;
        };
        let Ok(mut file) = std::fs::File::open(&reader.path) else {
            return;
        };
        if file.seek(SeekFrom::Start(reader.offset)).is_err() {
            return;
        }
        let mut fresh = Vec::new();
        let Ok(n) = file.take(1 << 20).read_to_end(&mut fresh) else {
            return;
        };
        reader.offset += n as u64;
        reader.partial.extend_from_slice(&fresh);
        let mut lines = Vec::new();
        while let Some(end) = reader.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = reader.partial.drain(..=end).collect();
            reader.line += 1;
            lines.push((
                reader.line,
                String::from_utf8_lossy(&line).trim_end().to_owned(),
            ));
        }
        for (number, line) in lines {
            self.control_line(number, &line);
        }
    }

    fn control_line(&mut self, number: usize, line: &str) {
        let words = match script::tokenize(line) {
            Ok(w) => w,
            Err(e) => return self.control_error(number, &e),
        };
        if let [first, n] = words.as_slice() {
            if first.text == "device" {
                match hex::parse_decimal(&n.text, 1024) {
                    Ok(n) if n >= 1 && (n as usize) <= self.devices.len() => {
                        if let Some(reader) = self.control.as_mut() {
                            reader.target = n as usize - 1;
                        }
                    }
                    _ => self.control_error(number, "no such device"),
                }
                return;
            }
        }
        match Command::parse_line(line) {
            Ok(None) => {}
            Ok(Some(command)) => {
                let slot = self.control.as_ref().map_or(0, |r| r.target);
                if let Some(device) = self.devices.get_mut(slot) {
                    device.apply(&command);
                    self.log_event(slot, &format!("control {}", command.to_line()));
                }
            }
            Err(e) => self.control_error(number, &e),
        }
    }

    fn control_error(&mut self, number: usize, message: &str) {
        let path = self
            .control
            .as_ref()
            .map(|r| r.path.display().to_string())
            .unwrap_or_default();
        eprintln!("usb-emu: {path}:{number}: {message}");
        self.log_line(&format!("- control-error {path}:{number}: {message}"));
    }

    /// The devices on the bus now.
    pub fn device_list(&self) -> Vec<DeviceKey> {
        self.devices
            .iter()
            .enumerate()
            .filter(|(_, d)| d.plugged)
            .map(|(slot, d)| DeviceKey {
                slot,
                generation: d.generation,
            })
            .collect()
    }

    /// The device of a key, if that plugging is still on the bus.
    pub fn live(&self, key: DeviceKey) -> Option<&DeviceState> {
        self.devices
            .get(key.slot)
            .filter(|d| d.plugged && d.generation == key.generation)
    }

    /// The device of a key, plugged or not (descriptors stay readable from a stale device).
    pub fn any(&self, key: DeviceKey) -> Option<&DeviceState> {
        self.devices.get(key.slot)
    }

    /// Opens a device: a new handle id.
    pub fn open(&mut self, key: DeviceKey) -> Result<u64, i32> {
        self.live(key).ok_or(code::NO_DEVICE)?;
        let id = self.next_handle;
        self.next_handle += 1;
        self.handles.insert(
            id,
            HandleState {
                key,
                claimed: 0,
                detached: false,
            },
        );
        Ok(id)
    }

    /// Closes a handle.
    pub fn close(&mut self, handle: u64) {
        self.handles.remove(&handle);
    }

    /// The state of an open handle.
    pub fn handle(&self, handle: u64) -> Option<HandleState> {
        self.handles.get(&handle).copied()
    }

    /// The handle's device if it is still plugged (else LIBUSB_ERROR_NO_DEVICE).
    pub fn check(&self, handle: u64) -> Result<HandleState, i32> {
        let h = self.handle(handle).ok_or(code::NO_DEVICE)?;
        self.live(h.key).ok_or(code::NO_DEVICE)?;
        Ok(h)
    }

    /// Updates a handle's claim / kernel-driver flags.
    pub fn update_handle(
        &mut self,
        handle: u64,
        f: impl FnOnce(&mut HandleState),
    ) -> Result<(), i32> {
        self.check(handle)?;
        if let Some(h) = self.handles.get_mut(&handle) {
            f(h);
        }
        Ok(())
    }

    fn live_mut(&mut self, handle: u64) -> Result<(usize, &mut DeviceState), i32> {
        let h = self.check(handle)?;
        let device = self.devices.get_mut(h.key.slot).ok_or(code::NO_DEVICE)?;
        Ok((h.key.slot, device))
    }

    /// Interrupt transfer step: IN takes a queued report, OUT is logged (and may queue a reply).
    pub fn interrupt(&mut self, handle: u64, endpoint: u8, data: &mut [u8]) -> Step {
        self.pipe_transfer(handle, endpoint, data, false)
    }

    /// Bulk transfer step: IN takes queued bulk data, OUT is logged (and may queue a reply).
    pub fn bulk(&mut self, handle: u64, endpoint: u8, data: &mut [u8]) -> Step {
        self.pipe_transfer(handle, endpoint, data, true)
    }

    fn pipe_transfer(&mut self, handle: u64, endpoint: u8, data: &mut [u8], bulk: bool) -> Step {
        let (slot, device) = match self.live_mut(handle) {
            Ok(d) => d,
            Err(e) => return Step::Done(Err(e)),
        };
        let kind = if bulk { "bulk" } else { "interrupt" };
        let in_packet = device.interrupt_in_packet();
        let bridged = match device.bridge.as_mut() {
            Some(bridge) if !bulk && endpoint & 0x80 == 0 => {
                bridge.interrupt_out(&mut device.interrupts, in_packet, endpoint, data)
            }
            _ => None,
        };
        let step = if let Some(step) = bridged {
            step
        } else if endpoint & 0x80 == 0 {
            if let Some(rule) = device
                .spec
                .replies
                .iter()
                .find(|r| data.starts_with(&r.request))
            {
                let answer = rule.answer.clone();
                device.queue_reply(&answer, bulk);
            }
            Step::Done(Ok(data.len()))
        } else {
            let fault = if bulk { None } else { device.take_fault(None) };
            let queue = if bulk {
                &mut device.bulk_in
            } else {
                &mut device.interrupts
            };
            match fault {
                Some(Fault::Stall) => Step::Done(Err(code::PIPE)),
                Some(Fault::Error(e)) => Step::Done(Err(e)),
                Some(Fault::Timeout) => Step::Hang,
                Some(Fault::Garbage) => {
                    data.fill(0xa5);
                    Step::Done(Ok(data.len()))
                }
                None => match queue.pop_front() {
                    None => Step::Wait,
                    // Bulk data is a stream: a short read leaves the rest for the next one.
                    Some(mut chunk) if bulk && chunk.len() > data.len() => {
                        let rest = chunk.split_off(data.len());
                        data.copy_from_slice(&chunk);
                        queue.push_front(rest);
                        Step::Done(Ok(data.len()))
                    }
                    Some(report) => {
                        let n = report.len().min(data.len());
                        data[..n].copy_from_slice(&report[..n]);
                        if report.len() > data.len() {
                            Step::Done(Err(code::OVERFLOW))
                        } else {
                            Step::Done(Ok(n))
                        }
                    }
                },
            }
        };
        if step != Step::Wait {
            let dir = if endpoint & 0x80 != 0 { "in" } else { "out" };
            let shown = match &step {
                Step::Done(Ok(n)) => &data[..(*n).min(data.len())],
                _ => &[][..],
            };
            let line = format!(
                "{kind} {dir} ep={endpoint:02x} len={} data={} result={}",
                data.len(),
                hex::to_compact(shown),
                result_text(&step)
            );
            self.log_bridge_notes(slot);
            self.log_event(slot, &line);
        }
        step
    }

    /// Writes the notes of a device's Q1 bridge (socket errors) to the transfer log.
    fn log_bridge_notes(&mut self, slot: usize) {
        let notes = self
            .devices
            .get_mut(slot)
            .and_then(|d| d.bridge.as_mut())
            .map(Q1Bridge::take_notes)
            .unwrap_or_default();
        for note in notes {
            self.log_event(slot, &note);
        }
    }

    /// Control transfer step.
    #[allow(clippy::too_many_arguments)]
    pub fn control(
        &mut self,
        handle: u64,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        data: &mut [u8],
    ) -> Step {
        let step = match self.live_mut(handle) {
            Ok((_, device)) => {
                crate::requests::answer(device, request_type, request, value, index, data)
            }
            Err(e) => Step::Done(Err(e)),
        };
        let slot = self.handle(handle).map_or(usize::MAX, |h| h.key.slot);
        let dir = if request_type & 0x80 != 0 {
            "in"
        } else {
            "out"
        };
        let shown = match (&step, dir) {
            (Step::Done(Ok(n)), "in") => &data[..(*n).min(data.len())],
            (_, "out") => &data[..],
            _ => &[][..],
        };
        let line = format!(
            "control {dir} type={request_type:02x} req={request:02x} value={value:04x} index={index:04x} len={} data={} result={}",
            data.len(),
            hex::to_compact(shown),
            result_text(&step)
        );
        self.log_bridge_notes(slot);
        self.log_event(slot, &line);
        step
    }

    fn log_event(&mut self, slot: usize, what: &str) {
        if self.log.is_none() {
            return;
        }
        let device = match self.devices.get(slot) {
            Some(d) => format!(
                "dev{} {:04x}:{:04x}",
                slot + 1,
                d.spec.vendor_id,
                d.spec.product_id
            ),
            None => "dev? ????:????".to_owned(),
        };
        self.log_line(&format!("{device} {what}"));
    }

    fn log_line(&mut self, what: &str) {
        let Some(path) = self.log.as_ref() else {
            return;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let line = format!("{}.{:06} {what}\n", now.as_secs(), now.subsec_micros());
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

fn result_text(step: &Step) -> String {
    match step {
        Step::Done(Ok(n)) => n.to_string(),
        Step::Done(Err(e)) => format!(
            "LIBUSB_ERROR_{}",
            script::error_name(*e).to_uppercase().replace('-', "_")
        ),
        Step::Hang => "LIBUSB_ERROR_TIMEOUT".to_owned(),
        Step::Wait => "waiting".to_owned(),
    }
}

static GLOBAL: OnceLock<Mutex<Emulator>> = OnceLock::new();

/// The process-wide emulator, created from the environment on first use.
pub fn global() -> MutexGuard<'static, Emulator> {
    let lock = GLOBAL.get_or_init(|| Mutex::new(Emulator::from_env()));
    let mut guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    guard.tick();
    guard
}

/// Runs a transfer step against the global emulator, polling while there is nothing to read
/// (interrupt/bulk IN) until `timeout_ms` passes (0: until data or unplug), and sleeping the
/// whole timeout when the device is told not to answer.
pub fn run_blocking(
    timeout_ms: u32,
    mut step: impl FnMut(&mut Emulator) -> Step,
) -> Result<usize, i32> {
    let start = Instant::now();
    let timeout = Duration::from_millis(u64::from(timeout_ms));
    loop {
        let outcome = step(&mut global());
        match outcome {
            Step::Done(result) => return result,
            Step::Hang => {
                let wait = if timeout_ms == 0 {
                    Duration::from_secs(60)
                } else {
                    timeout
                };
                std::thread::sleep(wait.min(Duration::from_secs(600)));
                return Err(code::TIMEOUT);
            }
            Step::Wait => {
                let spent = start.elapsed();
                if timeout_ms != 0 && spent >= timeout {
                    return Err(code::TIMEOUT);
                }
                let left = if timeout_ms == 0 {
                    Duration::from_millis(10)
                } else {
                    timeout - spent
                };
                std::thread::sleep(left.min(Duration::from_millis(10)));
            }
        }
    }
}
