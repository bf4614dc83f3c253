//! `upsimage.cgi`: a PNG bar of one variable of a UPS (`?host=ups@host\&display=battery.charge`), as C NUT's CGI program.

pub(crate) fn main() {
    nut_examples::cgi::main(
        |req| Box::pin(nut_client::cgi::upsimage::upsimage(req)),
        false,
    )
}
