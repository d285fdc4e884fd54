//! Secrets a plugin may read through the `secrets` import: only names listed in its
//! `allow.secrets`, resolved by the host before the plugin runs (`env:NAME` from the
//! environment; `ssm:/path` and `secretsmanager:id` from AWS when the command has AWS access),
//! so a plugin never holds credentials and a hook never waits on AWS.

use std::collections::BTreeMap;

use crate::environment::Environment;

/// The resolved allow-listed secrets of one plugin.
#[derive(Debug, Clone, Default)]
pub struct SecretStore {
    values: BTreeMap<String, Result<String, String>>,
}

impl SecretStore {
    /// Resolves the `env:` names now; the others wait for `resolve_aws`.
    pub fn new(allowed: &[String], environment: &Environment) -> Self {
        let values = allowed
            .iter()
            .map(|name| {
                let value = match name.split_once(':') {
                    Some(("env", var)) => environment
                        .get(var)
                        .map(str::to_owned)
                        .ok_or_else(|| format!("environment variable {var} is not set")),
                    Some(("ssm" | "secretsmanager", _)) => {
                        Err("this command has no AWS access to read it".to_owned())
                    }
                    _ => Err(format!(
                        "`{name}` is not a secret reference (use env:NAME, ssm:/path or secretsmanager:id)"
                    )),
                };
                (name.clone(), value)
            })
            .collect();
        Self { values }
    }

    /// Reads the `ssm:` and `secretsmanager:` names from AWS.
    pub async fn resolve_aws(&mut self, clients: &crate::aws::Clients) {
        for (name, value) in &mut self.values {
            match name.split_once(':') {
                Some(("ssm", path)) => {
                    *value = clients
                        .ssm
                        .get_parameter()
                        .name(path)
                        .with_decryption(true)
                        .send()
                        .await
                        .map_err(|err| crate::aws::describe_error(&err))
                        .and_then(|out| {
                            out.parameter()
                                .and_then(|p| p.value())
                                .map(str::to_owned)
                                .ok_or_else(|| "the parameter has no value".to_owned())
                        });
                }
                Some(("secretsmanager", id)) => {
                    *value = clients
                        .secretsmanager
                        .get_secret_value()
                        .secret_id(id)
                        .send()
                        .await
                        .map_err(|err| crate::aws::describe_error(&err))
                        .and_then(|out| {
                            out.secret_string()
                                .map(str::to_owned)
                                .ok_or_else(|| "the secret has no string value".to_owned())
                        });
                }
                _ => {}
            }
        }
    }

    /// Gives `values` as the values of their names, which become allowed (`plugin test
    /// --fake`: what the host would have resolved).
    pub fn fake(&mut self, values: &BTreeMap<String, String>) {
        for (name, value) in values {
            self.values.insert(name.clone(), Ok(value.clone()));
        }
    }

    /// The value of `name`, or why it cannot be had.
    pub fn get(&self, name: &str) -> Result<String, String> {
        match self.values.get(name) {
            Some(Ok(value)) => Ok(value.clone()),
            Some(Err(reason)) => Err(format!("secret `{name}` is not available: {reason}")),
            None => Err(format!(
                "secret `{name}` is not allowed; add it to the plugin's allow.secrets"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_names_resolve() {
        let env = Environment::from_vars([("TOKEN", "t0k3n"), ("OTHER", "x")]);
        let store = SecretStore::new(
            &[
                "env:TOKEN".to_owned(),
                "env:MISSING".to_owned(),
                "ssm:/a".to_owned(),
            ],
            &env,
        );
        assert_eq!(store.get("env:TOKEN"), Ok("t0k3n".to_owned()));
        assert!(store.get("env:OTHER").unwrap_err().contains("not allowed"));
        assert!(store.get("env:MISSING").unwrap_err().contains("not set"));
        assert!(store.get("ssm:/a").unwrap_err().contains("no AWS access"));
    }
}
