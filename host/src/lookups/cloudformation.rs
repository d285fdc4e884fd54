//! ecspresso's `cloudformation` plugin (fujiwara/cfn-lookup): `cfn_output STACK OUTPUT_KEY`
//! through DescribeStacks (one call per stack) and `cfn_export NAME` through ListExports (every
//! page, once), both cached for the run, in Go templates and Jsonnet alike.

use std::sync::Arc;

use serde_json::Value;

use super::{AwsLookups, nearest, text_arg};
use crate::aws::Clients;
use crate::render::{Function, FunctionRegistry};

impl AwsLookups {
    /// The outputs of `stack` as an object of key → value (cached).
    fn stack_outputs(&self, stack: &str) -> Result<Value, String> {
        self.cached(format!("cfn_output:{stack}"), || {
            self.call(async |clients: &Clients| {
                let cfn: aws_sdk_cloudformation::Client = clients.client();
                let output = cfn
                    .describe_stacks()
                    .stack_name(stack)
                    .send()
                    .await
                    .map_err(|err| {
                        format!("stack {stack}: {}", crate::aws::describe_error(&err))
                    })?;
                let found = output
                    .stacks()
                    .first()
                    .ok_or_else(|| format!("stack {stack} not found"))?;
                Ok(Value::Object(
                    found
                        .outputs()
                        .iter()
                        .filter_map(|o| {
                            Some((
                                o.output_key()?.to_owned(),
                                Value::from(o.output_value().unwrap_or_default()),
                            ))
                        })
                        .collect(),
                ))
            })
        })
    }

    /// Every export of the region as an object of name → value (cached).
    fn exports(&self) -> Result<Value, String> {
        self.cached("cfn_export".to_owned(), || {
            self.call(async |clients: &Clients| {
                let cfn: aws_sdk_cloudformation::Client = clients.client();
                let mut exports = serde_json::Map::new();
                let mut token: Option<String> = None;
                loop {
                    let page = cfn
                        .list_exports()
                        .set_next_token(token.take())
                        .send()
                        .await
                        .map_err(|err| {
                            format!("ListExports: {}", crate::aws::describe_error(&err))
                        })?;
                    for export in page.exports() {
                        if let Some(name) = export.name() {
                            exports.insert(
                                name.to_owned(),
                                Value::from(export.value().unwrap_or_default()),
                            );
                        }
                    }
                    match page.next_token() {
                        Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                        _ => break,
                    }
                }
                Ok(Value::Object(exports))
            })
        })
    }
}

/// `key` in `map`, or an error naming `what` and the nearest keys.
fn pick(map: &Value, key: &str, what: impl FnOnce(String) -> String) -> Result<Value, String> {
    if let Some(value) = map.get(key) {
        return Ok(value.clone());
    }
    let keys: Vec<&str> = map
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let available = if keys.is_empty() {
        "there are none".to_owned()
    } else {
        format!(
            "nearest of {}: {}",
            keys.len(),
            nearest(key, keys.iter().copied()).join(", ")
        )
    };
    Err(what(available))
}

/// Registers `cfn_output` and `cfn_export` under `prefix`.
pub fn register(
    registry: &mut FunctionRegistry,
    prefix: &str,
    lookups: &Arc<AwsLookups>,
) -> Result<(), crate::render::Error> {
    let l = lookups.clone();
    registry.register(
        prefix,
        Function::new("cfn_output", &["stack", "output_key"], move |args| {
            let stack = text_arg(args, 0, "cfn_output")?;
            let key = text_arg(args, 1, "cfn_output")?;
            pick(&l.stack_outputs(&stack)?, &key, |available| {
                format!("stack {stack} has no output {key} ({available})")
            })
        })
        .with_origin("plugin `cloudformation`"),
    )?;
    let l = lookups.clone();
    registry.register(
        prefix,
        Function::new("cfn_export", &["name"], move |args| {
            let name = text_arg(args, 0, "cfn_export")?;
            pick(&l.exports()?, &name, |available| {
                format!("no export named {name} ({available})")
            })
        })
        .with_origin("plugin `cloudformation`"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_keys_list_the_nearest() {
        let outputs = json!({"VpcId": "vpc-1", "SubnetIds": "a,b"});
        assert_eq!(pick(&outputs, "VpcId", |a| a), Ok(json!("vpc-1")));
        let message = pick(&outputs, "VpcID", |a| format!("no output VpcID ({a})")).unwrap_err();
        assert_eq!(message, "no output VpcID (nearest of 2: VpcId, SubnetIds)");
        let message = pick(&json!({}), "X", |a| a).unwrap_err();
        assert_eq!(message, "there are none");
    }
}
