//! Literal decoding for the lexer: finding the end of quoted literals, Go
//! escape sequences in strings and character constants, and Go number syntax.

use serde_json::Number;

use super::Error;

/// Finds the closing `quote` of a literal opened at `start`; `None` when a
/// newline or the end of input comes first.
pub(super) fn scan_quoted(src: &str, start: usize, quote: u8) -> Option<usize> {
    let b = src.as_bytes();
    let mut i = start + 1;
    loop {
        match b.get(i)? {
            b'\n' => return None,
            b'\\' => {
                if matches!(b.get(i + 1), None | Some(b'\n')) {
                    return None;
                }
                i += 2;
            }
            &c if c == quote => return Some(i),
            _ => i += 1,
        }
    }
}

/// A decoded escape: `\x`/octal escapes denote bytes, the others characters.
pub(super) enum Escaped {
    Byte(u8),
    Char(char),
}

/// Decodes the escape after a backslash; returns it and the bytes consumed.
pub(super) fn decode_escape(s: &str, quote: char) -> Result<(Escaped, usize), String> {
    let c = s.chars().next().ok_or("incomplete escape sequence")?;
    let hex = |n: usize| -> Result<u32, String> {
        let digits = s
            .get(1..=n)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        let digits = digits.ok_or_else(|| format!("escape \\{c} needs {n} hex digits"))?;
        u32::from_str_radix(digits, 16).map_err(|e| e.to_string())
    };
    let simple = |b: u8| Ok((Escaped::Byte(b), 1));
    match c {
        'a' => simple(7),
        'b' => simple(8),
        'f' => simple(12),
        'n' => simple(b'\n'),
        'r' => simple(b'\r'),
        't' => simple(b'\t'),
        'v' => simple(11),
        '\\' => simple(b'\\'),
        '\'' | '"' if c == quote => simple(c as u8),
        'x' => Ok((Escaped::Byte(hex(2)? as u8), 3)),
        'u' | 'U' => {
            let n = if c == 'u' { 4 } else { 8 };
            let v = hex(n)?;
            let ch = char::from_u32(v)
                .ok_or_else(|| format!("invalid Unicode code point \\{c}{v:X}"))?;
            Ok((Escaped::Char(ch), n + 1))
        }
        '0'..='7' => {
            let digits = s
                .get(..3)
                .filter(|d| d.bytes().all(|b| (b'0'..=b'7').contains(&b)));
            let digits = digits.ok_or("octal escape needs 3 digits")?;
            let v = u8::from_str_radix(digits, 8).map_err(|_| "octal escape value > 255")?;
            Ok((Escaped::Byte(v), 3))
        }
        _ => Err(format!("unknown escape sequence \\{c}")),
    }
}

/// Decodes the body of an interpreted string; `base` is its source offset.
pub(super) fn unquote(body: &str, base: usize) -> Result<String, Error> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(off) = rest.find('\\') {
        out.extend_from_slice(&rest.as_bytes()[..off]);
        let esc = rest.get(off + 1..).unwrap_or("");
        let at = base + (body.len() - rest.len()) + off;
        let (decoded, used) =
            decode_escape(esc, '"').map_err(|m| Error::new(at, format!("{m} in string")))?;
        match decoded {
            Escaped::Byte(b) => out.push(b),
            Escaped::Char(c) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
        rest = esc.get(used..).unwrap_or("");
    }
    out.extend_from_slice(rest.as_bytes());
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Converts number text (`-12`, `0x1F`, `1_000`, `1.5e3`, `010`) like Go.
pub(super) fn parse_number(text: &str) -> Result<Number, String> {
    let bad = || format!("bad number syntax: {text:?}");
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let clean: String = body
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    if clean.ends_with('i') && clean.len() > 1 && !clean.starts_with("0x") {
        return Err(format!("complex numbers are not supported: {text:?}"));
    }
    let octal =
        clean.len() > 1 && clean.starts_with('0') && clean.bytes().all(|b| b.is_ascii_digit());
    let (radix, digits) = match clean.get(..2) {
        Some("0x") => (16, &clean[2..]),
        Some("0o") => (8, &clean[2..]),
        Some("0b") => (2, &clean[2..]),
        _ if octal => (8, &clean[1..]),
        _ => (10, clean.as_str()),
    };
    if radix != 10 || digits.bytes().all(|b| b.is_ascii_digit()) {
        let parsed = u64::from_str_radix(digits, radix)
            .or_else(|e| if octal { clean.parse::<u64>() } else { Err(e) });
        return match parsed {
            Ok(u) => integer(neg, u).ok_or_else(|| format!("{text} overflows int")),
            Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => {
                Err(format!("{text} overflows int"))
            }
            Err(_) => Err(bad()),
        };
    }
    if !digits.bytes().any(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let f: f64 = clean.parse().map_err(|_| bad())?;
    Number::from_f64(if neg { -f } else { f }).ok_or_else(|| format!("{text} is out of range"))
}

/// The signed integer `±u`, if it fits an i64.
fn integer(neg: bool, u: u64) -> Option<Number> {
    let v = if neg { -i128::from(u) } else { i128::from(u) };
    i64::try_from(v).ok().map(Number::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(src: &str) -> Result<Number, String> {
        parse_number(src)
    }

    #[test]
    fn numbers_follow_go_syntax() {
        assert_eq!(num("42"), Ok(Number::from(42)));
        assert_eq!(num("-7"), Ok(Number::from(-7)));
        assert_eq!(num("0x1F"), Ok(Number::from(31)));
        assert_eq!(num("0b101"), Ok(Number::from(5)));
        assert_eq!(num("0o17"), Ok(Number::from(15)));
        assert_eq!(num("010"), Ok(Number::from(8)));
        assert_eq!(num("1_000"), Ok(Number::from(1000)));
        assert_eq!(num("1.5").map(|n| n.as_f64()), Ok(Some(1.5)));
        assert_eq!(num("1e3").map(|n| n.as_f64()), Ok(Some(1000.0)));
        assert!(
            num("99999999999999999999")
                .expect_err("should fail")
                .contains("overflows int")
        );
        assert!(num("1e999").is_err());
        assert!(num("-").is_err());
        assert!(
            num("12abc")
                .expect_err("should fail")
                .contains("bad number syntax")
        );
    }

    #[test]
    fn string_escapes_decode_like_go() {
        assert_eq!(
            unquote(r#"a\"b\\\t\u00e9\x41\101\U0001F600"#, 0).expect("should succeed"),
            "a\"b\\\téAA😀"
        );
        assert_eq!(unquote(r"\xc3\xa9", 0).expect("should succeed"), "é");
        let e = unquote(r"ab\q", 10).expect_err("should fail");
        assert_eq!(e.pos, 12);
        assert!(e.message.contains("unknown escape sequence \\q"));
        assert!(unquote(r"\'", 0).is_err());
    }
}
