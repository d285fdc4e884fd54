//! Go-like view of JSON values: truthiness, type names, `%v` printing
//! (including Go's float formatting) and the comparisons behind eq/lt.

use std::cmp::Ordering;

use serde_json::{Number, Value};

/// A JSON number as Go would hold it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Num {
    Int(i64),
    Uint(u64),
    Float(f64),
}

impl Num {
    /// Classifies a JSON number.
    pub fn of(n: &Number) -> Num {
        if n.is_f64() {
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        } else if let Some(i) = n.as_i64() {
            Num::Int(i)
        } else {
            n.as_u64().map_or(Num::Float(f64::NAN), Num::Uint)
        }
    }

    /// The value as an i128 if it is an integer.
    pub fn integer(self) -> Option<i128> {
        match self {
            Num::Int(i) => Some(i128::from(i)),
            Num::Uint(u) => Some(i128::from(u)),
            Num::Float(_) => None,
        }
    }

    /// The value as a float (lossy for huge integers).
    fn float(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Uint(u) => u as f64,
            Num::Float(f) => f,
        }
    }
}

/// Go's truth: false, 0, "", nil and empty collections are false.
pub(super) fn is_true(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => match Num::of(n) {
            Num::Int(i) => i != 0,
            Num::Uint(u) => u != 0,
            Num::Float(f) => f != 0.0,
        },
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// The Go type a decoded JSON value would have, for messages.
pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(n) => match Num::of(n) {
            Num::Int(_) => "int",
            Num::Uint(_) => "uint64",
            Num::Float(_) => "float64",
        },
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Prints the result of an action: like `%v`, but nil is `<no value>` (and objects and arrays
/// are JSON text with `composites_as_json`).
pub(super) fn write_top(out: &mut String, v: &Value, composites_as_json: bool) {
    match v {
        Value::Null => out.push_str("<no value>"),
        Value::String(s) => out.push_str(s),
        Value::Array(_) | Value::Object(_) if composites_as_json => out.push_str(&v.to_string()),
        _ => write_value(out, v),
    }
}

/// Go's `%v`: `[a b]` for arrays, `map[k:v]` (sorted) for objects, `<nil>` for null.
pub(super) fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_number(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            for (i, (k, item)) in sorted_entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_value(out, item);
            }
            out.push(']');
        }
    }
}

/// `%v` of a value as a new string.
pub(super) fn to_text(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

/// Object entries in Go's printing order (sorted by key).
pub(super) fn sorted_entries(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// `%v` of a number: integers plainly, floats like Go's `%g` shortest.
pub(super) fn format_number(n: &Number) -> String {
    match Num::of(n) {
        Num::Int(i) => i.to_string(),
        Num::Uint(u) => u.to_string(),
        Num::Float(f) => {
            let digits = float_digits(f.abs(), 'g', None);
            if f.is_sign_negative() {
                format!("-{digits}")
            } else {
                digits
            }
        }
    }
}

/// Formats a non-negative float like Go's `%e`, `%f` or `%g` (`prec` None =
/// default: 6 for e/f, shortest for g).
pub(super) fn float_digits(f: f64, verb: char, prec: Option<usize>) -> String {
    match verb {
        'e' => {
            let s = format!("{:.*e}", prec.unwrap_or(6), f);
            go_exponent(&s)
        }
        'f' => format!("{:.*}", prec.unwrap_or(6), f),
        _ => format_g(f, prec),
    }
}

/// Go's `%g`: scientific notation for exponents < -4 or ≥ the precision
/// (6 when shortest), without trailing zeros.
fn format_g(f: f64, prec: Option<usize>) -> String {
    let sci = match prec {
        None => format!("{f:e}"),
        Some(p) => format!("{:.*e}", p.max(1) - 1, f),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.trim_end_matches('0') {
        "" => "0",
        d => d,
    };
    let nd = digits.len() as i64;
    let eprec = match prec {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i64;
            if p > nd && nd > exp { nd } else { p }
        }
    };
    if exp < -4 || exp >= eprec {
        let (head, tail) = digits.split_at(1);
        let dot = if tail.is_empty() { "" } else { "." };
        return format!("{head}{dot}{tail}e{}", exponent_suffix(exp));
    }
    place_point(digits, exp)
}

/// `digits` × 10^(exp + 1 - len) written positionally.
fn place_point(digits: &str, exp: i64) -> String {
    let point = exp + 1;
    if point <= 0 {
        return format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize));
    }
    let point = point as usize;
    if point >= digits.len() {
        return format!("{digits}{}", "0".repeat(point - digits.len()));
    }
    format!("{}.{}", &digits[..point], &digits[point..])
}

/// Rust's `1.5e7` → Go's `1.5e+07`.
fn go_exponent(s: &str) -> String {
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            format!("{mantissa}e{}", exponent_suffix(exp.parse().unwrap_or(0)))
        }
        None => s.to_owned(),
    }
}

/// `+07` / `-12`: sign and at least two digits.
fn exponent_suffix(exp: i64) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{:02}", exp.unsigned_abs())
}

/// Numeric order across int, uint and float.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    let (a, b) = (Num::of(a), Num::of(b));
    match (a.integer(), b.integer()) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.float().partial_cmp(&b.float()),
    }
}

/// The "incompatible types" message.
fn incompatible(a: &Value, b: &Value) -> String {
    format!(
        "incompatible types for comparison: {} and {}",
        type_name(a),
        type_name(b)
    )
}

/// Go's `eq` for one pair: nil equals only nil; numbers compare numerically;
/// other kinds must match.
pub(super) fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => Ok(a.is_null() && b.is_null()),
        (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
        (Value::Number(x), Value::Number(y)) => Ok(compare_numbers(x, y) == Some(Ordering::Equal)),
        (Value::String(x), Value::String(y)) => Ok(x == y),
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => Ok(a == b),
        _ => Err(incompatible(a, b)),
    }
}

/// Go's `lt`: numbers and strings only, of matching kinds.
pub(super) fn less(a: &Value, b: &Value) -> Result<bool, String> {
    let ordered = |v: &Value| matches!(v, Value::Bool(_) | Value::Number(_) | Value::String(_));
    for v in [a, b] {
        if !ordered(v) {
            return Err(format!("invalid type for comparison: {}", type_name(v)));
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Ok(compare_numbers(x, y) == Some(Ordering::Less)),
        (Value::String(x), Value::String(y)) => Ok(x < y),
        (Value::Bool(_), Value::Bool(_)) => Err("invalid type for comparison: bool".to_owned()),
        _ => Err(incompatible(a, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(value: Value) -> String {
        let mut out = String::new();
        write_top(&mut out, &value, false);
        out
    }

    #[test]
    fn truthiness_matches_go() {
        for falsy in [
            json!(false),
            json!(0),
            json!(0.0),
            json!(""),
            json!(null),
            json!([]),
            json!({}),
        ] {
            assert!(!is_true(&falsy), "{falsy}");
        }
        for truthy in [
            json!(true),
            json!(-1),
            json!(0.5),
            json!("0"),
            json!([0]),
            json!({"a": null}),
        ] {
            assert!(is_true(&truthy), "{truthy}");
        }
    }

    #[test]
    fn prints_like_go_percent_v() {
        assert_eq!(v(json!(null)), "<no value>");
        assert_eq!(v(json!("s")), "s");
        assert_eq!(v(json!(42)), "42");
        assert_eq!(v(json!(-3)), "-3");
        assert_eq!(v(json!(1.5)), "1.5");
        assert_eq!(v(json!(2.0)), "2");
        assert_eq!(v(json!(1e21)), "1e+21");
        assert_eq!(v(json!(1000000.0)), "1e+06");
        assert_eq!(v(json!(123456.0)), "123456");
        assert_eq!(v(json!(0.0001)), "0.0001");
        assert_eq!(v(json!(0.00001)), "1e-05");
        assert_eq!(v(json!(-2.5e-7)), "-2.5e-07");
        assert_eq!(v(json!([1, "a", null, true])), "[1 a <nil> true]");
        assert_eq!(v(json!({"b": 1, "a": [2]})), "map[a:[2] b:1]");
    }

    #[test]
    fn float_verbs_match_go() {
        assert_eq!(float_digits(1.23456, 'f', Some(2)), "1.23");
        assert_eq!(float_digits(2.5, 'f', None), "2.500000");
        assert_eq!(float_digits(1234.5678, 'e', None), "1.234568e+03");
        assert_eq!(float_digits(1234.5678, 'g', Some(3)), "1.23e+03");
        assert_eq!(float_digits(100.0, 'g', Some(3)), "100");
        assert_eq!(float_digits(0.0, 'g', None), "0");
    }

    #[test]
    fn comparisons() {
        assert_eq!(equal(&json!(1), &json!(1.0)), Ok(true));
        assert_eq!(equal(&json!("a"), &json!("a")), Ok(true));
        assert_eq!(equal(&json!(null), &json!("a")), Ok(false));
        assert!(
            equal(&json!("1"), &json!(1))
                .expect_err("should fail")
                .contains("incompatible types")
        );
        assert_eq!(less(&json!(1), &json!(1.5)), Ok(true));
        assert_eq!(less(&json!(-1), &json!(u64::MAX)), Ok(true));
        assert_eq!(less(&json!("a"), &json!("b")), Ok(true));
        assert!(less(&json!(true), &json!(false)).is_err());
        assert!(
            less(&json!(null), &json!(1))
                .expect_err("should fail")
                .contains("invalid type")
        );
        assert!(
            less(&json!("a"), &json!(1))
                .expect_err("should fail")
                .contains("incompatible")
        );
    }
}
