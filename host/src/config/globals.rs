//! Global settings: flags layered over `RISTRETTO_*` and `ECSPRESSO_*` environment variables and
//! defaults, resolved with figment (default < ECSPRESSO_* < RISTRETTO_* < flag). Every value is
//! carried as a string through the layers so that one parser validates it, and an invalid value
//! is reported with the flag or variable it came from.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::{Environment, Error, parse_duration};

/// Global flags as typed; `None` means "not given on the command line".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GlobalFlags {
    /// `--config`
    pub config: Option<PathBuf>,
    /// `--envfile`
    pub envfile: Option<Vec<PathBuf>>,
    /// `--debug`
    pub debug: Option<bool>,
    /// `--ext-str` entries, `KEY=VALUE`
    pub ext_str: Option<Vec<String>>,
    /// `--ext-code` entries, `KEY=CODE`
    pub ext_code: Option<Vec<String>>,
    /// `--assume-role-arn`
    pub assume_role_arn: Option<String>,
    /// `--timeout`
    pub timeout: Option<String>,
    /// `--filter-command`
    pub filter_command: Option<String>,
    /// `--color` / `--no-color`
    pub color: Option<bool>,
    /// `--log-format`
    pub log_format: Option<LogFormat>,
    /// `--locked`
    pub locked: Option<bool>,
}

/// Resolved global settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Globals {
    /// Config file given explicitly (flag or environment); `None` means search the defaults.
    pub config: Option<PathBuf>,
    /// Env files to load before reading the config.
    pub envfile: Vec<PathBuf>,
    /// Debug logging.
    pub debug: bool,
    /// Jsonnet external string variables.
    pub ext_str: BTreeMap<String, String>,
    /// Jsonnet external code variables.
    pub ext_code: BTreeMap<String, String>,
    /// Role to assume for AWS calls.
    pub assume_role_arn: Option<String>,
    /// Overrides the config `timeout`.
    pub timeout: Option<Duration>,
    /// Interactive filter command.
    pub filter_command: Option<String>,
    /// Colorized output.
    pub color: bool,
    /// Log format.
    pub log_format: LogFormat,
    /// Refuse remote plugins that `ristretto.lock` does not pin (and never write it).
    pub locked: bool,
}

/// Setting names, as in `RISTRETTO_<NAME>` (upper-cased) and `--<name>` (dashed).
const KEYS: [&str; 11] = [
    "config",
    "envfile",
    "debug",
    "ext_str",
    "ext_code",
    "assume_role_arn",
    "timeout",
    "filter_command",
    "color",
    "log_format",
    "locked",
];

impl Globals {
    /// Resolves flags over the environment and defaults.
    pub fn resolve(flags: GlobalFlags, env: &Environment) -> Result<Self, Error> {
        let figment = Figment::new()
            .merge(Layer::new(
                "ECSPRESSO_* environment",
                env_layer(env, "ECSPRESSO_"),
            ))
            .merge(Layer::new(
                "RISTRETTO_* environment",
                env_layer(env, "RISTRETTO_"),
            ))
            .merge(Layer::new("flags", flag_layer(&flags)));
        let layered = Layered {
            figment: &figment,
            env,
        };

        let color = match layered.get("color")? {
            Some((text, origin)) => {
                parse_bool(&text).ok_or_else(|| invalid(origin, &text, "expected true or false"))?
            }
            // ecspresso's default (fatih/color): on for a terminal, off under NO_COLOR or
            // TERM=dumb; an explicit --color or ECSPRESSO_COLOR wins.
            None => {
                std::io::stdout().is_terminal()
                    && env.get("NO_COLOR").is_none_or(str::is_empty)
                    && env.get("TERM") != Some("dumb")
            }
        };
        let log_format = match (flags.log_format, layered.get("log_format")?) {
            (Some(format), _) => format,
            (None, Some((text, origin))) => match text.to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => return Err(invalid(origin, &text, "expected text or json")),
            },
            (None, None) => LogFormat::Text,
        };
        Ok(Self {
            config: flags
                .config
                .or_else(|| layered.get_plain("config").map(PathBuf::from)),
            envfile: match flags.envfile {
                Some(files) => files,
                None => layered
                    .get_plain("envfile")
                    .map(|s| split_list(&s, ',').map(PathBuf::from).collect())
                    .unwrap_or_default(),
            },
            debug: match layered.get("debug")? {
                Some((text, origin)) => parse_bool(&text)
                    .ok_or_else(|| invalid(origin, &text, "expected true or false"))?,
                None => false,
            },
            ext_str: parse_ext_vars(flags.ext_str, layered.get("ext_str")?, "--ext-str")?,
            ext_code: parse_ext_vars(flags.ext_code, layered.get("ext_code")?, "--ext-code")?,
            assume_role_arn: flags
                .assume_role_arn
                .or_else(|| layered.get_plain("assume_role_arn"))
                .filter(|s| !s.is_empty()),
            timeout: match layered.get("timeout")? {
                Some((text, origin)) => Some(
                    parse_duration(&text)
                        .map_err(|message| Error::InvalidSetting { origin, message })?,
                ),
                None => None,
            },
            filter_command: flags
                .filter_command
                .or_else(|| layered.get_plain("filter_command"))
                .filter(|s| !s.is_empty()),
            color,
            log_format,
            locked: match layered.get("locked")? {
                Some((text, origin)) => parse_bool(&text)
                    .ok_or_else(|| invalid(origin, &text, "expected true or false"))?,
                None => false,
            },
        })
    }
}

/// One named layer of settings (a figment provider whose name identifies the origin).
struct Layer {
    name: &'static str,
    dict: Dict,
}

impl Layer {
    fn new(name: &'static str, dict: Dict) -> Self {
        Self { name, dict }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Global.collect(self.dict.clone()))
    }
}

/// The figment after layering, plus the environment for naming origins.
struct Layered<'a> {
    figment: &'a Figment,
    env: &'a Environment,
}

impl Layered<'_> {
    /// The winning value of `key` as a string and a description of where it came from.
    fn get(&self, key: &str) -> Result<Option<(String, String)>, Error> {
        let value: Option<String> =
            self.figment
                .extract_inner(key)
                .map(Some)
                .or_else(|err| match err.kind {
                    figment::error::Kind::MissingField(_) => Ok(None),
                    _ => Err(Error::InvalidSetting {
                        origin: format!("setting {key}"),
                        message: err.to_string(),
                    }),
                })?;
        Ok(value.map(|text| {
            let origin = self.origin(key);
            (text, origin)
        }))
    }

    /// Like `get`, for values that need no validation.
    fn get_plain(&self, key: &str) -> Option<String> {
        self.figment.extract_inner::<String>(key).ok()
    }

    /// Names the flag or variable that supplied `key`.
    fn origin(&self, key: &str) -> String {
        let provider = self
            .figment
            .find_metadata(key)
            .map(|m| m.name.to_string())
            .unwrap_or_default();
        let upper = key.to_ascii_uppercase();
        if provider.starts_with("RISTRETTO_") {
            format!("environment variable RISTRETTO_{upper}")
        } else if provider.starts_with("ECSPRESSO_")
            && self.env.get(&format!("ECSPRESSO_{upper}")).is_some()
        {
            format!("environment variable ECSPRESSO_{upper}")
        } else {
            format!("--{} flag", key.replace('_', "-"))
        }
    }
}

/// The settings found in the environment under `prefix`, as strings.
fn env_layer(env: &Environment, prefix: &str) -> Dict {
    let mut dict = Map::new();
    for key in KEYS {
        let name = format!("{prefix}{}", key.to_ascii_uppercase());
        if let Some(value) = env.get(&name) {
            dict.insert(key.to_owned(), Value::from(value.to_owned()));
        }
    }
    dict
}

/// The settings given as flags, as strings in the same syntax as the environment variables.
fn flag_layer(flags: &GlobalFlags) -> Dict {
    let mut dict = Map::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            dict.insert(key.to_owned(), Value::from(value));
        }
    };
    put(
        "config",
        flags
            .config
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
    );
    put(
        "envfile",
        flags.envfile.as_ref().map(|files| {
            files
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(",")
        }),
    );
    put("debug", flags.debug.map(|b| b.to_string()));
    put("ext_str", flags.ext_str.as_ref().map(|v| v.join(";")));
    put("ext_code", flags.ext_code.as_ref().map(|v| v.join(";")));
    put("assume_role_arn", flags.assume_role_arn.clone());
    put("timeout", flags.timeout.clone());
    put("filter_command", flags.filter_command.clone());
    put("color", flags.color.map(|b| b.to_string()));
    put("locked", flags.locked.map(|b| b.to_string()));
    put(
        "log_format",
        flags.log_format.map(|f| f.as_str().to_owned()),
    );
    dict
}

fn invalid(origin: String, text: &str, expected: &str) -> Error {
    Error::InvalidSetting {
        origin,
        message: format!("`{text}`: {expected}"),
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

fn split_list(text: &str, separator: char) -> impl Iterator<Item = &str> {
    text.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Parses `KEY=VALUE` entries, from flags (already split) or from a `;`-separated variable.
fn parse_ext_vars(
    flags: Option<Vec<String>>,
    layered: Option<(String, String)>,
    flag_name: &str,
) -> Result<BTreeMap<String, String>, Error> {
    let (entries, origin): (Vec<String>, String) = match (flags, layered) {
        (Some(entries), _) => (entries, format!("{flag_name} flag")),
        (None, Some((text, origin))) => {
            (split_list(&text, ';').map(str::to_owned).collect(), origin)
        }
        (None, None) => return Ok(BTreeMap::new()),
    };
    let mut vars = BTreeMap::new();
    for entry in entries.iter().filter(|e| !e.trim().is_empty()) {
        let Some((key, value)) = entry.split_once('=') else {
            return Err(Error::InvalidSetting {
                origin,
                message: format!("`{entry}` is not KEY=VALUE"),
            });
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(Error::InvalidSetting {
                origin,
                message: format!("`{entry}` has an empty key"),
            });
        }
        vars.insert(key.to_owned(), value.to_owned());
    }
    Ok(vars)
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(flags: GlobalFlags, env: &[(&str, &str)]) -> Result<Globals, Error> {
        Globals::resolve(flags, &Environment::from_vars(env.iter().copied()))
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let g = resolve(
            GlobalFlags {
                color: Some(false),
                ..Default::default()
            },
            &[],
        )
        .unwrap();
        assert_eq!(g.config, None);
        assert!(g.envfile.is_empty());
        assert!(!g.debug);
        assert_eq!(g.timeout, None);
        assert_eq!(g.log_format, LogFormat::Text);
    }

    #[test]
    fn precedence_flag_over_ristretto_over_ecspresso() {
        let env = [("ECSPRESSO_TIMEOUT", "1m"), ("RISTRETTO_TIMEOUT", "2m")];
        let g = resolve(GlobalFlags::default(), &env).unwrap();
        assert_eq!(g.timeout, Some(Duration::from_secs(120)));
        let g = resolve(
            GlobalFlags {
                timeout: Some("3m".into()),
                ..Default::default()
            },
            &env,
        )
        .unwrap();
        assert_eq!(g.timeout, Some(Duration::from_secs(180)));
        let g = resolve(GlobalFlags::default(), &env[..1]).unwrap();
        assert_eq!(g.timeout, Some(Duration::from_secs(60)));
    }

    #[test]
    fn every_global_is_settable_by_environment() {
        let env = [
            ("ECSPRESSO_CONFIG", "x/ecspresso.json"),
            ("ECSPRESSO_ENVFILE", "a.env,b.env"),
            ("ECSPRESSO_DEBUG", "true"),
            ("ECSPRESSO_EXT_STR", "A=1;B=two=2"),
            ("RISTRETTO_EXT_CODE", "N=1+1"),
            (
                "ECSPRESSO_ASSUME_ROLE_ARN",
                "arn:aws:iam::123456789012:role/deploy",
            ),
            ("RISTRETTO_FILTER_COMMAND", "fzf"),
            ("ECSPRESSO_COLOR", "false"),
            ("RISTRETTO_LOG_FORMAT", "json"),
        ];
        let g = resolve(GlobalFlags::default(), &env).unwrap();
        assert_eq!(g.config, Some(PathBuf::from("x/ecspresso.json")));
        assert_eq!(
            g.envfile,
            vec![PathBuf::from("a.env"), PathBuf::from("b.env")]
        );
        assert!(g.debug);
        assert_eq!(g.ext_str.get("A").map(String::as_str), Some("1"));
        assert_eq!(g.ext_str.get("B").map(String::as_str), Some("two=2"));
        assert_eq!(g.ext_code.get("N").map(String::as_str), Some("1+1"));
        assert_eq!(
            g.assume_role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/deploy")
        );
        assert_eq!(g.filter_command.as_deref(), Some("fzf"));
        assert!(!g.color);
        assert_eq!(g.log_format, LogFormat::Json);
    }

    #[test]
    fn flag_ext_vars_replace_environment_ones() {
        let flags = GlobalFlags {
            ext_str: Some(vec!["K=flag".into()]),
            ..Default::default()
        };
        let g = resolve(flags, &[("ECSPRESSO_EXT_STR", "K=env;J=x")]).unwrap();
        assert_eq!(g.ext_str.len(), 1);
        assert_eq!(g.ext_str.get("K").map(String::as_str), Some("flag"));
    }

    #[test]
    fn invalid_values_name_their_origin() {
        let err = resolve(GlobalFlags::default(), &[("RISTRETTO_TIMEOUT", "soon")]).unwrap_err();
        assert!(err.to_string().contains("RISTRETTO_TIMEOUT"), "{err}");
        let err = resolve(GlobalFlags::default(), &[("ECSPRESSO_TIMEOUT", "soon")]).unwrap_err();
        assert!(err.to_string().contains("ECSPRESSO_TIMEOUT"), "{err}");
        let err = resolve(
            GlobalFlags {
                timeout: Some("soon".into()),
                ..Default::default()
            },
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("--timeout flag"), "{err}");
        let err = resolve(GlobalFlags::default(), &[("ECSPRESSO_LOG_FORMAT", "xml")]).unwrap_err();
        assert!(err.to_string().contains("ECSPRESSO_LOG_FORMAT"), "{err}");
        let err = resolve(
            GlobalFlags {
                ext_str: Some(vec!["novalue".into()]),
                ..Default::default()
            },
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("--ext-str flag"), "{err}");
        let err = resolve(GlobalFlags::default(), &[("RISTRETTO_DEBUG", "maybe")]).unwrap_err();
        assert!(err.to_string().contains("RISTRETTO_DEBUG"), "{err}");
    }
}
