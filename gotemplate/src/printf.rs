//! Go's `fmt.Sprint`, `Sprintln` and `Sprintf` over JSON values: verbs
//! `%v %s %d %q %t %f %e %g %x %X %o %b %c %U %%`, flags `-+# 0`, width and
//! precision, and Go's `%!d(string=x)` / `MISSING` / `EXTRA` markers.

use serde_json::Value;

use super::value::{self, Num};

/// Largest width or precision honoured (Go rejects absurd ones too).
const MAX_WIDTH: usize = 1_000_000;

/// `fmt.Sprint`: spaces between operands when neither is a string.
/// `nil_text` is how a top-level null prints.
pub(super) fn sprint(args: &[&Value], nil_text: &str) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        let prev_string = i > 0 && args[i - 1].is_string();
        if i > 0 && !arg.is_string() && !prev_string {
            out.push(' ');
        }
        match arg {
            Value::Null => out.push_str(nil_text),
            _ => value::write_value(&mut out, arg),
        }
    }
    out
}

/// `fmt.Sprintln`: operands separated by spaces, then a newline.
pub(super) fn sprintln(args: &[&Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        value::write_value(&mut out, arg);
    }
    out.push('\n');
    out
}

/// One parsed `%…` directive.
#[derive(Debug, Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
    verb: char,
}

/// `fmt.Sprintf`.
pub(super) fn sprintf(format: &str, args: &[&Value]) -> String {
    let mut out = String::with_capacity(format.len());
    let mut chars = format.chars().peekable();
    let mut next_arg = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        let mut take = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            if chars.peek() == Some(&'*') {
                chars.next();
                let arg = args.get(next_arg);
                next_arg += 1;
                return arg
                    .and_then(|a| a.as_u64())
                    .and_then(|n| usize::try_from(n).ok());
            }
            read_number(chars)
        };
        spec.width = take(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(take(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        spec.verb = verb;
        if verb == '%' {
            out.push('%');
            continue;
        }
        if spec.width.is_some_and(|w| w > MAX_WIDTH) || spec.prec.is_some_and(|p| p > MAX_WIDTH) {
            out.push_str("%!(BADWIDTH)");
            next_arg += 1;
            continue;
        }
        match args.get(next_arg) {
            Some(arg) => format_arg(&mut out, &spec, arg),
            None => out.push_str(&format!("%!{verb}(MISSING)")),
        }
        next_arg += 1;
    }
    if let Some(extra) = args.get(next_arg..).filter(|rest| !rest.is_empty()) {
        let parts: Vec<String> = extra.iter().map(|a| typed(a)).collect();
        out.push_str(&format!("%!(EXTRA {})", parts.join(", ")));
    }
    out
}

/// Reads decimal digits (saturating), if any.
fn read_number(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
    }
    n
}

/// `type=value` (or `<nil>`) as Go shows a mismatched argument.
fn typed(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_owned(),
        _ => format!("{}={}", value::type_name(v), value::to_text(v)),
    }
}

/// Formats one argument; arrays and objects apply the verb element-wise.
fn format_arg(out: &mut String, spec: &Spec, v: &Value) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_arg(out, spec, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            for (i, (k, item)) in value::sorted_entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(
                    &format_str(spec, k)
                        .unwrap_or_else(|| bad_verb(spec, &Value::String(k.clone()))),
                );
                out.push(':');
                format_arg(out, spec, item);
            }
            out.push(']');
        }
        _ => out.push_str(&format_scalar(spec, v).unwrap_or_else(|| bad_verb(spec, v))),
    }
}

/// `%!verb(type=value)`.
fn bad_verb(spec: &Spec, v: &Value) -> String {
    format!("%!{}({})", spec.verb, typed(v))
}

/// Formats a scalar, or `None` when the verb does not apply to it.
fn format_scalar(spec: &Spec, v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => matches!(spec.verb, 't' | 'v').then(|| pad(spec, &b.to_string())),
        Value::Number(n) => match Num::of(n) {
            Num::Float(f) => format_float(spec, f),
            num => format_int(spec, num.integer().unwrap_or(0)),
        },
        Value::String(s) => format_str(spec, s),
        Value::Null => (spec.verb == 'v').then(|| pad(spec, "<nil>")),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// String verbs: `%s %v %q %x %X`.
fn format_str(spec: &Spec, s: &str) -> Option<String> {
    let text = match spec.verb {
        's' | 'v' => match spec.prec {
            Some(p) => s.chars().take(p).collect(),
            None => s.to_owned(),
        },
        'q' => quote(s, '"'),
        'x' => s.bytes().map(|b| format!("{b:02x}")).collect(),
        'X' => s.bytes().map(|b| format!("{b:02X}")).collect(),
        _ => return None,
    };
    Some(pad(spec, &text))
}

/// Integer verbs: `%d %v %b %o %O %x %X %c %q %U`.
fn format_int(spec: &Spec, i: i128) -> Option<String> {
    let mag = i.unsigned_abs();
    let (mut digits, prefix) = match spec.verb {
        'd' | 'v' => (mag.to_string(), ""),
        'b' => (format!("{mag:b}"), if spec.sharp { "0b" } else { "" }),
        'o' => (format!("{mag:o}"), if spec.sharp { "0" } else { "" }),
        'O' => (format!("{mag:o}"), "0o"),
        'x' => (format!("{mag:x}"), if spec.sharp { "0x" } else { "" }),
        'X' => (format!("{mag:X}"), if spec.sharp { "0X" } else { "" }),
        'c' => return Some(pad(spec, &rune(i).to_string())),
        'q' => return Some(pad(spec, &quote(&rune(i).to_string(), '\''))),
        'U' => return Some(pad(spec, &format!("U+{mag:04X}"))),
        _ => return None,
    };
    if let Some(p) = spec.prec {
        if p == 0 && mag == 0 {
            digits.clear();
        } else if digits.len() < p {
            digits = format!("{}{digits}", "0".repeat(p - digits.len()));
        }
    }
    let sign = sign(spec, i < 0);
    Some(pad_number(
        spec,
        &format!("{sign}{prefix}"),
        &digits,
        spec.prec.is_none(),
    ))
}

/// Float verbs: `%v %g %G %e %E %f %F`.
fn format_float(spec: &Spec, f: f64) -> Option<String> {
    let verb = spec.verb.to_ascii_lowercase();
    let body = match verb {
        'v' | 'g' | 'e' | 'f' => value::float_digits(f.abs(), verb, spec.prec),
        _ => return None,
    };
    let body = if spec.verb.is_ascii_uppercase() {
        body.to_uppercase()
    } else {
        body
    };
    Some(pad_number(
        spec,
        sign(spec, f.is_sign_negative()),
        &body,
        true,
    ))
}

/// The sign a number is written with.
fn sign(spec: &Spec, negative: bool) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

/// The character with code point `i`, or U+FFFD.
fn rune(i: i128) -> char {
    u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

/// Go's strconv.Quote (with `quote` as delimiter).
fn quote(s: &str, quote: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Pads to the width with spaces (or zeros with the `0` flag), left or right.
fn pad(spec: &Spec, text: &str) -> String {
    let len = text.chars().count();
    let Some(width) = spec.width.filter(|&w| w > len) else {
        return text.to_owned();
    };
    let fill = width - len;
    if spec.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if spec.zero {
        format!("{}{text}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

/// Pads a number, putting zero padding between its sign/prefix and digits.
fn pad_number(spec: &Spec, prefix: &str, digits: &str, zero_ok: bool) -> String {
    let len = prefix.chars().count() + digits.chars().count();
    match spec.width {
        Some(width) if spec.zero && zero_ok && !spec.minus && width > len => {
            format!("{prefix}{}{digits}", "0".repeat(width - len))
        }
        _ => {
            let plain = Spec {
                zero: false,
                width: spec.width,
                minus: spec.minus,
                ..Spec::default()
            };
            pad(&plain, &format!("{prefix}{digits}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(format: &str, args: &[Value]) -> String {
        let refs: Vec<&Value> = args.iter().collect();
        sprintf(format, &refs)
    }

    #[test]
    fn common_verbs() {
        assert_eq!(
            f(
                "%s-%d-%v-%t",
                &[json!("a"), json!(5), json!(1.5), json!(true)]
            ),
            "a-5-1.5-true"
        );
        assert_eq!(f("%q", &[json!("a\"b\n")]), "\"a\\\"b\\n\"");
        assert_eq!(f("%.2f|%f", &[json!(1.23456), json!(2)]), "1.23|%!f(int=2)");
        assert_eq!(
            f(
                "%x %X %#x %o %b",
                &[json!(255), json!(255), json!(255), json!(8), json!(5)]
            ),
            "ff FF 0xff 10 101"
        );
        assert_eq!(f("%x", &[json!("hi")]), "6869");
        assert_eq!(f("%c%c", &[json!(72), json!('i' as u32)]), "Hi");
        assert_eq!(f("100%%", &[]), "100%");
        assert_eq!(f("%e", &[json!(1234.5678)]), "1.234568e+03");
        assert_eq!(f("%g", &[json!(0.000012)]), "1.2e-05");
    }

    #[test]
    fn width_precision_and_flags() {
        assert_eq!(f("[%5d]", &[json!(42)]), "[   42]");
        assert_eq!(f("[%-5s]", &[json!("ab")]), "[ab   ]");
        assert_eq!(f("[%05d]", &[json!(-42)]), "[-0042]");
        assert_eq!(f("[%+d]", &[json!(3)]), "[+3]");
        assert_eq!(f("[%8.3f]", &[json!(1.23456)]), "[   1.235]");
        assert_eq!(f("[%.3d]", &[json!(7)]), "[007]");
        assert_eq!(f("[%.2s]", &[json!("héllo")]), "[hé]");
        assert_eq!(f("[%*d]", &[json!(4), json!(1)]), "[   1]");
    }

    #[test]
    fn composite_and_mismatched_arguments() {
        assert_eq!(f("%v", &[json!([1, "a", null])]), "[1 a <nil>]");
        assert_eq!(f("%d", &[json!([1, 2])]), "[1 2]");
        assert_eq!(f("%v", &[json!({"b": 2, "a": 1})]), "map[a:1 b:2]");
        assert_eq!(f("%d", &[json!("foo")]), "%!d(string=foo)");
        assert_eq!(f("%s", &[json!(null)]), "%!s(<nil>)");
        assert_eq!(f("%d %d", &[json!(1)]), "1 %!d(MISSING)");
        assert_eq!(f("%d", &[json!(1), json!("x")]), "1%!(EXTRA string=x)");
        assert_eq!(f("%", &[]), "%!(NOVERB)");
        assert_eq!(f("%99999999d", &[json!(1)]), "%!(BADWIDTH)");
    }

    #[test]
    fn sprint_spacing() {
        let (a, one, two) = (json!("a"), json!(1), json!(2));
        assert_eq!(sprint(&[&a, &one, &two, &a], "<nil>"), "a1 2a");
        assert_eq!(sprintln(&[&a, &one]), "a 1\n");
        assert_eq!(sprint(&[&Value::Null], "<no value>"), "<no value>");
    }
}
