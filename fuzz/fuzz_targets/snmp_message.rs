#![no_main]
//! Arbitrary datagrams as SNMP messages, read by the client's SNMPv1 and SNMPv2c securities
//! and answered by the agent in process. Nothing may panic; a message that decodes must encode
//! and decode back to the same PDU; and a request the client side reads as a GET, GETNEXT,
//! GETBULK or SET must get the agent's answer in the same version and community, with the
//! same request id.

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use nut_drivers::snmp::agent::Agent;
use nut_drivers::snmp::community::Community;
use nut_drivers::snmp::pdu::{Incoming, PduKind, Security};
use nut_drivers::snmp::snmprec::Recording;

/// A small recording with every value type.
fn recording() -> Arc<Recording> {
    static RECORDING: OnceLock<Arc<Recording>> = OnceLock::new();
    let text = "1.3.6.1.2.1.1.1.0|4|Smart-UPS\n\
                1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.318.1.3.27\n\
                1.3.6.1.2.1.1.3.0|67|71917850\n\
                1.3.6.1.2.1.1.4.0|5|\n\
                1.3.6.1.2.1.2.2.1.5.1|66|100000000\n\
                1.3.6.1.2.1.2.2.1.10.1|65|4294967295\n\
                1.3.6.1.2.1.4.20.1.3.1|64|255.255.255.0\n\
                1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615\n\
                1.3.6.1.4.1.318.1.1.1.2.2.1.0|66|100\n\
                1.3.6.1.4.1.318.1.1.1.4.1.1.0|2|-2\n\
                1.3.6.1.4.1.318.1.1.1.9.0|68x|9f780442f60000\n\
                1.3.6.1.4.1.318.1.1.1.10.0|129|\n";
    RECORDING
        .get_or_init(|| Arc::new(Recording::parse("fuzz", text.as_bytes()).unwrap()))
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let mut agent = Agent::new(recording())
        .all_writable()
        .max_message_size(1472);
    let answer = agent.answer(data);
    for mut c in [Community::v1("public"), Community::v2c("public")] {
        let Ok(Incoming::Pdu(pdu)) = c.unwrap(data) else {
            continue;
        };
        let again = c
            .wrap(&pdu)
            .unwrap_or_else(|e| panic!("{pdu:?} decoded but does not encode: {e}"));
        match c.unwrap(&again) {
            Ok(Incoming::Pdu(back)) => assert_eq!(back, pdu),
            other => panic!("{pdu:?} encoded as {again:02x?}, read back as {other:?}"),
        }
        if matches!(
            pdu.kind,
            PduKind::Get | PduKind::GetNext | PduKind::GetBulk { .. } | PduKind::Set
        ) {
            let answer = answer
                .as_deref()
                .unwrap_or_else(|| panic!("no answer to {pdu:?}"));
            match c.unwrap(answer) {
                Ok(Incoming::Pdu(a)) => {
                    assert_eq!((a.kind, a.request_id), (PduKind::Response, pdu.request_id))
                }
                other => panic!("{pdu:?} answered {answer:02x?}, read as {other:?}"),
            }
        }
    }
});
