//! Just enough BER to find the msgAuthenticationParameters field inside a received or encoded
//! message: the MAC covers the message exactly as it travels, so it is located in the bytes
//! rather than in a decoded and re-encoded copy.

use std::ops::Range;

/// One tag-length-value: the tag byte and where its contents lie in the input.
struct Tlv {
    tag: u8,
    content: Range<usize>,
}

/// Reads the TLV starting at `at` in `data`, whose contents must end by `end`. Single-byte tags
/// only (every type in an SNMP message has one) and definite lengths only (SNMP forbids the
/// indefinite form).
fn read_tlv(data: &[u8], at: usize, end: usize) -> Option<Tlv> {
    let tag = *data.get(at)?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = *data.get(at + 1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let bytes = data.get(at + 2..at + 2 + count)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, 2 + count)
    };
    let start = at.checked_add(header)?;
    let stop = start.checked_add(len)?;
    (stop <= end).then_some(Tlv {
        tag,
        content: start..stop,
    })
}

/// The children of a constructed TLV's contents, in order.
fn children(data: &[u8], content: Range<usize>) -> Option<Vec<Tlv>> {
    let mut out = Vec::new();
    let mut at = content.start;
    while at < content.end {
        let tlv = read_tlv(data, at, content.end)?;
        at = tlv.content.end;
        out.push(tlv);
    }
    Some(out)
}

const SEQUENCE: u8 = 0x30;
const OCTET_STRING: u8 = 0x04;

/// Where the contents of msgAuthenticationParameters lie in an SNMPv3 message: SEQUENCE {
/// msgVersion, msgGlobalData, msgSecurityParameters OCTET STRING containing SEQUENCE {
/// engine ID, boots, time, user name, **authentication parameters**, privacy parameters },
/// msgData }.
pub(super) fn auth_params_range(message: &[u8]) -> Option<Range<usize>> {
    let outer = read_tlv(message, 0, message.len())?;
    if outer.tag != SEQUENCE {
        return None;
    }
    let fields = children(message, outer.content)?;
    let security = fields.get(2).filter(|t| t.tag == OCTET_STRING)?;
    let usm = read_tlv(message, security.content.start, security.content.end)?;
    if usm.tag != SEQUENCE || usm.content.end != security.content.end {
        return None;
    }
    let usm_fields = children(message, usm.content)?;
    if usm_fields.len() != 6 {
        return None;
    }
    let auth = &usm_fields[4];
    (auth.tag == OCTET_STRING).then(|| auth.content.clone())
}

/// The length of the first TLV of `data` (a decrypted scopedPDU is followed by padding).
pub(super) fn first_tlv_len(data: &[u8]) -> Option<usize> {
    read_tlv(data, 0, data.len()).map(|t| t.content.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_auth_params_in_short_and_long_form_lengths() {
        // SEQUENCE { INTEGER 3, SEQUENCE {}, OCTET STRING { SEQUENCE { 04 00, 02 01 00,
        // 02 01 00, 04 01 'u', 04 02 AA BB, 04 00 } }, 04 00 }
        let usm = [
            0x30, 0x11, 0x04, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04, 0x01, b'u', 0x04,
            0x02, 0xaa, 0xbb, 0x04, 0x00,
        ];
        let mut body = vec![0x02, 0x01, 0x03, 0x30, 0x00, 0x04, usm.len() as u8];
        body.extend_from_slice(&usm);
        body.extend_from_slice(&[0x04, 0x00]);
        let mut short = vec![0x30, body.len() as u8];
        short.extend_from_slice(&body);
        let r = auth_params_range(&short).unwrap();
        assert_eq!(&short[r], &[0xaa, 0xbb]);
        let mut long = vec![0x30, 0x82, 0x00, body.len() as u8];
        long.extend_from_slice(&body);
        let r = auth_params_range(&long).unwrap();
        assert_eq!(&long[r], &[0xaa, 0xbb]);
        // Truncated anywhere: no range, no panic.
        for cut in 0..long.len() {
            assert_eq!(auth_params_range(&long[..cut]), None);
        }
        assert_eq!(first_tlv_len(&[0x30, 0x01, 0x00, 0xff, 0xff]), Some(3));
        assert_eq!(first_tlv_len(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(first_tlv_len(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }
}
