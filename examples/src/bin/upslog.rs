//! `upslog`: drop-in for C NUT's upslog (the logic is in `nut_client::tools::upslog`).

pub(crate) fn main() {
    let args: Vec<String> = std::env::args().collect();
    std::process::exit(nut_client::tools::upslog::main_with_args(&args))
}
