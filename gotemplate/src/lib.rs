//! Go `text/template` engine: lexing, parsing and executing the subset of Go
//! template syntax that ecspresso definition files and configs use, over
//! `serde_json` values. Every failure names `file:line:column` of the offending
//! action. It never touches files or the environment: callable functions come
//! from a [`FunctionSource`] supplied by the caller.

/// The README's example, compiled and run by `cargo test --doc`.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

mod ast;
mod builtins;
mod exec;
mod lexer;
mod literal;
mod parse;
mod printf;
mod value;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;

/// Supplies the functions a template may call (registered at run time:
/// built-ins like env/must_env/json_escape, AWS lookups, plugin functions).
pub trait FunctionSource {
    /// Whether a function named `name` exists.
    fn contains(&self, name: &str) -> bool;
    /// Calls `name` with already-evaluated arguments. `Err(message)` is
    /// reported to the user with the call site.
    fn call(&self, name: &str, args: &[serde_json::Value]) -> Result<serde_json::Value, String>;
    /// Whether an action that outputs an object or array prints it as JSON (`{"k":1}`) rather
    /// than as Go's `%v` does (`map[k:1]`). Go's printing is the default; an application whose
    /// functions return JSON values (ristretto's plugin functions) can choose JSON.
    fn composites_print_as_json(&self) -> bool {
        false
    }
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    file: String,
    src: String,
    root: ast::List,
    defines: ast::Defines,
}

impl Template {
    /// Parses `text`; `file` is used only in error messages. Unknown function
    /// names are a parse error (as in Go), checked against `funcs` and the Go
    /// builtins.
    pub fn parse(
        file: &str,
        text: &str,
        funcs: &dyn FunctionSource,
    ) -> Result<Template, TemplateError> {
        let (root, defines) = parse::parse(text, funcs).map_err(|e| e.locate(file, text))?;
        Ok(Template {
            file: file.to_owned(),
            src: text.to_owned(),
            root,
            defines,
        })
    }

    /// Executes with `.` bound to `data`.
    pub fn execute(
        &self,
        data: &serde_json::Value,
        funcs: &dyn FunctionSource,
    ) -> Result<String, TemplateError> {
        exec::execute(&self.src, &self.root, &self.defines, data, funcs)
            .map_err(|e| e.locate(&self.file, &self.src))
    }
}

/// Go's `fmt.Sprintf` over JSON values (the `printf` template function), for functions such
/// as `tfstatef` that format their arguments the same way.
pub fn sprintf(format: &str, args: &[serde_json::Value]) -> String {
    printf::sprintf(format, &args.iter().collect::<Vec<_>>())
}

/// Parses and executes `text` in one go, with `.` bound to `data`.
pub fn render(
    file: &str,
    text: &str,
    data: &serde_json::Value,
    funcs: &dyn FunctionSource,
) -> Result<String, TemplateError> {
    Template::parse(file, text, funcs)?.execute(data, funcs)
}

/// Any template failure, pointing at the offending action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct TemplateError {
    /// The file name given to [`Template::parse`].
    pub file: String,
    /// 1-based line of the offending token.
    pub line: usize,
    /// 1-based column (in characters) of the offending token.
    pub column: usize,
    /// What went wrong.
    pub message: String,
}

/// An error positioned by byte offset into the template source; turned into a
/// [`TemplateError`] at the API boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Error {
    pos: usize,
    message: String,
}

impl Error {
    /// An error at byte offset `pos`.
    fn new(pos: usize, message: impl Into<String>) -> Self {
        Error {
            pos,
            message: message.into(),
        }
    }

    /// Resolves the byte offset to line and column within `src`.
    fn locate(self, file: &str, src: &str) -> TemplateError {
        let (line, column) = line_col(src, self.pos);
        TemplateError {
            file: file.to_owned(),
            line,
            column,
            message: self.message,
        }
    }
}

/// 1-based line and character column of byte offset `pos` in `src`.
fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(src.len());
    while !src.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = src.get(..pos).unwrap_or("");
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}
