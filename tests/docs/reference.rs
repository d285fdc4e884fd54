//! Renders docs/commands.md from the clap definitions (`ristretto::cli::Cli`): every command,
//! its usage line, arguments and options with their values, defaults and help text. The docs
//! tests compare the file with this output, so the reference cannot drift from the real flags.

use std::fmt::Write as _;

use clap::builder::PossibleValue;
use clap::{Arg, ArgAction, Command, CommandFactory};

/// The whole of docs/commands.md.
pub fn commands_markdown() -> String {
    let mut root = ristretto::cli::Cli::command();
    root.build();
    let mut out = String::new();
    out.push_str("# Command reference\n\n");
    out.push_str(
        "<!-- Generated from the clap definitions (host/src/cli.rs, host/src/cli/) by\n\
         `UPDATE_DOCS=1 cargo test -p ristretto --test docs`. Do not edit by hand: a test fails\n\
         when this file and the definitions differ. -->\n\n",
    );
    out.push_str(
        "Every command takes `-h`/`--help`; `ristretto --version` prints the version. \
         Exit status: 0 on success, 1 on any error (usage errors included), 2 from \
         `diff --exit-code` and `fleet diff --exit-code` when there are differences, 130 when \
         stopped by SIGINT (Ctrl-C) and 143 by SIGTERM.\n\n",
    );
    out.push_str("## Commands\n\n");
    for command in visible_subcommands(&root) {
        let _ = writeln!(
            out,
            "- [`{}`](#{}): {}",
            command_path(command),
            anchor(&command_path(command)),
            cell(&about(command))
        );
    }
    out.push('\n');
    out.push_str("## Global options\n\n");
    out.push_str(
        "Accepted by every command, before or after the command name. Each is also settable \
         through `RISTRETTO_<NAME>` or `ECSPRESSO_<NAME>` (precedence: flag > `RISTRETTO_*` > \
         `ECSPRESSO_*` > config file > default).\n\n",
    );
    let globals: Vec<&Arg> = documented_args(&root).collect();
    options_table(&mut out, &globals);
    let inherited: Vec<String> = root
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for command in visible_subcommands(&root) {
        render_command(&mut out, command, 2, &inherited);
    }
    out
}

/// One command's section, then its subcommands one heading level deeper. `inherited` holds the
/// ids of arguments documented at an outer level (global options), which are not repeated.
fn render_command(out: &mut String, command: &Command, level: usize, inherited: &[String]) {
    let path = command_path(command);
    let _ = writeln!(out, "{} `{path}`\n", "#".repeat(level));
    let description = long_about(command);
    if !description.is_empty() {
        let _ = writeln!(out, "{description}\n");
    }
    let usage = command.clone().render_usage().to_string();
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    let _ = writeln!(out, "```text\n{usage}\n```\n");
    let own: Vec<&Arg> = documented_args(command)
        .filter(|a| !inherited.contains(&a.get_id().to_string()))
        .collect();
    let positionals: Vec<&Arg> = own.iter().copied().filter(|a| a.is_positional()).collect();
    let options: Vec<&Arg> = own.iter().copied().filter(|a| !a.is_positional()).collect();
    if !positionals.is_empty() {
        out.push_str("| argument | description |\n|---|---|\n");
        for arg in positionals {
            let _ = writeln!(out, "| `{}` | {} |", value_name(arg), describe(arg));
        }
        out.push('\n');
    }
    if !options.is_empty() {
        options_table(out, &options);
    }
    let subcommands: Vec<&Command> = visible_subcommands(command).collect();
    if !subcommands.is_empty() {
        out.push_str("Subcommands:\n\n");
        for sub in &subcommands {
            let _ = writeln!(
                out,
                "- [`{}`](#{}): {}",
                sub.get_name(),
                anchor(&command_path(sub)),
                cell(&about(sub))
            );
        }
        out.push('\n');
        let mut inherited = inherited.to_vec();
        inherited.extend(own.iter().map(|a| a.get_id().to_string()));
        for sub in subcommands {
            render_command(out, sub, level + 1, &inherited);
        }
    }
}

fn options_table(out: &mut String, options: &[&Arg]) {
    out.push_str("| option | description |\n|---|---|\n");
    for arg in options {
        let _ = writeln!(out, "| {} | {} |", spelling(arg), describe(arg));
    }
    out.push('\n');
}

/// `ristretto fleet deploy` (clap sets the bin name of every subcommand when it builds).
fn command_path(command: &Command) -> String {
    command
        .get_bin_name()
        .unwrap_or_else(|| command.get_name())
        .to_owned()
}

/// GitHub's heading anchor for a heading `` `text` ``.
fn anchor(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

fn visible_subcommands(command: &Command) -> impl Iterator<Item = &Command> {
    command.get_subcommands().filter(|c| !c.is_hide_set())
}

/// Arguments worth documenting: not hidden, not clap's own `--help`/`--version`.
fn documented_args(command: &Command) -> impl Iterator<Item = &Arg> {
    command.get_arguments().filter(|a| {
        !a.is_hide_set() && !matches!(a.get_action(), ArgAction::Help | ArgAction::Version)
    })
}

fn about(command: &Command) -> String {
    command
        .get_about()
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn long_about(command: &Command) -> String {
    command
        .get_long_about()
        .or_else(|| command.get_about())
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// `` `-f`, `--file <FILE>` ``
fn spelling(arg: &Arg) -> String {
    let takes_value = matches!(arg.get_action(), ArgAction::Set | ArgAction::Append);
    let value = if takes_value {
        format!(" <{}>", value_name(arg))
    } else {
        String::new()
    };
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("`-{short}`"));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("`--{long}{value}`"));
    }
    for alias in arg.get_visible_aliases().unwrap_or_default() {
        names.push(format!("`--{alias}`"));
    }
    names.join(", ")
}

fn value_name(arg: &Arg) -> String {
    arg.get_value_names()
        .map(|names| {
            names
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| arg.get_id().to_string().to_uppercase())
}

/// Help text, then what clap knows: required, repeatable, delimiter, values, default.
fn describe(arg: &Arg) -> String {
    let mut text = arg
        .get_long_help()
        .or_else(|| arg.get_help())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let mut notes = Vec::new();
    if arg.is_required_set() {
        notes.push("Required.".to_owned());
    }
    if matches!(arg.get_action(), ArgAction::Append) {
        match arg.get_value_delimiter() {
            Some(delimiter) => notes.push(format!("Repeatable; `{delimiter}`-separated.")),
            None => notes.push("Repeatable.".to_owned()),
        }
    }
    let values = possible_values(arg);
    if !values.is_empty() {
        notes.push(format!("Values: {}.", values.join(", ")));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| format!("`{}`", v.to_string_lossy()))
        .collect();
    // `--no-wait` and the like (SetFalse) default to `true` internally; that is no news.
    if !defaults.is_empty() && matches!(arg.get_action(), ArgAction::Set | ArgAction::Append) {
        notes.push(format!("Default: {}.", defaults.join(", ")));
    }
    for note in notes {
        if !text.is_empty() {
            text.push_str(if text.ends_with('.') { " " } else { ". " });
        }
        text.push_str(&note);
    }
    cell(&text)
}

fn possible_values(arg: &Arg) -> Vec<String> {
    if !matches!(arg.get_action(), ArgAction::Set | ArgAction::Append)
        || arg.is_hide_possible_values_set()
    {
        return Vec::new();
    }
    arg.get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(possible_value)
        .collect()
}

fn possible_value(value: &PossibleValue) -> String {
    match value.get_help() {
        Some(help) => format!(
            "`{}` ({})",
            value.get_name(),
            help.to_string().trim_end_matches('.')
        ),
        None => format!("`{}`", value.get_name()),
    }
}

/// Text safe inside a Markdown table cell: one line, `|` escaped, and `<`/`>` outside code
/// spans written as entities (so `ecs:<STAGE>` is not taken for an HTML tag).
fn cell(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    line.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                part.to_owned()
            } else {
                part.replace('<', "&lt;").replace('>', "&gt;")
            }
        })
        .collect::<Vec<_>>()
        .join("`")
        .replace('|', "\\|")
}
