//! Docs tests: the user documentation (README.md, docs/, the SDK and plugin READMEs) is checked
//! against the code so it cannot drift.
//!
//! - docs/commands.md is exactly what `reference::commands_markdown` renders from the clap
//!   definitions (`UPDATE_DOCS=1 cargo test -p ristretto --test docs` rewrites it);
//! - every `ristretto …` command line in a shell or CI code block parses with clap;
//! - docs/config-reference.md lists every key of the config model, and nothing else;
//! - a code block preceded by `<!-- file: PATH -->` equals that repository file (the plugin
//!   guide quotes its example plugin whole);
//! - relative links between the documents point at files that exist;
//! - each Japanese translation (docs/ja/) has the sections (heading levels, in order) and the
//!   `ristretto` command lines of its English original.

mod reference;
mod shell;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::Parser;

/// The repository root.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The documents whose command lines and links are checked, relative to the repository.
fn documents() -> Vec<String> {
    let mut documents = vec![
        "README.md".to_owned(),
        "plugin-sdk/README.md".to_owned(),
        "plugins/README.md".to_owned(),
    ];
    let mut docs: Vec<String> = std::fs::read_dir(repo_root().join("docs"))
        .expect("docs/ exists")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    documents.extend(docs);
    documents.extend(japanese_documents().into_iter().map(|(ja, _)| ja));
    documents
}

/// The Japanese translations, each with its English original (relative to the repository).
fn japanese_documents() -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::fs::read_dir(repo_root().join("docs/ja"))
        .expect("docs/ja/ exists")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| {
            let english = if name == "README.md" {
                "README.md".to_owned()
            } else {
                format!("docs/{name}")
            };
            (format!("docs/ja/{name}"), english)
        })
        .collect();
    found.sort();
    found
}

/// The levels of a document's headings outside code fences, in order.
fn heading_levels(markdown: &str) -> Vec<usize> {
    let mut in_fence = false;
    let mut levels = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if !in_fence && (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            levels.push(hashes);
        }
    }
    levels
}

#[test]
fn japanese_docs_have_the_sections_and_commands_of_the_english_ones() {
    let pairs = japanese_documents();
    assert!(
        pairs.len() >= 5,
        "expected the Japanese docs, found {pairs:?}"
    );
    let mut problems = Vec::new();
    for (japanese, english) in pairs {
        assert!(
            repo_root().join(&english).exists(),
            "{japanese} has no English original {english}"
        );
        let (ja, en) = (read(&japanese), read(&english));
        if heading_levels(&ja) != heading_levels(&en) {
            problems.push(format!(
                "{japanese}: heading levels {:?} differ from {english}'s {:?}",
                heading_levels(&ja),
                heading_levels(&en)
            ));
        }
        let commands = |text: &str| {
            let mut all: Vec<String> = shell::invocations(text)
                .into_iter()
                .map(|i| i.words.join(" "))
                .collect();
            all.sort();
            all
        };
        let (ja_commands, en_commands) = (commands(&ja), commands(&en));
        for missing in en_commands.iter().filter(|c| !ja_commands.contains(c)) {
            problems.push(format!("{japanese}: lacks `{missing}` of {english}"));
        }
        for extra in ja_commands.iter().filter(|c| !en_commands.contains(c)) {
            problems.push(format!("{japanese}: has `{extra}`, which {english} lacks"));
        }
    }
    assert!(
        problems.is_empty(),
        "the Japanese docs are out of step with the English ones:\n{}",
        problems.join("\n")
    );
}

#[test]
fn commands_md_matches_the_clap_definitions() {
    let expected = reference::commands_markdown();
    let path = repo_root().join("docs/commands.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).expect("write docs/commands.md");
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual != expected {
        let diff = similar::TextDiff::from_lines(&actual, &expected)
            .unified_diff()
            .context_radius(2)
            .header("docs/commands.md", "generated from the clap definitions")
            .to_string();
        panic!(
            "docs/commands.md is stale; regenerate it with `UPDATE_DOCS=1 cargo test -p ristretto --test docs` and review the diff:\n{diff}"
        );
    }
}

#[test]
fn every_documented_command_line_parses() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for document in documents() {
        let text = read(&document);
        let found = shell::invocations(&text);
        if document == "README.md" || document == "docs/getting-started.md" {
            assert!(
                found.len() >= 5,
                "{document}: expected its ristretto command lines to be found, found {found:?}"
            );
        }
        for invocation in found {
            checked += 1;
            if let Err(err) = ristretto::cli::Cli::try_parse_from(&invocation.words) {
                use clap::error::ErrorKind;
                if !matches!(
                    err.kind(),
                    ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
                ) {
                    let message = err.to_string();
                    let first = message.lines().next().unwrap_or_default();
                    problems.push(format!(
                        "{document}:{}: `{}`: {first}",
                        invocation.line,
                        invocation.words.join(" ")
                    ));
                }
            }
        }
    }
    assert!(checked > 0, "no command lines found");
    assert!(
        problems.is_empty(),
        "command lines in the docs that ristretto would reject:\n{}",
        problems.join("\n")
    );
}

/// The field names a serde-deserialized struct accepts, read from its `Deserialize` impl.
fn struct_fields<'de, T: serde::Deserialize<'de>>() -> &'static [&'static str] {
    use serde::de::{Error as _, Visitor};

    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Self::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(Self::Error::custom("probed"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

/// Every key path of the config model: `cluster`, `plugins`, `plugins[].allow.http`, ….
fn model_keys() -> BTreeSet<String> {
    use ristretto::config::{
        CodeDeployConfig, ConfigFile, IgnoreConfig, PluginAllow, PluginEntry, PluginLimits,
    };
    let mut keys = BTreeSet::new();
    let mut add = |prefix: &str, fields: &[&str]| {
        for field in fields {
            keys.insert(format!("{prefix}{field}"));
        }
    };
    add("", struct_fields::<ConfigFile>());
    add("plugins[].", struct_fields::<PluginEntry>());
    add("plugins[].allow.", struct_fields::<PluginAllow>());
    add("plugins[].limits.", struct_fields::<PluginLimits>());
    add("codedeploy.", struct_fields::<CodeDeployConfig>());
    add("ignore.", struct_fields::<IgnoreConfig>());
    keys
}

/// The keys docs/config-reference.md documents: the first cell of its table rows.
fn documented_keys(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(key, _)| key.to_owned()))
        .collect()
}

/// Every key path of the fleet file: `concurrency`, `services.<name>.config`, ….
fn fleet_keys() -> BTreeSet<String> {
    use ristretto::fleet::{FleetFile, FleetService};
    let mut keys: BTreeSet<String> = struct_fields::<FleetFile>()
        .iter()
        .map(|f| (*f).to_owned())
        .collect();
    keys.extend(
        struct_fields::<FleetService>()
            .iter()
            .map(|f| format!("services.<name>.{f}")),
    );
    keys
}

fn compare_keys(what: &str, model: &BTreeSet<String>, documented: &BTreeSet<String>) {
    let missing: Vec<_> = model.difference(documented).collect();
    let unknown: Vec<_> = documented.difference(model).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "docs/config-reference.md and the {what} differ\n\
         keys of the model missing from the reference: {missing:?}\n\
         keys in the reference that the model does not have: {unknown:?}"
    );
}

#[test]
fn config_reference_lists_every_key_of_the_model() {
    let model = model_keys();
    assert!(
        model.contains("cluster") && model.contains("plugins[].limits.memory"),
        "the model probe found {model:?}"
    );
    let reference = read("docs/config-reference.md");
    let (config, fleet) = reference
        .split_once("\n## Fleet files")
        .expect("docs/config-reference.md has a `## Fleet files` section");
    compare_keys(
        "config model (host/src/config/model.rs)",
        &model,
        &documented_keys(config),
    );
    compare_keys(
        "fleet file model (host/src/fleet/file.rs)",
        &fleet_keys(),
        &documented_keys(fleet),
    );
}

/// `(line, path, block)` for every fenced block right after a `<!-- file: PATH -->` line.
fn quoted_files(markdown: &str) -> Vec<(usize, String, String)> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut quoted = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(path) = line
            .trim()
            .strip_prefix("<!-- file:")
            .and_then(|rest| rest.strip_suffix("-->"))
        else {
            continue;
        };
        let fence = lines.get(index + 1).copied().unwrap_or_default();
        assert!(
            fence.trim_start().starts_with("```"),
            "line {}: `<!-- file: … -->` must be followed by a code block",
            index + 1
        );
        let indent = fence.len() - fence.trim_start().len();
        let body: Vec<&str> = lines[index + 2..]
            .iter()
            .take_while(|l| l.trim() != "```")
            .map(|l| l.get(indent..).unwrap_or_else(|| l.trim_start()))
            .collect();
        quoted.push((index + 1, path.trim().to_owned(), body.join("\n") + "\n"));
    }
    quoted
}

#[test]
fn quoted_files_equal_the_repository_files() {
    let mut problems = Vec::new();
    let mut quoted_paths = BTreeSet::new();
    for document in documents() {
        for (line, path, block) in quoted_files(&read(&document)) {
            let actual = std::fs::read_to_string(repo_root().join(&path)).unwrap_or_default();
            if actual != block {
                problems.push(format!(
                    "{document}:{line}: the code block differs from {path}:\n{}",
                    similar::TextDiff::from_lines(&actual, &block).unified_diff()
                ));
            }
            quoted_paths.insert(path);
        }
    }
    for required in [
        "plugins/examples/webhook-notify/src/lib.rs",
        "examples/hello/ecspresso.yml",
    ] {
        assert!(
            quoted_paths.contains(required),
            "no document quotes {required} (expected in the guides)"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn relative_links_point_at_existing_files() {
    let mut problems = Vec::new();
    for document in documents() {
        let base = repo_root().join(&document);
        let dir = base.parent().map(Path::to_path_buf).unwrap_or_default();
        let text = read(&document);
        for (number, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(start) = rest.find("](") {
                rest = &rest[start + 2..];
                let Some(end) = rest.find(')') else { break };
                let target = &rest[..end];
                rest = &rest[end..];
                let file = target.split('#').next().unwrap_or_default();
                if file.is_empty() || file.contains("://") || file.starts_with("mailto:") {
                    continue;
                }
                if !dir.join(file).exists() {
                    problems.push(format!("{document}:{}: {target}", number + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

/// The inputs `action.yml` declares.
fn action_inputs() -> BTreeSet<String> {
    let action: serde_json::Value =
        serde_yaml_ng::from_str(&read("action.yml")).expect("action.yml is YAML");
    assert_eq!(action["runs"]["using"], "composite", "a composite action");
    action["inputs"]
        .as_object()
        .expect("action.yml has inputs")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn action_inputs_are_documented_in_ci_md() {
    let inputs = action_inputs();
    assert!(
        inputs.contains("version") && inputs.contains("plugins"),
        "{inputs:?}"
    );
    let ci = read("docs/ci.md");
    let (_, section) = ci
        .split_once("### The action")
        .expect("docs/ci.md has a `### The action` section");
    let section = section.split("\n### ").next().unwrap_or_default();
    compare_inputs(&inputs, &documented_keys(section));
    // Every script the action runs exists and is executable.
    let action = read("action.yml");
    for script in action
        .split("$GITHUB_ACTION_PATH/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
    {
        let path = repo_root().join(script);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("action.yml runs {script}: {e}"))
            .permissions();
        use std::os::unix::fs::PermissionsExt;
        assert!(mode.mode() & 0o111 != 0, "{script} is not executable");
    }
}

fn compare_inputs(inputs: &BTreeSet<String>, documented: &BTreeSet<String>) {
    let missing: Vec<_> = inputs.difference(documented).collect();
    let unknown: Vec<_> = documented.difference(inputs).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "docs/ci.md and action.yml differ\n\
         inputs missing from the table: {missing:?}\n\
         documented inputs action.yml does not have: {unknown:?}"
    );
}

#[test]
fn install_script_installs_a_release_the_action_would_download() {
    let dir = tempfile::tempdir().expect("temp dir");
    let release = dir.path().join("acme/ristretto/releases/download/v0.1.0");
    let package = dir.path().join("package/ristretto-0.1.0");
    std::fs::create_dir_all(&release).expect("release dir");
    std::fs::create_dir_all(&package).expect("package dir");
    std::fs::copy(env!("CARGO_BIN_EXE_ristretto"), package.join("ristretto")).expect("copy");
    let tarball = release.join("ristretto-x86_64-unknown-linux-gnu.tar.gz");
    let status = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(dir.path().join("package"))
        .arg("ristretto-0.1.0")
        .status()
        .expect("run tar");
    assert!(status.success());
    let install = |version: &str| {
        std::process::Command::new(repo_root().join("scripts/install-ristretto"))
            .args(["--version", version, "--repository", "acme/ristretto"])
            .args(["--target", "x86_64-unknown-linux-gnu", "--dir"])
            .arg(dir.path().join("bin"))
            .env(
                "RISTRETTO_DOWNLOAD_BASE",
                format!("file://{}", dir.path().display()),
            )
            .output()
            .expect("run scripts/install-ristretto")
    };
    let output = install("v0.1.0");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let installed = dir.path().join("bin/ristretto");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        installed.display().to_string()
    );
    let version = std::process::Command::new(&installed)
        .arg("--version")
        .output()
        .expect("run the installed binary");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("ristretto {}", env!("CARGO_PKG_VERSION"))
    );
    let missing = install("9.9.9");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("is v9.9.9 released for x86_64-unknown-linux-gnu?"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

#[test]
fn the_docs_command_serves_the_documents_of_this_checkout() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ristretto"))
            .args(args)
            .env_remove("RISTRETTO_LOG_FORMAT")
            .output()
            .expect("run ristretto docs")
    };
    let readme = run(&["docs"]);
    assert!(readme.status.success());
    assert_eq!(String::from_utf8_lossy(&readme.stdout), read("README.md"));
    let guide = run(&["docs", "plugin-guide"]);
    assert_eq!(
        String::from_utf8_lossy(&run(&["docs", "--article", "plugin-guide"]).stdout),
        String::from_utf8_lossy(&guide.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&guide.stdout),
        read("docs/plugin-guide.md")
    );
    let found = run(&["docs", "--search", "PRE_PRODUCTION_TRAFFIC_SHIFT", "--json"]);
    assert!(found.status.success());
    let sections: serde_json::Value = serde_json::from_slice(&found.stdout).expect("JSON");
    assert!(
        sections
            .as_array()
            .is_some_and(|all| all.iter().any(|s| s["article"] == "blue-green"
                && s["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("PRE_PRODUCTION_TRAFFIC_SHIFT")))),
        "{sections}"
    );
    let japanese = run(&["docs", "--lang", "ja", "blue-green"]);
    assert!(japanese.status.success());
    assert_eq!(
        String::from_utf8_lossy(&japanese.stdout),
        read("docs/ja/blue-green.md")
    );
    let fallback = run(&["docs", "--lang", "ja", "ci"]);
    assert_eq!(
        String::from_utf8_lossy(&fallback.stdout),
        read("docs/ci.md")
    );
    assert!(
        String::from_utf8_lossy(&fallback.stderr).contains("not translated into Japanese"),
        "{}",
        String::from_utf8_lossy(&fallback.stderr)
    );
    let listed = run(&["docs", "--lang", "ja", "--list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("はじめに"));
    let found = run(&["docs", "--lang", "ja", "--search", "ロールバック", "--json"]);
    let sections: serde_json::Value = serde_json::from_slice(&found.stdout).expect("JSON");
    assert!(
        sections.as_array().is_some_and(|all| all.len() > 3),
        "{sections}"
    );
    let missing = run(&["docs", "--search", "no-such-words-anywhere"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no section mentions"));
    let unknown = run(&["docs", "--article", "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("no article `nope`: the articles are readme, getting-started")
    );
}
