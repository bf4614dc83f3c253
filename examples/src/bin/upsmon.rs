//! upsmon: monitors UPSes through upsd and shuts the system down when the power runs out.

#![forbid(unsafe_code)]

pub(crate) fn main() -> std::process::ExitCode {
    nut_examples::upsmon::cli::main()
}
