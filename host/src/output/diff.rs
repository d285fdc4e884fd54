//! Unified diffs of normalized JSON (or Jsonnet), colored for terminals: removed lines red,
//! added lines green, hunk headers cyan.

use similar::TextDiff;

/// A unified diff of `remote` → `local` with 3 lines of context and `--- remote_name` /
/// `+++ local_name` headers; empty when the texts are equal.
pub fn unified_diff(
    remote_name: &str,
    local_name: &str,
    remote: &str,
    local: &str,
    color: bool,
) -> String {
    if remote == local {
        return String::new();
    }
    let diff = TextDiff::from_lines(remote, local);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(remote_name, local_name)
        .to_string();
    if !color {
        return text;
    }
    text.lines()
        .map(|line| {
            let code = if line.starts_with("---") || line.starts_with("+++") {
                "\x1b[1m"
            } else if line.starts_with('-') {
                "\x1b[31m"
            } else if line.starts_with('+') {
                "\x1b[32m"
            } else if line.starts_with("@@") {
                "\x1b[36m"
            } else {
                ""
            };
            if code.is_empty() {
                format!("{line}\n")
            } else {
                format!("{code}{line}\x1b[0m\n")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_colored() {
        let plain = unified_diff(
            "arn:remote",
            "local.json",
            "{\n  \"a\": 1\n}\n",
            "{\n  \"a\": 2\n}\n",
            false,
        );
        assert_eq!(
            plain,
            "--- arn:remote\n+++ local.json\n@@ -1,3 +1,3 @@\n {\n-  \"a\": 1\n+  \"a\": 2\n }\n"
        );
        let colored = unified_diff("r", "l", "x\n", "y\n", true);
        assert!(
            colored.contains("\x1b[31m-x\x1b[0m") && colored.contains("\x1b[32m+y\x1b[0m"),
            "{colored:?}"
        );
        assert_eq!(unified_diff("r", "l", "same\n", "same\n", true), "");
    }
}
