//! Lexer: splits template source into text and `{{ … }}` actions, applies trim
//! markers, drops comments and turns action contents into tokens. Each action
//! is lexed whole when its `{{` is reached, so a missing `}}` is reported
//! before any syntax error inside that action.

use std::collections::VecDeque;
use std::ops::Range;

use serde_json::Number;

use super::ast::Keyword;
use super::literal::{Escaped, decode_escape, parse_number, scan_quoted, unquote};
use super::{Error, line_col};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind<'a> {
    /// Literal text (a source range, already trimmed).
    Text(Range<usize>),
    /// `{{` or `{{- `.
    LeftDelim,
    /// `}}` or ` -}}`.
    RightDelim,
    /// A keyword such as `if` or `end`.
    Keyword(Keyword),
    /// A function name.
    Ident(&'a str),
    /// `.name` (the name without the dot).
    Field(&'a str),
    /// `$name` or `$` (with the `$`).
    Variable(&'a str),
    /// `.` alone.
    Dot,
    /// A decoded string literal.
    Str(String),
    /// A number or character constant.
    Number(Number),
    /// `true` / `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `|`.
    Pipe,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// `,`.
    Comma,
    /// End of input.
    Eof,
}

/// A token with its source span.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token<'a> {
    /// What it is.
    pub kind: Kind<'a>,
    /// Byte offset of its first character.
    pub pos: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// Whether white space precedes it inside the action.
    pub space_before: bool,
}

/// Go's notion of white space inside templates.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Characters allowed in identifiers, field and variable names.
fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Whether `s` starts with the left trim marker `-` + space.
fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(char::from(b[1]))
}

/// Whether `s` starts with space + `-}}`.
fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 4 && is_space(char::from(b[0])) && &b[1..4] == b"-}}"
}

/// Produces tokens on demand.
pub(super) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    trim_next: bool,
    pending: VecDeque<Token<'a>>,
}

impl<'a> Lexer<'a> {
    /// A lexer over `src`.
    pub fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            trim_next: false,
            pending: VecDeque::new(),
        }
    }

    /// The next token; `Eof` forever once the input is exhausted.
    pub fn next_token(&mut self) -> Result<Token<'a>, Error> {
        match self.pending.pop_front() {
            Some(tok) => Ok(tok),
            None => self.lex_text(),
        }
    }

    /// Lexes text up to the next action, skipping comments.
    fn lex_text(&mut self) -> Result<Token<'a>, Error> {
        loop {
            let start = self.pos;
            let rest = self.src.get(start..).unwrap_or("");
            let delim = rest.find("{{").map(|i| start + i);
            let stop = delim.unwrap_or(self.src.len());
            let mut text = start..stop;
            if std::mem::take(&mut self.trim_next) {
                let body = self.src.get(start..stop).unwrap_or("");
                text.start = stop - body.trim_start_matches(is_space).len();
            }
            let trim_left =
                delim.is_some_and(|d| has_left_trim(self.src.get(d + 2..).unwrap_or("")));
            if trim_left {
                let body = self.src.get(text.clone()).unwrap_or("");
                text.end = text.start + body.trim_end_matches(is_space).len();
            }
            self.pos = stop;
            if !text.is_empty() {
                let (pos, end) = (text.start, text.end);
                return Ok(token(Kind::Text(text), pos, end, false));
            }
            let Some(open) = delim else {
                return Ok(token(Kind::Eof, stop, stop, false));
            };
            let inner = open + if trim_left { 4 } else { 2 };
            if !self.skip_comment(open, inner)? {
                return self.lex_action(open, inner);
            }
        }
    }

    /// Skips `/* … */}}` if a comment starts at `inner`; reports whether it did.
    fn skip_comment(&mut self, open: usize, inner: usize) -> Result<bool, Error> {
        let rest = self.src.get(inner..).unwrap_or("");
        if !rest.starts_with("/*") {
            return Ok(false);
        }
        let Some(close) = rest[2..].find("*/").map(|i| inner + 2 + i + 2) else {
            return Err(Error::new(open, "unclosed comment: missing \"*/\""));
        };
        let after = self.src.get(close..).unwrap_or("");
        if after.starts_with("}}") {
            self.pos = close + 2;
        } else if has_right_trim(after) {
            self.pos = close + 4;
            self.trim_next = true;
        } else {
            return Err(Error::new(
                close - 2,
                "comment ends before closing delimiter: \"*/\" must be followed by \"}}\"",
            ));
        }
        Ok(true)
    }

    /// Lexes the whole action opened at `open` into `pending`.
    fn lex_action(&mut self, open: usize, inner: usize) -> Result<Token<'a>, Error> {
        let mut scan = ActionScanner {
            src: self.src,
            pos: inner,
            open,
            parens: Vec::new(),
        };
        loop {
            let tok = scan
                .next()
                .map_err(|e| explain_unclosed(self.src, open, e))?;
            let close = tok.kind == Kind::RightDelim;
            if close {
                // ` -}}` spans four bytes, `}}` two.
                self.trim_next = tok.end - tok.pos == 4;
            }
            self.pending.push_back(tok);
            if close {
                break;
            }
        }
        self.pos = scan.pos;
        Ok(token(Kind::LeftDelim, open, inner, false))
    }
}

/// Builds a token.
fn token(kind: Kind<'_>, pos: usize, end: usize, space_before: bool) -> Token<'_> {
    Token {
        kind,
        pos,
        end,
        space_before,
    }
}

/// Explains a lexical error inside the action opened at `open`: when no `}}`
/// appears before the next `{{` the missing delimiter is the cause; when the
/// error is on a later line than the `{{`, a missing `}}` is the likely cause.
fn explain_unclosed(src: &str, open: usize, err: Error) -> Error {
    let body = src.get(open + 2..).unwrap_or("");
    let body = body.find("{{").map_or(body, |i| &body[..i]);
    if !body.contains("}}") {
        return unclosed(open);
    }
    let (line, column) = line_col(src, open);
    if line_col(src, err.pos).0 == line {
        return err;
    }
    let hint = format!(
        "{} (is the \"}}}}\" of the action opened at {line}:{column} missing?)",
        err.message
    );
    Error::new(err.pos, hint)
}

/// The error for an action without `}}`.
fn unclosed(open: usize) -> Error {
    Error::new(open, "unclosed action: missing \"}}\"")
}

/// Tokenizes the inside of one action.
struct ActionScanner<'a> {
    src: &'a str,
    pos: usize,
    open: usize,
    parens: Vec<usize>,
}

impl<'a> ActionScanner<'a> {
    /// The rest of the input.
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    /// A token from `start` to the current position.
    fn tok(&self, kind: Kind<'a>, start: usize, space: bool) -> Token<'a> {
        token(kind, start, self.pos, space)
    }

    /// A one-character token.
    fn single(&mut self, kind: Kind<'a>, start: usize, space: bool) -> Result<Token<'a>, Error> {
        self.pos = start + 1;
        Ok(self.tok(kind, start, space))
    }

    /// The next token of the action, up to and including the right delimiter.
    fn next(&mut self) -> Result<Token<'a>, Error> {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches(is_space);
        let space = trimmed.len() < rest.len();
        let start = self.pos + (rest.len() - trimmed.len());
        self.pos = start;
        if trimmed.starts_with("}}") {
            return self.close(start, start + 2, space);
        }
        if space && trimmed.starts_with("-}}") {
            return self.close(start - 1, start + 3, true);
        }
        let mut chars = trimmed.chars();
        let Some(c) = chars.next() else {
            return Err(unclosed(self.open));
        };
        let next = chars.next();
        match c {
            '(' => {
                self.parens.push(start);
                self.single(Kind::LParen, start, space)
            }
            ')' => match self.parens.pop() {
                Some(_) => self.single(Kind::RParen, start, space),
                None => Err(Error::new(start, "unexpected \")\" without matching \"(\"")),
            },
            '|' => self.single(Kind::Pipe, start, space),
            ',' => self.single(Kind::Comma, start, space),
            '=' => self.single(Kind::Assign, start, space),
            ':' if next == Some('=') => {
                self.pos = start + 2;
                Ok(self.tok(Kind::Declare, start, space))
            }
            ':' => Err(Error::new(start, "expected \":=\" after \":\"")),
            '"' => self.string(start, space),
            '`' => self.raw_string(start, space),
            '\'' => self.char_constant(start, space),
            '$' => self.field_or_variable(start, space),
            '.' if next.is_some_and(|n| n.is_ascii_digit()) => self.number(start, space),
            '.' => self.field_or_variable(start, space),
            '+' | '-' | '0'..='9' => self.number(start, space),
            '{' if next == Some('{') => Err(unclosed(self.open)),
            '/' if next == Some('*') => Err(Error::new(
                start,
                "a comment must start right after \"{{\": write {{/* … */}}",
            )),
            c if c == '_' || c.is_alphabetic() => self.identifier(start, space),
            c => Err(Error::new(
                start,
                format!("unexpected character {c:?} in action"),
            )),
        }
    }

    /// The right delimiter spanning `start..end`.
    fn close(&mut self, start: usize, end: usize, space: bool) -> Result<Token<'a>, Error> {
        if let Some(&paren) = self.parens.first() {
            return Err(Error::new(paren, "unclosed left paren: missing \")\""));
        }
        self.pos = end;
        Ok(self.tok(Kind::RightDelim, start, space))
    }

    /// Checks that a word ends where a word may end.
    fn terminator(&self, start: usize) -> Result<(), Error> {
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return Ok(());
        };
        if is_space(c)
            || matches!(c, '.' | ',' | '|' | ':' | ')' | '(' | '=')
            || rest.starts_with("}}")
        {
            return Ok(());
        }
        let word = self.src.get(start..self.pos).unwrap_or("");
        let hint = if word.starts_with('.') || word.starts_with('$') {
            "; keys that are not identifiers need index, e.g. index . \"my-key\""
        } else {
            ""
        };
        Err(Error::new(
            self.pos,
            format!("bad character {c:?} after {word:?}{hint}"),
        ))
    }

    /// `.name`, `.`, `$name` or `$`.
    fn field_or_variable(&mut self, start: usize, space: bool) -> Result<Token<'a>, Error> {
        self.pos = start + 1;
        let rest = self.rest();
        self.pos += rest.find(|c: char| !is_alnum(c)).unwrap_or(rest.len());
        self.terminator(start)?;
        let word = self.src.get(start..self.pos).unwrap_or("");
        let kind = match word.strip_prefix('.') {
            Some("") => Kind::Dot,
            Some(name) => Kind::Field(name),
            None => Kind::Variable(word),
        };
        Ok(self.tok(kind, start, space))
    }

    /// A function name, keyword, `true`, `false` or `nil`.
    fn identifier(&mut self, start: usize, space: bool) -> Result<Token<'a>, Error> {
        let rest = self.rest();
        self.pos += rest.find(|c: char| !is_alnum(c)).unwrap_or(rest.len());
        self.terminator(start)?;
        let word = self.src.get(start..self.pos).unwrap_or("");
        let kind = match word {
            "true" => Kind::Bool(true),
            "false" => Kind::Bool(false),
            "nil" => Kind::Nil,
            _ => Keyword::from_word(word).map_or(Kind::Ident(word), Kind::Keyword),
        };
        Ok(self.tok(kind, start, space))
    }

    /// A number, scanned like Go's lexer and converted like Go's parser.
    fn number(&mut self, start: usize, space: bool) -> Result<Token<'a>, Error> {
        const DECIMAL: &[u8] = b"0123456789_";
        const HEX: &[u8] = b"0123456789abcdefABCDEF_";
        let b = self.src.as_bytes();
        let accept = |i: &mut usize, set: &[u8]| {
            let hit = b.get(*i).is_some_and(|c| set.contains(c));
            *i += usize::from(hit);
            hit
        };
        let run = |i: &mut usize, set: &[u8]| while accept(i, set) {};
        let mut i = start;
        accept(&mut i, b"+-");
        let mut digits = DECIMAL;
        if accept(&mut i, b"0") {
            if accept(&mut i, b"xX") {
                digits = HEX;
            } else if accept(&mut i, b"oO") {
                digits = b"01234567_";
            } else if accept(&mut i, b"bB") {
                digits = b"01_";
            }
        }
        run(&mut i, digits);
        if accept(&mut i, b".") {
            run(&mut i, digits);
        }
        let exponent: &[u8] = if digits == DECIMAL {
            b"eE"
        } else if digits == HEX {
            b"pP"
        } else {
            b""
        };
        if accept(&mut i, exponent) {
            accept(&mut i, b"+-");
            run(&mut i, DECIMAL);
        }
        // Anything alphanumeric glued to the number makes it malformed.
        self.pos = i;
        let rest = self.rest();
        self.pos += rest.find(|c: char| !is_alnum(c)).unwrap_or(rest.len());
        let text = self.src.get(start..self.pos).unwrap_or("");
        let n = parse_number(text).map_err(|m| Error::new(start, m))?;
        Ok(self.tok(Kind::Number(n), start, space))
    }

    /// An interpreted string literal.
    fn string(&mut self, start: usize, space: bool) -> Result<Token<'a>, Error> {
        let end = scan_quoted(self.src, start, b'"')
            .ok_or_else(|| Error::new(start, "unterminated quoted string"))?;
        self.pos = end + 1;
        let body = self.src.get(start + 1..end).unwrap_or("");
        let s = unquote(body, start + 1)?;
        Ok(self.tok(Kind::Str(s), start, space))
    }

    /// A raw (backquoted) string literal; carriage returns are dropped as in Go.
    fn raw_string(&mut self, start: usize, space: bool) -> Result<Token<'a>, Error> {
        let body = self.src.get(start + 1..).unwrap_or("");
        let len = body
            .find('`')
            .ok_or_else(|| Error::new(start, "unterminated raw quoted string"))?;
        self.pos = start + 1 + len + 1;
        let s = body[..len].replace('\r', "");
        Ok(self.tok(Kind::Str(s), start, space))
    }

    /// A character constant such as `'a'` or `'\n'`, valued as its code point.
    fn char_constant(&mut self, start: usize, space: bool) -> Result<Token<'a>, Error> {
        let end = scan_quoted(self.src, start, b'\'')
            .ok_or_else(|| Error::new(start, "unterminated character constant"))?;
        self.pos = end + 1;
        let body = self.src.get(start + 1..end).unwrap_or("");
        let malformed = || Error::new(start, format!("malformed character constant: '{body}'"));
        let value = match body.strip_prefix('\\') {
            Some(esc) => match decode_escape(esc, '\'') {
                Ok((Escaped::Byte(b), used)) if used == esc.len() => u32::from(b),
                Ok((Escaped::Char(c), used)) if used == esc.len() => u32::from(c),
                _ => return Err(malformed()),
            },
            None => {
                let mut chars = body.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => u32::from(c),
                    _ => return Err(malformed()),
                }
            }
        };
        Ok(self.tok(Kind::Number(Number::from(value)), start, space))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Result<Vec<Kind<'_>>, Error> {
        let mut lex = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let tok = lex.next_token()?;
            if tok.kind == Kind::Eof {
                return Ok(out);
            }
            out.push(tok.kind);
        }
    }

    #[test]
    fn tokens_of_an_action() {
        let k = kinds("a{{ $x := .b.c | f 'a' `r` \"s\\n\" }}z").expect("should succeed");
        assert_eq!(
            k,
            vec![
                Kind::Text(0..1),
                Kind::LeftDelim,
                Kind::Variable("$x"),
                Kind::Declare,
                Kind::Field("b"),
                Kind::Field("c"),
                Kind::Pipe,
                Kind::Ident("f"),
                Kind::Number(Number::from(97)),
                Kind::Str("r".into()),
                Kind::Str("s\n".into()),
                Kind::RightDelim,
                Kind::Text(35..36),
            ]
        );
    }

    #[test]
    fn trim_markers_and_comments_shape_text() {
        let src = "a \n{{- 1 -}} \n b{{/* c */}}d {{- /* e */ -}} f";
        let texts: Vec<&str> = kinds(src)
            .expect("should succeed")
            .into_iter()
            .filter_map(|k| match k {
                Kind::Text(r) => Some(&src[r]),
                _ => None,
            })
            .collect();
        assert_eq!(texts, vec!["a", "b", "d", "f"]);
    }

    #[test]
    fn negative_number_is_not_a_trim_marker() {
        assert_eq!(
            kinds("{{-3}}").expect("should succeed"),
            vec![
                Kind::LeftDelim,
                Kind::Number(Number::from(-3)),
                Kind::RightDelim
            ]
        );
    }

    #[test]
    fn lexical_errors_point_at_their_cause() {
        assert_eq!(kinds("ab{{ .x").expect_err("should fail").pos, 2);
        assert_eq!(
            kinds("{{ \"abc }}").expect_err("should fail").message,
            "unterminated quoted string"
        );
        assert_eq!(kinds("{{ (1 }}").expect_err("should fail").pos, 3);
        assert_eq!(kinds("{{ 1) }}").expect_err("should fail").pos, 4);
        assert!(
            kinds("{{ .a-b }}")
                .expect_err("should fail")
                .message
                .contains("index")
        );
        assert!(kinds("{{/* x */ }}").is_err());
        assert!(
            kinds("{{/* x ")
                .expect_err("should fail")
                .message
                .contains("unclosed comment")
        );
        let e = kinds("{{ .a\n\"b\": 1 }}").expect_err("should fail");
        assert_eq!(e.pos, 9);
        assert_eq!(
            e.message,
            "expected \":=\" after \":\" (is the \"}}\" of the action opened at 1:1 missing?)"
        );
    }
}
