//! Dispatch of the dialect-specific processing (C subdrivers' own `preprocess` and
//! `preprocess_answer` functions) to the dialect's module. Items name it with
//! [`Process::Dialect`](super::item::Process::Dialect); the code means something only to
//! the module of the dialect in use.

use nut_driver_api::DeviceState;

use super::dialect::{Dialect, Family};
use super::engine::Engine;
use super::item::{Item, ReplyError};
use super::{ablerex, bestups, mecer, voltronic_qs, voltronic_qs_hex};

/// Rewrites a fresh reply before its value is cut out (C's `preprocess_answer`). An error
/// drops the reply.
pub fn answer(dialect: &Dialect, item: &Item, reply: Vec<u8>) -> Result<Vec<u8>, ReplyError> {
    match dialect.family {
        Family::BestUps => bestups::answer(item, reply),
        Family::VoltronicQsHex => voltronic_qs_hex::answer(item, reply),
        _ => Ok(reply),
    }
}

/// Turns the raw value of item `idx` into the published one (or a status word, for
/// status items).
pub fn value(
    engine: &mut Engine,
    idx: usize,
    code: u8,
    raw: &str,
    state: &mut DeviceState,
) -> Result<String, ReplyError> {
    match engine.dialect.family {
        Family::BestUps => bestups::value(engine, idx, code, raw, state),
        Family::Mecer => mecer::value(engine, idx, code, raw),
        Family::VoltronicQs => voltronic_qs::value(engine, idx, code, raw),
        Family::VoltronicQsHex => voltronic_qs_hex::value(engine, idx, code, raw),
        Family::Ablerex => ablerex::value(engine, idx, code, raw, state),
        _ => Err(ReplyError::Unexpected),
    }
}

/// The device command that writes `value` into the setting of item `idx`; `None` when
/// the dialect refuses.
pub fn setvar(engine: &Engine, idx: usize, code: u8, value: &str) -> Option<String> {
    if engine.dialect.family == Family::BestUps && bestups::is_setvar(code) {
        return bestups::setvar(engine, idx, value);
    }
    None
}

/// The device command for instant command `idx` with its parameter (`""` when none);
/// `None` when the parameter is refused.
pub fn command(
    engine: &Engine,
    idx: usize,
    code: u8,
    param: &str,
    state: &DeviceState,
) -> Option<String> {
    if engine.dialect.family == Family::Mecer {
        return mecer::command(engine, idx, code, param, state);
    }
    None
}
