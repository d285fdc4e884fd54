//! Executor: walks the syntax tree with `.` bound to a JSON value, resolving
//! fields, variables and function calls, and writes the output. Values borrow
//! from the data where possible and are cloned only when a function needs them.

use std::borrow::Cow;

use serde_json::Value;

use super::ast::{Branch, Command, Defines, Field, List, Node, Operand, Pipeline, Var};
use super::builtins::{self, CallError};
use super::value;
use super::{Error, FunctionSource};

/// A value that either borrows from the data or was computed.
type Val<'d> = Cow<'d, Value>;

/// How deeply `{{ template }}` calls may nest (a template that calls itself stops here).
const MAX_TEMPLATE_DEPTH: usize = 100;

/// Runs `root` over `data`; `{{ template }}` finds its templates in `defines`.
pub(super) fn execute(
    src: &str,
    root: &List,
    defines: &Defines,
    data: &Value,
    funcs: &dyn FunctionSource,
) -> Result<String, Error> {
    let mut state = State {
        src,
        funcs,
        defines,
        template_depth: 0,
        vars: vec![("$", Cow::Borrowed(data))],
        out: String::with_capacity(src.len()),
    };
    state.walk_list(&Cow::Borrowed(data), root)?;
    Ok(state.out)
}

/// How a body finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// Execution state.
struct State<'t, 'd> {
    src: &'t str,
    funcs: &'t dyn FunctionSource,
    defines: &'t Defines,
    template_depth: usize,
    vars: Vec<(&'t str, Val<'d>)>,
    out: String,
}

impl<'t, 'd> State<'t, 'd> {
    /// Runs a body until it ends or hits break/continue.
    fn walk_list(&mut self, dot: &Val<'d>, list: &'t List) -> Result<Flow, Error> {
        for node in list {
            let flow = self.walk(dot, node)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    /// Runs one node.
    fn walk(&mut self, dot: &Val<'d>, node: &'t Node) -> Result<Flow, Error> {
        match node {
            Node::Text(range) => self.out.push_str(self.src.get(range.clone()).unwrap_or("")),
            Node::Action(pipe) => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    value::write_top(&mut self.out, &v, self.funcs.composites_print_as_json());
                }
            }
            Node::If(branch) => return self.walk_if(dot, branch, false),
            Node::With(branch) => return self.walk_if(dot, branch, true),
            Node::Range(branch) => return self.walk_range(dot, branch),
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
            Node::Template { pos, name, pipe } => self.walk_template(dot, *pos, name, pipe)?,
        }
        Ok(Flow::Normal)
    }

    /// `{{ template "name" pipeline }}`: the named template with `.` (and `$`) bound to the
    /// pipeline's value, and none of the caller's variables, as in Go.
    fn walk_template(
        &mut self,
        dot: &Val<'d>,
        pos: usize,
        name: &str,
        pipe: &'t Option<Pipeline>,
    ) -> Result<(), Error> {
        let defines = self.defines;
        let body = defines
            .get(name)
            .ok_or_else(|| Error::new(pos, format!("no such template {name:?}")))?;
        if self.template_depth >= MAX_TEMPLATE_DEPTH {
            return Err(Error::new(
                pos,
                format!("template {name:?} nested more than {MAX_TEMPLATE_DEPTH} levels deep"),
            ));
        }
        let value = match pipe {
            Some(pipe) => self.eval_pipeline(dot, pipe)?,
            None => Cow::Owned(Value::Null),
        };
        let outer = std::mem::replace(&mut self.vars, vec![("$", value.clone())]);
        self.template_depth += 1;
        let result = self.walk_list(&value, body);
        self.template_depth -= 1;
        self.vars = outer;
        result.map(|_| ())
    }

    /// `if` (and `with`, which also rebinds dot in its body).
    fn walk_if(&mut self, dot: &Val<'d>, branch: &'t Branch, with: bool) -> Result<Flow, Error> {
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, &branch.pipe)?;
        let flow = if value::is_true(&v) {
            self.walk_list(if with { &v } else { dot }, &branch.list)?
        } else if let Some(list) = &branch.else_list {
            self.walk_list(dot, list)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    /// `range` over arrays, objects (sorted keys) and integers.
    fn walk_range(&mut self, dot: &Val<'d>, branch: &'t Branch) -> Result<Flow, Error> {
        let mark = self.vars.len();
        let pipe = &branch.pipe;
        let v = self.eval_cmds(dot, pipe)?;
        let items = Items::of(v, pipe.decl.len()).map_err(|m| Error::new(pipe.pos(), m))?;
        let mut ran = false;
        for (index, elem) in items {
            ran = true;
            match pipe.decl.as_slice() {
                [] => {}
                [var] => self.bind(var, pipe.assign, elem.clone())?,
                [key, var, ..] => {
                    self.bind(key, pipe.assign, index)?;
                    self.bind(var, pipe.assign, elem.clone())?;
                }
            }
            let flow = self.walk_list(&elem, &branch.list)?;
            self.vars.truncate(mark);
            if flow == Flow::Break {
                break;
            }
        }
        let flow = match &branch.else_list {
            Some(list) if !ran => self.walk_list(dot, list)?,
            _ => Flow::Normal,
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    /// Declares (`:=`) or assigns (`=`) a variable.
    fn bind(&mut self, var: &'t Var, assign: bool, v: Val<'d>) -> Result<(), Error> {
        if !assign {
            self.vars.push((&var.name, v));
            return Ok(());
        }
        match self
            .vars
            .iter_mut()
            .rev()
            .find(|(name, _)| *name == var.name)
        {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(Error::new(
                var.pos,
                format!("undefined variable: {}", var.name),
            )),
        }
    }

    /// A pipeline, binding its declared variables.
    fn eval_pipeline(&mut self, dot: &Val<'d>, pipe: &'t Pipeline) -> Result<Val<'d>, Error> {
        let v = self.eval_cmds(dot, pipe)?;
        for var in &pipe.decl {
            self.bind(var, pipe.assign, v.clone())?;
        }
        Ok(v)
    }

    /// A pipeline's commands, each result passed as the next one's last argument.
    fn eval_cmds(&mut self, dot: &Val<'d>, pipe: &'t Pipeline) -> Result<Val<'d>, Error> {
        let mut last = None;
        for cmd in &pipe.cmds {
            last = Some(self.eval_command(dot, cmd, last)?);
        }
        Ok(last.unwrap_or(Cow::Owned(Value::Null)))
    }

    /// One command; `last` is the previous stage's result.
    fn eval_command(
        &mut self,
        dot: &Val<'d>,
        cmd: &'t Command,
        last: Option<Val<'d>>,
    ) -> Result<Val<'d>, Error> {
        match cmd.args.split_first() {
            Some((Operand::Func { pos, name }, args)) => self.call(dot, *pos, name, args, last),
            Some((first, _)) => self.eval_arg(dot, first),
            None => Ok(Cow::Owned(Value::Null)),
        }
    }

    /// The value of one operand.
    fn eval_arg(&mut self, dot: &Val<'d>, op: &'t Operand) -> Result<Val<'d>, Error> {
        match op {
            Operand::Dot(_) => Ok(dot.clone()),
            Operand::Nil(_) => Ok(Cow::Owned(Value::Null)),
            Operand::Bool(_, b) => Ok(Cow::Owned(Value::Bool(*b))),
            Operand::Number(_, n) => Ok(Cow::Owned(Value::Number(n.clone()))),
            Operand::Str(_, s) => Ok(Cow::Owned(Value::String(s.clone()))),
            Operand::Fields(fields) => fields_of_ref(dot, fields),
            Operand::Variable { pos, name, fields } => {
                let v = self.lookup(name, *pos)?;
                fields_of_ref(v, fields)
            }
            Operand::Func { pos, name } => self.call(dot, *pos, name, &[], None),
            Operand::Pipe(_, pipe) => self.eval_pipeline(dot, pipe),
            Operand::Chain { base, fields } => {
                let v = self.eval_arg(dot, base)?;
                fields.iter().try_fold(v, field_of)
            }
        }
    }

    /// The innermost variable called `name`.
    fn lookup(&self, name: &str, pos: usize) -> Result<&Val<'d>, Error> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| Error::new(pos, format!("undefined variable: {name}")))
    }

    /// Calls function `name` at `pos`: caller-supplied functions first, then builtins.
    fn call(
        &mut self,
        dot: &Val<'d>,
        pos: usize,
        name: &'t str,
        args: &'t [Operand],
        last: Option<Val<'d>>,
    ) -> Result<Val<'d>, Error> {
        if self.funcs.contains(name) {
            let mut vals = Vec::with_capacity(args.len() + 1);
            for arg in args {
                vals.push(self.eval_arg(dot, arg)?.into_owned());
            }
            vals.extend(last.map(Cow::into_owned));
            return match self.funcs.call(name, &vals) {
                Ok(v) => Ok(Cow::Owned(v)),
                Err(m) => Err(Error::new(pos, format!("error calling {name}: {m}"))),
            };
        }
        if name == "and" || name == "or" {
            return self.and_or(dot, pos, name, args, last);
        }
        let mut vals = Vec::with_capacity(args.len() + 1);
        for arg in args {
            vals.push(self.eval_arg(dot, arg)?);
        }
        vals.extend(last);
        match builtins::call(name, &vals) {
            Ok(v) => Ok(Cow::Owned(v)),
            Err(CallError::Arity(m)) => Err(Error::new(pos, m)),
            Err(CallError::Failed(m)) => Err(Error::new(pos, format!("error calling {name}: {m}"))),
        }
    }

    /// `and`/`or`: evaluates arguments only until the result is decided and
    /// returns the deciding value.
    fn and_or(
        &mut self,
        dot: &Val<'d>,
        pos: usize,
        name: &str,
        args: &'t [Operand],
        last: Option<Val<'d>>,
    ) -> Result<Val<'d>, Error> {
        if args.is_empty() && last.is_none() {
            return Err(match builtins::arity(name, "at least 1", 0) {
                CallError::Arity(m) | CallError::Failed(m) => Error::new(pos, m),
            });
        }
        let stop_on = name == "or";
        let mut result = None;
        for arg in args {
            let v = self.eval_arg(dot, arg)?;
            if value::is_true(&v) == stop_on {
                return Ok(v);
            }
            result = Some(v);
        }
        Ok(last.or(result).unwrap_or(Cow::Owned(Value::Null)))
    }
}

/// Walks `fields` from a value held by reference (dot or a variable),
/// cloning only the selected part when the value is owned.
fn fields_of_ref<'d>(v: &Val<'d>, fields: &[Field]) -> Result<Val<'d>, Error> {
    let Some((first, rest)) = fields.split_first() else {
        return Ok(v.clone());
    };
    let head = match v {
        Cow::Borrowed(r) => lookup_field(r, first)?.map_or(Cow::Owned(Value::Null), Cow::Borrowed),
        Cow::Owned(o) => Cow::Owned(lookup_field(o, first)?.cloned().unwrap_or(Value::Null)),
    };
    rest.iter().try_fold(head, field_of)
}

/// One field step on a value held by value.
fn field_of<'d>(v: Val<'d>, field: &Field) -> Result<Val<'d>, Error> {
    match v {
        Cow::Borrowed(r) => {
            Ok(lookup_field(r, field)?.map_or(Cow::Owned(Value::Null), Cow::Borrowed))
        }
        Cow::Owned(Value::Object(mut map)) => {
            Ok(Cow::Owned(map.remove(&field.name).unwrap_or(Value::Null)))
        }
        Cow::Owned(o) => Ok(Cow::Owned(
            lookup_field(&o, field)?.cloned().unwrap_or(Value::Null),
        )),
    }
}

/// A key of an object (missing keys and null receivers yield `None`);
/// anything else is an error at the field.
fn lookup_field<'v>(v: &'v Value, field: &Field) -> Result<Option<&'v Value>, Error> {
    match v {
        Value::Object(map) => Ok(map.get(&field.name)),
        Value::Null => Ok(None),
        _ => Err(Error::new(
            field.pos,
            format!(
                "can't evaluate field {} in type {}",
                field.name,
                value::type_name(v)
            ),
        )),
    }
}

/// What a range iterates over: (index or key, element) pairs.
enum Items<'d> {
    Pairs(std::vec::IntoIter<(Val<'d>, Val<'d>)>),
    Count(std::ops::Range<i64>),
}

impl<'d> Items<'d> {
    /// The items of `v`; `vars` is how many variables the range declares.
    fn of(v: Val<'d>, vars: usize) -> Result<Items<'d>, String> {
        let key = |k: &str| Cow::Owned(Value::String(k.to_owned()));
        let pairs: Vec<(Val<'d>, Val<'d>)> = match v {
            Cow::Borrowed(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, e)| (index(i), Cow::Borrowed(e)))
                .collect(),
            Cow::Owned(Value::Array(a)) => a
                .into_iter()
                .enumerate()
                .map(|(i, e)| (index(i), Cow::Owned(e)))
                .collect(),
            Cow::Borrowed(Value::Object(m)) => value::sorted_entries(m)
                .into_iter()
                .map(|(k, e)| (key(k), Cow::Borrowed(e)))
                .collect(),
            Cow::Owned(Value::Object(m)) => {
                let mut entries: Vec<(String, Value)> = m.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                entries
                    .into_iter()
                    .map(|(k, e)| (Cow::Owned(Value::String(k)), Cow::Owned(e)))
                    .collect()
            }
            v => return Self::count(&v, vars),
        };
        Ok(Items::Pairs(pairs.into_iter()))
    }

    /// Ranging over an integer (Go 1.22) or over nothing (nil).
    fn count(v: &Value, vars: usize) -> Result<Items<'d>, String> {
        let n = match v {
            Value::Null => 0,
            Value::Number(n) => match value::Num::of(n).integer() {
                Some(n) => i64::try_from(n).unwrap_or(i64::MAX),
                None => return Err(format!("range can't iterate over {}", value::to_text(v))),
            },
            _ => return Err(format!("range can't iterate over {}", value::to_text(v))),
        };
        if vars > 1 && !v.is_null() {
            return Err(format!(
                "can't use {n} to iterate over more than one variable"
            ));
        }
        Ok(Items::Count(0..n.max(0)))
    }
}

impl<'d> Iterator for Items<'d> {
    type Item = (Val<'d>, Val<'d>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Items::Pairs(it) => it.next(),
            Items::Count(r) => r
                .next()
                .map(|i| (Cow::Owned(Value::from(i)), Cow::Owned(Value::from(i)))),
        }
    }
}

/// An array index as a value.
fn index<'d>(i: usize) -> Val<'d> {
    Cow::Owned(Value::from(i))
}
