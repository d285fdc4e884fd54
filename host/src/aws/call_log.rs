//! `--debug`: one record per AWS call (service and operation, region, endpoint, HTTP status or
//! error, duration, retries), as ecspresso's and the AWS CLI's debug output show them. An SDK
//! interceptor on every client measures each call; it reports to the observer the command
//! set once per process (the CLI sets one that writes debug log records) and costs nothing
//! when none is set. It never prints itself.

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// One finished AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCall {
    /// The SDK's service name (`ECS`, `CodeDeploy`, …).
    pub service: String,
    /// The operation (`DescribeServices`).
    pub operation: String,
    /// The region the call was signed for, when known.
    pub region: Option<String>,
    /// Scheme and authority the request went to (`https://ecs.us-east-1.amazonaws.com`).
    pub endpoint: Option<String>,
    /// The last attempt's HTTP status, when a response came.
    pub status: Option<u16>,
    /// Whether the call failed in the end.
    pub failed: bool,
    /// From the first attempt to the last answer, backoff included.
    pub duration: Duration,
    /// Attempts after the first.
    pub retries: u32,
}

impl fmt::Display for AwsCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AWS {}.{}", self.service, self.operation)?;
        if let Some(region) = &self.region {
            write!(f, " region={region}")?;
        }
        if let Some(endpoint) = &self.endpoint {
            write!(f, " endpoint={endpoint}")?;
        }
        match (self.status, self.failed) {
            (Some(status), false) => write!(f, " status={status}")?,
            (Some(status), true) => write!(f, " status={status} failed")?,
            (None, _) => write!(f, " no response")?,
        }
        write!(
            f,
            " duration={:.1}ms retries={}",
            self.duration.as_secs_f64() * 1000.0,
            self.retries
        )
    }
}

/// Receives every finished AWS call.
pub type Observer = Box<dyn Fn(&AwsCall) + Send + Sync>;

static OBSERVER: OnceLock<Observer> = OnceLock::new();

/// Sets the observer of AWS calls for this process (the first call wins).
pub fn observe(observer: Observer) {
    let _ = OBSERVER.set(observer);
}

/// When the call began (kept in the call's config bag).
#[derive(Debug, Clone, Copy)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// Where the last attempt was sent (scheme and authority).
#[derive(Debug, Clone)]
struct Endpoint(String);

impl Storable for Endpoint {
    type Storer = StoreReplace<Self>;
}

/// The interceptor that measures calls for the observer.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallLog;

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "ristretto call log"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if OBSERVER.get().is_some() {
            cfg.interceptor_state().store_put(Started(Instant::now()));
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if OBSERVER.get().is_none() {
            return Ok(());
        }
        let uri: Option<http::Uri> = context.request().uri().parse().ok();
        if let Some(uri) = uri
            && let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority())
        {
            cfg.interceptor_state()
                .store_put(Endpoint(format!("{scheme}://{authority}")));
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (Some(observer), Some(started)) = (OBSERVER.get(), cfg.load::<Started>()) else {
            return Ok(());
        };
        let metadata = cfg.load::<Metadata>();
        let call = AwsCall {
            service: metadata.map(|m| m.service().to_owned()).unwrap_or_default(),
            operation: metadata.map(|m| m.name().to_owned()).unwrap_or_default(),
            region: cfg
                .load::<aws_types::region::Region>()
                .map(ToString::to_string),
            endpoint: cfg.load::<Endpoint>().map(|e| e.0.clone()),
            status: context.response().map(|r| r.status().as_u16()),
            failed: matches!(context.output_or_error(), Some(Err(_))),
            duration: started.0.elapsed(),
            retries: cfg
                .load::<RequestAttempts>()
                .map_or(0, |a| a.attempts().saturating_sub(1)),
        };
        observer(&call);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_reads_as_one_line() {
        let call = AwsCall {
            service: "ECS".to_owned(),
            operation: "DescribeServices".to_owned(),
            region: Some("ap-northeast-1".to_owned()),
            endpoint: Some("http://127.0.0.1:4566".to_owned()),
            status: Some(200),
            failed: false,
            duration: Duration::from_micros(12_345),
            retries: 1,
        };
        assert_eq!(
            call.to_string(),
            "AWS ECS.DescribeServices region=ap-northeast-1 endpoint=http://127.0.0.1:4566 status=200 duration=12.3ms retries=1"
        );
    }
}
