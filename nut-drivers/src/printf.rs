//! C's `printf` for one number: what the drivers' tables write values and commands with.

/// Prints `x` with one printf conversion `%[0][width][.prec]f` or `%[0][width]d` (also
/// `%i`), as C does for a `double` (`f`) or its integer part (`d`, `i`).
///
/// ```
/// use nut_drivers::printf::printf_number;
///
/// assert_eq!(printf_number("%03.0f", 245.0), "245");
/// assert_eq!(printf_number("%04.1f", 5.4), "05.4");
/// assert_eq!(printf_number("%.2f", 0.5), "0.50");
/// assert_eq!(printf_number("%03d", 8.9), "008");
/// ```
pub fn printf_number(spec: &str, x: f64) -> String {
    let body = spec.trim_start_matches('%');
    let zero = body.starts_with('0');
    let conv = body.chars().last().unwrap_or('f');
    let body = &body[..body.len().saturating_sub(conv.len_utf8())];
    let body = body.trim_end_matches('l');
    let integer = matches!(conv, 'd' | 'i');
    let (w, prec) = match body.split_once('.') {
        Some((w, p)) => (w, p.parse::<usize>().unwrap_or(0)),
        None => (body, if integer { 0 } else { 6 }),
    };
    let width = w.trim_start_matches('0').parse::<usize>().unwrap_or(0);
    if !integer && !x.is_finite() {
        // C spells them `nan`, `-nan`, `inf`, `-inf`, padded with spaces even after a 0 flag.
        let text = match (x.is_nan(), x.is_sign_negative()) {
            (true, false) => "nan",
            (true, true) => "-nan",
            (false, false) => "inf",
            (false, true) => "-inf",
        };
        return format!("{text:>width$}");
    }
    match (integer, zero) {
        (true, true) => format!("{:0width$}", x as i64),
        (true, false) => format!("{:width$}", x as i64),
        (false, true) => format!("{x:0width$.prec$}"),
        (false, false) => format!("{x:width$.prec$}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_c() {
        assert_eq!(printf_number("%.0f", 99.6), "100");
        assert_eq!(printf_number("%.0f", 2.5), "2");
        assert_eq!(printf_number("%0.1f", 230.04), "230.0");
        assert_eq!(printf_number("%f", 1.5), "1.500000");
        assert_eq!(printf_number("%d", 7.9), "7");
        assert_eq!(printf_number("%ld", -3.2), "-3");
        assert_eq!(printf_number("%i", 12.0), "12");
        assert_eq!(printf_number("%02.0f", 4.0), "04");
        assert_eq!(printf_number("%.2f", f64::INFINITY), "inf");
        assert_eq!(printf_number("%05.1f", f64::NEG_INFINITY), " -inf");
        assert_eq!(printf_number("%.0f", f64::NAN), "nan");
        assert_eq!(printf_number("%.0f", -f64::NAN), "-nan");
    }
}
