//! Golden tests of `ristretto` run offline on fixture directories: tests/golden/<area>/<case>/
//! holds the inputs, `cmd` (the arguments, one line; single quotes group words), an optional
//! `env` (KEY=VALUE lines, the only environment besides PATH and HOME), and `expected`: the exit
//! code, stdout and stderr (timestamps filtered). `RISTRETTO_BLESS=1` rewrites `expected`.

use std::path::Path;

use crate::support::{TestContext, repo_root, run, text};

#[test]
fn render_cases() {
    check_area("render");
}

fn check_area(area: &str) {
    let root = repo_root().join("tests/golden").join(area);
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("read {}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", root.display());
    let bless = std::env::var_os("RISTRETTO_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let actual = run_case(case);
        let expected_path = case.join("expected");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            if bless {
                std::fs::write(&expected_path, &actual).expect("bless");
            } else {
                failures.push(format!(
                    "=== {}\n--- expected\n{expected}\n--- actual\n{actual}",
                    case.display()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden cases differ (RISTRETTO_BLESS=1 rewrites them):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn run_case(case: &Path) -> String {
    let context = TestContext::offline();
    let cmd = std::fs::read_to_string(case.join("cmd"))
        .unwrap_or_else(|e| panic!("{}: cmd: {e}", case.display()));
    let mut command = context.ristretto();
    command.current_dir(case).args(split_args(cmd.trim()));
    if let Ok(env) = std::fs::read_to_string(case.join("env")) {
        for line in env.lines().filter(|l| !l.trim().is_empty()) {
            let (key, value) = line.split_once('=').unwrap_or((line, ""));
            command.env(key, value);
        }
    }
    let output = run(&mut command);
    let case_dir = case.canonicalize().unwrap_or_else(|_| case.to_path_buf());
    let filter = |bytes: &[u8]| text(bytes).replace(&case_dir.display().to_string(), "<CASE>");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or_else(|| "signal".to_owned(), |c| c.to_string()),
        filter(&output.stdout),
        filter(&output.stderr)
    )
}

/// Splits on whitespace; `'single quotes'` group words.
fn split_args(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    args.push(std::mem::take(&mut current));
                    started = false;
                }
            }
            c => {
                current.push(c);
                started = true;
            }
        }
    }
    if started {
        args.push(current);
    }
    args
}
