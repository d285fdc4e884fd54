//! `ristretto appspec`: prints the CodeDeploy AppSpec (YAML) for the service, as ecspresso's
//! `appspec` (built by `deploy::appspec`, which `deploy` uses for CodeDeploy deployments).

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde_json::Value;

use crate::deploy::{self, diff::remote_service_json};
use crate::output::print_stdout;

/// Flags of `appspec`.
#[derive(Debug, Args)]
pub struct AppspecArgs {
    /// Task definition: `latest` (newest revision of the family), `current` (the service's),
    /// `family:revision` or an ARN (must be registered)
    #[arg(long, default_value = "latest")]
    pub task_definition: String,
    /// Build the AppSpec from the service as it is in AWS, not from the local service
    /// definition (ecspresso's `--no-update-service`)
    #[arg(long = "no-update-service", action = clap::ArgAction::SetFalse, overrides_with = "update_service_flag")]
    pub update_service: bool,
    /// `--update-service`: build from the local service definition (the default)
    #[arg(
        long = "update-service",
        hide = true,
        overrides_with = "update_service"
    )]
    pub update_service_flag: bool,
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
        other => described_arn(app, other).await?,
    };
    let spec = deploy::appspec(&service, &task_definition, app.config.file.appspec.as_ref())?;
    print_stdout(&appspec_yaml(&spec)?)?;
    Ok(ExitCode::SUCCESS)
}

/// The ARN of the registered task definition `name` (an ARN or `family:revision`), which must
/// exist: an AppSpec naming a missing revision would only fail later, inside CodeDeploy.
async fn described_arn(app: &crate::app::App<'_>, name: &str) -> anyhow::Result<String> {
    if !name.starts_with("arn:") && !name.contains(':') {
        anyhow::bail!(
            "--task-definition `{name}`: use latest, current, family:revision or a task definition ARN"
        );
    }
    let described = app
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(name)
        .send()
        .await
        .map_err(|err| crate::deploy::aws_error("DescribeTaskDefinition", &err, &[]))
        .with_context(|| {
            format!("--task-definition `{name}` is not a registered task definition")
        })?;
    described
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .map(str::to_owned)
        .with_context(|| format!("--task-definition `{name}` is not a registered task definition"))
}

/// The AppSpec as YAML with `version` first, as AppSpec files (and ecspresso) have it; the
/// other keys follow in their order.
fn appspec_yaml(spec: &serde_json::Value) -> anyhow::Result<String> {
    let mut mapping = serde_yaml_ng::Mapping::new();
    if let Some(version) = spec.get("version") {
        mapping.insert("version".into(), serde_yaml_ng::to_value(version)?);
    }
    for (key, value) in spec.as_object().into_iter().flatten() {
        if key != "version" {
            mapping.insert(key.as_str().into(), serde_yaml_ng::to_value(value)?);
        }
    }
    Ok(serde_yaml_ng::to_string(&mapping)?)
}
