#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod descriptors;
pub mod device;
pub mod emu;
pub mod ffi;
pub mod hex;
pub mod import;
pub mod modbus_hid;
pub mod q1_bridge;
pub mod q1_client;
mod requests;
pub mod runner;
pub mod script;

pub use device::{DeviceSpec, ParseError};
pub use import::{import_log, import_to_text, ImportError};
pub use script::Command;
