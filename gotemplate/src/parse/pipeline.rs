//! Parsing inside an action: pipelines, their variable declarations, commands and operands,
//! and the checks Go's parser makes on them (known functions, executable commands).

use super::{Ctx, Parser, starts_operand};
use crate::Error;
use crate::ast::{Command, Field, Keyword, Operand, Pipeline, Var};
use crate::builtins;
use crate::lexer::Kind;

impl Parser<'_, '_> {
    /// A pipeline up to and including its closing `}}` or `)`. `owner` is
    /// blamed when the pipeline is empty.
    pub(super) fn pipeline(&mut self, ctx: Ctx, owner: usize) -> Result<Pipeline, Error> {
        let (decl, assign) = self.declarations(ctx)?;
        let mut cmds = Vec::new();
        let mut pipe_at = None;
        loop {
            let tok = self.peek()?;
            if !starts_operand(&tok.kind) {
                let at_end = matches!(tok.kind, Kind::RightDelim | Kind::RParen);
                return Err(match pipe_at {
                    Some(p) if at_end => Error::new(p, "missing command after \"|\""),
                    None if at_end => {
                        Error::new(owner, format!("missing value for {}", ctx.name()))
                    }
                    _ => self.unexpected(&tok, ctx.name()),
                });
            }
            let (cmd, pipe) = self.command(cmds.len())?;
            cmds.push(cmd);
            match pipe {
                Some(p) => pipe_at = Some(p),
                None => break,
            }
        }
        let end = self.next()?;
        let expected = if ctx == Ctx::Paren {
            Kind::RParen
        } else {
            Kind::RightDelim
        };
        if end.kind != expected {
            return Err(self.unexpected(&end, ctx.name()));
        }
        if !assign {
            self.vars.extend(decl.iter().map(|v| v.name.clone()));
        }
        Ok(Pipeline { decl, assign, cmds })
    }

    /// `$x :=`, `$x =`, or in a range `$i, $v :=`; nothing if absent.
    fn declarations(&mut self, ctx: Ctx) -> Result<(Vec<Var>, bool), Error> {
        let first = self.peek()?;
        let Kind::Variable(name) = first.kind else {
            return Ok((Vec::new(), false));
        };
        let second = self.peek_at(1)?;
        let mut decl = vec![Var {
            pos: first.pos,
            name: name.to_owned(),
        }];
        let op = match second.kind {
            Kind::Declare | Kind::Assign => {
                self.next()?;
                self.next()?
            }
            Kind::Comma if ctx == Ctx::Control(Keyword::Range) => {
                self.next()?;
                self.next()?;
                let var = self.next()?;
                let Kind::Variable(name) = var.kind else {
                    return Err(Error::new(var.pos, "range can only initialize variables"));
                };
                decl.push(Var {
                    pos: var.pos,
                    name: name.to_owned(),
                });
                let op = self.next()?;
                if !matches!(op.kind, Kind::Declare | Kind::Assign) {
                    return Err(self.unexpected(&op, "range declaration (expected \":=\")"));
                }
                op
            }
            Kind::Comma => {
                let msg = format!("too many declarations in {}", ctx.name());
                return Err(Error::new(second.pos, msg));
            }
            _ => return Ok((Vec::new(), false)),
        };
        let assign = op.kind == Kind::Assign;
        if assign {
            for var in &decl {
                if !self.vars.contains(&var.name) {
                    return Err(Error::new(
                        var.pos,
                        format!("undefined variable {:?}", var.name),
                    ));
                }
            }
        }
        Ok((decl, assign))
    }

    /// One command; also returns the position of a `|` that ended it.
    fn command(&mut self, stage: usize) -> Result<(Command, Option<usize>), Error> {
        let mut args = Vec::new();
        let pipe = loop {
            args.push(self.operand()?);
            let tok = self.peek()?;
            match tok.kind {
                Kind::RightDelim | Kind::RParen => break None,
                Kind::Pipe => {
                    self.next()?;
                    break Some(tok.pos);
                }
                _ if tok.space_before => {}
                _ => {
                    let msg = format!(
                        "unexpected {} in operand; missing space?",
                        self.describe(&tok)
                    );
                    return Err(Error::new(tok.pos, msg));
                }
            }
        };
        check_command(&args, stage)?;
        Ok((Command { args }, pipe))
    }

    /// A term followed by any `.field` chain glued to it.
    fn operand(&mut self) -> Result<Operand, Error> {
        let base = self.term()?;
        let mut fields = Vec::new();
        loop {
            let tok = self.peek()?;
            match tok.kind {
                Kind::Field(name) if !tok.space_before => {
                    self.next()?;
                    fields.push(Field {
                        pos: tok.pos,
                        name: name.to_owned(),
                    });
                }
                _ => break,
            }
        }
        let Some(first) = fields.first() else {
            return Ok(base);
        };
        match base {
            Operand::Fields(mut head) => {
                head.extend(fields);
                Ok(Operand::Fields(head))
            }
            Operand::Variable {
                pos,
                name,
                fields: mut head,
            } => {
                head.extend(fields);
                Ok(Operand::Variable {
                    pos,
                    name,
                    fields: head,
                })
            }
            Operand::Func { .. } | Operand::Pipe(..) | Operand::Chain { .. } => {
                Ok(Operand::Chain {
                    base: Box::new(base),
                    fields,
                })
            }
            literal => Err(Error::new(
                first.pos,
                format!("unexpected . after term {}", literal.describe()),
            )),
        }
    }

    /// A single value: literal, field, variable, function name or `( … )`.
    fn term(&mut self) -> Result<Operand, Error> {
        let tok = self.next()?;
        let pos = tok.pos;
        Ok(match tok.kind {
            Kind::Ident(name) => {
                self.check_function(name, pos)?;
                Operand::Func {
                    pos,
                    name: name.to_owned(),
                }
            }
            Kind::Dot => Operand::Dot(pos),
            Kind::Nil => Operand::Nil(pos),
            Kind::Bool(b) => Operand::Bool(pos, b),
            Kind::Number(n) => Operand::Number(pos, n),
            Kind::Str(s) => Operand::Str(pos, s),
            Kind::Field(name) => Operand::Fields(vec![Field {
                pos,
                name: name.to_owned(),
            }]),
            Kind::Variable(name) => {
                if !self.vars.iter().any(|v| v == name) {
                    return Err(Error::new(pos, format!("undefined variable {name:?}")));
                }
                Operand::Variable {
                    pos,
                    name: name.to_owned(),
                    fields: Vec::new(),
                }
            }
            Kind::LParen => {
                self.enter(pos)?;
                let pipe = self.pipeline(Ctx::Paren, pos)?;
                self.depth -= 1;
                Operand::Pipe(pos, Box::new(pipe))
            }
            _ => return Err(self.unexpected(&tok, "operand")),
        })
    }

    /// Fails unless `name` is a known function.
    fn check_function(&self, name: &str, pos: usize) -> Result<(), Error> {
        if self.funcs.contains(name) || builtins::is_builtin(name) {
            Ok(())
        } else if name == "call" {
            Err(Error::new(pos, "`call` is not supported"))
        } else {
            Err(Error::new(pos, format!("function {name:?} not defined")))
        }
    }
}

/// Rejects commands that give arguments to something that is not a function.
fn check_command(args: &[Operand], stage: usize) -> Result<(), Error> {
    let Some(first) = args.first() else {
        return Err(Error::new(0, "empty command"));
    };
    if matches!(first, Operand::Func { .. }) {
        return Ok(());
    }
    let pos = first.pos();
    if matches!(first, Operand::Nil(_)) {
        return Err(Error::new(pos, "nil is not a command"));
    }
    if stage > 0 && first.is_literal() {
        let msg = format!("non executable command in pipeline stage {}", stage + 1);
        return Err(Error::new(pos, msg));
    }
    if args.len() > 1 || stage > 0 {
        let msg = format!("can't give argument to non-function {}", first.describe());
        return Err(Error::new(pos, msg));
    }
    Ok(())
}
