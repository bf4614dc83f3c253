//! `upsstats.cgi`: the status pages of the UPSes in hosts.conf, from the upsstats.html and
//! upsstats-single.html templates in `$NUT_CONFPATH` (default `/etc/nut`), as C NUT's CGI program.

pub(crate) fn main() {
    nut_examples::cgi::main(
        |req| Box::pin(nut_client::cgi::upsstats::upsstats(req)),
        false,
    )
}
