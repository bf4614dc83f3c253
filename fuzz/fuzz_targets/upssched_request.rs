#![no_main]
//! upssched's command socket: any line parses without panicking, and a request that parses
//! is written back as a line that parses to the same request (what the daemon gets is what
//! the client meant).

use libfuzzer_sys::fuzz_target;
use nut_proto::upssched::DaemonRequest;

fuzz_target!(|data: &[u8]| {
    if let Some(request) = DaemonRequest::parse(data) {
        let line = request.to_line();
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1, "{line:?}");
        assert_eq!(
            DaemonRequest::parse(line.as_bytes()).as_ref(),
            Some(&request),
            "{line:?}"
        );
        // The same line, written again, is the same bytes.
        assert_eq!(request.to_line(), line);
    }
});
