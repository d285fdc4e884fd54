//! Build-script code shared by `host/build.rs` and `plugin-sdk/build.rs` (included with
//! `#[path]`): for enums of the contract's interface `types`, the Rust `impl` blocks that give
//! each case its WIT spelling (`pre-deploy`) and list every case, so neither crate restates the
//! contract's names by hand. Only the `.wit` files of this directory are the contract; this file
//! is not read by any WIT tool.

use std::fmt::Write as _;
use std::path::Path;

/// The code of `impl` blocks for `enums` (WIT names in interface `types` of the package in
/// `wit_dir`): `ALL` (every case, in the WIT's order), a method `method(self) -> &'static str`
/// returning the case as spelled in WIT, and, with `display`, `Display` printing that name.
pub fn enum_names(
    wit_dir: &Path,
    enums: &[&str],
    method: &str,
    display: bool,
) -> Result<String, Box<dyn std::error::Error>> {
    let mut resolve = wit_parser::Resolve::new();
    let (package, _) = resolve.push_dir(wit_dir)?;
    let types = resolve.packages[package]
        .interfaces
        .get("types")
        .ok_or("package has no interface `types`")?;
    let mut code = String::new();
    for wanted in enums {
        let id = resolve.interfaces[*types]
            .types
            .get(*wanted)
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
        let all: Vec<String> = cases.iter().map(|(r, _)| format!("Self::{r}")).collect();
        writeln!(code, "impl {rust} {{")?;
        writeln!(code, "    /// Every case, in the order of wit/types.wit.")?;
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
        writeln!(code, "    pub fn {method}(self) -> &'static str {{")?;
        writeln!(code, "        match self {{")?;
        for (rust_case, wit_case) in &cases {
            writeln!(code, "            Self::{rust_case} => {wit_case:?},")?;
        }
        writeln!(code, "        }}\n    }}\n}}")?;
        if display {
            writeln!(code, "impl ::core::fmt::Display for {rust} {{")?;
            writeln!(
                code,
                "    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{"
            )?;
            writeln!(code, "        f.write_str(self.{method}())\n    }}\n}}")?;
        }
    }
    Ok(code)
}

/// `event-kind` → `EventKind`, as `bindgen!` and `generate!` name types and cases.
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
