//! Resource limits of one plugin: per-hook wall-clock deadlines (epoch interruption), how long a
//! gate may stay pending, and the linear-memory cap enforced by a `ResourceLimiter` that
//! remembers when it refused to grow (so the error says "memory limit", not just "trap").

use std::time::Duration;

use crate::config::{PluginLimits, parse_duration};

/// Default linear memory cap.
pub const DEFAULT_MEMORY: usize = 128 << 20;

/// A hook, for choosing its default deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// `info`
    Info,
    /// `transform`
    Transform,
    /// `functions` (declare and call)
    Functions,
    /// one `gate.check` call
    Gate,
    /// `notify`
    Notify,
}

impl Hook {
    /// The hook's name, as in WIT.
    pub fn name(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Transform => "transform",
            Self::Functions => "functions",
            Self::Gate => "gate",
            Self::Notify => "notify",
        }
    }

    fn default_timeout(self) -> Duration {
        match self {
            Self::Info => Duration::from_secs(5),
            Self::Transform | Self::Functions | Self::Notify => Duration::from_secs(10),
            Self::Gate => Duration::from_secs(60),
        }
    }
}

/// Resolved limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Overrides every hook's deadline.
    pub timeout: Option<Duration>,
    /// How long a gate may answer `pending`.
    pub gate_timeout: Duration,
    /// Memory cap in bytes.
    pub memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: None,
            gate_timeout: Duration::from_secs(600),
            memory: DEFAULT_MEMORY,
        }
    }
}

impl Limits {
    /// Parses `limits:`; errors name the key.
    pub fn parse(limits: Option<&PluginLimits>) -> Result<Self, String> {
        let mut out = Self::default();
        let Some(limits) = limits else { return Ok(out) };
        if let Some(text) = &limits.timeout {
            out.timeout = Some(parse_duration(text).map_err(|e| format!("limits.timeout: {e}"))?);
        }
        if let Some(text) = &limits.gate_timeout {
            out.gate_timeout =
                parse_duration(text).map_err(|e| format!("limits.gate_timeout: {e}"))?;
        }
        if let Some(text) = &limits.memory {
            out.memory = parse_size(text)
                .ok_or_else(|| format!("limits.memory: `{text}` is not a size such as 64MiB"))?;
            if out.memory < 1 << 20 {
                return Err(format!(
                    "limits.memory: `{text}` is below the 1MiB minimum (a WebAssembly page is 64KiB and components need several)"
                ));
            }
        }
        Ok(out)
    }

    /// The deadline of one call of `hook`.
    pub fn deadline(&self, hook: Hook) -> Duration {
        self.timeout.unwrap_or_else(|| hook.default_timeout())
    }
}

/// `64MiB`, `512KiB`, `1GiB`, `64MB`, or a number of bytes.
fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number.parse().ok()?;
    let scale: usize = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "KB" | "K" => 1 << 10,
        "MiB" | "MB" | "M" => 1 << 20,
        "GiB" | "GB" | "G" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(scale)
}

/// Caps linear memory and tables; records a refusal.
#[derive(Debug)]
pub struct MemoryLimiter {
    limit: usize,
    /// Set when growth beyond the limit was refused.
    pub exceeded: bool,
    /// The largest linear memory size granted, in bytes.
    pub peak: usize,
}

impl MemoryLimiter {
    /// A limiter allowing `limit` bytes of linear memory.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            exceeded: false,
            peak: 0,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            return Err(wasmtime::Error::msg(format!(
                "memory limit of {} MiB exceeded",
                self.limit >> 20
            )));
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_limits() {
        let limits = Limits::parse(Some(&PluginLimits {
            timeout: Some("2s".into()),
            gate_timeout: Some("5m".into()),
            memory: Some("64MiB".into()),
        }))
        .unwrap();
        assert_eq!(limits.deadline(Hook::Notify), Duration::from_secs(2));
        assert_eq!(limits.gate_timeout, Duration::from_secs(300));
        assert_eq!(limits.memory, 64 << 20);
        assert_eq!(
            Limits::default().deadline(Hook::Gate),
            Duration::from_secs(60)
        );
        assert!(
            Limits::parse(Some(&PluginLimits {
                memory: Some("lots".into()),
                ..Default::default()
            }))
            .is_err()
        );
        let small = Limits::parse(Some(&PluginLimits {
            memory: Some("10KiB".into()),
            ..Default::default()
        }))
        .unwrap_err();
        assert!(small.contains("below the 1MiB minimum"), "{small}");
    }
}
