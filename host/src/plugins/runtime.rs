//! The wasmtime engine shared by all plugins of a command: epoch interruption driven by a
//! ticker thread (for wall-clock deadlines), the linker with WASI p2 (empty context), the
//! filtered `wasi:http`, and the contract's host imports. Created only when plugins are
//! configured, so commands without plugins pay nothing.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine};

use super::bindings::Plugin;
use super::host::HostState;

/// One epoch tick.
pub const TICK: Duration = Duration::from_millis(10);

/// Engine, linker and the epoch ticker.
pub struct Runtime {
    /// The engine.
    pub engine: Engine,
    /// Linker with every import a plugin may use.
    pub linker: Linker<HostState>,
    /// Compiled-component cache directory, if any.
    pub cache_dir: Option<PathBuf>,
    /// When the command's `timeout` runs out, once the command has started: no plugin call
    /// outlives it.
    command_deadline: Mutex<Option<Instant>>,
    stop: Arc<AtomicBool>,
}

impl Runtime {
    /// Builds the engine and linker and starts the ticker.
    pub fn new(cache_dir: Option<PathBuf>) -> wasmtime::Result<Self> {
        let mut config = Config::new();
        // Calls are async (see `call.rs`) so that host calls can be dropped at the deadline.
        config.epoch_interruption(true);
        config.max_wasm_stack(1 << 20);
        let engine = Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        Plugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)?;
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
            cache_dir,
            command_deadline: Mutex::new(None),
            stop,
        })
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

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
