//! `ristretto plugin new`: a ready-to-build plugin project in Rust, Python or JavaScript with
//! one hook, a build script, a README and a `test.sh` that runs the hook with `plugin test`.
//! The templates are files under `host/templates/plugin/`, compiled in; the Python and
//! JavaScript projects get the plugin contract (`wit/`, with its WASI dependencies) as this
//! ristretto implements it.

use std::path::{Path, PathBuf};

/// The languages a project can be created in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Rust with `ristretto-plugin-sdk`, built by cargo for wasm32-wasip2.
    Rust,
    /// Python, built by componentize-py.
    Python,
    /// JavaScript, built by componentize-js.
    JavaScript,
}

/// The hooks a project can implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// Rewrites definitions.
    Transform,
    /// Template functions.
    Functions,
    /// A gate.
    Gate,
    /// Lifecycle notifications.
    Notify,
}

impl HookKind {
    /// Every hook, in the order the templates list them.
    pub const ALL: [HookKind; 4] = [Self::Transform, Self::Functions, Self::Gate, Self::Notify];

    /// The capability name (`transform`, `functions`, `gate`, `notify`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Transform => "transform",
            Self::Functions => "functions",
            Self::Gate => "gate",
            Self::Notify => "notify",
        }
    }
}

/// Where the Rust SDK comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkSource {
    /// ristretto's git repository.
    Git,
    /// A local checkout of `plugin-sdk/`.
    Path(PathBuf),
}

/// What to create.
#[derive(Debug, Clone)]
pub struct NewPlugin {
    /// The plugin's name: lowercase letters, digits and `-`, starting with a letter.
    pub name: String,
    /// The language.
    pub language: Language,
    /// The hook it implements.
    pub hook: HookKind,
    /// The directory to create (must not exist, or be empty).
    pub dir: PathBuf,
    /// Rust only: where the SDK comes from.
    pub sdk: SdkSource,
}

/// Why a project could not be created.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The name cannot be a plugin name.
    #[error(
        "`{0}` cannot name a plugin: use lowercase letters, digits and `-`, starting with a letter"
    )]
    BadName(String),
    /// The directory exists and has files.
    #[error("{} exists and is not empty; choose a new directory", .0.display())]
    NotEmpty(PathBuf),
    /// Writing a file failed.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The plugin contract as this ristretto implements it, for toolchains that read WIT.
const WIT: [(&str, &str); 11] = [
    ("wit/world.wit", include_str!("../../../wit/world.wit")),
    ("wit/types.wit", include_str!("../../../wit/types.wit")),
    ("wit/hooks.wit", include_str!("../../../wit/hooks.wit")),
    ("wit/host.wit", include_str!("../../../wit/host.wit")),
    (
        "wit/deps/cli/cli.wit",
        include_str!("../../../wit/deps/cli/cli.wit"),
    ),
    (
        "wit/deps/clocks/clocks.wit",
        include_str!("../../../wit/deps/clocks/clocks.wit"),
    ),
    (
        "wit/deps/filesystem/filesystem.wit",
        include_str!("../../../wit/deps/filesystem/filesystem.wit"),
    ),
    (
        "wit/deps/http/http.wit",
        include_str!("../../../wit/deps/http/http.wit"),
    ),
    (
        "wit/deps/io/io.wit",
        include_str!("../../../wit/deps/io/io.wit"),
    ),
    (
        "wit/deps/random/random.wit",
        include_str!("../../../wit/deps/random/random.wit"),
    ),
    (
        "wit/deps/sockets/sockets.wit",
        include_str!("../../../wit/deps/sockets/sockets.wit"),
    ),
];

/// Templates every project gets.
const README: &str = include_str!("../../templates/plugin/common/README.md");
const TEST_SH: &str = include_str!("../../templates/plugin/common/test.sh");
const TASK_DEFINITION: &str = include_str!("../../templates/plugin/common/task-definition.json");

/// Per hook: the checks of `test.sh` and the README's section.
fn hook_texts(hook: HookKind) -> (&'static str, &'static str) {
    match hook {
        HookKind::Transform => (
            include_str!("../../templates/plugin/common/hooks/transform.sh"),
            include_str!("../../templates/plugin/common/hooks/transform.md"),
        ),
        HookKind::Functions => (
            include_str!("../../templates/plugin/common/hooks/functions.sh"),
            include_str!("../../templates/plugin/common/hooks/functions.md"),
        ),
        HookKind::Gate => (
            include_str!("../../templates/plugin/common/hooks/gate.sh"),
            include_str!("../../templates/plugin/common/hooks/gate.md"),
        ),
        HookKind::Notify => (
            include_str!("../../templates/plugin/common/hooks/notify.sh"),
            include_str!("../../templates/plugin/common/hooks/notify.md"),
        ),
    }
}

/// Rust: `src/lib.rs` per hook.
fn rust_source(hook: HookKind) -> &'static str {
    match hook {
        HookKind::Transform => include_str!("../../templates/plugin/rust/hooks/transform.rs"),
        HookKind::Functions => include_str!("../../templates/plugin/rust/hooks/functions.rs"),
        HookKind::Gate => include_str!("../../templates/plugin/rust/hooks/gate.rs"),
        HookKind::Notify => include_str!("../../templates/plugin/rust/hooks/notify.rs"),
    }
}

/// Python: a hook's class, implemented (`real`) or inert.
fn python_class(hook: HookKind, real: bool) -> &'static str {
    match (hook, real) {
        (HookKind::Transform, true) => {
            include_str!("../../templates/plugin/python/hooks/transform.py")
        }
        (HookKind::Functions, true) => {
            include_str!("../../templates/plugin/python/hooks/functions.py")
        }
        (HookKind::Gate, true) => include_str!("../../templates/plugin/python/hooks/gate.py"),
        (HookKind::Notify, true) => include_str!("../../templates/plugin/python/hooks/notify.py"),
        (HookKind::Transform, false) => {
            include_str!("../../templates/plugin/python/inert/transform.py")
        }
        (HookKind::Functions, false) => {
            include_str!("../../templates/plugin/python/inert/functions.py")
        }
        (HookKind::Gate, false) => include_str!("../../templates/plugin/python/inert/gate.py"),
        (HookKind::Notify, false) => include_str!("../../templates/plugin/python/inert/notify.py"),
    }
}

/// JavaScript: a hook's export, implemented (`real`) or inert.
fn js_export(hook: HookKind, real: bool) -> &'static str {
    match (hook, real) {
        (HookKind::Transform, true) => include_str!("../../templates/plugin/js/hooks/transform.js"),
        (HookKind::Functions, true) => include_str!("../../templates/plugin/js/hooks/functions.js"),
        (HookKind::Gate, true) => include_str!("../../templates/plugin/js/hooks/gate.js"),
        (HookKind::Notify, true) => include_str!("../../templates/plugin/js/hooks/notify.js"),
        (HookKind::Transform, false) => {
            include_str!("../../templates/plugin/js/inert/transform.js")
        }
        (HookKind::Functions, false) => {
            include_str!("../../templates/plugin/js/inert/functions.js")
        }
        (HookKind::Gate, false) => include_str!("../../templates/plugin/js/inert/gate.js"),
        (HookKind::Notify, false) => include_str!("../../templates/plugin/js/inert/notify.js"),
    }
}

/// One file of a project: path relative to the project, text, executable or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    /// Path inside the project.
    pub path: String,
    /// Contents.
    pub text: String,
    /// Whether it is a script (mode 755).
    pub executable: bool,
}

/// The files of the project `new` describes, without writing anything.
pub fn files(new: &NewPlugin) -> Result<Vec<ProjectFile>, Error> {
    if !valid_name(&new.name) {
        return Err(Error::BadName(new.name.clone()));
    }
    let crate_name = new.name.replace('-', "_");
    let (checks, usage) = hook_texts(new.hook);
    let (language, toolchain, mut project) = match new.language {
        Language::Rust => (
            "Rust",
            include_str!("../../templates/plugin/rust/toolchain.md"),
            rust_files(new),
        ),
        Language::Python => (
            "Python",
            include_str!("../../templates/plugin/python/toolchain.md"),
            python_files(new),
        ),
        Language::JavaScript => (
            "JavaScript",
            include_str!("../../templates/plugin/js/toolchain.md"),
            js_files(new),
        ),
    };
    let readme = README
        .replace("{{toolchain}}", toolchain.trim_end())
        .replace("{{usage}}", usage.trim_end())
        .replace("{{language}}", language);
    project.push(file("README.md", &readme, false));
    project.push(file(
        "test.sh",
        &TEST_SH.replace("{{checks}}", checks.trim_end()),
        true,
    ));
    if new.hook == HookKind::Transform {
        project.push(file("task-definition.json", TASK_DEFINITION, false));
    }
    if new.language != Language::Rust {
        project.extend(WIT.iter().map(|(path, text)| file(path, text, false)));
    }
    let sdk = match &new.sdk {
        SdkSource::Git => r#"{ git = "https://github.com/ristretto-ecs/ristretto" }"#.to_owned(),
        SdkSource::Path(path) => {
            format!("{{ path = {} }}", toml_string(&path.display().to_string()))
        }
    };
    for entry in &mut project {
        entry.text = entry
            .text
            .replace("{{crate}}", &crate_name)
            .replace("{{name}}", &new.name)
            .replace("{{hook}}", new.hook.name())
            .replace("{{sdk}}", &sdk);
    }
    Ok(project)
}

/// Writes the project `new` describes and returns the paths written.
pub fn create(new: &NewPlugin) -> Result<Vec<PathBuf>, Error> {
    let project = files(new)?;
    let occupied = std::fs::read_dir(&new.dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        return Err(Error::NotEmpty(new.dir.clone()));
    }
    let mut written = Vec::new();
    for entry in project {
        let path = new.dir.join(&entry.path);
        write(&path, &entry).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

fn write(path: &Path, entry: &ProjectFile) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, &entry.text)?;
    if entry.executable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

fn rust_files(new: &NewPlugin) -> Vec<ProjectFile> {
    vec![
        file(
            "Cargo.toml",
            include_str!("../../templates/plugin/rust/Cargo.toml"),
            false,
        ),
        file("src/lib.rs", rust_source(new.hook), false),
        file(
            "build.sh",
            include_str!("../../templates/plugin/rust/build.sh"),
            true,
        ),
        file(
            ".gitignore",
            include_str!("../../templates/plugin/rust/gitignore"),
            false,
        ),
    ]
}

fn python_files(new: &NewPlugin) -> Vec<ProjectFile> {
    let classes: Vec<&str> = HookKind::ALL
        .iter()
        .map(|&hook| python_class(hook, hook == new.hook).trim_end())
        .collect();
    let app = include_str!("../../templates/plugin/python/app.py")
        .replace("{{hooks}}", &format!("\n\n{}", classes.join("\n\n\n")));
    vec![
        file("app.py", &app, false),
        file(
            "ristretto_http.py",
            include_str!("../../templates/plugin/python/ristretto_http.py"),
            false,
        ),
        file(
            "build.sh",
            include_str!("../../templates/plugin/python/build.sh"),
            true,
        ),
        file(
            ".gitignore",
            include_str!("../../templates/plugin/python/gitignore"),
            false,
        ),
    ]
}

fn js_files(new: &NewPlugin) -> Vec<ProjectFile> {
    let exports: Vec<&str> = HookKind::ALL
        .iter()
        .map(|&hook| js_export(hook, hook == new.hook).trim_end())
        .collect();
    let source = include_str!("../../templates/plugin/js/plugin.js")
        .replace("{{hooks}}", &format!("\n{}", exports.join("\n\n")));
    vec![
        file("plugin.js", &source, false),
        file(
            "package.json",
            include_str!("../../templates/plugin/js/package.json"),
            false,
        ),
        file(
            "build.sh",
            include_str!("../../templates/plugin/js/build.sh"),
            true,
        ),
        file(
            ".gitignore",
            include_str!("../../templates/plugin/js/gitignore"),
            false,
        ),
    ]
}

fn file(path: &str, text: &str, executable: bool) -> ProjectFile {
    ProjectFile {
        path: path.to_owned(),
        text: text.to_owned(),
        executable,
    }
}

/// Lowercase letters, digits and `-`, starting with a letter, not ending with `-`.
fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(language: Language, hook: HookKind) -> NewPlugin {
        NewPlugin {
            name: "acme-check".to_owned(),
            language,
            hook,
            dir: PathBuf::from("unused"),
            sdk: SdkSource::Path(PathBuf::from("/src/plugin-sdk")),
        }
    }

    #[test]
    fn every_language_and_hook_fills_every_placeholder() {
        for language in [Language::Rust, Language::Python, Language::JavaScript] {
            for hook in HookKind::ALL {
                let project = files(&new(language, hook)).unwrap();
                for entry in &project {
                    for key in [
                        "crate",
                        "name",
                        "hook",
                        "sdk",
                        "hooks",
                        "checks",
                        "usage",
                        "toolchain",
                        "language",
                    ] {
                        let placeholder = format!("{{{{{key}}}}}");
                        assert!(
                            !entry.text.contains(&placeholder),
                            "{language:?} {hook:?} {}: {placeholder}",
                            entry.path
                        );
                    }
                }
                let paths: Vec<&str> = project.iter().map(|f| f.path.as_str()).collect();
                for expected in ["README.md", "test.sh", "build.sh", ".gitignore"] {
                    assert!(
                        paths.contains(&expected),
                        "{language:?} {hook:?}: {paths:?}"
                    );
                }
                assert_eq!(paths.contains(&"wit/world.wit"), language != Language::Rust);
                assert_eq!(
                    paths.contains(&"task-definition.json"),
                    hook == HookKind::Transform
                );
            }
        }
    }

    #[test]
    fn the_chosen_hook_is_the_capability_and_the_others_are_inert() {
        let project = files(&new(Language::Python, HookKind::Gate)).unwrap();
        let app = &project.iter().find(|f| f.path == "app.py").unwrap().text;
        assert!(app.contains(r#"capabilities=["gate"]"#));
        assert!(app.contains("types.Verdict_Fail(str(config[\"block\"]))"));
        for class in [
            "class Transform(",
            "class Functions(",
            "class Gate(",
            "class Notify(",
        ] {
            assert_eq!(app.matches(class).count(), 1, "{class}");
        }
        let cargo = files(&new(Language::Rust, HookKind::Notify)).unwrap();
        let manifest = &cargo.iter().find(|f| f.path == "Cargo.toml").unwrap().text;
        assert!(manifest.contains(r#"name = "acme-check""#), "{manifest}");
        assert!(manifest.contains(r#"ristretto-plugin-sdk = { path = "/src/plugin-sdk" }"#));
    }

    #[test]
    fn the_current_contract_is_shipped_whole() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
        let mut on_disk = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let frozen = path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("since_v");
                if path.is_dir() && !frozen {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "wit") {
                    let relative = path.strip_prefix(&root).unwrap().display().to_string();
                    on_disk.push(format!("wit/{relative}"));
                }
            }
        }
        on_disk.sort();
        let mut shipped: Vec<String> = WIT.iter().map(|(p, _)| (*p).to_owned()).collect();
        shipped.sort();
        assert_eq!(shipped, on_disk);
    }

    #[test]
    fn the_python_example_builds_with_the_template_http_helper() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/examples/python-gate");
        assert!(
            !example.join("ristretto_http.py").exists(),
            "the example uses the helper `plugin new` ships, not a copy"
        );
        let build = std::fs::read_to_string(example.join("build.sh")).unwrap();
        assert!(
            build.contains("-p ../../../host/templates/plugin/python"),
            "{build}"
        );
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "Acme", "1x", "a_b", "a-", "a b"] {
            let mut plugin = new(Language::Rust, HookKind::Gate);
            plugin.name = bad.to_owned();
            assert!(matches!(files(&plugin), Err(Error::BadName(_))), "{bad}");
        }
    }
}
