//! `upscmd`: drop-in for C NUT's upscmd (the logic is in `nut_client::tools::upscmd`).

pub(crate) fn main() {
    nut_client::tools::main_with(|args, io| Box::pin(nut_client::tools::upscmd::run(args, io)));
}
