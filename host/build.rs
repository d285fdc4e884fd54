//! Records the git commit the binary was built from (for `ristretto version`); "unknown" when
//! git or the repository is not available (e.g. a source tarball). Writes the names of the
//! contract's enums (`stage`, `event-kind`, `definition-kind` in wit/types.wit) as `name()` and
//! `ALL` for the types `bindgen!` generates, so the names are never restated by hand.

use std::fmt::Write as _;

/// The enums of interface `types` whose names the host prints and parses.
const NAMED_ENUMS: [&str; 3] = ["stage", "event-kind", "definition-kind"];

fn main() {
    if let Err(error) = write_wit_names() {
        println!("cargo:warning=reading ../wit: {error}");
        std::process::exit(1);
    }
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=RISTRETTO_COMMIT={commit}");
    println!("cargo:rerun-if-changed=../.git/HEAD");
    println!("cargo:rerun-if-changed=../.git/refs/heads");
}

/// Writes `$OUT_DIR/wit_names.rs`: for each of [`NAMED_ENUMS`], an `impl` with `ALL` (the cases
/// in the WIT's order) and `name()` (the case as spelled in WIT, e.g. `pre-deploy`).
fn write_wit_names() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=../wit");
    let mut resolve = wit_parser::Resolve::new();
    let (package, _) = resolve.push_dir("../wit")?;
    let types = resolve.packages[package]
        .interfaces
        .get("types")
        .ok_or("package has no interface `types`")?;
    let mut code = String::new();
    for wanted in NAMED_ENUMS {
        let id = resolve.interfaces[*types]
            .types
            .get(wanted)
            .ok_or_else(|| format!("interface `types` has no type `{wanted}`"))?;
        let wit_parser::TypeDefKind::Enum(enum_) = &resolve.types[*id].kind else {
            return Err(format!("`{wanted}` is not an enum").into());
        };
        let rust = upper_camel(wanted);
        let cases: Vec<(String, &str)> = enum_
            .cases
            .iter()
            .map(|c| (upper_camel(&c.name), c.name.as_str()))
            .collect();
        writeln!(code, "impl {rust} {{")?;
        writeln!(code, "    /// Every case, in the order of wit/types.wit.")?;
        let all: Vec<String> = cases.iter().map(|(r, _)| format!("Self::{r}")).collect();
        writeln!(
            code,
            "    pub const ALL: [Self; {}] = [{}];",
            cases.len(),
            all.join(", ")
        )?;
        writeln!(
            code,
            "    /// The case as spelled in WIT and the docs (`{}`).",
            cases[0].1
        )?;
        writeln!(code, "    pub fn name(self) -> &'static str {{")?;
        writeln!(code, "        match self {{")?;
        for (rust_case, wit_case) in &cases {
            writeln!(code, "            Self::{rust_case} => {wit_case:?},")?;
        }
        writeln!(code, "        }}\n    }}\n}}")?;
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?).join("wit_names.rs");
    std::fs::write(out, code)?;
    Ok(())
}

/// `event-kind` → `EventKind`, as `bindgen!` names types and cases.
fn upper_camel(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect()
}
