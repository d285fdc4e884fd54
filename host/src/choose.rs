//! Choosing one of several items on a terminal, as ecsta's built-in filter does for ecspresso's
//! `exec` and `tasks` when no filter command is set: the candidate lines are shown, then
//! `Enter <title>: ` asks for the first field of one of them (a unique prefix is enough); and
//! yes/no questions as ecspresso's `init` asks them (Songmu/prompter's `YN`). The caller checks
//! that it runs on a terminal; this module only reads and writes the streams it is given.

use std::io::{BufRead, Write};

/// Why nothing was chosen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input ended before an item was chosen.
    #[error("no {title} was chosen")]
    NotChosen {
        /// What was asked for, e.g. `task ID`.
        title: String,
    },
    /// The terminal could not be read or written.
    #[error("cannot ask for a {title}: {source}")]
    Io {
        /// What was asked for.
        title: String,
        /// The failure.
        source: std::io::Error,
    },
}

/// Shows `lines`, then asks for the first whitespace-separated field of one of them until an
/// answer names exactly one (exact, or a unique prefix); answers `no such item X` and
/// `X is ambiguous` as ecsta does, and confirms with `<title>=<item>`.
pub fn prompt(
    lines: &[String],
    title: &str,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> Result<String, Error> {
    let io = |source| Error::Io {
        title: title.to_owned(),
        source,
    };
    let items: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for line in lines {
        writeln!(output, "{line}").map_err(io)?;
    }
    loop {
        write!(output, "Enter {title}: ").map_err(io)?;
        output.flush().map_err(io)?;
        let mut answer = String::new();
        if input.read_line(&mut answer).map_err(io)? == 0 {
            return Err(Error::NotChosen {
                title: title.to_owned(),
            });
        }
        let answer = answer.trim();
        if answer.is_empty() {
            continue;
        }
        let found: Vec<&str> = match items.iter().find(|item| **item == answer) {
            Some(exact) => vec![exact],
            None => items
                .iter()
                .copied()
                .filter(|item| item.starts_with(answer))
                .collect(),
        };
        match found.as_slice() {
            [] => writeln!(output, "no such item {answer}").map_err(io)?,
            [one] => {
                writeln!(output, "{title}={one}").map_err(io)?;
                return Ok((*one).to_owned());
            }
            _ => writeln!(output, "{answer} is ambiguous").map_err(io)?,
        }
    }
}

/// Asks `question (y/n) [n]: ` until the answer is `y`/`yes` (true), `n`/`no` or empty
/// (false, the default), case-insensitively, as prompter's `YN(question, false)`; the end of
/// input answers no.
pub fn confirm(
    question: &str,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> Result<bool, Error> {
    let io = |source| Error::Io {
        title: "answer".to_owned(),
        source,
    };
    loop {
        write!(output, "{question} (y/n) [n]: ").map_err(io)?;
        output.flush().map_err(io)?;
        let mut answer = String::new();
        if input.read_line(&mut answer).map_err(io)? == 0 {
            writeln!(output).map_err(io)?;
            return Ok(false);
        }
        match answer.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => return Ok(true),
            "" | "n" | "no" => return Ok(false),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(answers: &str) -> (Result<String, Error>, String) {
        let lines = vec![
            "0a1b2c\tweb:3\tRUNNING".to_owned(),
            "0a9f00\tweb:3\tRUNNING".to_owned(),
            "7d7d7d\tweb:2\tRUNNING".to_owned(),
        ];
        let mut output = Vec::new();
        let chosen = prompt(&lines, "task ID", &mut answers.as_bytes(), &mut output);
        (chosen, String::from_utf8(output).unwrap())
    }

    #[test]
    fn a_unique_prefix_or_exact_id_chooses() {
        let (chosen, shown) = ask("0a\nzz\n\n0a9\n");
        assert_eq!(chosen.unwrap(), "0a9f00");
        assert!(shown.starts_with("0a1b2c\tweb:3\tRUNNING\n"));
        assert!(shown.contains("Enter task ID: 0a is ambiguous\n"));
        assert!(shown.contains("no such item zz\n"));
        assert!(shown.ends_with("task ID=0a9f00\n"));
        assert_eq!(ask("7d7d7d\n").0.unwrap(), "7d7d7d");
    }

    #[test]
    fn the_end_of_input_chooses_nothing() {
        let (chosen, _) = ask("nope\n");
        assert_eq!(chosen.unwrap_err().to_string(), "no task ID was chosen");
    }

    #[test]
    fn yes_no_questions_default_to_no_and_ask_again_on_other_answers() {
        let ask = |typed: &str| {
            let mut output = Vec::new();
            let answer = confirm(
                "Overwrite existing file a.json?",
                &mut typed.as_bytes(),
                &mut output,
            );
            (answer.unwrap(), String::from_utf8(output).unwrap())
        };
        assert!(ask("y\n").0);
        assert!(ask("YES\n").0);
        assert!(!ask("\n").0);
        assert!(!ask("").0);
        let (answer, shown) = ask("maybe\nn\n");
        assert!(!answer);
        assert_eq!(
            shown
                .matches("Overwrite existing file a.json? (y/n) [n]: ")
                .count(),
            2
        );
    }
}
