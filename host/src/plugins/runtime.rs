//! The wasmtime engine shared by all plugins of a command: epoch interruption driven by a
//! ticker thread (for wall-clock deadlines), the linker with WASI p2 (empty context), the
//! filtered `wasi:http`, and the contract's host imports. Started on the first plugin that
//! is compiled or called, so commands that call no plugin pay nothing for it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

use super::host::HostState;

/// One epoch tick.
pub const TICK: Duration = Duration::from_millis(10);

/// The engine of a command's plugins (started on first use), the compiled-component cache
/// directory and the command's deadline.
pub struct Runtime {
    cache_dir: Option<PathBuf>,
    /// When the command's `timeout` runs out, once the command has started: no plugin call
    /// outlives it.
    command_deadline: Mutex<Option<Instant>>,
    started: OnceLock<Result<Started, String>>,
}

/// A started engine: engine, linker and the epoch ticker.
pub struct Started {
    /// The engine.
    pub engine: Engine,
    /// Linker with every import a plugin may use.
    pub linker: Linker<HostState>,
    stop: Arc<AtomicBool>,
}

impl Runtime {
    /// A runtime whose engine starts on first use; compiled components are cached in
    /// `cache_dir`, if any.
    pub fn new(cache_dir: Option<PathBuf>) -> Self {
        Self {
            cache_dir,
            command_deadline: Mutex::new(None),
            started: OnceLock::new(),
        }
    }

    /// The compiled-component cache directory, if any.
    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache_dir.as_deref()
    }

    /// The engine and linker, started (and the ticker with them) by the first caller.
    pub fn started(&self) -> Result<&Started, String> {
        self.started
            .get_or_init(|| Started::new().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| format!("cannot start the WebAssembly runtime: {e}"))
    }

    /// Bounds every later plugin call by the command's deadline.
    pub fn set_command_deadline(&self, deadline: Instant) {
        if let Ok(mut slot) = self.command_deadline.lock() {
            *slot = Some(deadline);
        }
    }

    /// The command's deadline, once set.
    pub fn command_deadline(&self) -> Option<Instant> {
        self.command_deadline.lock().ok().and_then(|slot| *slot)
    }
}

impl Started {
    /// Builds the engine and linker and starts the ticker.
    fn new() -> wasmtime::Result<Self> {
        let mut config = Config::new();
        // Calls are async (see `call.rs`) so that host calls can be dropped at the deadline.
        config.epoch_interruption(true);
        config.max_wasm_stack(1 << 20);
        let engine = Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        super::bindings::add_to_linker::<HostState>(&mut linker)?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.clone();
        let ticker_stop = stop.clone();
        std::thread::Builder::new()
            .name("plugin-epoch".to_owned())
            .spawn(move || {
                while !ticker_stop.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    ticker_engine.increment_epoch();
                }
            })
            .map_err(wasmtime::Error::from)?;
        Ok(Self {
            engine,
            linker,
            stop,
        })
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(Ok(started)) = self.started.get() {
            started.stop.store(true, Ordering::Relaxed);
        }
    }
}
