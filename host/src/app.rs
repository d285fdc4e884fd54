//! The context of a command that works on one service: the loaded config, the renderer, the
//! AWS clients, the event sink and the command's deadline. Built once per command by
//! [`App::start`] from what `cli` loaded ([`Loaded`]).

mod start;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::aws::Clients;
use crate::config::LoadedConfig;
use crate::definition::{self, Definition};
use crate::events::{Event, EventSink, Lifecycle};
use crate::plugins::{DefinitionKind, HookContext, PluginSet};
use crate::render::Renderer;

pub use start::{Loaded, hook_context};

/// Why the configured service or its definitions cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config names no service.
    #[error("{config}: `service` is not set")]
    NoService {
        /// The config file.
        config: String,
    },
    /// A definition file is missing or its PAUSE hooks are not allowed.
    #[error("{0}")]
    Invalid(String),
    /// A definition could not be loaded.
    #[error(transparent)]
    Definition(#[from] crate::definition::Error),
    /// A plugin's transform failed.
    #[error(transparent)]
    Plugin(#[from] crate::plugins::Error),
}

/// Everything a command needs to act on the configured service.
pub struct App<'a> {
    /// The loaded config.
    pub config: LoadedConfig,
    /// Renders definition files.
    pub renderer: Renderer,
    /// AWS clients.
    pub clients: Clients,
    /// Where events go for the output (logs, progress, JSON); use [`App::emit`], which also
    /// tells the notify plugins.
    pub events: &'a dyn EventSink,
    /// When the command must be done (config `timeout` from the start of the command).
    pub deadline: Instant,
    /// WebAssembly plugins (empty when none are configured).
    pub plugins: Arc<PluginSet>,
    /// What hooks are told about the command (updated as the deploy learns more).
    pub hook_context: Mutex<HookContext>,
    /// When the command started.
    pub started: Instant,
    /// `--filter-command` (or the deprecated config key): picks a task interactively.
    pub filter_command: Option<String>,
    /// The process environment overlaid with `--envfile` files: what child processes get.
    pub environment: crate::environment::Environment,
    /// The decision ristretto owes a paused deployment while its gates run (answered with a
    /// rollback when ristretto is stopped by a signal).
    pub pending: crate::interrupt::Pending,
    /// Definition warnings already shown (a definition loaded twice warns once).
    pub warned: Mutex<std::collections::BTreeSet<String>>,
}

impl App<'_> {
    /// The cluster name.
    pub fn cluster(&self) -> &str {
        &self.config.file.cluster
    }

    /// The service name, or an error naming the config file when it is not set.
    pub fn service(&self) -> Result<&str, Error> {
        self.config
            .file
            .service
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::NoService {
                config: self.config.path.display().to_string(),
            })
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Emits an info message.
    pub fn info(&self, message: impl Into<String>) {
        self.emit(Event::Info(message.into()));
    }

    /// Emits a warning.
    pub fn warn(&self, message: impl Into<String>) {
        self.emit(Event::Warning(message.into()));
    }

    /// Warns about a loaded definition's problem, once per command.
    pub fn warn_once(&self, message: &str) {
        let first = self
            .warned
            .lock()
            .map(|mut warned| warned.insert(message.to_owned()))
            .unwrap_or(true);
        if first {
            self.warn(message);
        }
    }

    /// The current hook context.
    pub fn context(&self) -> HookContext {
        self.hook_context
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// Updates the hook context.
    pub fn update_context(&self, f: impl FnOnce(&mut HookContext)) {
        if let Ok(mut context) = self.hook_context.lock() {
            f(&mut context);
        }
    }

    /// Loads the task definition at `path` and applies the plugins' transforms.
    pub fn load_task_definition(&self, path: &Path) -> Result<Definition, Error> {
        self.config
            .check_file_exists("task_definition", path)
            .map_err(Error::Invalid)?;
        let mut loaded = definition::load_task_definition(path, &self.renderer)?;
        loaded.value = self.plugins.transform(
            &self.context(),
            DefinitionKind::TaskDefinition,
            loaded.value,
        )?;
        Ok(loaded)
    }

    /// Loads the service definition at `path` and applies the plugins' transforms; with gate
    /// plugins, adds the PAUSE hook their `before-traffic-shift` stage needs (ECS blue/green).
    pub fn load_service_definition(&self, path: &Path) -> Result<Definition, Error> {
        self.config
            .check_file_exists("service_definition", path)
            .map_err(Error::Invalid)?;
        let mut loaded = definition::load_service_definition(
            path,
            &self.renderer,
            self.config.file.service.as_deref(),
        )?;
        loaded.value = self.plugins.transform(
            &self.context(),
            DefinitionKind::ServiceDefinition,
            loaded.value,
        )?;
        definition::gate_hook::apply_gate_hook(
            self.plugins.gate_hook_timeout(),
            &mut loaded.value,
            &path.display().to_string(),
        )
        .map_err(Error::Invalid)?;
        Ok(loaded)
    }

    /// Sends `event` to the command's subscribers: the output (log, progress, JSON, dry-run
    /// requests) and, for a lifecycle event, every notify plugin (in the background).
    pub fn emit(&self, event: Event) {
        if let Event::Lifecycle(lifecycle) = &event {
            self.plugins.notify(
                &self.context(),
                lifecycle.kind,
                &lifecycle.message,
                lifecycle.task_definition.clone(),
                lifecycle.details.clone(),
                self.started,
            );
        }
        self.events.emit(event);
    }

    /// Reports a step of the deploy's life to the log and the notify plugins.
    pub fn lifecycle(&self, event: Lifecycle) {
        self.emit(Event::Lifecycle(event));
    }
}
