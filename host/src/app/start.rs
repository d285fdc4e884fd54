//! Building a command's [`App`]: what was loaded from files (config, renderer, plugins,
//! environment) joined with the AWS clients, under the command's deadline.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::App;
use crate::aws::Clients;
use crate::config::{Environment, LoadedConfig};
use crate::events::EventSink;
use crate::plugins::{HookContext, PluginSet};
use crate::render::Renderer;

/// What a config-reading command has loaded before it reaches AWS.
pub struct Loaded {
    /// The loaded config.
    pub config: LoadedConfig,
    /// The renderer, with the lookups' and plugins' template functions registered.
    pub renderer: Renderer,
    /// The config's WebAssembly plugins (empty when none are configured).
    pub plugins: PluginSet,
    /// The process environment overlaid with the env files.
    pub environment: Environment,
}

/// The hook context of a command before it has talked to AWS.
pub fn hook_context(config: &LoadedConfig, dry_run: bool) -> HookContext {
    HookContext {
        cluster: config.file.cluster.clone(),
        service: config.file.service.clone().unwrap_or_default(),
        region: config.file.region.clone().unwrap_or_default(),
        account: String::new(),
        config_name: config.path.display().to_string(),
        dry_run,
        revision: None,
        strategy: "rolling".to_owned(),
    }
}

impl<'a> App<'a> {
    /// The app of a command that must be done by `deadline`: the plugins and the AWS retries
    /// get the same deadline, the plugins' `aws-secret` settings are resolved with `clients`,
    /// and events go to `events`.
    pub async fn start(
        loaded: Loaded,
        clients: Clients,
        events: &'a dyn EventSink,
        filter_command: Option<String>,
        deadline: Instant,
    ) -> App<'a> {
        let Loaded {
            config,
            renderer,
            mut plugins,
            environment,
        } = loaded;
        plugins.set_command_deadline(deadline);
        crate::aws::retry::set_deadline(deadline);
        if !plugins.is_empty() {
            plugins
                .resolve_aws_secrets(&clients, &config.file.plugins, &environment)
                .await;
        }
        let mut context = hook_context(&config, false);
        if context.region.is_empty() {
            context.region = clients.region.clone().unwrap_or_default();
        }
        App {
            filter_command,
            config,
            renderer,
            clients,
            events,
            deadline,
            plugins: Arc::new(plugins),
            hook_context: Mutex::new(context),
            started: Instant::now(),
            environment,
            pending: crate::interrupt::Pending::default(),
            warned: Default::default(),
        }
    }
}
