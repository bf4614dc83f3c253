//! `upscmd`: drop-in for C NUT's upscmd (the logic is in `nut_examples::tools::upscmd`).

pub(crate) fn main() {
    nut_examples::tools::main_with(|args, io| Box::pin(nut_examples::tools::upscmd::run(args, io)));
}
