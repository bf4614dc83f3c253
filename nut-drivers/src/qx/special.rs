//! Dispatch of the dialect-specific processing (C subdrivers' own `preprocess` and
//! `preprocess_answer` functions) to the dialect's module. Items name it with
//! [`Process::Dialect`](super::item::Process::Dialect); the code means something only to
//! the module of the dialect in use. Items with an
//! [`Item::exchange`](super::item::Item::exchange) code also have their command and reply
//! rewritten by the dialect (C's `preprocess_command` and `preprocess_answer`), and a
//! dialect with [`Claim::Own`](super::dialect::Claim::Own) decides itself whether a device
//! speaks it ([`claim`]).

use std::io;

use nut_driver_api::DeviceState;

use super::dialect::Family;
use super::engine::Engine;
use super::item::ReplyError;
use super::port::QxPort;
use super::{ablerex, bestups, masterguard, mecer, voltronic_qs, voltronic_qs_hex};

/// Rewrites a fresh reply to item `idx` before its value is cut out (C's
/// `preprocess_answer`). An error drops the reply.
pub fn answer(engine: &mut Engine, idx: usize, reply: Vec<u8>) -> Result<Vec<u8>, ReplyError> {
    let Some(item) = engine.items.get(idx) else {
        return Err(ReplyError::Unexpected);
    };
    match engine.dialect.family {
        Family::BestUps => bestups::answer(item, reply),
        Family::VoltronicQsHex => voltronic_qs_hex::answer(item, reply),
        Family::Masterguard => match item.exchange {
            Some(code) => masterguard::answer(engine, code, reply),
            None => Ok(reply),
        },
        _ => Ok(reply),
    }
}

/// Rewrites the command of an item with an [`Item::exchange`](super::item::Item::exchange)
/// code before it is sent (C's `preprocess_command`); `None` when the dialect refuses it
/// (nothing is sent).
pub fn command_text(engine: &Engine, code: u8, command: &str) -> Option<String> {
    match engine.dialect.family {
        Family::Masterguard => masterguard::command_text(engine, code, command),
        _ => Some(command.to_owned()),
    }
}

/// The claim of a dialect with [`Claim::Own`](super::dialect::Claim::Own): whether the
/// device on `port` speaks it (the engine is prepared for it on the way).
pub async fn claim(
    engine: &mut Engine,
    port: &mut dyn QxPort,
    state: &mut DeviceState,
) -> io::Result<bool> {
    match engine.dialect.family {
        Family::Masterguard => masterguard::claim(engine, port, state).await,
        _ => Ok(false),
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
        Family::Masterguard => masterguard::value(engine, idx, code, raw, state),
        _ => Err(ReplyError::Unexpected),
    }
}

/// The device command that writes `value` into the setting of item `idx`; `None` when
/// the dialect refuses.
pub fn setvar(engine: &mut Engine, idx: usize, code: u8, value: &str) -> Option<String> {
    match engine.dialect.family {
        Family::BestUps if bestups::is_setvar(code) => bestups::setvar(engine, idx, value),
        Family::Masterguard => masterguard::setvar(engine, idx, code, value),
        _ => None,
    }
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
    match engine.dialect.family {
        Family::Mecer => mecer::command(engine, idx, code, param, state),
        Family::Masterguard => masterguard::command(code, param, state),
        _ => None,
    }
}
