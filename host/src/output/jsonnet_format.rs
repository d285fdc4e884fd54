//! Prints JSON values as Jsonnet in jsonnetfmt's style (`render --jsonnet`): identifier keys
//! unquoted, single-quoted strings, 2-space indent, trailing commas.

use serde_json::Value;

/// Formats `value` as Jsonnet source with a trailing newline.
pub fn to_jsonnet(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out.push('\n');
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push_str("[\n");
            for item in items {
                indent(out, depth + 1);
                write_value(out, item, depth + 1);
                out.push_str(",\n");
            }
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push_str("{\n");
            for (key, item) in map {
                indent(out, depth + 1);
                if is_identifier(key) {
                    out.push_str(key);
                } else {
                    write_string(out, key);
                }
                out.push_str(": ");
                write_value(out, item, depth + 1);
                out.push_str(",\n");
            }
            indent(out, depth);
            out.push('}');
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Jsonnet keywords cannot be bare field names.
const KEYWORDS: [&str; 20] = [
    "assert",
    "else",
    "error",
    "false",
    "for",
    "function",
    "if",
    "import",
    "importstr",
    "importbin",
    "in",
    "local",
    "null",
    "tailstrict",
    "then",
    "self",
    "super",
    "true",
    "and",
    "or",
];

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !KEYWORDS.contains(&key)
}

fn write_string(out: &mut String, text: &str) {
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_jsonnetfmt() {
        let value = serde_json::json!({
            "family": "web",
            "cpu": "256",
            "containerDefinitions": [{"name": "app", "essential": true, "memory": 128}],
            "dockerLabels": {"com.example/x": "it's"},
            "local": [],
        });
        let expected = "{\n  containerDefinitions: [\n    {\n      essential: true,\n      memory: 128,\n      name: 'app',\n    },\n  ],\n  cpu: '256',\n  dockerLabels: {\n    'com.example/x': 'it\\'s',\n  },\n  family: 'web',\n  'local': [],\n}\n";
        assert_eq!(to_jsonnet(&value), expected);
    }
}
