//! Go's predefined template functions (`len`, `index`, `slice`, `printf`,
//! `eq`, `html`, …) over JSON values. `and`/`or` short-circuit and so are
//! evaluated by the executor; they are listed here for the parser.

use std::borrow::Cow;

use serde_json::Value;

use super::printf;
use super::value::{self, Num};

/// Names of Go's builtins that this engine provides.
const NAMES: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge", "html", "js", "urlquery",
];

/// Whether `name` is a Go builtin provided here.
pub(super) fn is_builtin(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Why a builtin call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CallError {
    /// Wrong number of arguments (reported as is).
    Arity(String),
    /// The function itself failed (reported as "error calling NAME: …").
    Failed(String),
}

impl From<String> for CallError {
    fn from(message: String) -> Self {
        CallError::Failed(message)
    }
}

/// The arity error Go reports.
pub(super) fn arity(name: &str, want: &str, got: usize) -> CallError {
    CallError::Arity(format!(
        "wrong number of args for {name}: want {want} got {got}"
    ))
}

/// Calls builtin `name` (other than `and`/`or`) with evaluated arguments.
pub(super) fn call(name: &str, args: &[Cow<'_, Value>]) -> Result<Value, CallError> {
    let args: Vec<&Value> = args.iter().map(AsRef::as_ref).collect();
    let args = args.as_slice();
    match name {
        "not" => one(name, args).map(|v| Value::Bool(!value::is_true(v))),
        "len" => length(one(name, args)?),
        "index" => index(args),
        "slice" => slice(args),
        "print" => Ok(Value::String(printf::sprint(args, "<nil>"))),
        "println" => Ok(Value::String(printf::sprintln(args))),
        "printf" => match args.split_first() {
            Some((Value::String(format), rest)) => Ok(Value::String(printf::sprintf(format, rest))),
            Some((other, _)) => {
                Err(format!("format must be a string, not {}", value::type_name(other)).into())
            }
            None => Err(arity(name, "at least 1", 0)),
        },
        "eq" => eq(args).map(Value::Bool),
        "ne" => two(name, args).and_then(|(a, b)| Ok(Value::Bool(!value::equal(a, b)?))),
        "lt" => two(name, args).and_then(|(a, b)| Ok(Value::Bool(value::less(a, b)?))),
        "le" => two(name, args).and_then(|(a, b)| Ok(Value::Bool(less_or_equal(a, b)?))),
        "gt" => two(name, args).and_then(|(a, b)| Ok(Value::Bool(!less_or_equal(a, b)?))),
        "ge" => two(name, args).and_then(|(a, b)| Ok(Value::Bool(!value::less(a, b)?))),
        "html" => Ok(Value::String(html_escape(&escaper_input(args)))),
        "js" => Ok(Value::String(js_escape(&escaper_input(args)))),
        "urlquery" => Ok(Value::String(query_escape(&escaper_input(args)))),
        _ => Err(CallError::Failed(format!("function {name:?} not defined"))),
    }
}

/// Exactly one argument.
fn one<'v>(name: &str, args: &[&'v Value]) -> Result<&'v Value, CallError> {
    match args {
        [a] => Ok(a),
        _ => Err(arity(name, "1", args.len())),
    }
}

/// Exactly two arguments.
fn two<'v>(name: &str, args: &[&'v Value]) -> Result<(&'v Value, &'v Value), CallError> {
    match args {
        [a, b] => Ok((a, b)),
        _ => Err(arity(name, "2", args.len())),
    }
}

/// `le`: less or equal, with lt's type checks first.
fn less_or_equal(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(value::less(a, b)? || value::equal(a, b)?)
}

/// `eq a b c…`: whether `a` equals any of the others.
fn eq(args: &[&Value]) -> Result<bool, CallError> {
    let Some((first, rest)) = args.split_first() else {
        return Err(arity("eq", "at least 1", 0));
    };
    if rest.is_empty() {
        return Err("missing argument for comparison".to_owned().into());
    }
    for other in rest {
        if value::equal(first, other)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `len`: bytes of a string, elements of an array or object.
fn length(v: &Value) -> Result<Value, CallError> {
    let n = match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.len(),
        Value::Object(m) => m.len(),
        Value::Null => return Err("len of nil".to_owned().into()),
        _ => return Err(format!("len of type {}", value::type_name(v)).into()),
    };
    Ok(Value::from(n))
}

/// An integer index argument checked against `limit` (inclusive when `inclusive`).
fn index_arg(v: &Value, limit: usize, inclusive: bool) -> Result<usize, String> {
    let n = match v {
        Value::Number(n) => Num::of(n).integer(),
        Value::Null => return Err("cannot index slice/array with nil".to_owned()),
        _ => None,
    };
    let n =
        n.ok_or_else(|| format!("cannot index slice/array with type {}", value::type_name(v)))?;
    match usize::try_from(n) {
        Ok(i) if i < limit || (inclusive && i == limit) => Ok(i),
        _ => Err(format!("index out of range: {n}")),
    }
}

/// `index x i j…`: arrays and strings by integer, objects by string key.
fn index(args: &[&Value]) -> Result<Value, CallError> {
    let Some((&item, keys)) = args.split_first() else {
        return Err(arity("index", "at least 1", 0));
    };
    if item.is_null() {
        return Err("index of untyped nil".to_owned().into());
    }
    let mut current = Cow::Borrowed(item);
    for key in keys {
        current = match current.as_ref() {
            Value::Array(a) => Cow::Owned(a[index_arg(key, a.len(), false)?].clone()),
            Value::String(s) => {
                let i = index_arg(key, s.len(), false)?;
                Cow::Owned(Value::from(s.as_bytes()[i]))
            }
            Value::Object(m) => match key {
                Value::String(k) => Cow::Owned(m.get(k).cloned().unwrap_or(Value::Null)),
                _ => {
                    let msg = format!("value has type {}; should be string", value::type_name(key));
                    return Err(msg.into());
                }
            },
            Value::Null => return Err("index of nil pointer".to_owned().into()),
            other => {
                return Err(format!("can't index item of type {}", value::type_name(other)).into());
            }
        };
    }
    Ok(current.into_owned())
}

/// `slice x i j k`: sub-strings (by byte) and sub-arrays.
fn slice(args: &[&Value]) -> Result<Value, CallError> {
    let Some((&item, idx)) = args.split_first() else {
        return Err(arity("slice", "at least 1", 0));
    };
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()).into());
    }
    let len = match item {
        Value::Null => return Err("slice of untyped nil".to_owned().into()),
        Value::String(_) if idx.len() == 3 => {
            return Err("cannot 3-index slice a string".to_owned().into());
        }
        Value::String(s) => s.len(),
        Value::Array(a) => a.len(),
        _ => return Err(format!("can't slice item of type {}", value::type_name(item)).into()),
    };
    let mut bounds = [0, len, len];
    for (slot, arg) in bounds.iter_mut().zip(idx) {
        *slot = index_arg(arg, len, true)?;
    }
    let checked = if idx.len() == 3 { 2 } else { 1 };
    for pair in bounds[..=checked].windows(2) {
        if pair[0] > pair[1] {
            return Err(format!("invalid slice index: {} > {}", pair[0], pair[1]).into());
        }
    }
    let (from, to) = (bounds[0], bounds[1]);
    Ok(match item {
        Value::String(s) => {
            Value::String(String::from_utf8_lossy(&s.as_bytes()[from..to]).into_owned())
        }
        Value::Array(a) => Value::Array(a[from..to].to_vec()),
        _ => Value::Null,
    })
}

/// The text html/js/urlquery escape: a lone string as is, otherwise Sprint
/// of the arguments (nil printing as `<no value>`, as in Go).
fn escaper_input(args: &[&Value]) -> String {
    match args {
        [Value::String(s)] => s.clone(),
        _ => printf::sprint(args, "<no value>"),
    }
}

/// Go's template.HTMLEscapeString.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's template.JSEscapeString.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 || (!c.is_ascii() && c.is_control()) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's url.QueryEscape.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn int(n: i64) -> Value {
        json!(n)
    }

    fn run(name: &str, args: &[Value]) -> Result<Value, CallError> {
        let cows: Vec<Cow<'_, Value>> = args.iter().map(Cow::Borrowed).collect();
        call(name, &cows)
    }

    fn failed(name: &str, args: &[Value]) -> String {
        match run(name, args) {
            Err(CallError::Failed(m) | CallError::Arity(m)) => m,
            Ok(v) => panic!("expected an error, got {v}"),
        }
    }

    #[test]
    fn len_index_slice() {
        assert_eq!(run("len", &[json!("héllo")]), Ok(int(6)));
        assert_eq!(run("len", &[json!([1, 2])]), Ok(int(2)));
        assert_eq!(
            run(
                "index",
                &[
                    json!({"a": [5, {"b": 7}]}),
                    json!("a"),
                    json!(1),
                    json!("b")
                ]
            ),
            Ok(int(7))
        );
        assert_eq!(
            run("index", &[json!({"a": 1}), json!("zz")]),
            Ok(Value::Null)
        );
        assert_eq!(run("index", &[json!("AB"), json!(1)]), Ok(int(66)));
        assert_eq!(
            failed("index", &[json!([1]), json!(1)]),
            "index out of range: 1"
        );
        assert_eq!(
            failed("index", &[json!([1]), json!("a")]),
            "cannot index slice/array with type string"
        );
        assert_eq!(
            failed("index", &[json!(null), json!(0)]),
            "index of untyped nil"
        );
        assert_eq!(
            run("slice", &[json!([1, 2, 3, 4]), json!(1), json!(3)]),
            Ok(json!([2, 3]))
        );
        assert_eq!(run("slice", &[json!("hello"), json!(1)]), Ok(json!("ello")));
        assert_eq!(run("slice", &[json!("hello")]), Ok(json!("hello")));
        assert_eq!(
            failed("slice", &[json!([1, 2]), json!(2), json!(1)]),
            "invalid slice index: 2 > 1"
        );
        assert_eq!(
            failed("slice", &[json!([1, 2]), json!(3)]),
            "index out of range: 3"
        );
        assert_eq!(failed("len", &[json!(3)]), "len of type int");
        assert_eq!(
            failed("len", &[json!(1), json!(2)]),
            "wrong number of args for len: want 1 got 2"
        );
    }

    #[test]
    fn escapers_match_go() {
        assert_eq!(
            run("html", &[json!("<a href=\"x\">'&'</a>")]),
            Ok(json!("&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"))
        );
        assert_eq!(
            run("js", &[json!("it's \"<b>\" a=b\n")]),
            Ok(json!("it\\'s \\\"\\u003Cb\\u003E\\\" a\\u003Db\\u000A"))
        );
        assert_eq!(
            run("urlquery", &[json!("a b&c=d/é")]),
            Ok(json!("a+b%26c%3Dd%2F%C3%A9"))
        );
        assert_eq!(run("html", &[json!(null)]), Ok(json!("&lt;no value&gt;")));
    }

    #[test]
    fn comparisons_and_logic() {
        assert_eq!(run("eq", &[json!(2), json!(1), json!(2)]), Ok(json!(true)));
        assert_eq!(
            run("eq", &[json!("a"), json!("b"), json!("c")]),
            Ok(json!(false))
        );
        assert_eq!(failed("eq", &[json!(1)]), "missing argument for comparison");
        assert_eq!(run("ne", &[json!(1), json!(2)]), Ok(json!(true)));
        assert_eq!(run("le", &[json!(2), json!(2.0)]), Ok(json!(true)));
        assert_eq!(run("gt", &[json!(3), json!(2.5)]), Ok(json!(true)));
        assert_eq!(run("ge", &[json!("a"), json!("b")]), Ok(json!(false)));
        assert_eq!(run("not", &[json!([])]), Ok(json!(true)));
        assert!(
            failed("lt", &[json!(1), json!("1")]).contains("incompatible types for comparison")
        );
    }
}
