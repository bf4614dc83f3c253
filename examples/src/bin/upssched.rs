//! upssched: upsmon's timer helper (run as NOTIFYCMD).

#![forbid(unsafe_code)]

pub(crate) fn main() -> std::process::ExitCode {
    nut_examples::upssched::client::main()
}
