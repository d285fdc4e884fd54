//! Pass 1 of loading a config, as ecspresso v3 does it: only `region` and `plugins` are read,
//! so that the built-in plugins' functions (`tfstate`, `cfn_output`, …) can be registered
//! before the whole file is rendered and may then be used anywhere in it (`cluster: '{{ tfstate
//! "aws_ecs_cluster.main.name" }}'`). YAML is parsed as written and only the string values of
//! those two keys are rendered; Jsonnet evaluates only those two fields. A file that cannot be
//! read this way (YAML valid only after rendering, as ecspresso v2 allowed) is loaded without
//! pass 1; an error in the values of those keys (say, `must_env` of an unset variable in a
//! plugin's `config:`) is reported here, naming the file, line and field.

use std::path::Path;

use serde_json::Value;

use super::PluginEntry;
use super::load::{ConfigKind, config_kind};
use crate::render::Renderer;

/// What pass 1 found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prelude {
    /// The config's `region`, rendered.
    pub region: Option<String>,
    /// The config's `plugins`, rendered.
    pub plugins: Vec<PluginEntry>,
}

/// Reads `region` and `plugins` from the config at `path` with the functions `renderer` has
/// so far. `Ok(None)` when the file cannot be read this way (e.g. a YAML config that is only
/// valid after rendering, as ecspresso v2 allowed); the caller then loads without pass 1.
/// `Err` is a template or Jsonnet error in those keys, with its position and field.
pub fn read_prelude(path: &Path, renderer: &Renderer) -> Result<Option<Prelude>, String> {
    let mut value = match config_kind(path) {
        ConfigKind::Yaml => {
            let Ok(source) = std::fs::read_to_string(path) else {
                return Ok(None);
            };
            let Ok(parsed) = serde_yaml_ng::from_str::<Value>(&source) else {
                return Ok(None);
            };
            let mut picked = serde_json::Map::new();
            for key in ["region", "plugins"] {
                if let Some(mut field) = parsed.get(key).cloned() {
                    render_strings(&mut field, key, path, &source, renderer)?;
                    picked.insert(key.to_owned(), field);
                }
            }
            Value::Object(picked)
        }
        ConfigKind::Jsonnet => {
            let text = renderer
                .render_jsonnet_fields(path, &["region", "plugins"])
                .map_err(|e| e.to_string())?;
            let Ok(value) = serde_json::from_str(&text) else {
                return Ok(None);
            };
            value
        }
    };
    let region = match value.get_mut("region").map(Value::take) {
        None | Some(Value::Null) => None,
        Some(Value::String(region)) => Some(region),
        Some(_) => return Ok(None),
    };
    let plugins = match value.get_mut("plugins").map(Value::take) {
        None | Some(Value::Null) => Vec::new(),
        Some(plugins) => match serde_json::from_value(plugins) {
            Ok(plugins) => plugins,
            Err(_) => return Ok(None),
        },
    };
    Ok(Some(Prelude { region, plugins }))
}

/// Renders Go-template syntax in every string of `value` (at `field` of the file `path`, whose
/// text is `source`); an error names the file, the line the string is on and the field.
fn render_strings(
    value: &mut Value,
    field: &str,
    path: &Path,
    source: &str,
    renderer: &Renderer,
) -> Result<(), String> {
    match value {
        Value::String(text) if text.contains("{{") => {
            let rendered = renderer.render_template_text(path, text).map_err(|err| {
                let first_line = text.lines().next().unwrap_or_default();
                let location = source
                    .lines()
                    .position(|line| line.contains(first_line))
                    .map_or_else(
                        || path.display().to_string(),
                        |n| format!("{}:{}", path.display(), n + 1),
                    );
                let message = match &err {
                    crate::render::Error::Template(template) => template.message.clone(),
                    other => other.to_string(),
                };
                format!("{location}: `{field}`: {message}")
            })?;
            *text = rendered;
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                render_strings(item, &format!("{field}[{index}]"), path, source, renderer)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                render_strings(item, &format!("{field}.{key}"), path, source, renderer)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::Environment;

    fn renderer() -> Renderer {
        let environment = Environment::from_vars([("STATE", "prod.tfstate")]);
        Renderer::new(environment, Default::default(), Default::default())
    }

    #[test]
    fn yaml_reads_region_and_plugins_before_their_functions_exist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ecspresso.yml");
        std::fs::write(
            &path,
            "region: ap-northeast-1\ncluster: '{{ tfstate \"aws_ecs_cluster.main.name\" }}'\nplugins:\n  - name: tfstate\n    func_prefix: p_\n    config:\n      path: '{{ must_env \"STATE\" }}'\n",
        )
        .unwrap();
        let prelude = read_prelude(&path, &renderer()).unwrap().unwrap();
        assert_eq!(prelude.region.as_deref(), Some("ap-northeast-1"));
        assert_eq!(prelude.plugins.len(), 1);
        assert_eq!(prelude.plugins[0].func_prefix, "p_");
        assert_eq!(
            prelude.plugins[0].config["path"],
            Value::from("prod.tfstate")
        );
        // Invalid YAML before rendering (ecspresso v2 style): no pass 1.
        std::fs::write(&path, "cluster: {{ must_env \"X\" }}\n").unwrap();
        assert_eq!(read_prelude(&path, &renderer()), Ok(None));
        // An error in a plugin's config names the file, its line and the field.
        std::fs::write(
            &path,
            "region: ap-northeast-1\nplugins:\n  - name: tfstate\n    config:\n      path: '{{ must_env \"UNSET_STATE\" }}'\n",
        )
        .unwrap();
        let error = read_prelude(&path, &renderer()).unwrap_err();
        assert!(
            error.contains("ecspresso.yml:5: `plugins[0].config.path`: ")
                && error.contains("UNSET_STATE"),
            "{error}"
        );
    }

    #[test]
    fn jsonnet_evaluates_only_region_and_plugins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ecspresso.jsonnet");
        std::fs::write(
            &path,
            "local tfstate = std.native('tfstate');\n{\n  region: 'us-east-1',\n  cluster: tfstate('aws_ecs_cluster.main.name'),\n  plugins: [{ name: 'tfstate', config: { url: 's3://b/' + std.native('must_env')('STATE') } }],\n}\n",
        )
        .unwrap();
        let prelude = read_prelude(&path, &renderer()).unwrap().unwrap();
        assert_eq!(prelude.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            prelude.plugins[0].config["url"],
            Value::from("s3://b/prod.tfstate")
        );
        std::fs::write(&path, "{ cluster: 'x' }\n").unwrap();
        assert_eq!(
            read_prelude(&path, &renderer()),
            Ok(Some(Prelude::default()))
        );
    }
}
