//! AWS client construction, and nothing else: region (config `region`, else the SDK's own
//! resolution), credentials from the standard chain, an optional role to assume
//! (`--assume-role-arn`), endpoints from the standard settings (`AWS_ENDPOINT_URL`), all read
//! from the command's environment with its env files applied (`sdk_env`), the SDK's
//! retry strategy with ristretto's budget of attempts (`retry`: reads until the deadline,
//! writes only where safe), `--debug`'s record of each call (`call_log`), the ECS request
//! budget every ECS call waits for (`budget`) and the shared poller waiters ask (`poller`).
//! Loaded lazily, only by commands that call AWS.

pub mod budget;
pub mod call_log;
pub mod poller;
pub mod retry;
mod sdk_env;

pub use sdk_env::Error;

use aws_config::BehaviorVersion;
use aws_config::sts::AssumeRoleProvider;

/// The AWS clients a command uses, built from one shared SDK config.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Amazon ECS.
    pub ecs: aws_sdk_ecs::Client,
    /// Application Auto Scaling (the service's scalable target).
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    /// SSM Parameter Store (secrets for plugins, lookups).
    pub ssm: aws_sdk_ssm::Client,
    /// Secrets Manager (secrets for plugins, lookups).
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    /// CloudWatch (alarm states for plugins).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// CodeDeploy (services with the CODE_DEPLOY deployment controller).
    pub codedeploy: aws_sdk_codedeploy::Client,
    /// CloudWatch Logs (tailing one-off tasks).
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// The resolved region.
    pub region: Option<String>,
    /// The SDK config the clients were built from (for clients a single command needs).
    pub sdk_config: aws_config::SdkConfig,
    /// The retry policy of these clients.
    pub retry: retry::RetryPolicy,
    /// The ECS request budget of the account and region, shared by every client of the
    /// process that uses them.
    pub budget: std::sync::Arc<budget::Budget>,
    /// The poller waiters ask for services and service deployments (shared by clones).
    pub poller: poller::Poller,
}

impl Clients {
    /// Loads the SDK config and builds the clients. `region` overrides the SDK's resolution;
    /// `assume_role_arn` switches credentials to that role (session `ristretto`);
    /// `environment` (the process environment overlaid with the command's env files) is what
    /// the SDK reads its settings from (`sdk_env`).
    pub async fn load(
        region: Option<&str>,
        assume_role_arn: Option<&str>,
        environment: &crate::environment::Environment,
    ) -> Result<Self, Error> {
        Self::load_with(region, assume_role_arn, false, environment).await
    }

    /// Like `load`; with `adaptive`, the clients share the SDK's adaptive retry (a client-side
    /// rate limiter that slows every caller down when AWS throttles), for fleets that poll many
    /// services at once.
    ///
    /// Errors: an unusable `AWS_CA_BUNDLE` or `AWS_MAX_ATTEMPTS`. No AWS call is made here
    /// (credentials and the role are resolved on the first call).
    pub async fn load_with(
        region: Option<&str>,
        assume_role_arn: Option<&str>,
        adaptive: bool,
        environment: &crate::environment::Environment,
    ) -> Result<Self, Error> {
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).env(sdk_env::sdk_env(environment));
        let http_client = sdk_env::http_client(environment)?;
        loader = loader.http_client(http_client.clone());
        let cap = sdk_env::max_attempts(environment)?;
        if adaptive {
            loader = loader.retry_config(
                aws_config::retry::RetryConfig::adaptive().with_max_attempts(cap.unwrap_or(6)),
            );
        }
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region.to_owned()));
        }
        let mut sdk_config = loader.load().await;
        if let Some(role) = assume_role_arn {
            let provider = AssumeRoleProvider::builder(role)
                .session_name("ristretto")
                .configure(&sdk_config)
                .build()
                .await;
            sdk_config = sdk_config
                .into_builder()
                .credentials_provider(aws_sdk_ecs::config::SharedCredentialsProvider::new(
                    provider,
                ))
                .build();
        }
        let policy = retry::RetryPolicy { cap };
        let budget =
            budget::Budget::shared(&sdk_env::account_key(environment, region, assume_role_arn));
        let ecs = aws_sdk_ecs::Client::from_conf(
            aws_sdk_ecs::config::Builder::from(&sdk_config)
                .interceptor(policy)
                .interceptor(retry::ThrottleWatch {
                    budget: budget.clone(),
                })
                .interceptor(call_log::CallLog)
                .http_client(budget::Budgeted {
                    inner: http_client,
                    budget: budget.clone(),
                })
                // A request waiting for its budget token has not started to upload: the
                // upload stall check would count that wait as a stalled upload (ECS's request
                // bodies are small JSON; downloads are still checked).
                .stalled_stream_protection(
                    aws_sdk_ecs::config::StalledStreamProtectionConfig::enabled()
                        .upload_enabled(false)
                        .build(),
                )
                .build(),
        );
        Ok(Self {
            poller: poller::Poller::new(ecs.clone()),
            budget,
            ecs,
            autoscaling: Build::build(&sdk_config, policy, None),
            ssm: Build::build(&sdk_config, policy, None),
            secretsmanager: Build::build(&sdk_config, policy, None),
            cloudwatch: Build::build(&sdk_config, policy, None),
            codedeploy: Build::build(&sdk_config, policy, None),
            logs: Build::build(&sdk_config, policy, None),
            region: sdk_config.region().map(ToString::to_string),
            retry: policy,
            sdk_config: sdk_config.clone(),
        })
    }
}

impl Clients {
    /// A client of another AWS service (IAM, ECR, S3, …) from the command's SDK config, built
    /// as the command's own clients are (`Build`).
    pub fn client<C: Build>(&self) -> C {
        C::build(&self.sdk_config, self.retry, None)
    }

    /// A client from `sdk_config` (e.g. with a task role's credentials), in `region` when
    /// given, built as the command's own clients are (`Build`).
    pub fn client_with<C: Build>(
        &self,
        sdk_config: &aws_config::SdkConfig,
        region: Option<&str>,
    ) -> C {
        C::build(sdk_config, self.retry, region)
    }

    /// One line on the ECS requests of the command so far (debug output, benchmarks): the
    /// budget's requests, delays and throttles, and the poller's rounds and batched calls.
    pub fn usage(&self) -> String {
        let budget = self.budget.stats();
        let poller = self.poller.stats();
        format!(
            "ECS requests: {} sent, {} waited for the request budget, {} throttled; poller: {} rounds, {} DescribeServices naming {} services, {} DescribeServiceDeployments naming {} deployments",
            budget.requests,
            budget.delayed,
            budget.throttled,
            poller.rounds,
            poller.describe_services,
            poller.services_described,
            poller.describe_deployments,
            poller.deployments_described,
        )
    }

    /// A CloudWatch Logs client for `region` (an awslogs container's `awslogs-region`), which
    /// may differ from the config's; the usual client when it does not.
    pub fn logs_in(&self, region: Option<&str>) -> aws_sdk_cloudwatchlogs::Client {
        match region {
            Some(region) if Some(region) != self.region.as_deref() => {
                Build::build(&self.sdk_config, self.retry, Some(region))
            }
            _ => self.logs.clone(),
        }
    }
}

/// The one way ristretto builds an AWS SDK client (all but ECS's, which adds its request
/// budget): from an SDK config, with the retry policy (`retry`) and `--debug`'s call log
/// (`call_log`), in another region when one is given.
pub trait Build {
    /// The client for `sdk_config` with `retry`, in `region` when given.
    fn build(
        sdk_config: &aws_config::SdkConfig,
        retry: retry::RetryPolicy,
        region: Option<&str>,
    ) -> Self;
}

/// `Build` for the SDK crates named.
macro_rules! build_clients {
    ($($sdk:ident),* $(,)?) => {$(
        impl Build for $sdk::Client {
            fn build(
                sdk_config: &aws_config::SdkConfig,
                retry: retry::RetryPolicy,
                region: Option<&str>,
            ) -> Self {
                let mut builder = $sdk::config::Builder::from(sdk_config)
                    .interceptor(retry)
                    .interceptor(call_log::CallLog);
                if let Some(region) = region {
                    builder = builder.region($sdk::config::Region::new(region.to_owned()));
                }
                $sdk::Client::from_conf(builder.build())
            }
        }
    )*};
}

build_clients!(
    aws_sdk_applicationautoscaling,
    aws_sdk_cloudformation,
    aws_sdk_cloudwatch,
    aws_sdk_cloudwatchlogs,
    aws_sdk_codedeploy,
    aws_sdk_ecr,
    aws_sdk_elasticloadbalancingv2,
    aws_sdk_iam,
    aws_sdk_s3,
    aws_sdk_secretsmanager,
    aws_sdk_ssm,
    aws_sdk_vpclattice,
);

/// A readable description of an SDK error: the service's error code and message when there is
/// one, otherwise the transport problem.
pub fn describe_error<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            match (inner.code(), inner.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                _ => inner.to_string(),
            }
        }
        SdkError::TimeoutError(_) => "request timed out".to_owned(),
        SdkError::DispatchFailure(failure) => {
            let mut causes = String::new();
            let mut source: Option<&dyn std::error::Error> = failure
                .as_connector_error()
                .map(|e| e as &dyn std::error::Error);
            while let Some(cause) = source {
                causes.push_str(": ");
                causes.push_str(&cause.to_string());
                source = cause.source();
            }
            if causes.contains("credential") {
                format!(
                    "no usable AWS credentials (environment variables, a profile, SSO or an instance/task role; in CI, the OIDC role step){causes}"
                )
            } else {
                format!("could not reach AWS{causes}")
            }
        }
        SdkError::ResponseError(_) => "unreadable response from AWS".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::Environment;

    #[tokio::test]
    async fn the_sdk_reads_its_settings_from_the_environment_given() {
        let environment = Environment::from_vars([
            ("AWS_RETRY_MODE", "adaptive"),
            ("AWS_MAX_ATTEMPTS", "2"),
            ("AWS_REGION", "eu-west-3"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]);
        let clients = Clients::load(None, None, &environment).await.unwrap();
        let retry = clients.sdk_config.retry_config().unwrap();
        assert_eq!(retry.mode(), aws_config::retry::RetryMode::Adaptive);
        assert_eq!(retry.max_attempts(), 2);
        assert_eq!(clients.retry.cap, Some(2));
        assert_eq!(clients.region.as_deref(), Some("eu-west-3"));
        let plain = Clients::load(None, None, &Environment::default())
            .await
            .unwrap();
        assert_eq!(plain.retry.cap, None);
        assert_eq!(
            plain.sdk_config.retry_config().unwrap().mode(),
            aws_config::retry::RetryMode::Standard
        );
    }
}
