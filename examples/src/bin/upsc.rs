//! `upsc`: drop-in for C NUT's upsc (the logic is in `nut_client::tools::upsc`).

pub(crate) fn main() {
    nut_client::tools::main_with(|args, io| Box::pin(nut_client::tools::upsc::run(args, io)));
}
