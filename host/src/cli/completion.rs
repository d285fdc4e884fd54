//! `ristretto completion SHELL` and `ristretto man`: shell completions and a man page, generated
//! from the clap definitions so they cannot drift from the real flags.

use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

/// Flags of `completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Prints the completion script for `shell` (e.g. `ristretto completion bash > /etc/bash_completion.d/ristretto`).
pub fn run(args: CompletionArgs) -> anyhow::Result<ExitCode> {
    let mut command = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "ristretto", &mut out);
    crate::output::print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page (roff) of ristretto and its commands.
pub fn run_man() -> anyhow::Result<ExitCode> {
    let command = super::Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.extend_from_slice(b"\n.SH \"RISTRETTO ");
        out.extend_from_slice(sub.get_name().to_uppercase().as_bytes());
        out.extend_from_slice(b"\"\n");
        let mut section = Vec::new();
        clap_mangen::Man::new(sub.clone()).render_options_section(&mut section)?;
        out.extend_from_slice(&section);
    }
    crate::output::print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_and_man_cover_every_command() {
        let mut command = super::super::Cli::command();
        let mut out = Vec::new();
        clap_complete::generate(Shell::Bash, &mut command, "ristretto", &mut out);
        let script = String::from_utf8_lossy(&out);
        for name in [
            "deploy",
            "diff",
            "rollback",
            "fleet",
            "plugin",
            "--envfile",
            "--ext-str",
        ] {
            assert!(script.contains(name), "{name} missing from bash completion");
        }
    }
}
