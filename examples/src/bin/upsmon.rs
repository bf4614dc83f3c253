//! upsmon: monitors UPSes through upsd and shuts the system down when the power runs out.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    nut_examples::upsmon::cli::main()
}
