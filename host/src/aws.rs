//! AWS client construction, and nothing else: region (config `region`, else the SDK's own
//! resolution), credentials from the standard chain, an optional role to assume
//! (`--assume-role-arn`), endpoints from the standard settings (`AWS_ENDPOINT_URL`), the SDK's
//! retry strategy with ristretto's budget of attempts (`retry`: reads until the deadline,
//! writes only where safe). Loaded lazily, only by commands that call AWS.

pub mod retry;

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
}

/// The AWS settings an env file set to something else than the process environment has.
fn env_file_setting<'e>(
    environment: &'e crate::environment::Environment,
    name: &str,
) -> Option<&'e str> {
    let value = environment.get(name).filter(|v| !v.is_empty())?;
    (std::env::var(name).ok().as_deref() != Some(value)).then_some(value)
}

/// Applies region, profile, static credentials and endpoint set by env files to `loader`.
fn apply_env_file_settings(
    mut loader: aws_config::ConfigLoader,
    environment: &crate::environment::Environment,
) -> aws_config::ConfigLoader {
    if let Some(region) = env_file_setting(environment, "AWS_REGION")
        .or_else(|| env_file_setting(environment, "AWS_DEFAULT_REGION"))
    {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    if let Some(profile) = env_file_setting(environment, "AWS_PROFILE") {
        loader = loader.profile_name(profile);
    }
    let key = env_file_setting(environment, "AWS_ACCESS_KEY_ID");
    let secret = env_file_setting(environment, "AWS_SECRET_ACCESS_KEY");
    if key.is_some() || secret.is_some() {
        let key = key.or_else(|| environment.get("AWS_ACCESS_KEY_ID"));
        let secret = secret.or_else(|| environment.get("AWS_SECRET_ACCESS_KEY"));
        if let (Some(key), Some(secret)) = (key, secret) {
            loader = loader.credentials_provider(aws_sdk_ecs::config::Credentials::new(
                key,
                secret,
                environment.get("AWS_SESSION_TOKEN").map(str::to_owned),
                None,
                "envfile",
            ));
        }
    }
    if let Some(endpoint) = env_file_setting(environment, "AWS_ENDPOINT_URL") {
        loader = loader.endpoint_url(endpoint);
    }
    loader
}

impl Clients {
    /// Loads the SDK config and builds the clients. `region` overrides the SDK's resolution;
    /// `assume_role_arn` switches credentials to that role (session `ristretto`).
    pub async fn load(region: Option<&str>, assume_role_arn: Option<&str>) -> Self {
        Self::load_with(region, assume_role_arn, false, None).await
    }

    /// Like `load`; with `adaptive`, the clients share the SDK's adaptive retry (a client-side
    /// rate limiter that slows every caller down when AWS throttles), for fleets that poll many
    /// services at once. `environment` (the process environment overlaid with `--envfile`
    /// files) supplies the AWS settings the env files changed, as if they were exported, the
    /// way ecspresso exports env files to its process.
    pub async fn load_with(
        region: Option<&str>,
        assume_role_arn: Option<&str>,
        adaptive: bool,
        environment: Option<&crate::environment::Environment>,
    ) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(environment) = environment {
            loader = apply_env_file_settings(loader, environment);
        }
        if adaptive {
            loader = loader
                .retry_config(aws_config::retry::RetryConfig::adaptive().with_max_attempts(6));
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
        macro_rules! client {
            ($sdk:ident) => {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(&sdk_config)
                        .interceptor(retry::RetryPolicy)
                        .build(),
                )
            };
        }
        Self {
            ecs: client!(aws_sdk_ecs),
            autoscaling: client!(aws_sdk_applicationautoscaling),
            ssm: client!(aws_sdk_ssm),
            secretsmanager: client!(aws_sdk_secretsmanager),
            cloudwatch: client!(aws_sdk_cloudwatch),
            codedeploy: client!(aws_sdk_codedeploy),
            logs: client!(aws_sdk_cloudwatchlogs),
            region: sdk_config.region().map(ToString::to_string),
            sdk_config: sdk_config.clone(),
        }
    }
}

impl Clients {
    /// A CloudWatch Logs client for `region` (an awslogs container's `awslogs-region`), which
    /// may differ from the config's; the usual client when it does not.
    pub fn logs_in(&self, region: Option<&str>) -> aws_sdk_cloudwatchlogs::Client {
        match region {
            Some(region) if Some(region) != self.region.as_deref() => {
                let config = aws_sdk_cloudwatchlogs::config::Builder::from(&self.sdk_config)
                    .interceptor(retry::RetryPolicy)
                    .region(aws_sdk_cloudwatchlogs::config::Region::new(
                        region.to_owned(),
                    ))
                    .build();
                aws_sdk_cloudwatchlogs::Client::from_conf(config)
            }
            _ => self.logs.clone(),
        }
    }
}

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
