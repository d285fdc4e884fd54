//! Which failed AWS calls are tried again. The SDK's retry strategy (jittered exponential
//! backoff, adaptive where configured) does the waiting; this interceptor sets, after each
//! failed attempt, how many attempts the call may have in all:
//! - reads (`Describe*`, `List*`, `Get*`, …) keep retrying throttling, 5xx, timeouts and resets
//!   until the command's deadline, so a deploy's wait survives a rough minute of AWS;
//! - writes retry what AWS did not process (throttling, HTTP 429/503), and ambiguous failures
//!   (another 5xx, a timeout or reset after the request was sent) only where the request
//!   carries a client token that makes a second one harmless (RunTask, CreateService).
//!
//! A write that failed ambiguously is reported, not repeated: UpdateService or
//! RegisterTaskDefinition may have taken effect, and the error says what was applied before it.

use std::sync::OnceLock;
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;

/// Attempts a read may have before the deadline (with the SDK's 20 s backoff cap, about ten
/// minutes of trying).
const READ_ATTEMPTS: u32 = 30;
/// Attempts a write may have when AWS did not process it, or when it is idempotent.
const WRITE_ATTEMPTS: u32 = 5;

/// Writes whose requests ristretto sends with a client token, so AWS runs them once however
/// often they arrive.
const IDEMPOTENT_WRITES: [&str; 2] = ["RunTask", "CreateService"];

/// Error codes that mean AWS refused the request before doing anything (header or body).
const THROTTLING_CODES: [&str; 4] = [
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "TooManyRequestsException",
];

static DEADLINE: OnceLock<Instant> = OnceLock::new();

/// Stops read retries at the command's deadline (config `timeout`); set once per process.
pub fn set_deadline(deadline: Instant) {
    let _ = DEADLINE.set(deadline);
}

/// A fresh client token (at most 64 ASCII characters, as RunTask and CreateService take): the
/// process id and the time in nanoseconds.
pub fn client_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("ristretto-{}-{nanos}", std::process::id())
}

/// Whether `operation` only reads.
pub fn is_read(operation: &str) -> bool {
    [
        "Describe",
        "List",
        "Get",
        "BatchGet",
        "Head",
        "Filter",
        "Lookup",
        "AssumeRole",
    ]
    .iter()
    .any(|prefix| operation.starts_with(prefix))
}

/// Sets each failed call's attempt budget (see the module doc), never above `cap` (the
/// user's `AWS_MAX_ATTEMPTS`, which the SDK reads too).
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryPolicy {
    /// The most attempts a call may have, when the user set it.
    pub cap: Option<u32>,
}

impl Intercept for RetryPolicy {
    fn name(&self) -> &'static str {
        "ristretto retry policy"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Err(error)) = context.output_or_error() else {
            return Ok(());
        };
        let Some(base) = cfg.load::<RetryConfig>().cloned() else {
            return Ok(());
        };
        let operation = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_owned())
            .unwrap_or_default();
        let attempts = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        let not_processed = context
            .response()
            .is_some_and(|response| response.status().as_u16() == 503 || is_throttling(response));
        let ambiguous = error.is_timeout_error() || error.as_connector_error().is_some() || {
            context
                .response()
                .is_some_and(|r| r.status().is_server_error())
        };
        let budget = if is_read(&operation) {
            let expired = DEADLINE.get().is_some_and(|d| Instant::now() >= *d);
            if expired { attempts } else { READ_ATTEMPTS }
        } else if not_processed || (ambiguous && IDEMPOTENT_WRITES.contains(&operation.as_str())) {
            WRITE_ATTEMPTS
        } else {
            attempts
        };
        let budget = budget.max(attempts);
        let budget = self.cap.map_or(budget, |cap| budget.min(cap));
        cfg.interceptor_state()
            .store_put(base.with_max_attempts(budget));
        Ok(())
    }
}

/// Whether AWS answered "slow down": HTTP 429 or a throttling error code (header or body).
pub(crate) fn is_throttling(response: &HttpResponse) -> bool {
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .unwrap_or_default();
    let body = response
        .body()
        .bytes()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    response.status().as_u16() == 429
        || THROTTLING_CODES
            .iter()
            .any(|code| error_type.starts_with(code) || body.contains(code))
}

/// Tells the ECS request budget when AWS throttled a request anyway (`budget`).
#[derive(Debug, Clone)]
pub struct ThrottleWatch {
    /// The budget to slow down.
    pub budget: std::sync::Arc<crate::aws::budget::Budget>,
}

impl Intercept for ThrottleWatch {
    fn name(&self) -> &'static str {
        "ristretto throttle watch"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Err(_)) = context.output_or_error()
            && context.response().is_some_and(is_throttling)
        {
            let operation = cfg.load::<Metadata>().map(|m| m.name()).unwrap_or_default();
            self.budget.throttled(operation);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_told_from_writes_by_name() {
        for read in [
            "DescribeServices",
            "ListTasks",
            "GetDeployment",
            "BatchGetDeploymentTargets",
            "AssumeRole",
        ] {
            assert!(is_read(read), "{read}");
        }
        for write in [
            "UpdateService",
            "RegisterTaskDefinition",
            "RunTask",
            "TagResource",
            "ContinueServiceDeployment",
            "CreateDeployment",
        ] {
            assert!(!is_read(write), "{write}");
        }
    }
}
