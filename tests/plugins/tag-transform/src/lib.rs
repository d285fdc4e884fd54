//! Test plugin (transform): adds the tags in `config.tags` to task and service definitions,
//! keeping tags that are already there.
use ristretto_plugin_sdk::{Context, DefinitionKind, Plugin, Value, json, plugin};

struct TagTransform;

#[plugin(description = "adds tags")]
impl Plugin for TagTransform {
    fn transform(
        ctx: &Context,
        _kind: DefinitionKind,
        mut definition: Value,
    ) -> Result<Value, String> {
        let Some(add) = ctx.config.get("tags").and_then(Value::as_object) else {
            return Err("config.tags must be an object".to_owned());
        };
        let tags = definition
            .as_object_mut()
            .ok_or("definition is not an object")?
            .entry("tags")
            .or_insert_with(|| json!([]));
        let list = tags.as_array_mut().ok_or("tags is not a list")?;
        for (key, value) in add {
            if !list.iter().any(|t| t["key"] == *key) {
                list.push(json!({"key": key, "value": value}));
            }
        }
        Ok(definition)
    }
}
