//! `usb-emu run`: runs a program with the emulated libusb in place of the system one.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use crate::emu::{ENV_CONTROL, ENV_DEVICES, ENV_LOG};

/// Environment variable naming the emulator's shared object explicitly.
pub const ENV_LIB: &str = "NUT_USB_EMU_LIB";

/// File name of the cdylib cargo builds for this crate.
pub const LIB_FILE: &str = "libnut_usb_emu.so";

/// The files `usb-emu run` may keep in its private folder besides the library link: the
/// device file of a Q1 bridge (`--q1`) and the simulator's socket.
pub const PRIVATE_FILES: [&str; 3] = ["libusb-1.0.so.0", "q1.dev", "q1.sock"];

/// What `usb-emu run` needs.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Device files to serve, in bus order.
    pub devices: Vec<PathBuf>,
    /// Transfer log (`NUT_USB_EMU_LOG`).
    pub log: Option<PathBuf>,
    /// Control file (`NUT_USB_EMU_CONTROL`).
    pub control: Option<PathBuf>,
    /// The emulator library; found next to the executable when `None`.
    pub library: Option<PathBuf>,
    /// The program and its arguments.
    pub command: Vec<OsString>,
}

/// Finds the emulator library: `NUT_USB_EMU_LIB`, else the newest `libnut_usb_emu.so` beside
/// `exe`, in its `deps/` folder (cargo's layout) or beside its parent folder (test binaries).
pub fn find_library(exe: &Path) -> Result<PathBuf, String> {
    if let Some(explicit) = std::env::var_os(ENV_LIB).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(explicit);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{ENV_LIB}={} is not a file", path.display()))
        };
    }
    let dir = exe.parent().unwrap_or(Path::new("."));
    let candidates = [
        dir.join(LIB_FILE),
        dir.join("deps").join(LIB_FILE),
        dir.parent().unwrap_or(dir).join(LIB_FILE),
    ];
    // Cargo refreshes `deps/` on every build but the copy beside the binaries only on some:
    // the newest one is the current emulator.
    let newest = candidates
        .iter()
        .filter_map(|c| Some((std::fs::metadata(c).ok()?.modified().ok()?, c)))
        .filter(|(_, c)| c.is_file())
        .max_by_key(|(time, _)| *time);
    if let Some((_, found)) = newest {
        return Ok(found.clone());
    }
    let tried: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
    Err(format!(
        "the emulated libusb was not found (tried {}); build it with `cargo build -p nut-usb-emu` or set {ENV_LIB}",
        tried.join(", ")
    ))
}

/// A private folder holding `libusb-1.0.so.0` (a symbolic link to the emulator); removed on drop.
#[derive(Debug)]
pub struct LibDir {
    path: PathBuf,
}

impl LibDir {
    /// Makes the folder under the system temp folder.
    pub fn new(library: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let library = std::fs::canonicalize(library)?;
        let base = std::env::temp_dir();
        sweep_stale(&base);
        let mut attempt = 0u32;
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos();
            let path = base.join(format!(
                "usb-emu-{}-{nanos:x}-{attempt}",
                std::process::id()
            ));
            match std::fs::DirBuilder::new().mode(0o755).create(&path) {
                Ok(()) => {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
                    std::os::unix::fs::symlink(&library, path.join("libusb-1.0.so.0"))?;
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The folder to put first in `LD_LIBRARY_PATH`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A file of the folder, removed with it: one of [`PRIVATE_FILES`], so that the folder of
    /// a run that was killed is still recognised and swept.
    pub fn file(&self, name: &str) -> Option<PathBuf> {
        PRIVATE_FILES[1..]
            .contains(&name)
            .then(|| self.path.join(name))
    }
}

/// Removes the library folders of `usb-emu` runs that were killed before they could clean up
/// (`usb-emu-PID-…` whose process is gone, holding nothing but [`PRIVATE_FILES`]).
fn sweep_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("usb-emu-"))
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new("/proc").join(pid.to_string()).exists() || !Path::new("/proc/self").exists() {
            continue;
        }
        let path = entry.path();
        let only_ours = std::fs::read_dir(&path).is_ok_and(|files| {
            files
                .flatten()
                .all(|f| PRIVATE_FILES.iter().any(|p| f.file_name() == *p))
        });
        if only_ours {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

impl Drop for LibDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Builds the command with the emulator's environment (the caller keeps `LibDir` alive while
/// the command runs).
pub fn command(options: &RunOptions, lib_dir: &LibDir) -> Result<Command, String> {
    let Some((program, args)) = options.command.split_first() else {
        return Err("no command given (usb-emu run DEVICE... -- COMMAND [ARGS])".to_owned());
    };
    let mut ld_path = OsString::from(lib_dir.path());
    if let Some(old) = std::env::var_os("LD_LIBRARY_PATH").filter(|v| !v.is_empty()) {
        ld_path.push(":");
        ld_path.push(old);
    }
    let devices = std::env::join_paths(options.devices.iter().map(|d| absolute(d)))
        .map_err(|e| format!("device file names: {e}"))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("LD_LIBRARY_PATH", ld_path)
        .env(ENV_DEVICES, devices);
    match &options.log {
        Some(log) => cmd.env(ENV_LOG, absolute(log)),
        None => cmd.env_remove(ENV_LOG),
    };
    match &options.control {
        Some(control) => cmd.env(ENV_CONTROL, absolute(control)),
        None => cmd.env_remove(ENV_CONTROL),
    };
    Ok(cmd)
}

/// Checks the device files and makes the library folder and the command for `options`: the
/// caller runs the command and keeps the [`LibDir`] alive until it ends.
pub fn prepare(options: &RunOptions, exe: &Path) -> Result<(LibDir, Command), String> {
    check_devices(options)?;
    let library = match &options.library {
        Some(l) => l.clone(),
        None => find_library(exe)?,
    };
    let lib_dir = LibDir::new(&library).map_err(|e| format!("temporary library folder: {e}"))?;
    let cmd = command(options, &lib_dir)?;
    Ok((lib_dir, cmd))
}

/// Checks that every device file of `options` parses (the first error, with file and line).
pub fn check_devices(options: &RunOptions) -> Result<(), String> {
    for device in &options.devices {
        crate::DeviceSpec::load(device).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Runs the command to its end with the emulated libusb serving the devices.
pub fn run(options: &RunOptions, exe: &Path) -> Result<ExitStatus, String> {
    let (_lib_dir, mut cmd) = prepare(options, exe)?;
    let program = options.command.first().cloned().unwrap_or_default();
    cmd.status()
        .map_err(|e| format!("cannot run {}: {e}", program.to_string_lossy()))
}

/// The exit code `usb-emu run` passes on: the program's code, or 128 + the signal number.
pub fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lib_dir_and_command() {
        let dir = std::env::temp_dir().join(format!("usb-emu-runner-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let fake = dir.join(LIB_FILE);
        let _ = std::fs::write(&fake, b"not really a library");
        let exe = dir.join("usb-emu");
        assert_eq!(find_library(&exe).ok(), Some(fake.clone()));
        let Ok(lib_dir) = LibDir::new(&fake) else {
            panic!("lib dir");
        };
        let link = lib_dir.path().join("libusb-1.0.so.0");
        assert!(link.exists());
        assert_eq!(lib_dir.file("q1.dev"), Some(lib_dir.path().join("q1.dev")));
        assert_eq!(lib_dir.file("other"), None);
        let options = RunOptions {
            devices: vec![PathBuf::from("/a.dev"), PathBuf::from("/b.dev")],
            command: vec!["/bin/sh".into(), "-c".into(), "exit 3".into()],
            ..RunOptions::default()
        };
        let cmd = command(&options, &lib_dir);
        let Ok(mut cmd) = cmd else {
            panic!("command");
        };
        let envs: Vec<_> = cmd
            .get_envs()
            .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
            .collect();
        assert!(envs.contains(&(ENV_DEVICES.into(), Some("/a.dev:/b.dev".into()))));
        let status = cmd.status().map(exit_code);
        assert_eq!(status.ok(), Some(3));
        let kept = lib_dir.path().to_path_buf();
        drop(lib_dir);
        assert!(!kept.exists());
        assert!(command(&RunOptions::default(), &LibDir { path: dir.clone() }).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn folders_of_killed_runs_are_swept() {
        let base = std::env::temp_dir().join(format!("usb-emu-sweep-{}", std::process::id()));
        // No process has this id (above any pid_max).
        let dead = base.join("usb-emu-4294967-1a-0");
        let foreign = base.join("usb-emu-4294967-1b-0");
        let alive = base.join(format!("usb-emu-{}-1c-0", std::process::id()));
        for dir in [&dead, &foreign, &alive] {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
        }
        for name in PRIVATE_FILES {
            let _ = std::fs::write(dead.join(name), b"");
        }
        let _ = std::fs::write(foreign.join("notes.txt"), b"keep");
        sweep_stale(&base);
        assert!(!dead.exists());
        assert!(foreign.exists() && alive.exists());
        let _ = std::fs::remove_dir_all(&base);
    }
}
