//! `upsrw`: drop-in for C NUT's upsrw (the logic is in `nut_client::tools::upsrw`).

pub(crate) fn main() {
    nut_client::tools::main_with(|args, io| Box::pin(nut_client::tools::upsrw::run(args, io)));
}
