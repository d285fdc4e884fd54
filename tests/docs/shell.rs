//! Finds the `ristretto …` command lines in the fenced code blocks of a Markdown file and splits
//! them into words the way a POSIX shell would (quotes, backslashes, `\` line continuations,
//! pipes, `&&`, redirections, comments), so the docs tests can hand them to clap.

/// One `ristretto` invocation found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// 1-based line of the document where the command starts.
    pub line: usize,
    /// The words, starting with the program (`ristretto`).
    pub words: Vec<String>,
}

/// Fence languages whose lines are shell commands (or YAML whose `run:`/`command:`/`script:`
/// values and list items are). Blocks in other languages (text, json, rust, …) are skipped.
const SHELL_LANGUAGES: [&str; 8] = ["", "sh", "bash", "shell", "console", "zsh", "yaml", "yml"];

/// Every `ristretto` invocation in the shell-like fenced code blocks of `markdown`.
pub fn invocations(markdown: &str) -> Vec<Invocation> {
    shell_commands(markdown)
        .into_iter()
        .filter(|c| {
            c.words
                .first()
                .is_some_and(|w| w.rsplit('/').next() == Some("ristretto"))
        })
        .collect()
}

/// Every simple command (`cp …`, `export …`, `ristretto …`) in the shell-like fenced code
/// blocks of `markdown`, in document order.
pub fn shell_commands(markdown: &str) -> Vec<Invocation> {
    let mut found = Vec::new();
    let mut fence: Option<(String, bool)> = None; // (marker, is shell)
    let mut pending: Option<(usize, String)> = None; // a line continued with `\`
    for (index, raw) in markdown.lines().enumerate() {
        let trimmed = raw.trim_start();
        let marker = if trimmed.starts_with("```") {
            Some("```")
        } else if trimmed.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (&fence, marker) {
            (None, Some(marker)) => {
                let language = trimmed
                    .trim_start_matches(marker)
                    .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                    .next()
                    .unwrap_or_default()
                    .to_lowercase();
                fence = Some((
                    marker.to_owned(),
                    SHELL_LANGUAGES.contains(&language.as_str()),
                ));
                continue;
            }
            (Some((open, _)), Some(marker)) if open == marker => {
                fence = None;
                pending = None;
                continue;
            }
            _ => {}
        }
        let Some((_, true)) = &fence else { continue };
        let (start, mut line) = pending.take().unwrap_or((index + 1, String::new()));
        line.push_str(trimmed);
        if let Some(continued) = line.strip_suffix('\\') {
            pending = Some((start, format!("{continued} ")));
            continue;
        }
        for words in commands(strip_prefix(&line)) {
            found.push(Invocation { line: start, words });
        }
    }
    found
}

/// Drops a console prompt (`$ `), a YAML list dash and the YAML keys whose values are shell
/// commands in CI files (`run:`, `command:`, `script:`).
fn strip_prefix(line: &str) -> &str {
    let mut line = line.trim();
    loop {
        let before = line;
        for prefix in ["$ ", "- ", "run: ", "command: ", "script: "] {
            line = line.strip_prefix(prefix).unwrap_or(line).trim_start();
        }
        if line == before {
            return line;
        }
    }
}

/// The simple commands of one shell line: words between operators, without leading
/// `NAME=value` assignments, redirections or comments.
pub fn commands(line: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut skip_next_word = false; // the target of a redirection
    for token in tokens(line) {
        match token {
            Token::Operator(op) if op.contains('>') || op.contains('<') => {
                // `2>&1` carries its target; `>` and `<` take the next word.
                skip_next_word = !op.contains('&');
            }
            Token::Operator(_) => {
                if !current.is_empty() {
                    commands.push(std::mem::take(&mut current));
                }
            }
            Token::Word(word) => {
                if skip_next_word {
                    skip_next_word = false;
                } else if current.is_empty() && is_assignment(&word) {
                    // `FOO=bar ristretto …`
                } else {
                    current.push(word);
                }
            }
        }
    }
    if !current.is_empty() {
        commands.push(current);
    }
    commands
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Operator(String),
}

/// Splits a line into words and operators: `'…'` is literal, `"…"` keeps `\"`, `\\`, `\$`
/// escapes, a backslash outside quotes escapes the next character, and `#` at the start of a
/// word begins a comment. `$(`, `(` and `)` are operators, so `x=$(ristretto …)` is found.
fn tokens(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let flush = |word: &mut String, in_word: &mut bool, tokens: &mut Vec<Token>| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            if let Some(next) = chars.next() {
                                word.push(next);
                            }
                        }
                        other => word.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => flush(&mut word, &mut in_word, &mut tokens),
            '$' if chars.peek() == Some(&'(') => {
                flush(&mut word, &mut in_word, &mut tokens);
                chars.next();
                tokens.push(Token::Operator("$(".to_owned()));
            }
            '|' | '&' | ';' | '(' | ')' | '>' | '<' => {
                // A digit right before `>` is a file descriptor (`2>`), not a word.
                let descriptor =
                    in_word && matches!(c, '>' | '<') && word.chars().all(|d| d.is_ascii_digit());
                let mut op = if descriptor {
                    in_word = false;
                    std::mem::take(&mut word)
                } else {
                    flush(&mut word, &mut in_word, &mut tokens);
                    String::new()
                };
                op.push(c);
                while let Some(&next) = chars.peek() {
                    if matches!(next, '|' | '&' | '>') && op.len() < 4 {
                        op.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if op.ends_with('&') && matches!(chars.peek(), Some(d) if d.is_ascii_digit()) {
                    // `2>&1`
                    while let Some(&d) = chars.peek() {
                        if !d.is_ascii_digit() {
                            break;
                        }
                        op.push(d);
                        chars.next();
                    }
                }
                tokens.push(Token::Operator(op));
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut tokens);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<String>> {
        commands(line)
    }

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            words(r#"FOO=1 ristretto deploy --ext-str 'A=1;B=2' --config "x y.yml" # comment"#),
            vec![vec![
                "ristretto",
                "deploy",
                "--ext-str",
                "A=1;B=2",
                "--config",
                "x y.yml"
            ]]
        );
        assert_eq!(
            words(
                "ristretto diff --exit-code || echo changed && ristretto status 2>&1 | jq . > out.json"
            ),
            vec![
                vec!["ristretto", "diff", "--exit-code"],
                vec!["echo", "changed"],
                vec!["ristretto", "status"],
                vec!["jq", "."],
            ]
        );
        assert_eq!(
            words(r#"tag=$(ristretto revisions --output json) a\ b"#),
            vec![
                vec!["ristretto", "revisions", "--output", "json"],
                vec!["a b"]
            ]
        );
    }

    #[test]
    fn finds_invocations_in_shell_and_ci_blocks_only() {
        let markdown = "text ristretto deploy --nope\n\
            ```sh\n$ ristretto deploy \\\n  --dry-run\nrm -rf x # ristretto nothing\n```\n\
            ```json\n{\"ristretto\": \"x\"}\nristretto not-a-command\n```\n\
            ```yaml\n- run: ristretto diff --exit-code\n  script:\n    - ristretto status\n```\n";
        let found = invocations(markdown);
        let lines: Vec<(usize, String)> =
            found.iter().map(|i| (i.line, i.words.join(" "))).collect();
        assert_eq!(
            lines,
            vec![
                (3, "ristretto deploy --dry-run".to_owned()),
                (12, "ristretto diff --exit-code".to_owned()),
                (14, "ristretto status".to_owned()),
            ]
        );
    }
}
