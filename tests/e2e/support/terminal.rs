//! A real pseudo-terminal for a command (util-linux `script`), and what a person would see on
//! it at the end: the terminal's screen after carriage returns, erased lines and cursor moves.

use std::io::Write;
use std::process::{Command, Stdio};

use super::{TestContext, text};

/// `ristretto ARGS` on a pseudo-terminal, typing `typed`; whether it succeeded and what the
/// terminal received (colour and cursor codes included).
pub fn on_a_terminal(context: &TestContext, args: &str, typed: &str) -> (bool, String) {
    on_a_terminal_with(context, args, typed, &[])
}

/// `on_a_terminal` with extra environment.
pub fn on_a_terminal_with(
    context: &TestContext,
    args: &str,
    typed: &str,
    env: &[(&str, &str)],
) -> (bool, String) {
    let line = format!("{} {args}", env!("CARGO_BIN_EXE_ristretto"));
    run_on_a_terminal(context, &line, typed, env)
}

/// `ristretto ARGS` on a pseudo-terminal `columns` wide (`stty`: `script` alone leaves the
/// size unset when its input is not a terminal) that says what it is (`TERM`, which progress
/// bars need: without it a terminal counts as dumb).
pub fn on_a_terminal_of_width(
    context: &TestContext,
    columns: u16,
    args: &str,
    env: &[(&str, &str)],
) -> (bool, String) {
    let line = format!(
        "stty cols {columns} rows 40 && exec {} {args}",
        env!("CARGO_BIN_EXE_ristretto")
    );
    let mut env = env.to_vec();
    env.push(("TERM", "xterm-256color"));
    run_on_a_terminal(context, &line, "", &env)
}

/// The shell command `line` under `script` with the test's ristretto environment.
fn run_on_a_terminal(
    context: &TestContext,
    line: &str,
    typed: &str,
    env: &[(&str, &str)],
) -> (bool, String) {
    let ristretto = context.ristretto();
    let mut command = Command::new("script");
    command
        .args(["-qec", line, "/dev/null"])
        .current_dir(context.dir.path())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in ristretto.get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("run script(1)");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(typed.as_bytes()).expect("type");
    }
    let output = child.wait_with_output().expect("script output");
    (output.status.success(), text(&output.stdout))
}

/// The lines a terminal shows after receiving `received`: a carriage return goes back to the
/// start of the line, `ESC[K`/`ESC[2K` erase (part of) a line, `ESC[nA` moves up, `ESC[J`
/// erases below; colours and other control sequences change no text. Lines do not wrap.
pub fn screen(received: &str) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut column) = (0usize, 0usize);
    let mut chars = received.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => column = 0,
            '\n' => {
                row += 1;
                column = 0;
                if row == lines.len() {
                    lines.push(Vec::new());
                }
            }
            '\x1b' => {
                if chars.peek() != Some(&'[') {
                    chars.next();
                    continue;
                }
                chars.next();
                let mut parameter = String::new();
                let mut command = None;
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() || c == '~' {
                        command = Some(c);
                        break;
                    }
                    parameter.push(c);
                }
                let n: usize = parameter.parse().unwrap_or(0);
                match command {
                    Some('K') if n == 2 => lines[row].clear(),
                    Some('K') => lines[row].truncate(column),
                    Some('A') => row = row.saturating_sub(n.max(1)),
                    Some('J') => {
                        lines[row].truncate(column);
                        lines.truncate(row + 1);
                    }
                    Some('G') => column = n.saturating_sub(1),
                    _ => {}
                }
            }
            c if c.is_control() => {}
            c => {
                let line = &mut lines[row];
                if line.len() <= column {
                    line.resize(column, ' ');
                    line.push(c);
                } else {
                    line[column] = c;
                }
                column += 1;
            }
        }
    }
    lines
        .into_iter()
        .map(|l| l.into_iter().collect::<String>().trim_end().to_owned())
        .collect()
}
