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
    crate::output::print_stdout(&String::from_utf8_lossy(&man_page()?))?;
    Ok(ExitCode::SUCCESS)
}

/// One page for ristretto and every command: clap_mangen's sections for the top level, then a
/// COMMANDS list and each command's (and subcommand's) options. clap_mangen's own SUBCOMMANDS
/// section would point to `ristretto-deploy(1)` and other pages that are not installed.
fn man_page() -> std::io::Result<Vec<u8>> {
    let command = super::Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut commands = Vec::new();
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        commands.push((format!("ristretto {}", sub.get_name()), sub.clone()));
        for nested in sub.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = format!("ristretto {} {}", sub.get_name(), nested.get_name());
            commands.push((name, nested.clone()));
        }
    }
    out.extend_from_slice(b".SH COMMANDS\n");
    for (name, sub) in &commands {
        out.extend_from_slice(format!(".TP\n\\fB{}\\fR\n", roff_escape(name)).as_bytes());
        if let Some(about) = sub.get_about() {
            out.extend_from_slice(format!("{}\n", roff_escape(&about.to_string())).as_bytes());
        }
    }
    for (name, sub) in &commands {
        out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        clap_mangen::Man::new(sub.clone()).render_options_section(&mut out)?;
    }
    if command.get_version().is_some() || command.get_long_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// Text safe in a roff line: backslashes and hyphens escaped, no leading control character.
fn roff_escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
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

    #[test]
    fn completions_offer_flag_values_and_nested_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut command = super::super::Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command, "ristretto", &mut out);
            let script = String::from_utf8_lossy(&out);
            for value in [
                // --wait-until (zsh escapes the colon of `ecs:PRE_SCALE_UP`)
                "paused",
                "PRE_SCALE_UP",
                "AfterAllowTestTraffic",
                // --output of revisions, tasks, status
                "tsv",
                // plugin test --stage and --event
                "before-traffic-shift",
                "rolled-back",
                // subcommands of plugin and fleet
                "inspect",
                "pull",
                "render",
            ] {
                assert!(
                    script.contains(value),
                    "{value} missing from {shell} completion"
                );
            }
        }
    }

    #[test]
    fn the_man_page_is_one_page() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(!page.contains("(1)"), "the page points to other pages");
        for section in [
            ".SH COMMANDS",
            ".SH \"RISTRETTO DEPLOY\"",
            ".SH \"RISTRETTO FLEET DEPLOY\"",
        ] {
            assert!(page.contains(section), "{section} missing");
        }
        assert!(page.contains("\\fBristretto plugin test\\fR"));
    }
}
