//! `upsset.cgi`: change a UPS's settings and run its instant commands from a web form
//! (enabled by `I_HAVE_SECURED_MY_CGI_DIRECTORY` in upsset.conf), as C NUT's CGI program.

pub(crate) fn main() {
    nut_examples::cgi::main(|req| Box::pin(nut_client::cgi::upsset::upsset(req)), true)
}
