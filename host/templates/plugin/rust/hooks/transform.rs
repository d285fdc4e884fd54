//! {{name}}: a ristretto transform. It tags every task and service definition with
//! `managed-by: {{name}}` unless the definition sets that tag itself.
use ristretto_plugin_sdk::{Context, DefinitionKind, Plugin, Value, json, plugin};

struct Transform;

#[plugin(description = "{{name}} transform")]
impl Plugin for Transform {
    fn transform(
        _ctx: &Context,
        _kind: DefinitionKind,
        mut definition: Value,
    ) -> Result<Value, String> {
        let object = definition
            .as_object_mut()
            .ok_or("the definition is not a JSON object")?;
        let tags = object.entry("tags").or_insert_with(|| json!([]));
        let tags = tags.as_array_mut().ok_or("`tags` is not a list")?;
        if !tags.iter().any(|tag| tag["key"] == "managed-by") {
            tags.push(json!({"key": "managed-by", "value": "{{name}}"}));
        }
        Ok(definition)
    }
}
