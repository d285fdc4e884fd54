//! Secret values in a plan: every string holding one has it replaced by
//! `[ristretto-secret REFERENCE]` before the plan is written, and the plan records the
//! reference with the value's sha256. `apply` reads the references again (SSM, with
//! decryption), refuses when a hash differs, and puts the values back before registering.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Error;
use super::format::{SecretRef, sha256_hex};
use crate::app::App;

/// The text that stands for the secret `reference` in a plan.
pub(super) fn placeholder(reference: &str) -> String {
    format!("[ristretto-secret {reference}]")
}

/// Replaces, in every string of `value`, each secret value (by reference) with its
/// placeholder; longer values first, so a value containing another stays whole.
pub(super) fn mask(value: &mut Value, secrets: &BTreeMap<String, String>) {
    let mut pairs: Vec<(&String, &String)> =
        secrets.iter().filter(|(_, v)| !v.is_empty()).collect();
    pairs.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    let replacements: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(reference, secret)| (secret.clone(), placeholder(reference)))
        .collect();
    replace(value, &replacements);
}

/// Puts the secret values (by reference) back in place of their placeholders.
pub(super) fn unmask(value: &mut Value, secrets: &BTreeMap<String, String>) {
    let replacements: Vec<(String, String)> = secrets
        .iter()
        .map(|(reference, secret)| (placeholder(reference), secret.clone()))
        .collect();
    replace(value, &replacements);
}

fn replace(value: &mut Value, replacements: &[(String, String)]) {
    match value {
        Value::String(text) => {
            for (from, to) in replacements {
                if text.contains(from.as_str()) {
                    *text = text.replace(from.as_str(), to);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace(v, replacements)),
        Value::Object(map) => map.values_mut().for_each(|v| replace(v, replacements)),
        _ => {}
    }
}

/// The references and hashes of `secrets`.
pub(super) fn references(secrets: &BTreeMap<String, String>) -> Vec<SecretRef> {
    secrets
        .iter()
        .map(|(reference, value)| SecretRef {
            reference: reference.clone(),
            sha256: sha256_hex(value.as_bytes()),
        })
        .collect()
}

/// Reads the secrets `refs` name again; the ones whose hash changed are drift.
pub(super) async fn reread(
    app: &App<'_>,
    service: &str,
    refs: &[SecretRef],
) -> Result<BTreeMap<String, String>, Error> {
    let mut values = BTreeMap::new();
    let mut changed = Vec::new();
    for secret in refs {
        let value = read(app, &secret.reference).await?;
        if sha256_hex(value.as_bytes()) != secret.sha256 {
            changed.push(format!(
                "secret {}: its value changed since the plan was made",
                secret.reference
            ));
        }
        values.insert(secret.reference.clone(), value);
    }
    if changed.is_empty() {
        Ok(values)
    } else {
        Err(Error::Drift {
            service: service.to_owned(),
            changes: changed,
        })
    }
}

async fn read(app: &App<'_>, reference: &str) -> Result<String, Error> {
    let Some(name) = reference.strip_prefix("ssm:") else {
        return Err(Error::Format(format!(
            "not a valid plan: unknown secret reference `{reference}`"
        )));
    };
    let output = app
        .clients
        .ssm
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|err| crate::deploy::aws_error("GetParameter", &err, &[]))?;
    Ok(output
        .parameter()
        .and_then(|p| p.value())
        .unwrap_or_default()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_masked_everywhere_and_restored() {
        let secrets = BTreeMap::from([("ssm:/db".to_owned(), "hunter2".to_owned())]);
        let original = json!({"env": [{"value": "hunter2"}, {"value": "postgres://u:hunter2@h"}]});
        let mut value = original.clone();
        mask(&mut value, &secrets);
        assert!(!value.to_string().contains("hunter2"), "{value}");
        assert_eq!(value["env"][0]["value"], "[ristretto-secret ssm:/db]");
        unmask(&mut value, &secrets);
        assert_eq!(value, original);
    }
}
