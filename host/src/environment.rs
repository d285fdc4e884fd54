//! A snapshot of the process environment, overlaid with env files (`--envfile`), that the rest
//! of the program reads instead of `std::env`. Env files override the process environment, as
//! ecspresso's `--envfile` does.

use std::collections::BTreeMap;
use std::path::Path;

/// An env file could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct EnvFileError {
    /// The env file.
    pub path: std::path::PathBuf,
    /// What is wrong, with the line when known.
    pub message: String,
}

/// Environment variables visible to templates, Jsonnet and settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    vars: BTreeMap<String, String>,
}

impl Environment {
    /// Snapshots the current process environment (non-UTF-8 entries are skipped).
    pub fn from_process() -> Self {
        Self::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Builds an environment from explicit pairs (used by tests and benchmarks).
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Every variable, for handing to a child process (`Command::envs`), so that what env files
    /// set reaches the commands ristretto runs, as ecspresso's exported env files do.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Sets `name` to `value`, replacing any previous value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// Loads dotenv files in order; later files and file values override earlier values.
    ///
    /// Errors name the file and, for syntax errors, the line.
    pub fn load_env_files(&mut self, files: &[impl AsRef<Path>]) -> Result<(), EnvFileError> {
        for file in files {
            let path = file.as_ref();
            let text = std::fs::read_to_string(path).map_err(|error| EnvFileError {
                path: path.to_path_buf(),
                message: format!(
                    "cannot read this env file (from --envfile, RISTRETTO_ENVFILE or ECSPRESSO_ENVFILE, or a fleet file's envfile): {error}"
                ),
            })?;
            let iter = dotenvy::from_read_iter(text.as_bytes());
            for item in iter {
                let (key, value) = item.map_err(|err| EnvFileError {
                    path: path.to_path_buf(),
                    message: describe_dotenv_error(&err, &text),
                })?;
                self.set(key, value);
            }
        }
        Ok(())
    }
}

/// Turns a dotenvy error into a message with a 1-based line number where possible.
fn describe_dotenv_error(err: &dotenvy::Error, text: &str) -> String {
    match err {
        dotenvy::Error::LineParse(line, index) => {
            let line_no = text
                .lines()
                .position(|l| l == line)
                .map_or_else(String::new, |n| format!("line {}: ", n + 1));
            format!("{line_no}cannot parse `{line}` at character {}", index + 1)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.env");
        let b = dir.path().join("b.env");
        std::fs::write(
            &a,
            "X=from-a\nY=only-a\n# comment\nexport Z=\"quoted value\"\n",
        )
        .unwrap();
        std::fs::write(&b, "X=from-b\n").unwrap();
        let mut env = Environment::from_vars([("X", "process"), ("W", "kept")]);
        env.load_env_files(&[&a, &b]).unwrap();
        assert_eq!(env.get("X"), Some("from-b"));
        assert_eq!(env.get("Y"), Some("only-a"));
        assert_eq!(env.get("Z"), Some("quoted value"));
        assert_eq!(env.get("W"), Some("kept"));
    }

    #[test]
    fn bad_env_file_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("bad.env");
        std::fs::write(&a, "OK=1\nthis is not valid\n").unwrap();
        let err = Environment::default().load_env_files(&[&a]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("bad.env"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn missing_env_file_is_an_error() {
        let err = Environment::default()
            .load_env_files(&["/nonexistent/x.env"])
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/x.env"));
    }
}
