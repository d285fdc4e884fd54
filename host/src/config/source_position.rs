//! Finds where a key is written in a config source, so that a type error found after parsing
//! (when positions are gone) can still name a line. A best-effort textual search: it looks for
//! the last segment of the key path written as a YAML, JSON or Jsonnet object key. Also the one
//! `SyntaxError` (file, line, column) every file format reports.

/// A syntax or type error inside a file, at a known position: `path:line:column: message`.
/// Config files, definition files and fleet files report their syntax errors with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct SyntaxError {
    /// The file.
    pub path: std::path::PathBuf,
    /// 1-based line (of the rendered output for Jsonnet files).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// The 1-based line on which `key` (the last segment of a dotted path) is first written as an
/// object key, or `None` when it cannot be found.
pub fn find_key_line(text: &str, key_path: &str) -> Option<usize> {
    let key = key_path.rsplit('.').next().unwrap_or(key_path);
    if key.is_empty() {
        return None;
    }
    text.lines()
        .position(|line| line_declares_key(line, key))
        .map(|n| n + 1)
}

fn line_declares_key(line: &str, key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    let mut rest = line;
    while let Some(index) = rest.find(&quoted) {
        rest = &rest[index + quoted.len()..];
        if rest.trim_start().starts_with(':') {
            return true;
        }
    }
    starts_with_key(line, key)
}

fn starts_with_key(line: &str, key: &str) -> bool {
    let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
    for quote in ["", "\"", "'"] {
        if let Some(rest) = trimmed.strip_prefix(quote)
            && let Some(rest) = rest.strip_prefix(key)
            && let Some(rest) = rest.strip_prefix(quote)
        {
            let rest = rest.trim_start();
            if rest.starts_with(':') {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_yaml_json_and_jsonnet_keys() {
        assert_eq!(find_key_line("region: x\ntimeout: 5\n", "timeout"), Some(2));
        assert_eq!(find_key_line("{\n  \"cluster\": 1\n}", "cluster"), Some(2));
        assert_eq!(find_key_line("{\n  cluster: 1,\n}", "cluster"), Some(2));
        assert_eq!(
            find_key_line(
                "codedeploy:\n  application_name: 3\n",
                "codedeploy.application_name"
            ),
            Some(2)
        );
        assert_eq!(
            find_key_line("plugins:\n  - name: 3\n", "plugins.0.name"),
            Some(2)
        );
        assert_eq!(find_key_line("clusters: x\n", "cluster"), None);
        assert_eq!(
            find_key_line("[\n  {\"name\": \"a\", \"imgae\": 1}\n]", "imgae"),
            Some(2)
        );
        assert_eq!(find_key_line("{\"value\": \"imgae\"}", "imgae"), None);
    }
}
