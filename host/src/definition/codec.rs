//! JSON ⇄ AWS SDK types through the SDK's own JSON protocol codec (aws-smithy-json), so every
//! field of every ECS shape converts exactly as it travels on the wire (camelCase members,
//! epoch-second timestamps) without a hand-written mapping.

use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use aws_smithy_schema::serde::{
    SerdeError, SerializableStruct, ShapeDeserializer, ShapeSerializer,
};
use serde_json::Value;

fn codec() -> JsonCodec {
    JsonCodec::new(JsonCodecSettings::builder().use_json_name(false).build())
}

/// Serializes an SDK structure to JSON.
pub fn to_json<T: SerializableStruct>(value: &T) -> Result<Value, String> {
    let mut serializer = codec().create_serializer();
    serializer
        .write_struct(value.schema(), value)
        .map_err(|e| e.to_string())?;
    let bytes = serializer.finish();
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// Deserializes JSON into an SDK structure with its generated `deserialize` function.
pub fn from_json<T>(
    value: &Value,
    deserialize: impl FnOnce(&mut dyn ShapeDeserializer) -> Result<T, SerdeError>,
) -> Result<T, String> {
    let bytes = serde_json::to_vec(value).map_err(|e| e.to_string())?;
    let codec = codec();
    let mut deserializer = codec.create_deserializer(&bytes);
    deserialize(&mut deserializer).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
    use aws_sdk_ecs::types::ContainerDefinition;
    use serde_json::json;

    use super::*;

    #[test]
    fn round_trips_a_container_definition() {
        let input = json!({
            "name": "app",
            "image": "nginx",
            "memory": 128,
            "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
            "dockerLabels": {"Team.Name": "x"},
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
            "healthCheck": {"command": ["CMD", "true"], "interval": 30}
        });
        let container: ContainerDefinition =
            from_json(&input, ContainerDefinition::deserialize).unwrap();
        assert_eq!(container.memory(), Some(128));
        assert_eq!(container.port_mappings()[0].container_port(), Some(80));
        // The SDK models container `cpu` as a plain integer, so it always serializes (0 = unset).
        let mut expected = input.clone();
        expected["cpu"] = json!(0);
        assert_eq!(to_json(&container).unwrap(), expected);
    }

    #[test]
    fn reads_a_whole_register_input() {
        let input = json!({"family": "web", "cpu": "256", "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": [{"name": "a", "image": "b"}]});
        let parsed: RegisterTaskDefinitionInput =
            from_json(&input, RegisterTaskDefinitionInput::deserialize).unwrap();
        assert_eq!(parsed.family.as_deref(), Some("web"));
        assert_eq!(parsed.container_definitions.map(|c| c.len()), Some(1));
    }
}
