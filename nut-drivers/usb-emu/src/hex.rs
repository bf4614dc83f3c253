//! Hex byte helpers shared by the device-file parser, the importer and the transfer log.

use std::fmt::Write as _;

/// Parses one word of hex digits (`0c`, `0x0c`, `051d`) into a number no larger than `max`.
pub fn parse_number(word: &str, max: u32) -> Result<u32, String> {
    let digits = word
        .strip_prefix("0x")
        .or_else(|| word.strip_prefix("0X"))
        .unwrap_or(word);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("`{word}` is not a hex number"));
    }
    let value = u32::from_str_radix(digits, 16).map_err(|e| format!("`{word}`: {e}"))?;
    if value > max {
        return Err(format!("`{word}` is larger than {max:#x}"));
    }
    Ok(value)
}

/// Parses a decimal number no larger than `max`.
pub fn parse_decimal(word: &str, max: u32) -> Result<u32, String> {
    if word.is_empty() || word.len() > 10 || !word.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{word}` is not a decimal number"));
    }
    let value: u64 = word.parse().map_err(|e| format!("`{word}`: {e}"))?;
    if value > u64::from(max) {
        return Err(format!("`{word}` is larger than {max}"));
    }
    // The check above keeps the value within u32.
    Ok(u32::try_from(value).unwrap_or(max))
}

/// True when `word` is exactly one byte written as two hex digits.
pub fn is_hex_byte(word: &str) -> bool {
    word.len() == 2 && word.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses whitespace-separated words of hex bytes. A word may hold several bytes written
/// together (`0c6400`), as long as it has an even number of digits.
pub fn parse_bytes<'a, I>(words: I) -> Result<Vec<u8>, String>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut out = Vec::new();
    for word in words {
        if word.is_empty() || word.len() % 2 != 0 || !word.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("`{word}` is not a sequence of hex bytes"));
        }
        for pair in word.as_bytes().chunks(2) {
            let text = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
            let byte = u8::from_str_radix(text, 16).map_err(|e| format!("`{word}`: {e}"))?;
            out.push(byte);
        }
    }
    Ok(out)
}

/// Formats bytes as lower-case hex pairs separated by one space (`0c 64 00`).
pub fn to_spaced(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Formats bytes as lower-case hex digits with no separator (`0c6400`), `-` when empty.
pub fn to_compact(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "-".to_owned();
    }
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_bytes() {
        assert_eq!(parse_number("051d", 0xffff), Ok(0x051d));
        assert_eq!(parse_number("0x0C", 0xff), Ok(12));
        assert!(parse_number("100", 0xff).is_err());
        assert!(parse_number("zz", 0xff).is_err());
        assert!(parse_number("", 0xff).is_err());
        assert_eq!(parse_decimal("003", 255), Ok(3));
        assert!(parse_decimal("256", 255).is_err());
        assert_eq!(parse_bytes(["0c", "6400"]), Ok(vec![0x0c, 0x64, 0]));
        assert!(parse_bytes(["0c6"]).is_err());
        assert!(parse_bytes(["g0"]).is_err());
        assert_eq!(to_spaced(&[1, 0xab]), "01 ab");
        assert_eq!(to_compact(&[1, 0xab]), "01ab");
        assert_eq!(to_compact(&[]), "-");
        assert!(is_hex_byte("7f") && !is_hex_byte("7") && !is_hex_byte("at"));
    }
}
