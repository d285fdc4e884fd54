//! `--filter-command`: hands candidate lines to an interactive filter (peco, fzf, …) through
//! `sh -c` and reads back the chosen line, as ecspresso does for tasks.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::Context;

/// What is chosen: the title asked for (`task ID`) and the flag that names one (`--id`).
#[derive(Debug, Clone, Copy)]
pub struct Choice {
    /// Asked for as `Enter <title>: `.
    pub title: &'static str,
    /// The flag that makes the choice unnecessary.
    pub flag: &'static str,
}

/// A task, by `--id`.
pub const TASK: Choice = Choice {
    title: "task ID",
    flag: "--id",
};

/// A container of a task, by `--container`.
pub const CONTAINER: Choice = Choice {
    title: "container name",
    flag: "--container",
};

/// Chooses one of `lines` (each starting with the id) as ecspresso does through ecsta: the
/// only one when there is one, with the filter command when one is set, else by asking on the terminal (`crate::choose`), else a
/// clear error (ecsta would ask a terminal that is not there until the command times out).
pub fn choose(
    filter_command: Option<&str>,
    lines: &[String],
    choice: Choice,
    environment: &crate::environment::Environment,
) -> anyhow::Result<String> {
    let title = choice.title;
    use std::io::IsTerminal;
    match lines {
        [] => anyhow::bail!("there is no {title} to choose from"),
        [only] => {
            return Ok(only
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned());
        }
        _ => {}
    }
    if let Some(filter) = filter_command {
        return pick(filter, lines, environment);
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        anyhow::bail!(
            "{} candidates and no way to choose one: give {}, set --filter-command (or ECSPRESSO_FILTER_COMMAND, e.g. peco or fzf), or run on a terminal to be asked for a {title}",
            lines.len(),
            choice.flag
        );
    }
    Ok(crate::choose::prompt(
        lines,
        title,
        &mut std::io::stdin().lock(),
        &mut std::io::stderr().lock(),
    )?)
}

/// Runs `filter_command` with `lines` on its stdin (the terminal stays its stderr/tty) and
/// returns the first tab-separated field of the first line it prints. The command sees
/// `environment` (the process environment with the env files applied).
pub fn pick(
    filter_command: &str,
    lines: &[String],
    environment: &crate::environment::Environment,
) -> anyhow::Result<String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(filter_command)
        .envs(environment.vars())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run the filter command `{filter_command}`"))?;
    if let Some(mut stdin) = child.stdin.take() {
        for line in lines {
            // A filter may exit before reading everything (e.g. `head -n 1`).
            if writeln!(stdin, "{line}").is_err() {
                break;
            }
        }
    }
    let output = child
        .wait_with_output()
        .with_context(|| format!("the filter command `{filter_command}` failed"))?;
    let chosen = String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .and_then(|l| l.split('\t').next())
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if chosen.is_empty() {
        anyhow::bail!("nothing was selected by the filter command `{filter_command}`");
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_first_field_of_the_chosen_line() {
        let lines = vec![
            "abc\tweb:1\tRUNNING".to_owned(),
            "def\tweb:2\tSTOPPED".to_owned(),
        ];
        let none = crate::environment::Environment::default();
        assert_eq!(pick("grep STOPPED", &lines, &none).unwrap(), "def");
        assert_eq!(pick("head -n 1", &lines, &none).unwrap(), "abc");
        let err = pick("grep NOTHING", &lines, &none).unwrap_err().to_string();
        assert!(err.contains("nothing was selected"), "{err}");
    }

    #[test]
    fn the_filter_sees_the_env_file_variables() {
        let lines = vec!["abc\tRUNNING".to_owned(), "def\tSTOPPED".to_owned()];
        let environment =
            crate::environment::Environment::from_vars([("RISTRETTO_TEST_PICK", "STOPPED")]);
        let chosen = pick("grep \"$RISTRETTO_TEST_PICK\"", &lines, &environment).unwrap();
        assert_eq!(chosen, "def");
    }
}
