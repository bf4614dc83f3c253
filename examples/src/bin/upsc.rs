//! `upsc`: drop-in for C NUT's upsc (the logic is in `nut_examples::tools::upsc`).

pub(crate) fn main() {
    nut_examples::tools::main_with(|args, io| Box::pin(nut_examples::tools::upsc::run(args, io)));
}
