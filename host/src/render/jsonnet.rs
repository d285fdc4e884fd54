//! Jsonnet evaluation with jrsonnet: ext vars (`--ext-str`, `--ext-code`), the function
//! registry as native functions (`std.native('must_env')('X')`), imports relative to the file,
//! and errors mapped to `file:line:column`. Returns the manifested JSON text. Evaluation runs on
//! a thread with a large stack, and every file is checked for absurd nesting before jrsonnet
//! parses it (its parser recurses once per level), so hostile input is an error, not a crash.

use std::collections::BTreeMap;
use std::path::Path;

use jrsonnet_evaluator::error::ErrorKind;
use jrsonnet_evaluator::function::builtin::Builtin;
use jrsonnet_evaluator::function::{CallLocation, FuncVal};
use jrsonnet_evaluator::manifest::JsonFormat;
use jrsonnet_evaluator::{FileImportResolver, ImportResolver, Span, State, Thunk, Val};
use jrsonnet_gcmodule::Trace;
use jrsonnet_stdlib::ContextInitializer;

use super::Error;
use super::functions::{Function, FunctionRegistry};

/// Evaluates the Jsonnet file at `path` (imports resolve relative to it) and returns pretty
/// JSON text.
pub fn evaluate(
    path: &Path,
    functions: &FunctionRegistry,
    ext_str: &BTreeMap<String, String>,
    ext_code: &BTreeMap<String, String>,
) -> Result<String, Error> {
    evaluate_with(path, functions, ext_str, ext_code, |val| {
        val.manifest(JsonFormat::cli(2))
    })
}

/// Evaluates only the top-level `fields` of the object the file at `path` evaluates to and
/// returns them as a JSON object text (absent fields left out). Other fields, and the native
/// functions only they call, are never evaluated: this is how a config's `plugins` are read
/// before the plugins' functions exist (ecspresso v3 does the same).
pub fn evaluate_fields(
    path: &Path,
    functions: &FunctionRegistry,
    ext_str: &BTreeMap<String, String>,
    ext_code: &BTreeMap<String, String>,
    fields: &[&str],
) -> Result<String, Error> {
    evaluate_with(path, functions, ext_str, ext_code, |val| {
        let Some(object) = val.as_obj() else {
            return Ok("{}".to_owned());
        };
        let mut parts = Vec::new();
        for field in fields {
            if let Some(value) = object.get((*field).into())? {
                parts.push(format!(
                    "{}: {}",
                    serde_json::Value::from(*field),
                    value.manifest(JsonFormat::cli(2))?
                ));
            }
        }
        Ok(format!("{{{}}}", parts.join(", ")))
    })
}

/// Stack of the evaluation thread: the parser and evaluator recurse deeply, and the main
/// thread's 8 MiB overflowed at about 300 nested levels in debug builds. Only the pages
/// touched are allocated.
const EVALUATION_STACK: usize = 512 << 20;

fn evaluate_with(
    path: &Path,
    functions: &FunctionRegistry,
    ext_str: &BTreeMap<String, String>,
    ext_code: &BTreeMap<String, String>,
    output: impl FnOnce(Val) -> jrsonnet_evaluator::Result<String> + Send,
) -> Result<String, Error> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("jsonnet".to_owned())
            .stack_size(EVALUATION_STACK)
            .spawn_scoped(scope, || {
                evaluate_here(path, functions, ext_str, ext_code, output)
            })
            .map_err(|error| Error::Read {
                path: path.to_path_buf(),
                error,
            })?
            .join()
            .unwrap_or_else(|_| {
                Err(Error::Jsonnet {
                    location: path.display().to_string(),
                    message: "evaluation panicked".to_owned(),
                })
            })
    })
}

fn evaluate_here(
    path: &Path,
    functions: &FunctionRegistry,
    ext_str: &BTreeMap<String, String>,
    ext_code: &BTreeMap<String, String>,
    output: impl FnOnce(Val) -> jrsonnet_evaluator::Result<String>,
) -> Result<String, Error> {
    let absolute = std::fs::canonicalize(path).map_err(|error| Error::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let base = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
    let initializer = ContextInitializer::new(jrsonnet_evaluator::trace::PathResolver::Absolute);
    for (name, value) in ext_str {
        initializer.add_ext_str(name.as_str().into(), value.as_str().into());
    }
    for (name, code) in ext_code {
        initializer
            .add_ext_code(name, code)
            .map_err(|err| Error::ExtCode {
                name: name.clone(),
                message: err.to_string(),
            })?;
    }
    for function in functions.iter() {
        initializer.add_native(
            function.name(),
            FuncVal::builtin(NativeFunction::new(function.clone())),
        );
    }
    let mut builder = State::builder();
    builder
        .import_resolver(CheckedFiles(FileImportResolver::new(vec![base])))
        .context_initializer(initializer);
    let state = builder.build();

    let names = FileNames {
        absolute: &absolute,
        shown: path,
    };
    // Imports and ext code resolve through the thread's entered state.
    let _entered = state.try_enter();
    for (name, code) in ext_code {
        state
            .evaluate_snippet(format!("--ext-code {name}"), code.as_str())
            .map_err(|err| Error::ExtCode {
                name: name.clone(),
                message: ext_code_message(&err),
            })?;
    }
    state
        .import(absolute.as_path())
        .and_then(output)
        .map_err(
            |err| match undefined_native(&absolute, path, functions, &err) {
                Some(error) => error,
                None => to_error(&names, &err),
            },
        )
}

/// Files as jrsonnet's own resolver finds and reads them, without a leading byte order mark
/// and refused when nested deeper than `source_text::MAX_NESTING` levels.
#[derive(jrsonnet_gcmodule::Acyclic)]
struct CheckedFiles(FileImportResolver);

impl ImportResolver for CheckedFiles {
    fn resolve_from(
        &self,
        from: &jrsonnet_evaluator::SourcePath,
        path: &dyn jrsonnet_evaluator::AsPathLike,
    ) -> jrsonnet_evaluator::Result<jrsonnet_evaluator::SourcePath> {
        self.0.resolve_from(from, path)
    }

    fn load_file_contents(
        &self,
        resolved: &jrsonnet_evaluator::SourcePath,
    ) -> jrsonnet_evaluator::Result<Vec<u8>> {
        let mut bytes = self.0.load_file_contents(resolved)?;
        if bytes.starts_with(b"\xef\xbb\xbf") {
            bytes.drain(..3);
        }
        if let Err(too_deep) = crate::source_text::check_nesting(
            &String::from_utf8_lossy(&bytes),
            crate::source_text::MAX_NESTING,
        ) {
            let file = resolved
                .path()
                .and_then(|p| p.file_name())
                .map_or_else(|| resolved.to_string(), |n| n.to_string_lossy().to_string());
            let message = format!("{file}:{}:{}: {too_deep}", too_deep.line, too_deep.column);
            return Err(ErrorKind::RuntimeError(message.into()).into());
        }
        Ok(bytes)
    }
}

/// `std.native('x')` is null when no function `x` exists, and calling it fails without a
/// position; this names the first such call in the file, with its line and the defined names
/// (a `func_prefix` mismatch is the usual cause).
fn undefined_native(
    absolute: &Path,
    shown: &Path,
    functions: &FunctionRegistry,
    err: &jrsonnet_evaluator::Error,
) -> Option<Error> {
    if !err
        .error()
        .to_string()
        .contains("only functions can be called, got null")
    {
        return None;
    }
    let source = std::fs::read_to_string(absolute).ok()?;
    let (line, name) = source.lines().enumerate().find_map(|(index, line)| {
        let mut rest = line;
        while let Some(at) = rest.find("std.native(") {
            rest = &rest[at + "std.native(".len()..];
            let quoted = rest.trim_start();
            let quote = quoted.chars().next().filter(|c| *c == '\'' || *c == '"')?;
            let name = quoted[1..].split(quote).next()?;
            if functions.get(name).is_none() {
                return Some((index + 1, name.to_owned()));
            }
        }
        None
    })?;
    let mut defined: Vec<&str> = functions.iter().map(|f| f.name()).collect();
    defined.sort_unstable();
    Some(Error::Jsonnet {
        location: format!("{}:{line}", shown.display()),
        message: format!(
            "std.native('{name}'): no such native function (defined: {}; a plugin's func_prefix is part of its functions' names)",
            defined.join(", ")
        ),
    })
}

/// A registry function exposed to Jsonnet as a native function.
#[derive(Trace)]
struct NativeFunction {
    #[trace(skip)]
    function: Function,
    #[trace(skip)]
    signature: jrsonnet_evaluator::function::FunctionSignature,
}

impl NativeFunction {
    fn new(function: Function) -> Self {
        use jrsonnet_evaluator::function::{ParamDefault, ParamName, ParamParse};
        let signature = jrsonnet_evaluator::function::FunctionSignature::new(
            function
                .params()
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    ParamParse::new(
                        ParamName::Named(p.as_str().into()),
                        ParamDefault::exists(i >= function.required()),
                    )
                })
                .collect(),
        );
        Self {
            function,
            signature,
        }
    }
}

impl Builtin for NativeFunction {
    fn name(&self) -> &str {
        self.function.name()
    }

    fn params(&self) -> jrsonnet_evaluator::function::FunctionSignature {
        self.signature.clone()
    }

    fn call(
        &self,
        _loc: CallLocation<'_>,
        args: &[Option<Thunk<Val>>],
    ) -> jrsonnet_evaluator::Result<Val> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args.iter().flatten() {
            let val = arg.evaluate()?;
            let json = serde_json::to_value(&val)
                .map_err(|e| runtime_error(self.function.name(), &e.to_string()))?;
            values.push(json);
        }
        let result = self
            .function
            .call(&values)
            .map_err(|message| runtime_error(self.function.name(), &message))?;
        serde_json::from_value::<Val>(result)
            .map_err(|e| runtime_error(self.function.name(), &e.to_string()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn runtime_error(function: &str, message: &str) -> jrsonnet_evaluator::Error {
    ErrorKind::RuntimeError(format!("error calling {function}: {message}").into()).into()
}

/// The evaluated file's absolute path and the path the user wrote, shown in messages.
struct FileNames<'a> {
    absolute: &'a Path,
    shown: &'a Path,
}

impl FileNames<'_> {
    /// The user's path for the evaluated file; other files relative to the current directory
    /// when they are inside it.
    fn display(&self, path: &Path) -> String {
        if path == self.absolute {
            return self.shown.display().to_string();
        }
        std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
            .unwrap_or_else(|| path.display().to_string())
    }
}

/// Maps a jrsonnet error to one message with the most specific known position.
fn to_error(names: &FileNames<'_>, err: &jrsonnet_evaluator::Error) -> Error {
    let (span, message) = match err.error() {
        ErrorKind::ImportSyntaxError { error, .. } => (
            Some(&error.location),
            format!("syntax error: {}", error.message),
        ),
        ErrorKind::StaticAnalysisError(diagnostics) => (
            diagnostics.iter().find_map(|d| d.span.as_ref()),
            diagnostics
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        kind => (
            err.trace().0.iter().find_map(|el| el.location.as_ref()),
            strip_runtime_prefix(&kind.to_string()),
        ),
    };
    let location = span.map_or_else(
        || names.shown.display().to_string(),
        |s| describe_span(names, s),
    );
    Error::Jsonnet { location, message }
}

/// An ext-code error as `line:column: message` (the code is not a file).
fn ext_code_message(err: &jrsonnet_evaluator::Error) -> String {
    match err.error() {
        ErrorKind::ImportSyntaxError { error, .. } => {
            let [start] = error.location.0.map_source_locations(&[error.location.1]);
            format!(
                "{}:{}: syntax error: {}",
                start.line, start.column, error.message
            )
        }
        kind => strip_runtime_prefix(&kind.to_string()),
    }
}

fn strip_runtime_prefix(message: &str) -> String {
    message
        .strip_prefix("runtime error: ")
        .unwrap_or(message)
        .to_owned()
}

fn describe_span(names: &FileNames<'_>, span: &Span) -> String {
    let [start] = span.0.map_source_locations(&[span.1]);
    let source_path = span.0.source_path();
    let file = source_path
        .path()
        .map_or_else(|| source_path.to_string(), |p| names.display(p));
    format!("{file}:{}:{}", start.line, start.column)
}
