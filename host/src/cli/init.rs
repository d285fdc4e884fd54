//! `ristretto init`: writes a config and definition files from a live service (or a task
//! definition), so that `diff` right after shows nothing; an Express service becomes an
//! express definition (`--[no-]express`). Existing files are kept unless `--force-overwrite` or,
//! on a terminal, the user answers yes for that file (as ecspresso).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde_json::Value;

use crate::aws::Clients;
use crate::config::{CodeDeployConfig, ConfigFile, Globals};
use crate::definition::{DefinitionKind, normalize_from_aws, to_json};
use crate::deploy::{
    aws_error, describe_service, diff::remote_service_json, short_task_definition,
};
use crate::output::{Logger, to_jsonnet, to_pretty_json};

/// Flags of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// AWS region (default: the SDK's, e.g. AWS_REGION)
    #[arg(long)]
    pub region: Option<String>,
    /// ECS cluster
    #[arg(long, default_value = "default")]
    pub cluster: String,
    /// Service to import (with its task definition)
    #[arg(
        long,
        required_unless_present = "task_definition",
        conflicts_with = "task_definition"
    )]
    pub service: Option<String>,
    /// Task definition to import (family:revision or ARN), without a service
    #[arg(long)]
    pub task_definition: Option<String>,
    /// Where to write the task definition
    #[arg(long, default_value = "ecs-task-def.json")]
    pub task_definition_path: PathBuf,
    /// Where to write the service definition
    #[arg(long, default_value = "ecs-service-def.json")]
    pub service_definition_path: PathBuf,
    /// Where to write the express definition (Express services)
    #[arg(long, default_value = "ecs-express-def.json")]
    pub express_definition_path: PathBuf,
    /// Import the service as an Express service (an error if it is not one; by default an
    /// Express service is detected)
    #[arg(long, requires = "service", overrides_with = "no_express")]
    pub express: bool,
    /// `--no-express`: import an Express service as a plain service (task and service
    /// definitions)
    #[arg(long, overrides_with = "express")]
    pub no_express: bool,
    /// Overwrite existing files
    #[arg(long)]
    pub force_overwrite: bool,
    /// Write Jsonnet (.jsonnet definitions and config)
    #[arg(long)]
    pub jsonnet: bool,
    /// Sort the task definition's order-insensitive lists (containers, environment, secrets,
    /// ports, mounts, volumes) for stable, reviewable files
    #[arg(long, overrides_with = "no_sort")]
    pub sort: bool,
    /// `--no-sort`: keep AWS's order (the default; ecspresso's `--[no-]sort`)
    #[arg(long, hide = true, overrides_with = "sort")]
    pub no_sort: bool,
}

/// The `codedeploy:` keys of a CODE_DEPLOY service, found by discovery (so later commands skip
/// it); a warning and none when no deployment group is found.
async fn codedeploy_settings(
    clients: &Clients,
    cluster: &str,
    service: &str,
    logger: &Logger,
) -> Option<CodeDeployConfig> {
    let found = crate::deploy::codedeploy::find_group_with(
        &clients.codedeploy,
        cluster,
        service,
        &CodeDeployConfig::default(),
        "the config",
    )
    .await;
    match found {
        Ok(group) => Some(CodeDeployConfig {
            application_name: Some(group.application),
            deployment_group_name: Some(group.name),
            deployment_config_name: None,
        }),
        Err(err) => {
            logger.warn(&format!(
                "service {service} uses CodeDeploy, but its deployment group was not found: {err}"
            ));
            None
        }
    }
}

/// Runs `init` with `environment` and the env files (`--envfile`) applied, as every command.
pub fn run(
    args: InitArgs,
    globals: &Globals,
    mut environment: crate::environment::Environment,
    logger: &Logger,
) -> anyhow::Result<ExitCode> {
    environment.load_env_files(&globals.envfile)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(init(args, globals, &environment, logger))
}

async fn init(
    args: InitArgs,
    globals: &Globals,
    environment: &crate::environment::Environment,
    logger: &Logger,
) -> anyhow::Result<ExitCode> {
    let clients = Clients::load(
        args.region.as_deref(),
        globals.assume_role_arn.as_deref(),
        environment,
    )
    .await?;
    let Imported {
        service_json,
        task_json,
        task_definition_arn,
        codedeploy,
        express_json,
        express_managed,
    } = import(&clients, &args, logger).await?;

    let extension = |path: &Path| {
        if args.jsonnet {
            path.with_extension("jsonnet")
        } else {
            path.to_path_buf()
        }
    };
    let task_path = extension(&args.task_definition_path);
    let service_path = extension(&args.service_definition_path);
    let express_path = extension(&args.express_definition_path);
    let config_path = globals.config.clone().unwrap_or_else(|| {
        PathBuf::from(if args.jsonnet {
            "ecspresso.jsonnet"
        } else {
            "ecspresso.yml"
        })
    });
    let config = ConfigFile {
        region: clients.region.clone(),
        cluster: args.cluster.clone(),
        service: args.service.clone(),
        service_definition: service_json.as_ref().map(|_| service_path.clone()),
        task_definition: task_json.as_ref().map(|_| task_path.clone()),
        express_definition: express_json.as_ref().map(|_| express_path.clone()),
        codedeploy,
        // Express services deploy by canary (two bake times of minutes), so ecspresso's init
        // doubles the timeout for them, also with `--no-express`.
        timeout: if express_managed {
            std::time::Duration::from_secs(20 * 60)
        } else {
            ConfigFile::default().timeout
        },
        ..ConfigFile::default()
    };
    let format = |value: &Value| {
        if args.jsonnet {
            to_jsonnet(value)
        } else {
            to_pretty_json(value)
        }
    };
    // Definition paths are relative to the config file, as every command reads them: with
    // `--config deploy/worker.yml` they are written next to it.
    let config_dir = config_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let beside_config = |path: &Path| {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            config_dir.join(path)
        }
    };
    let definitions = [
        (&task_json, &task_path),
        (&express_json, &express_path),
        (&service_json, &service_path),
    ];
    let mut files: Vec<_> = definitions
        .iter()
        .filter_map(|(json, path)| json.as_ref().map(|j| (beside_config(path), format(j))))
        .collect();
    files.push((config_path.clone(), config_text(&config_path, &config)?));

    write_files(&files, &config_dir, args.force_overwrite, logger)?;
    let what = express_json
        .as_ref()
        .map_or("task definition", |_| "Express service running");
    logger.info(&format!(
        "imported {what} {}",
        short_task_definition(&task_definition_arn)
    ));
    Ok(ExitCode::SUCCESS)
}

/// The config as Jsonnet (for a `.jsonnet` or `.json` path) or YAML.
fn config_text(path: &Path, config: &ConfigFile) -> anyhow::Result<String> {
    if path
        .extension()
        .is_some_and(|e| e == "jsonnet" || e == "json")
    {
        Ok(to_jsonnet(&serde_json::to_value(config)?))
    } else {
        Ok(serde_yaml_ng::to_string(config)?)
    }
}

/// What `init` read from AWS.
struct Imported {
    service_json: Option<Value>,
    task_json: Option<Value>,
    task_definition_arn: String,
    codedeploy: Option<crate::config::CodeDeployConfig>,
    /// The express definition, for an Express service (then no task or service definition).
    express_json: Option<Value>,
    /// Whether the service is an Express service (imported as one or, with `--no-express`,
    /// as a plain service without what ECS manages).
    express_managed: bool,
}

/// Reads the service (when `--service` is given), its task definition (or `--task-definition`)
/// and its CodeDeploy settings, as definition files would hold them.
async fn import(clients: &Clients, args: &InitArgs, logger: &Logger) -> anyhow::Result<Imported> {
    let mut codedeploy = None;
    let mut express_managed = false;
    let (service_json, task_definition_arn) = match &args.service {
        Some(name) => {
            let service = describe_service(&clients.ecs, &args.cluster, name)
                .await?
                .with_context(|| {
                    format!("service `{name}` not found in cluster `{}`", args.cluster)
                })?;
            // An Express service reports its task definition on its deployments only (ecspresso
            // PR #902: "taskDefinition is not defined. Using primary deployment's value").
            let arn = crate::deploy::service::primary_task_definition(&service)
                .with_context(|| format!("service `{name}` has no task definition"))?;
            express_managed = crate::deploy::express::is_express(&service);
            if express_import(&service, args)? {
                return Ok(Imported {
                    service_json: None,
                    task_json: None,
                    task_definition_arn: arn,
                    codedeploy: None,
                    express_json: Some(
                        crate::deploy::express::import(&clients.ecs, &service).await?,
                    ),
                    express_managed,
                });
            }
            let is_code_deploy = service
                .deployment_controller()
                .is_some_and(|c| c.r#type().as_str() == "CODE_DEPLOY");
            if is_code_deploy {
                codedeploy = codedeploy_settings(clients, &args.cluster, name, logger).await;
            }
            let mut definition = service_definition(remote_service_json(&service)?);
            if express_managed {
                definition = crate::deploy::express::managed::without_managed(definition);
            }
            (Some(definition), arn)
        }
        None => (None, args.task_definition.clone().unwrap_or_default()),
    };
    let described = clients
        .ecs
        .describe_task_definition()
        .task_definition(&task_definition_arn)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .map_err(|err| aws_error("DescribeTaskDefinition", &err, &[]))?;
    let mut task_json = described
        .task_definition()
        .map(to_json)
        .transpose()
        .map_err(anyhow::Error::msg)?
        .context("DescribeTaskDefinition returned no task definition")?;
    if !described.tags().is_empty() {
        task_json["tags"] = Value::Array(
            described
                .tags()
                .iter()
                .map(|t| serde_json::json!({"key": t.key(), "value": t.value()}))
                .collect(),
        );
    }
    let mut task_json = normalize_from_aws(task_json, DefinitionKind::Task);
    if args.sort {
        crate::deploy::diff::sort_task_definition(&mut task_json);
    }

    Ok(Imported {
        service_json,
        task_json: Some(task_json),
        task_definition_arn,
        codedeploy,
        express_json: None,
        express_managed,
    })
}

/// Whether to import `service` as an Express service: detected, unless `--express` or
/// `--no-express` says (`--express` on a plain service is an error).
fn express_import(service: &aws_sdk_ecs::types::Service, args: &InitArgs) -> anyhow::Result<bool> {
    let express = crate::deploy::express::is_express(service);
    if args.express && !express {
        anyhow::bail!(
            "--express: service `{}` is not an Express service",
            service.service_name().unwrap_or_default()
        );
    }
    Ok(express && !args.no_express)
}

/// Writes `files` (creating `config_dir`). A file that exists is overwritten with
/// `force_overwrite`; otherwise, on a terminal, ecspresso's question `Overwrite existing file
/// PATH? (y/n) [n]` decides per file (a skipped file is logged), and elsewhere nothing is
/// written and the error names the files (ecspresso's prompt would silently skip them).
fn write_files(
    files: &[(PathBuf, String)],
    config_dir: &Path,
    force_overwrite: bool,
    logger: &Logger,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let existing: Vec<String> = files
        .iter()
        .filter(|(path, _)| path.exists())
        .map(|(path, _)| path.display().to_string())
        .collect();
    let on_a_terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !existing.is_empty() && !force_overwrite && !on_a_terminal {
        anyhow::bail!(
            "{} already exist(s); nothing was written (use --force-overwrite, or run on a terminal to be asked per file)",
            existing.join(", ")
        );
    }
    if !config_dir.as_os_str().is_empty() {
        std::fs::create_dir_all(config_dir)
            .with_context(|| format!("cannot create {}", config_dir.display()))?;
    }
    for (path, text) in files {
        if path.exists() && !force_overwrite {
            let question = format!("Overwrite existing file {}?", path.display());
            let yes = crate::choose::confirm(
                &question,
                &mut std::io::stdin().lock(),
                &mut std::io::stderr().lock(),
            )?;
            if !yes {
                logger.info(&format!("skip {}", path.display()));
                continue;
            }
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
        logger.info(&format!("{} is written", path.display()));
    }
    Ok(())
}

/// A described service as a service definition file: read-only and per-call fields removed,
/// `propagateTags` kept only when it propagates.
fn service_definition(json: Value) -> Value {
    let mut json = normalize_from_aws(json, DefinitionKind::Service);
    if let Value::Object(map) = &mut json {
        for key in [
            "taskDefinition",
            "serviceName",
            "cluster",
            "clientToken",
            "role",
        ] {
            map.remove(key);
        }
        if !matches!(
            map.get("propagateTags").and_then(Value::as_str),
            Some("SERVICE" | "TASK_DEFINITION")
        ) {
            map.remove("propagateTags");
        }
    }
    json
}
