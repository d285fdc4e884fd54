//! Parser: turns the token stream into the syntax tree, checking block
//! structure, function names and variable declarations the way Go's
//! text/template does, with nesting capped to keep the stack bounded.

use std::collections::VecDeque;

use super::ast::{Branch, Defines, Keyword, List, Node};
use super::lexer::{Kind, Lexer, Token};
use super::{Error, FunctionSource};

mod pipeline;

/// Deepest allowed nesting of blocks and parentheses.
const MAX_DEPTH: usize = 200;

/// Parses a whole template: its body and the templates it names with `{{ define }}` and
/// `{{ block }}`.
pub(super) fn parse(src: &str, funcs: &dyn FunctionSource) -> Result<(List, Defines), Error> {
    let mut parser = Parser {
        src,
        lex: Lexer::new(src),
        ahead: VecDeque::new(),
        funcs,
        vars: vec!["$".to_owned()],
        range_depth: 0,
        depth: 0,
        defines: Defines::new(),
    };
    let root = parser.root()?;
    Ok((root, parser.defines))
}

/// What stopped an item list.
enum Stop {
    Eof,
    /// `{{ end }}` at this position.
    End(usize),
    /// `{{ else }}`, possibly followed by `if`/`with` (keyword and its position).
    Else {
        pos: usize,
        chain: Option<(Keyword, usize)>,
    },
}

/// Where a pipeline appears, for messages and for its closing token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Command,
    Control(Keyword),
    Paren,
}

impl Ctx {
    /// Name used in messages.
    fn name(self) -> &'static str {
        match self {
            Ctx::Command => "command",
            Ctx::Control(kw) => kw.name(),
            Ctx::Paren => "parenthesized pipeline",
        }
    }
}

/// Parser state.
struct Parser<'a, 'f> {
    src: &'a str,
    lex: Lexer<'a>,
    ahead: VecDeque<Token<'a>>,
    funcs: &'f dyn FunctionSource,
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    defines: Defines,
}

/// Whether a token can start an operand.
fn starts_operand(kind: &Kind<'_>) -> bool {
    matches!(
        kind,
        Kind::Ident(_)
            | Kind::Dot
            | Kind::Nil
            | Kind::Bool(_)
            | Kind::Number(_)
            | Kind::Str(_)
            | Kind::Field(_)
            | Kind::Variable(_)
            | Kind::LParen
    )
}

/// `{{ kw }}` for messages.
fn action_name(kw: Keyword) -> String {
    format!("{{{{ {} }}}}", kw.name())
}

impl<'a> Parser<'a, '_> {
    /// Makes sure `n` tokens are buffered.
    fn fill(&mut self, n: usize) -> Result<(), Error> {
        while self.ahead.len() < n {
            let tok = self.lex.next_token()?;
            self.ahead.push_back(tok);
        }
        Ok(())
    }

    /// The `n`th upcoming token (0-based), without consuming it.
    fn peek_at(&mut self, n: usize) -> Result<Token<'a>, Error> {
        self.fill(n + 1)?;
        self.ahead
            .get(n)
            .cloned()
            .ok_or_else(|| Error::new(self.src.len(), "internal error: missing token"))
    }

    /// The next token, without consuming it.
    fn peek(&mut self) -> Result<Token<'a>, Error> {
        self.peek_at(0)
    }

    /// Consumes the next token.
    fn next(&mut self) -> Result<Token<'a>, Error> {
        let tok = self.peek()?;
        self.ahead.pop_front();
        Ok(tok)
    }

    /// How a token is quoted in messages.
    fn describe(&self, tok: &Token<'_>) -> String {
        match tok.kind {
            Kind::Eof => "end of input".to_owned(),
            Kind::Text(_) => "text".to_owned(),
            _ => {
                let text = self.src.get(tok.pos..tok.end).unwrap_or("").trim();
                let short: String = text.chars().take(30).collect();
                let more = if short.len() < text.len() { "…" } else { "" };
                format!("{:?}", format!("{short}{more}"))
            }
        }
    }

    /// `unexpected X in Y` at the token.
    fn unexpected(&self, tok: &Token<'_>, context: &str) -> Error {
        Error::new(
            tok.pos,
            format!("unexpected {} in {context}", self.describe(tok)),
        )
    }

    /// Enters one nesting level, failing past [`MAX_DEPTH`].
    fn enter(&mut self, pos: usize) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(
                pos,
                format!("template is nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        Ok(())
    }

    /// The whole template.
    fn root(&mut self) -> Result<List, Error> {
        let (list, end) = self.item_list()?;
        let stray = match end {
            Stop::Eof => return Ok(list),
            Stop::End(pos) => (pos, "end"),
            Stop::Else { pos, .. } => (pos, "else"),
        };
        Err(Error::new(
            stray.0,
            format!(
                "unexpected {{{{ {} }}}}: no {{{{ if }}}}, {{{{ range }}}} or {{{{ with }}}} is open",
                stray.1
            ),
        ))
    }

    /// Text and actions up to `{{ end }}`, `{{ else }}` or the end of input.
    fn item_list(&mut self) -> Result<(List, Stop), Error> {
        let mut list = Vec::new();
        loop {
            let tok = self.next()?;
            match tok.kind {
                Kind::Text(range) => list.push(Node::Text(range)),
                Kind::LeftDelim => {
                    if let Some(end) = self.action(tok.pos, &mut list)? {
                        return Ok((list, end));
                    }
                }
                Kind::Eof => return Ok((list, Stop::Eof)),
                _ => return Err(self.unexpected(&tok, "input")),
            }
        }
    }

    /// One action after its `{{` (at `open`); block terminators are returned.
    fn action(&mut self, open: usize, list: &mut List) -> Result<Option<Stop>, Error> {
        let tok = self.peek()?;
        let Kind::Keyword(kw) = tok.kind else {
            list.push(Node::Action(self.pipeline(Ctx::Command, open)?));
            return Ok(None);
        };
        self.next()?;
        let pos = tok.pos;
        match kw {
            Keyword::End => {
                self.close(kw)?;
                Ok(Some(Stop::End(pos)))
            }
            Keyword::Else => self.else_action(pos).map(Some),
            Keyword::If | Keyword::With | Keyword::Range => {
                list.push(self.control(kw, pos, pos)?);
                Ok(None)
            }
            Keyword::Break | Keyword::Continue => {
                if self.range_depth == 0 {
                    let msg = format!("{} outside {{{{ range }}}}", action_name(kw));
                    return Err(Error::new(pos, msg));
                }
                self.close(kw)?;
                list.push(if kw == Keyword::Break {
                    Node::Break
                } else {
                    Node::Continue
                });
                Ok(None)
            }
            Keyword::Define => {
                if self.depth > 0 {
                    return Err(Error::new(
                        pos,
                        "{{ define }} is allowed only at the top level, outside other actions",
                    ));
                }
                let name = self.template_name(kw)?;
                self.close(kw)?;
                let body = self.template_body(kw, pos)?;
                self.defines.insert(name, body);
                Ok(None)
            }
            Keyword::Template | Keyword::Block => {
                let name = self.template_name(kw)?;
                let pipe = if matches!(self.peek()?.kind, Kind::RightDelim) {
                    if kw == Keyword::Block {
                        return Err(Error::new(
                            pos,
                            "{{ block }} needs a pipeline after its name",
                        ));
                    }
                    self.next()?;
                    None
                } else {
                    Some(self.pipeline(Ctx::Control(kw), pos)?)
                };
                if kw == Keyword::Block {
                    let body = self.template_body(kw, pos)?;
                    // A `{{ define }}` of the same name (before or after) replaces the default.
                    self.defines.entry(name.clone()).or_insert(body);
                }
                list.push(Node::Template { pos, name, pipe });
                Ok(None)
            }
        }
    }

    /// The quoted name after `define`, `template` or `block`.
    fn template_name(&mut self, kw: Keyword) -> Result<String, Error> {
        let tok = self.next()?;
        match tok.kind {
            Kind::Str(name) => Ok(name),
            _ => Err(self.unexpected(
                &tok,
                &format!("{} (expected a quoted name)", action_name(kw)),
            )),
        }
    }

    /// The body of `define` or `block` up to its `{{ end }}`, parsed with only `$` in scope.
    fn template_body(&mut self, kw: Keyword, pos: usize) -> Result<List, Error> {
        self.enter(pos)?;
        let outer = std::mem::replace(&mut self.vars, vec!["$".to_owned()]);
        let outer_range = std::mem::take(&mut self.range_depth);
        let (body, end) = self.item_list()?;
        self.vars = outer;
        self.range_depth = outer_range;
        self.depth -= 1;
        match end {
            Stop::End(_) => Ok(body),
            Stop::Eof => Err(missing_end(kw, pos)),
            Stop::Else { pos, .. } => Err(Error::new(
                pos,
                format!("unexpected {{{{ else }}}} in {}", action_name(kw)),
            )),
        }
    }

    /// Expects the `}}` that ends a keyword-only action.
    fn close(&mut self, kw: Keyword) -> Result<(), Error> {
        let tok = self.next()?;
        match tok.kind {
            Kind::RightDelim => Ok(()),
            _ => Err(self.unexpected(&tok, &action_name(kw))),
        }
    }

    /// `{{ else }}`, `{{ else if … }}` or `{{ else with … }}` after the `else`.
    fn else_action(&mut self, pos: usize) -> Result<Stop, Error> {
        let tok = self.peek()?;
        if let Kind::Keyword(kw @ (Keyword::If | Keyword::With)) = tok.kind {
            self.next()?;
            return Ok(Stop::Else {
                pos,
                chain: Some((kw, tok.pos)),
            });
        }
        self.close(Keyword::Else)?;
        Ok(Stop::Else { pos, chain: None })
    }

    /// if/with/range after the keyword at `pos`; `opener` is the outermost
    /// keyword of an else-if chain, blamed when `{{ end }}` is missing.
    fn control(&mut self, kw: Keyword, pos: usize, opener: usize) -> Result<Node, Error> {
        self.enter(pos)?;
        let mark = self.vars.len();
        let pipe = self.pipeline(Ctx::Control(kw), pos)?;
        let body_mark = self.vars.len();
        let is_range = kw == Keyword::Range;
        self.range_depth += usize::from(is_range);
        let (list, end) = self.item_list()?;
        self.range_depth -= usize::from(is_range);
        self.vars.truncate(body_mark);
        let else_list = match end {
            Stop::End(_) => None,
            Stop::Eof => return Err(missing_end(kw, opener)),
            Stop::Else { chain: None, .. } => Some(self.else_body(kw, opener)?),
            Stop::Else {
                chain: Some((next, next_pos)),
                ..
            } => {
                if next != kw || is_range {
                    let msg = format!(
                        "{{{{ else {} }}}} is not allowed in {}",
                        next.name(),
                        action_name(kw)
                    );
                    return Err(Error::new(next_pos, msg));
                }
                Some(vec![self.control(next, next_pos, opener)?])
            }
        };
        self.vars.truncate(mark);
        self.depth -= 1;
        let branch = Branch {
            pipe,
            list,
            else_list,
        };
        Ok(match kw {
            Keyword::If => Node::If(branch),
            Keyword::With => Node::With(branch),
            _ => Node::Range(branch),
        })
    }

    /// The body after `{{ else }}`, which must end with `{{ end }}`.
    fn else_body(&mut self, kw: Keyword, opener: usize) -> Result<List, Error> {
        let (list, end) = self.item_list()?;
        match end {
            Stop::End(_) => Ok(list),
            Stop::Eof => Err(missing_end(kw, opener)),
            Stop::Else { pos, .. } => {
                let msg = format!(
                    "unexpected {{{{ else }}}}: this {} already has an {{{{ else }}}}",
                    action_name(kw)
                );
                Err(Error::new(pos, msg))
            }
        }
    }
}

/// The error for a block without `{{ end }}`.
fn missing_end(kw: Keyword, opener: usize) -> Error {
    let msg = format!(
        "unexpected EOF: {} opened here has no {{{{ end }}}}",
        action_name(kw)
    );
    Error::new(opener, msg)
}
