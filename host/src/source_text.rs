//! Checks on the raw text of a config or definition file before a parser sees it: a leading
//! UTF-8 byte order mark is dropped (Go's decoders and most editors accept one), and nesting
//! deeper than a parser can take is refused with its line instead of a stack overflow or a
//! quadratic scan (YAML and Jsonnet parsers recurse once per level). A leaf module: it depends
//! on nothing else in the crate.

/// The deepest nesting of brackets, braces and parentheses a file may have. Real definitions
/// nest fewer than 20 levels; serde's JSON and YAML decoders stop at 128.
pub const MAX_NESTING: usize = 128;

/// Why `path`, which names something, is not a file that can be read: a directory, a symlink
/// loop, or a symlink to nothing. `None` when it is a file or nothing exists under the name.
pub fn not_a_readable_file(path: &std::path::Path) -> Option<String> {
    let entry = std::fs::symlink_metadata(path).ok()?;
    if entry.file_type().is_symlink() {
        return match std::fs::metadata(path) {
            Ok(target) if target.is_dir() => Some("is a symlink to a directory".to_owned()),
            Ok(_) => None,
            Err(err) if err.raw_os_error() == Some(ELOOP) => {
                Some("is a symlink loop (it resolves to itself)".to_owned())
            }
            Err(_) => Some(match std::fs::read_link(path) {
                Ok(target) => format!("is a symlink to {}, which does not exist", target.display()),
                Err(_) => "is a symlink that cannot be followed".to_owned(),
            }),
        };
    }
    entry.is_dir().then(|| "is a directory".to_owned())
}

/// Linux's "too many levels of symbolic links".
const ELOOP: i32 = 40;

/// `text` without a leading UTF-8 byte order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Where nesting first goes deeper than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The limit that was passed.
    pub limit: usize,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "nested more than {} levels deep (brackets and braces); no config or definition needs that many",
            self.limit
        )
    }
}

/// Finds nesting of `[`, `{` and `(` deeper than `limit`, outside strings and comments
/// (`"…"`, `'…'`, `#`, `//` and `/* */`, as in JSON, YAML and Jsonnet). One pass, so it costs
/// nothing on ordinary files.
pub fn check_nesting(text: &str, limit: usize) -> Result<(), TooDeep> {
    let mut depth = 0usize;
    let (mut line, mut column) = (1usize, 0usize);
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    let mut line_comment = false;
    let mut block_comment = false;
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
            line_comment = false;
            continue;
        }
        if line_comment {
            continue;
        }
        if block_comment {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                column += 1;
                block_comment = false;
            }
            continue;
        }
        if let Some(q) = quote {
            if c == '\\' && q == '"' {
                chars.next();
                column += 1;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '#' => line_comment = true,
            '/' if chars.peek() == Some(&'/') => line_comment = true,
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                column += 1;
                block_comment = true;
            }
            '[' | '{' | '(' => {
                depth += 1;
                if depth > limit {
                    return Err(TooDeep {
                        line,
                        column,
                        limit,
                    });
                }
            }
            ']' | '}' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_and_symlink_loops_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ecspresso.yml");
        std::fs::create_dir(&sub).unwrap();
        assert_eq!(not_a_readable_file(&sub).as_deref(), Some("is a directory"));
        let looped = dir.path().join("loop.json");
        std::os::unix::fs::symlink(&looped, &looped).unwrap();
        assert!(
            not_a_readable_file(&looped)
                .unwrap()
                .contains("symlink loop")
        );
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(
            not_a_readable_file(&dangling)
                .unwrap()
                .contains("does not exist")
        );
        let file = dir.path().join("f.json");
        std::fs::write(&file, "{}").unwrap();
        assert_eq!(not_a_readable_file(&file), None);
        assert_eq!(not_a_readable_file(&dir.path().join("absent")), None);
    }

    #[test]
    fn a_bom_is_dropped_once() {
        assert_eq!(strip_bom("\u{feff}a: 1"), "a: 1");
        assert_eq!(strip_bom("a: 1"), "a: 1");
    }

    #[test]
    fn deep_nesting_is_found_with_its_position() {
        let deep = format!("x: {}1{}", "[".repeat(200), "]".repeat(200));
        let found = check_nesting(&deep, 128).unwrap_err();
        assert_eq!((found.line, found.column), (1, 4 + 128));
        let fine = format!("{}1{}", "{\"a\":".repeat(50), "}".repeat(50));
        assert_eq!(check_nesting(&fine, 128), Ok(()));
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let text = format!(
            "a: \"{}\"\n# {}\n// {}\n/* {} */ b: '{}'",
            "[".repeat(300),
            "{".repeat(300),
            "(".repeat(300),
            "[".repeat(300),
            "{".repeat(300)
        );
        assert_eq!(check_nesting(&text, 10), Ok(()));
        let escaped = format!("\"\\\"{}\" [[", "[".repeat(300));
        assert_eq!(check_nesting(&escaped, 10), Ok(()));
    }
}
