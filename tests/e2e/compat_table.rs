//! The per-Go-test-file table of the ecspresso compatibility suite (#15), computed so that it
//! cannot drift: `tests/compat/go-tests.json` lists kayac/ecspresso's Go test files, their test
//! functions, how many assertions each makes and why any are not translated; the number of
//! cases is counted from the `go_test` of every `tests/compat/*/case.json`. The table in
//! tests/compat/README.md and the case counts stated in README.md and
//! docs/migrating-from-ecspresso.md must equal what this computes; `UPDATE_DOCS=1` rewrites
//! them. Offline: no emulator, no binary.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::support::repo_root;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoTests {
    #[allow(dead_code)]
    about: String,
    files: Vec<GoFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoFile {
    file: String,
    tests: Vec<GoTest>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoTest {
    name: String,
    /// Assertions the Go test makes (table rows or separate checks).
    rows: usize,
    /// How many of them have no compat case.
    #[serde(default)]
    untranslated: usize,
    /// Why (required when `untranslated` > 0).
    #[serde(default)]
    why: String,
    /// The file holding the same test under the same name (an older copy), where its cases
    /// are counted.
    #[serde(default)]
    copy_of: Option<String>,
}

impl GoTest {
    /// The cases that name this test (none for a copy: they count for the original).
    fn cases(&self, cases: &BTreeMap<String, usize>) -> usize {
        if self.copy_of.is_some() {
            return 0;
        }
        cases.get(&self.name).copied().unwrap_or(0)
    }
}

/// Where the generated text goes: a file and the markers around it.
struct Generated {
    file: &'static str,
    begin: &'static str,
    end: &'static str,
    text: String,
}

#[test]
fn the_go_test_table_and_case_counts_match_the_cases() {
    let root = repo_root();
    let json = std::fs::read_to_string(root.join("tests/compat/go-tests.json"))
        .unwrap_or_else(|e| panic!("read tests/compat/go-tests.json: {e}"));
    let go: GoTests =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("tests/compat/go-tests.json: {e}"));
    let cases = case_counts(&root.join("tests/compat"));
    let mut problems = check(&go, &cases);

    let own = cases.get("").copied().unwrap_or(0);
    let total: usize = cases.values().sum();
    let from_go = total - own;
    let count = format!(
        "{total} cases ({from_go} translated from kayac/ecspresso's own Go tests, {own} checks of ecspresso behaviour no Go test asserts)"
    );
    let generated = [
        Generated {
            file: "tests/compat/README.md",
            begin: "<!-- go-tests:begin -->",
            end: "<!-- go-tests:end -->",
            text: table(&go, &cases),
        },
        Generated {
            file: "README.md",
            begin: "<!-- compat-count:begin -->",
            end: "<!-- compat-count:end -->",
            text: count.clone(),
        },
        Generated {
            file: "docs/migrating-from-ecspresso.md",
            begin: "<!-- compat-count:begin -->",
            end: "<!-- compat-count:end -->",
            text: count,
        },
    ];
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    for generated in &generated {
        if let Some(problem) = compare_or_update(&root, generated, update) {
            problems.push(problem);
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(UPDATE_DOCS=1 rewrites the generated parts)",
        problems.join("\n")
    );
}

/// Cases per Go test function; `""` counts the cases no Go test asserts (`go_test` "none: …").
fn case_counts(dir: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path().join("case.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let case: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let go_test = case["go_test"].as_str().unwrap_or_default();
        let key = if go_test.starts_with("none") {
            String::new()
        } else {
            go_test.to_owned()
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// What is inconsistent between go-tests.json and the cases.
fn check(go: &GoTests, cases: &BTreeMap<String, usize>) -> Vec<String> {
    let mut problems = Vec::new();
    let listed: Vec<&str> = go
        .files
        .iter()
        .flat_map(|f| f.tests.iter().map(|t| t.name.as_str()))
        .collect();
    for name in cases.keys().filter(|n| !n.is_empty()) {
        if !listed.contains(&name.as_str()) {
            problems.push(format!(
                "cases name go_test {name}, which tests/compat/go-tests.json does not list"
            ));
        }
    }
    for file in &go.files {
        for test in &file.tests {
            let here = test.cases(cases);
            let label = format!("{} {}", file.file, test.name);
            if let Some(original) = &test.copy_of
                && !go
                    .files
                    .iter()
                    .any(|f| &f.file == original && f.tests.iter().any(|t| t.name == test.name))
            {
                problems.push(format!(
                    "{label}: copy_of {original}, which has no such test"
                ));
            }
            if test.untranslated > test.rows {
                problems.push(format!("{label}: more untranslated than rows"));
            }
            if test.untranslated > 0 && test.why.trim().is_empty() {
                problems.push(format!("{label}: untranslated rows need a why"));
            }
            if test.untranslated == 0 && !test.why.is_empty() {
                problems.push(format!("{label}: a why without untranslated rows"));
            }
            if test.rows > test.untranslated && here == 0 {
                problems.push(format!(
                    "{label}: {} rows translated but no case names it",
                    test.rows - test.untranslated
                ));
            }
            if test.rows == test.untranslated && here > 0 {
                problems.push(format!(
                    "{label}: {here} case(s) name it, but every row is marked untranslated"
                ));
            }
        }
    }
    problems
}

/// The markdown table: one summary line per file, then every test with its reasons.
fn table(go: &GoTests, cases: &BTreeMap<String, usize>) -> String {
    let mut summary = String::from(
        "| ecspresso test file | assertions | translated | cases here |\n|---|---:|---:|---:|\n",
    );
    let mut detail = String::from(
        "| ecspresso test | assertions | translated | cases here | not translated, and why |\n|---|---:|---:|---:|---|\n",
    );
    let (mut all_rows, mut all_done, mut all_cases) = (0, 0, 0);
    for file in &go.files {
        let rows: usize = file.tests.iter().map(|t| t.rows).sum();
        let done: usize = file.tests.iter().map(|t| t.rows - t.untranslated).sum();
        let here: usize = file.tests.iter().map(|t| t.cases(cases)).sum();
        let note = if file.tests.is_empty() {
            " (helpers only, no tests)"
        } else if rows == 0 {
            " (no assertions: t.Log only)"
        } else {
            ""
        };
        summary.push_str(&format!(
            "| `{}`{note} | {rows} | {done} | {here} |\n",
            file.file
        ));
        (all_rows, all_done, all_cases) = (all_rows + rows, all_done + done, all_cases + here);
        for test in &file.tests {
            let here = test.cases(cases);
            let why = if test.untranslated > 0 {
                format!("{}: {}", test.untranslated, test.why)
            } else {
                String::new()
            };
            detail.push_str(&format!(
                "| `{}` {} | {} | {} | {here} | {why} |\n",
                file.file,
                test.name,
                test.rows,
                test.rows - test.untranslated
            ));
        }
    }
    summary.push_str(&format!(
        "| **all** | **{all_rows}** | **{all_done}** | **{all_cases}** |\n"
    ));
    format!("\n{summary}\n{detail}\n")
}

/// Compares the text between the markers with the generated one (or rewrites it); a problem
/// when they differ or the markers are missing.
fn compare_or_update(root: &Path, generated: &Generated, update: bool) -> Option<String> {
    let path = root.join(generated.file);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (Some(start), Some(end)) = (text.find(generated.begin), text.find(generated.end)) else {
        return Some(format!(
            "{}: the markers {} … {} are missing",
            generated.file, generated.begin, generated.end
        ));
    };
    let inner = start + generated.begin.len();
    if end < inner {
        return Some(format!("{}: the markers are out of order", generated.file));
    }
    if text[inner..end] == generated.text {
        return None;
    }
    if update {
        let rewritten = format!("{}{}{}", &text[..inner], generated.text, &text[end..]);
        return std::fs::write(&path, rewritten)
            .err()
            .map(|e| format!("{}: {e}", generated.file));
    }
    Some(format!(
        "{} is out of date between {} and {}:\nexpected:\n{}\nfound:\n{}",
        generated.file,
        generated.begin,
        generated.end,
        generated.text,
        &text[inner..end]
    ))
}
