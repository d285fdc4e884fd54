//! Syntax tree produced by the parser and walked by the executor, plus the
//! template keywords. Positions are byte offsets into the template source.

use std::ops::Range;

use serde_json::Number;

/// A sequence of nodes (a template body or a block body).
pub(super) type List = Vec<Node>;

/// One element of a template body.
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// Literal text: a byte range of the source, already trimmed.
    Text(Range<usize>),
    /// `{{ pipeline }}`: prints the value unless the pipeline declares variables.
    Action(Pipeline),
    /// `{{ if }}`, with `{{ else if }}` chains nested in `else_list`.
    If(Branch),
    /// `{{ with }}`, with `{{ else with }}` chains nested in `else_list`.
    With(Branch),
    /// `{{ range }}`.
    Range(Branch),
    /// `{{ break }}` inside a range.
    Break,
    /// `{{ continue }}` inside a range.
    Continue,
    /// `{{ template "name" pipeline }}` (and the call half of `{{ block }}`): runs the named
    /// template with `.` bound to the pipeline's value (nil without one).
    Template {
        /// Where `template`/`block` is written.
        pos: usize,
        /// The template's name.
        name: String,
        /// The value bound to `.` in the template.
        pipe: Option<Pipeline>,
    },
}

/// Templates named by `{{ define }}` and `{{ block }}`.
pub(super) type Defines = std::collections::HashMap<String, List>;

/// The shared shape of if/with/range.
#[derive(Debug, Clone)]
pub(super) struct Branch {
    /// The controlling pipeline.
    pub pipe: Pipeline,
    /// Body run when the value is true / for each element.
    pub list: List,
    /// Body run otherwise (`{{ else }}`).
    pub else_list: Option<List>,
}

/// `$x := cmd | cmd | cmd`.
#[derive(Debug, Clone)]
pub(super) struct Pipeline {
    /// Declared or assigned variables.
    pub decl: Vec<Var>,
    /// `=` rather than `:=`.
    pub assign: bool,
    /// The commands; never empty after parsing.
    pub cmds: Vec<Command>,
}

impl Pipeline {
    /// Position of the last command (whose value the pipeline yields).
    pub fn pos(&self) -> usize {
        self.cmds
            .last()
            .and_then(|c| c.args.first())
            .map_or(0, Operand::pos)
    }
}

/// A variable named in a declaration.
#[derive(Debug, Clone)]
pub(super) struct Var {
    /// Where the variable is written.
    pub pos: usize,
    /// Name including the `$`.
    pub name: String,
}

/// One pipeline stage: a function with arguments, or a single operand.
#[derive(Debug, Clone)]
pub(super) struct Command {
    /// First word and arguments; never empty after parsing.
    pub args: Vec<Operand>,
}

/// One `.name` step of a field chain.
#[derive(Debug, Clone)]
pub(super) struct Field {
    /// Where the `.name` starts.
    pub pos: usize,
    /// The key, without the dot.
    pub name: String,
}

/// An argument or first word of a command.
#[derive(Debug, Clone)]
pub(super) enum Operand {
    /// `.`
    Dot(usize),
    /// `nil`
    Nil(usize),
    /// `true` / `false`
    Bool(usize, bool),
    /// Number or character constant.
    Number(usize, Number),
    /// Interpreted or raw string.
    Str(usize, String),
    /// `.a.b.c` (never empty).
    Fields(Vec<Field>),
    /// `$x.a.b`.
    Variable {
        /// Where `$x` starts.
        pos: usize,
        /// Name including the `$`.
        name: String,
        /// Field chain after the variable.
        fields: Vec<Field>,
    },
    /// A function name.
    Func {
        /// Where the name starts.
        pos: usize,
        /// The function name.
        name: String,
    },
    /// `( pipeline )`, positioned at the parenthesis.
    Pipe(usize, Box<Pipeline>),
    /// `(pipeline).a.b` or `func.a`.
    Chain {
        /// The operand whose value is walked.
        base: Box<Operand>,
        /// The fields (never empty).
        fields: Vec<Field>,
    },
}

impl Operand {
    /// Where the operand starts.
    pub fn pos(&self) -> usize {
        match self {
            Operand::Dot(p)
            | Operand::Nil(p)
            | Operand::Bool(p, _)
            | Operand::Number(p, _)
            | Operand::Str(p, _)
            | Operand::Pipe(p, _) => *p,
            Operand::Fields(fields) => fields.first().map_or(0, |f| f.pos),
            Operand::Variable { pos, .. } | Operand::Func { pos, .. } => *pos,
            Operand::Chain { base, .. } => base.pos(),
        }
    }

    /// Whether this is a constant or `.` (which can't take arguments).
    pub fn is_literal(&self) -> bool {
        matches!(
            self,
            Operand::Dot(_)
                | Operand::Nil(_)
                | Operand::Bool(..)
                | Operand::Number(..)
                | Operand::Str(..)
        )
    }

    /// A short source-like rendering for error messages.
    pub fn describe(&self) -> String {
        match self {
            Operand::Dot(_) => ".".to_owned(),
            Operand::Nil(_) => "nil".to_owned(),
            Operand::Bool(_, b) => b.to_string(),
            Operand::Number(_, n) => n.to_string(),
            Operand::Str(_, s) => format!("{s:?}"),
            Operand::Fields(fields) => describe_fields(fields),
            Operand::Variable { name, fields, .. } => format!("{name}{}", describe_fields(fields)),
            Operand::Func { name, .. } => name.clone(),
            Operand::Pipe(..) => "(…)".to_owned(),
            Operand::Chain { base, fields } => {
                format!("{}{}", base.describe(), describe_fields(fields))
            }
        }
    }
}

/// `.a.b` for a field chain.
fn describe_fields(fields: &[Field]) -> String {
    fields.iter().map(|f| format!(".{}", f.name)).collect()
}

/// Words with a meaning of their own inside actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    If,
    Else,
    End,
    Range,
    With,
    Break,
    Continue,
    Define,
    Template,
    Block,
}

impl Keyword {
    /// The keyword spelled `word`, if any.
    pub fn from_word(word: &str) -> Option<Keyword> {
        Some(match word {
            "if" => Keyword::If,
            "else" => Keyword::Else,
            "end" => Keyword::End,
            "range" => Keyword::Range,
            "with" => Keyword::With,
            "break" => Keyword::Break,
            "continue" => Keyword::Continue,
            "define" => Keyword::Define,
            "template" => Keyword::Template,
            "block" => Keyword::Block,
            _ => return None,
        })
    }

    /// How the keyword is written.
    pub fn name(self) -> &'static str {
        match self {
            Keyword::If => "if",
            Keyword::Else => "else",
            Keyword::End => "end",
            Keyword::Range => "range",
            Keyword::With => "with",
            Keyword::Break => "break",
            Keyword::Continue => "continue",
            Keyword::Define => "define",
            Keyword::Template => "template",
            Keyword::Block => "block",
        }
    }
}
