//! Diffs of normalized JSON (or Jsonnet), colored for terminals: removed lines red, added
//! lines green, hunk headers cyan. Unified (3 lines of context, the default) or whole documents
//! (ecspresso's `diff --no-unified`).

use similar::{ChangeTag, TextDiff};

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
    colorize(&text, color)
}

/// The whole of `local`, each line marked as in a unified diff (`-` removed, `+` added, ` `
/// unchanged), under the same `---`/`+++` headers and without hunk headers; empty when the
/// texts are equal.
pub fn full_diff(
    remote_name: &str,
    local_name: &str,
    remote: &str,
    local: &str,
    color: bool,
) -> String {
    if remote == local {
        return String::new();
    }
    let mut text = format!("--- {remote_name}\n+++ {local_name}\n");
    for change in TextDiff::from_lines(remote, local).iter_all_changes() {
        let sign = match change.tag() {
            ChangeTag::Delete => '-',
            ChangeTag::Insert => '+',
            ChangeTag::Equal => ' ',
        };
        text.push(sign);
        text.push_str(change.value());
        if change.missing_newline() {
            text.push('\n');
        }
    }
    colorize(&text, color)
}

/// Colors diff lines for a terminal (unchanged without `color`).
fn colorize(text: &str, color: bool) -> String {
    if !color {
        return text.to_owned();
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

    #[test]
    fn full_diff_shows_every_line() {
        let remote = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3,\n  \"d\": 4,\n  \"e\": 5\n}\n";
        let local = remote.replace("\"e\": 5", "\"e\": 6");
        let full = full_diff("r", "l", remote, &local, false);
        assert_eq!(
            full,
            "--- r\n+++ l\n {\n   \"a\": 1,\n   \"b\": 2,\n   \"c\": 3,\n   \"d\": 4,\n-  \"e\": 5\n+  \"e\": 6\n }\n"
        );
        let unified = unified_diff("r", "l", remote, &local, false);
        assert!(
            !unified.contains("\"a\": 1") && unified.contains("@@"),
            "{unified}"
        );
        assert_eq!(full_diff("r", "l", "x", "x", false), "");
        assert_eq!(
            full_diff("r", "l", "x", "y", false),
            "--- r\n+++ l\n-x\n+y\n"
        );
    }
}
