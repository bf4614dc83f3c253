//! upssched: upsmon's timer helper (run as NOTIFYCMD).

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    nut_examples::upssched::client::main()
}
