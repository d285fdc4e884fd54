//! `ristretto appspec`: prints the CodeDeploy AppSpec (YAML) for the service, as ecspresso's
//! `appspec`: the target service with the task definition, the first load balancer's container
//! and port, platform version, awsvpc network configuration and capacity provider strategy, and
//! the `appspec:` hooks of the config.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde_json::{Map, Value, json};

use crate::deploy::{self, diff::remote_service_json};
use crate::output::print_stdout;

/// Flags of `appspec`.
#[derive(Debug, Args)]
pub struct AppspecArgs {
    /// Task definition: `latest` (newest revision of the family), `current` (the service's) or an ARN
    #[arg(long, default_value = "latest")]
    pub task_definition: String,
    /// Build from the service in AWS instead of the local service definition
    #[arg(long = "no-update-service", action = clap::ArgAction::SetFalse)]
    pub update_service: bool,
}

/// Runs `appspec`.
pub async fn run(args: AppspecArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    let remote = deploy::find_service(app).await?;
    let service = if args.update_service {
        let path = app.config.service_definition_path().with_context(|| {
            format!(
                "{}: `service_definition` is not set",
                app.config.path.display()
            )
        })?;
        app.load_service_definition(&path)?.value
    } else {
        let remote = remote.as_ref().context("the service does not exist")?;
        remote_service_json(remote)?
    };
    let task_definition = match args.task_definition.as_str() {
        "current" => remote
            .as_ref()
            .and_then(|s| s.task_definition())
            .map(str::to_owned)
            .context("the service does not exist, so it has no current task definition")?,
        "latest" => {
            let path = app
                .config
                .task_definition_path()
                .context("`task_definition` is not set")?;
            let family = app
                .load_task_definition(&path)?
                .value
                .get("family")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .context("the task definition has no family")?;
            deploy::latest_revision(&app.clients.ecs, &family).await?
        }
        arn => arn.to_owned(),
    };
    let spec = appspec(&service, &task_definition, app.config.file.appspec.as_ref())?;
    print_stdout(&serde_yaml_ng::to_string(&spec)?)?;
    Ok(ExitCode::SUCCESS)
}

/// Builds the AppSpec document.
fn appspec(service: &Value, task_definition: &str, hooks: Option<&Value>) -> anyhow::Result<Value> {
    let lb = service["loadBalancers"]
        .as_array()
        .and_then(|l| l.first())
        .context("CodeDeploy needs a load balancer in the service definition")?;
    let mut properties = Map::new();
    properties.insert("TaskDefinition".to_owned(), json!(task_definition));
    properties.insert(
        "LoadBalancerInfo".to_owned(),
        json!({"ContainerName": lb["containerName"], "ContainerPort": lb["containerPort"]}),
    );
    if let Some(version) = service["platformVersion"].as_str() {
        properties.insert("PlatformVersion".to_owned(), json!(version));
    }
    let vpc = &service["networkConfiguration"]["awsvpcConfiguration"];
    if vpc.is_object() {
        let mut awsvpc = Map::new();
        awsvpc.insert("Subnets".to_owned(), vpc["subnets"].clone());
        if !vpc["securityGroups"].is_null() {
            awsvpc.insert("SecurityGroups".to_owned(), vpc["securityGroups"].clone());
        }
        if let Some(public) = vpc["assignPublicIp"].as_str() {
            awsvpc.insert("AssignPublicIp".to_owned(), json!(public));
        }
        properties.insert(
            "NetworkConfiguration".to_owned(),
            json!({"AwsvpcConfiguration": awsvpc}),
        );
    }
    if let Some(strategy) = service["capacityProviderStrategy"].as_array() {
        let items: Vec<Value> = strategy
            .iter()
            .map(|s| json!({"CapacityProvider": s["capacityProvider"], "Base": s["base"].as_i64().unwrap_or(0), "Weight": s["weight"].as_i64().unwrap_or(0)}))
            .collect();
        properties.insert("CapacityProviderStrategy".to_owned(), Value::Array(items));
    }
    let mut spec = Map::new();
    spec.insert("version".to_owned(), json!(0.0));
    spec.insert(
        "Resources".to_owned(),
        json!([{"TargetService": {"Type": "AWS::ECS::Service", "Properties": properties}}]),
    );
    if let Some(hooks) = hooks.and_then(|h| h.get("Hooks").or_else(|| h.get("hooks"))) {
        spec.insert("Hooks".to_owned(), hooks.clone());
    }
    Ok(Value::Object(spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_target_service() {
        let service = json!({
            "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "web", "containerPort": 80}],
            "platformVersion": "1.4.0",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
        });
        let hooks = json!({"Hooks": [{"BeforeInstall": "LambdaFunctionToValidateBeforeInstall"}]});
        let spec = appspec(
            &service,
            "arn:aws:ecs:r:1:task-definition/web:3",
            Some(&hooks),
        )
        .unwrap();
        let properties = &spec["Resources"][0]["TargetService"]["Properties"];
        assert_eq!(
            properties["LoadBalancerInfo"],
            json!({"ContainerName": "web", "ContainerPort": 80})
        );
        assert_eq!(
            properties["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"],
            json!(["s-1"])
        );
        assert_eq!(
            spec["Hooks"][0]["BeforeInstall"],
            "LambdaFunctionToValidateBeforeInstall"
        );
        assert!(
            appspec(&json!({}), "x", None).is_err(),
            "a load balancer is required"
        );
    }
}
