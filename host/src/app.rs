//! The context of a command that works on one service: the loaded config, the renderer, the
//! AWS clients, the event sink and the command's deadline. Built once per command by `cli`.

use std::time::{Duration, Instant};

use crate::aws::Clients;
use crate::config::LoadedConfig;
use crate::events::{Event, EventSink};
use crate::render::Renderer;

/// Everything a command needs to act on the configured service.
pub struct App<'a> {
    /// The loaded config.
    pub config: LoadedConfig,
    /// Renders definition files.
    pub renderer: Renderer,
    /// AWS clients.
    pub clients: Clients,
    /// Where events go.
    pub events: &'a dyn EventSink,
    /// When the command must be done (config `timeout` from the start of the command).
    pub deadline: Instant,
}

impl App<'_> {
    /// The cluster name.
    pub fn cluster(&self) -> &str {
        &self.config.file.cluster
    }

    /// The service name, or an error naming the config file when it is not set.
    pub fn service(&self) -> Result<&str, crate::deploy::Error> {
        self.config
            .file
            .service
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| crate::deploy::Error::NoService {
                config: self.config.path.display().to_string(),
            })
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Emits an info message.
    pub fn info(&self, message: impl Into<String>) {
        self.events.emit(Event::Info(message.into()));
    }

    /// Emits a warning.
    pub fn warn(&self, message: impl Into<String>) {
        self.events.emit(Event::Warning(message.into()));
    }
}
