//! `ristretto render config|servicedef|taskdef|expressdef`: prints the resolved config (YAML)
//! or the rendered, normalized definitions (JSON), or any of them as Jsonnet with `--jsonnet`.
//! Makes no AWS calls.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::config::{Environment, Globals};
use crate::definition;
use crate::output::{Logger, print_stdout, to_jsonnet, to_pretty_json};
use crate::plugins::{DefinitionKind, HookContext};

/// Flags of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// What to render, in order
    #[arg(value_enum, required = true, value_name = "TARGET")]
    pub targets: Vec<RenderTarget>,
    /// Print as Jsonnet instead of JSON (the config: instead of YAML)
    #[arg(long)]
    pub jsonnet: bool,
}

/// Things `render` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderTarget {
    /// The resolved config (defaults filled)
    Config,
    /// The service definition
    #[value(name = "service-definition", alias = "servicedef")]
    ServiceDefinition,
    /// The task definition
    #[value(name = "task-definition", alias = "taskdef")]
    TaskDefinition,
    /// The ECS Express mode definition
    #[value(name = "express-definition", alias = "expressdef")]
    ExpressDefinition,
}

/// Loads the config and prints each target.
pub fn run(
    args: RenderArgs,
    globals: &Globals,
    environment: Environment,
    logger: &Logger,
) -> anyhow::Result<ExitCode> {
    let loaded = super::load_app(globals, environment, logger)?;
    let context = super::hook_context(&loaded.config, true);
    let shown = loaded
        .config
        .file
        .resolved_for_display(&loaded.environment, globals.filter_command.as_deref());
    for target in args.targets {
        let text = render_target(target, &loaded, &shown, &context, args.jsonnet, logger)?;
        print_stdout(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn render_target(
    target: RenderTarget,
    loaded: &super::Loaded,
    shown: &crate::config::ConfigFile,
    context: &HookContext,
    jsonnet: bool,
    logger: &Logger,
) -> anyhow::Result<String> {
    let (config, renderer) = (&loaded.config, &loaded.renderer);
    let mut definition = match target {
        RenderTarget::Config => {
            return if jsonnet {
                Ok(to_jsonnet(&serde_json::to_value(shown)?))
            } else {
                Ok(serde_yaml_ng::to_string(shown)?)
            };
        }
        RenderTarget::ServiceDefinition => {
            let path = config.service_definition_path().with_context(|| {
                format!("{}: `service_definition` is not set", config.path.display())
            })?;
            config
                .check_file_exists("service_definition", &path)
                .map_err(anyhow::Error::msg)?;
            definition::load_service_definition(&path, renderer, config.file.service.as_deref())?
        }
        RenderTarget::TaskDefinition => {
            let path = config.task_definition_path().with_context(|| {
                format!("{}: `task_definition` is not set", config.path.display())
            })?;
            config
                .check_file_exists("task_definition", &path)
                .map_err(anyhow::Error::msg)?;
            definition::load_task_definition(&path, renderer)?
        }
        RenderTarget::ExpressDefinition => {
            let path = config.express_definition_path().with_context(|| {
                format!("{}: `express_definition` is not set", config.path.display())
            })?;
            config
                .check_file_exists("express_definition", &path)
                .map_err(anyhow::Error::msg)?;
            definition::load_express_definition(&path, renderer)?
        }
    };
    for warning in &definition.warnings {
        logger.warn(warning);
    }
    let kind = match target {
        RenderTarget::TaskDefinition => Some(DefinitionKind::TaskDefinition),
        RenderTarget::ServiceDefinition => Some(DefinitionKind::ServiceDefinition),
        RenderTarget::ExpressDefinition => Some(DefinitionKind::ExpressDefinition),
        RenderTarget::Config => None,
    };
    if let Some(kind) = kind {
        definition.value = loaded.plugins.transform(context, kind, definition.value)?;
    }
    if let RenderTarget::ServiceDefinition = target
        && let Some(path) = config.service_definition_path()
    {
        crate::definition::gate_hook::apply_gate_hook(
            loaded.plugins.gate_hook_timeout(),
            &mut definition.value,
            &path.display().to_string(),
        )
        .map_err(anyhow::Error::msg)?;
    }
    Ok(if jsonnet {
        to_jsonnet(&definition.value)
    } else {
        to_pretty_json(&definition.value)
    })
}
