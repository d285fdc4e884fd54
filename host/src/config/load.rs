//! Loads a config file: finds it, renders it (YAML: Go template first, as ecspresso v2 does;
//! JSON and Jsonnet: Jsonnet, then Go template), layers it over defaults and under the
//! environment/flag overrides with figment, checks `required_version`, and collects warnings
//! (unknown keys, deprecated keys) for the caller to show.

use std::path::{Path, PathBuf};

use figment::value::{Dict, Map, Value as FigmentValue};
use figment::{Figment, Metadata, Profile, Provider};

use super::model::KNOWN_KEYS;
use super::source_position::find_key_line;
use super::{ConfigFile, Error, Globals, check_required_version, format_duration};
use crate::render::{Renderer, SourceKind};

/// File names searched, in order, when no config file is given.
pub const DEFAULT_CONFIG_NAMES: [&str; 4] = [
    "ecspresso.yml",
    "ecspresso.yaml",
    "ecspresso.json",
    "ecspresso.jsonnet",
];

/// A non-fatal problem found while loading, for the caller to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What the user should know, naming the file and line.
    pub message: String,
}

/// A loaded, resolved config.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConfig {
    /// The config file.
    pub path: PathBuf,
    /// The resolved settings (defaults and overrides applied; paths as written).
    pub file: ConfigFile,
    /// Problems worth a warning.
    pub warnings: Vec<Warning>,
}

impl LoadedConfig {
    /// The directory relative paths in the config are resolved against.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Resolves a path written in the config against the config file's directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir().join(path)
        }
    }

    /// The task definition file, resolved, if configured.
    pub fn task_definition_path(&self) -> Option<PathBuf> {
        self.file
            .task_definition
            .as_deref()
            .map(|p| self.resolve(p))
    }

    /// The service definition file, resolved, if configured.
    pub fn service_definition_path(&self) -> Option<PathBuf> {
        self.file
            .service_definition
            .as_deref()
            .map(|p| self.resolve(p))
    }

    /// `path`, if it is the file the config key `key` names and it does not exist: an error
    /// naming the config file, the key's line and the resolved path.
    pub fn check_file_exists(&self, key: &str, path: &Path) -> Result<(), String> {
        let configured = match key {
            "task_definition" => self.task_definition_path(),
            "service_definition" => self.service_definition_path(),
            "express_definition" => self.express_definition_path(),
            _ => None,
        };
        if path.is_file() || configured.as_deref() != Some(path) {
            return Ok(());
        }
        let why = crate::source_text::not_a_readable_file(path);
        if why.is_none() && path.exists() {
            return Ok(());
        }
        let why = why.unwrap_or_else(|| "does not exist".to_owned());
        let config = self.path.display();
        let location = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| super::find_key_line(&text, key))
            .map_or_else(|| config.to_string(), |line| format!("{config}:{line}"));
        Err(format!(
            "{location}: `{key}`: {} {why} (paths are relative to the config file's directory)",
            path.display()
        ))
    }

    /// The express definition file, resolved, if configured.
    pub fn express_definition_path(&self) -> Option<PathBuf> {
        self.file
            .express_definition
            .as_deref()
            .map(|p| self.resolve(p))
    }
}

/// Returns the config file to use: `explicit` if given, otherwise the first of
/// `DEFAULT_CONFIG_NAMES` found in `dir` (an empty `dir` means the current directory, and keeps
/// the returned path relative).
pub fn find_config_file(explicit: Option<&Path>, dir: &Path) -> Result<PathBuf, Error> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    for candidate in DEFAULT_CONFIG_NAMES.iter().map(|name| dir.join(name)) {
        if candidate.is_file() {
            return Ok(candidate);
        }
        if let Some(why) = crate::source_text::not_a_readable_file(&candidate) {
            return Err(Error::NotAFile {
                path: candidate,
                why,
            });
        }
    }
    Err(Error::NotFound {
        dir: if dir.as_os_str().is_empty() {
            std::env::current_dir().unwrap_or_default()
        } else {
            dir.to_path_buf()
        },
    })
}

/// Reads and resolves the config file at `path`.
///
/// `renderer` supplies the template/Jsonnet functions and ext vars; `globals` the overrides
/// (`--timeout`). Nothing is sent to AWS.
pub fn load_config(
    path: &Path,
    renderer: &Renderer,
    globals: &Globals,
) -> Result<LoadedConfig, Error> {
    let (rendered, value) = render_config(path, renderer)?;
    let serde_json::Value::Object(object) = &value else {
        return Err(Error::Syntax(crate::config::SyntaxError {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: format!(
                "the config must be a mapping of keys, found {}",
                json_type(&value)
            ),
        }));
    };

    let mut warnings = key_warnings(path, &rendered, object)?;
    if let Some(seconds) = object.get("timeout").and_then(bare_seconds)
        && seconds > LARGE_TIMEOUT_SECONDS
    {
        warnings.push(Warning {
            message: format!(
                "{}: `timeout` {seconds} is a number of seconds, which is unusually large (over 30 days); ecspresso v2 read a bare number as nanoseconds: write the unit, e.g. `10m`",
                location(path, &rendered, "timeout")
            ),
        });
    }

    let file = extract(path, &rendered, object, globals)?;
    if let Some(constraint) = &file.required_version {
        check_required_version(
            constraint,
            env!("CARGO_PKG_VERSION"),
            crate::ECSPRESSO_COMPAT_VERSION,
        )
        .map_err(|message| Error::RequiredVersion {
            location: location(path, &rendered, "required_version"),
            message,
        })?;
    }
    if file.filter_command.is_some() {
        warnings.push(Warning {
            message: format!(
                "{}: `filter_command` in the config is deprecated; use --filter-command or RISTRETTO_FILTER_COMMAND",
                location(path, &rendered, "filter_command")
            ),
        });
    }
    Ok(LoadedConfig {
        path: path.to_path_buf(),
        file,
        warnings,
    })
}

/// The config rendered (Go templates for YAML/JSON, Jsonnet evaluated) and parsed: the text
/// that positions refer to (the source for Jsonnet) and its value.
fn render_config(path: &Path, renderer: &Renderer) -> Result<(String, serde_json::Value), Error> {
    let source = std::fs::read_to_string(path).map_err(|error| Error::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let source = crate::source_text::strip_bom(&source).to_owned();
    match config_kind(path) {
        ConfigKind::Yaml => {
            let rendered = renderer.render_template_text(path, &source)?;
            let value = parse_yaml(path, &rendered)?;
            Ok((rendered, value))
        }
        ConfigKind::Jsonnet => {
            let rendered = renderer.render_file(path, SourceKind::Jsonnet)?;
            let value = serde_json::from_str(&rendered).map_err(|err| {
                Error::Syntax(crate::config::SyntaxError {
                    path: path.to_path_buf(),
                    line: err.line(),
                    column: err.column(),
                    message: format!(
                        "invalid JSON after rendering: {}",
                        strip_position(&err.to_string())
                    ),
                })
            })?;
            Ok((source, value))
        }
    }
}

/// The config's keys over the defaults, with `--timeout` over them; a key of the wrong shape
/// is an error at its line in `rendered`.
fn extract(
    path: &Path,
    rendered: &str,
    object: &serde_json::Map<String, serde_json::Value>,
    globals: &Globals,
) -> Result<ConfigFile, Error> {
    let mut figment = Figment::from(figment::providers::Serialized::defaults(
        ConfigFile::default(),
    ))
    .merge(FileLayer::new(path, object));
    if let Some(timeout) = globals.timeout {
        figment = figment.merge(figment::providers::Serialized::global(
            "timeout",
            format_duration(timeout),
        ));
    }
    figment.extract().map_err(|err| {
        let key = err.path.join(".");
        Error::InvalidKey {
            location: location(path, rendered, &key),
            key,
            message: err.kind.to_string(),
        }
    })
}

/// Past this many seconds a bare-number `timeout` is warned about, as ecspresso v3's duration
/// decoder does (30 days).
const LARGE_TIMEOUT_SECONDS: f64 = 30.0 * 24.0 * 3600.0;

/// The seconds a bare-number duration (a JSON number or a string of digits) stands for; `None`
/// for a duration written with units.
fn bare_seconds(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(number) => number.as_f64(),
        serde_json::Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// Warnings for unknown config keys and unknown keys of built-in plugin entries; an unknown
/// key in a WebAssembly plugin's entry is an error.
fn key_warnings(
    path: &Path,
    rendered: &str,
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<Warning>, Error> {
    let mut warnings = Vec::new();
    for key in object.keys().filter(|k| !KNOWN_KEYS.contains(&k.as_str())) {
        let hint = did_you_mean(key, &KNOWN_KEYS);
        warnings.push(Warning {
            message: format!(
                "{}: unknown config key `{key}` is ignored{hint}",
                location(path, rendered, key)
            ),
        });
    }

    if let Some(serde_json::Value::Array(entries)) = object.get("plugins") {
        for (index, entry) in entries.iter().enumerate() {
            // A WebAssembly plugin runs with exactly its grants and limits: a misspelt
            // `allow:` or `limits:` key would run it without them, so it is an error; built-in
            // entries keep ecspresso's leniency (a warning).
            let webassembly = ["path", "url", "oci"]
                .iter()
                .any(|k| entry.get(k).is_some());
            for problem in plugin_entry_problems(entry) {
                if webassembly && problem.unknown_key {
                    let message = format!(
                        "{}: a WebAssembly plugin's entry must be spelt exactly, or the plugin would run without the grants or limits meant for it",
                        problem.message.replace(" is ignored", "")
                    );
                    return Err(Error::Syntax(crate::config::SyntaxError {
                        path: path.to_path_buf(),
                        line: find_key_line(rendered, &problem.key).unwrap_or(1),
                        column: 1,
                        message: format!("plugins[{index}]: {message}"),
                    }));
                }
                warnings.push(Warning {
                    message: format!(
                        "{}: plugins[{index}]: {}",
                        location(path, rendered, &problem.key),
                        problem.message
                    ),
                });
            }
        }
    }

    Ok(warnings)
}

pub(super) enum ConfigKind {
    Yaml,
    Jsonnet,
}

/// `.yml`/`.yaml` are YAML; `.json`, `.jsonnet` and anything else go through Jsonnet (plain
/// JSON is valid Jsonnet), as in ecspresso.
pub(super) fn config_kind(path: &Path) -> ConfigKind {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yml" | "yaml") => ConfigKind::Yaml,
        _ => ConfigKind::Jsonnet,
    }
}

fn parse_yaml(path: &Path, text: &str) -> Result<serde_json::Value, Error> {
    crate::source_text::check_nesting(text, crate::source_text::MAX_NESTING).map_err(
        |too_deep| {
            Error::Syntax(crate::config::SyntaxError {
                path: path.to_path_buf(),
                line: too_deep.line,
                column: too_deep.column,
                message: format!("invalid YAML: {too_deep}"),
            })
        },
    )?;
    let value: serde_json::Value = serde_yaml_ng::from_str(text).map_err(|err| {
        let (line, column) = err.location().map_or((1, 1), |l| (l.line(), l.column()));
        Error::Syntax(crate::config::SyntaxError {
            path: path.to_path_buf(),
            line,
            column,
            message: format!("invalid YAML: {}", strip_position(&err.to_string())),
        })
    })?;
    // An empty YAML document is an empty config.
    Ok(if value.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        value
    })
}

/// serde_json and serde_yaml append " at line L column C"; our messages already start with the
/// position.
pub fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

fn location(path: &Path, text: &str, key: &str) -> String {
    match find_key_line(text, key) {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

/// The config file's values as a figment layer named after the file. JSON nulls are left
/// out so that a key written as `null` falls back to its default.
struct FileLayer {
    name: String,
    dict: Dict,
}

impl FileLayer {
    fn new(path: &Path, object: &serde_json::Map<String, serde_json::Value>) -> Self {
        let dict = object
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), to_figment(v)?)))
            .collect();
        Self {
            name: path.display().to_string(),
            dict,
        }
    }
}

impl Provider for FileLayer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

fn to_figment(value: &serde_json::Value) -> Option<FigmentValue> {
    Some(match value {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => FigmentValue::from(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => FigmentValue::from(i),
            (None, Some(u), _) => FigmentValue::from(u),
            (_, _, Some(f)) => FigmentValue::from(f),
            _ => return None,
        },
        serde_json::Value::String(s) => FigmentValue::from(s.clone()),
        serde_json::Value::Array(items) => {
            FigmentValue::from(items.iter().filter_map(to_figment).collect::<Vec<_>>())
        }
        serde_json::Value::Object(map) => FigmentValue::from(
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), to_figment(v)?)))
                .collect::<Dict>(),
        ),
    })
}

/// ` (did you mean `KEY`?)` naming the known key nearest to the misspelt `key` (within an
/// edit distance of 2, more for long keys), or nothing.
pub fn did_you_mean(key: &str, known: &[&str]) -> String {
    known
        .iter()
        .map(|k| (strsim::levenshtein(key, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 5))
        .min_by_key(|(d, _)| *d)
        .map_or_else(String::new, |(_, k)| format!(" (did you mean `{k}`?)"))
}

/// Keys of a `plugins:` entry, of its `allow:` and of its `limits:`.
const PLUGIN_KEYS: [&str; 9] = [
    "name",
    "config",
    "func_prefix",
    "path",
    "url",
    "oci",
    "sha256",
    "allow",
    "limits",
];
const ALLOW_KEYS: [&str; 3] = ["http", "secrets", "alarms"];
const LIMIT_KEYS: [&str; 3] = ["timeout", "gate_timeout", "memory"];

/// Something in a plugin entry that is ignored: `key` (to find its line) and what.
struct PluginEntryProblem {
    key: String,
    message: String,
    /// An unknown key (rather than a questionable value).
    unknown_key: bool,
}

/// Keys a plugin entry, its `allow:` or its `limits:` do not have (a misspelt `allow` would
/// silently take a plugin's grants away), and `allow.secrets` without a known source.
fn plugin_entry_problems(entry: &serde_json::Value) -> Vec<PluginEntryProblem> {
    let mut problems = Vec::new();
    let mut unknown = |object: &serde_json::Value, known: &[&str], at: &str| {
        for key in object
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .filter(|k| !known.contains(&k.as_str()))
        {
            let hint = did_you_mean(key, known);
            problems.push(PluginEntryProblem {
                key: key.clone(),
                message: format!("unknown key `{at}{key}` is ignored{hint}"),
                unknown_key: true,
            });
        }
    };
    unknown(entry, &PLUGIN_KEYS, "");
    unknown(&entry["allow"], &ALLOW_KEYS, "allow.");
    unknown(&entry["limits"], &LIMIT_KEYS, "limits.");
    for secret in entry["allow"]["secrets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .filter(|s| {
            !["env:", "ssm:", "secretsmanager:"]
                .iter()
                .any(|p| s.starts_with(p))
        })
    {
        problems.push(PluginEntryProblem {
            unknown_key: false,
            key: "secrets".to_owned(),
            message: format!(
                "allow.secrets `{secret}` names no source and grants nothing: write `env:{secret}`, `ssm:/path` or `secretsmanager:name`"
            ),
        });
    }
    problems
}
