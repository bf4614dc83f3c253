//! `upsrw`: drop-in for C NUT's upsrw (the logic is in `nut_examples::tools::upsrw`).

pub(crate) fn main() {
    nut_examples::tools::main_with(|args, io| Box::pin(nut_examples::tools::upsrw::run(args, io)));
}
