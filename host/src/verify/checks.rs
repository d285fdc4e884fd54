//! The checks of `verify`, in ecspresso's order: TaskDefinition (roles, then per container
//! image, secrets, log configuration, ports), ServiceDefinition (network configuration, load
//! balancers), Cluster.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

use super::parse::{
    EcrImage, ecr_image, is_secrets_manager, role_arn_problem, role_name, secret_reference, trusts,
};
use super::{Report, Status};
use crate::app::App;
use crate::deploy::Error;

/// Options of `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Read every secret (GetSecretValue / GetParameters); off: SKIP.
    pub get_secrets: bool,
    /// Create a log stream and put a test event in each awslogs group; off: SKIP.
    pub put_logs: bool,
    /// Check a resource again even if it was checked earlier in the run.
    pub no_cache: bool,
}

/// Runs every check of the configured definitions and returns the report.
pub async fn verify(app: &App<'_>, options: VerifyOptions) -> Result<Report, Error> {
    let mut run = Run {
        app,
        options,
        report: Report::default(),
        roles: BTreeMap::new(),
        images: BTreeMap::new(),
        as_task: app.clients.sdk_config.clone(),
    };
    if crate::deploy::express::is_configured(app) {
        // ecspresso's order for Express services: ExpressDefinition, then Cluster.
        let express = crate::deploy::express::definition::load(app)?.value;
        run.report.section(0, "ExpressDefinition");
        if let Some(role) = express["executionRoleArn"].as_str() {
            run.assume_execution_role(role).await;
        }
        run.express_definition(&express).await;
    } else {
        run.definitions().await?;
    }
    run.report.section(0, "Cluster");
    run.cluster().await;
    Ok(run.report)
}

impl Run<'_, '_> {
    /// The TaskDefinition and ServiceDefinition sections.
    async fn definitions(&mut self) -> Result<(), Error> {
        let app = self.app;
        let task_definition = match app.config.task_definition_path() {
            Some(path) => Some(app.load_task_definition(&path)?.value),
            None => None,
        };
        self.report.section(0, "TaskDefinition");
        if let Some(role) = task_definition
            .as_ref()
            .and_then(|td| td["executionRoleArn"].as_str())
        {
            self.assume_execution_role(role).await;
        }
        match &task_definition {
            Some(td) => self.task_definition(td).await,
            None => self.skip(1, "TaskDefinition", "task_definition is not set"),
        }
        self.report.section(0, "ServiceDefinition");
        match app.config.service_definition_path() {
            Some(path) => {
                let service = app.load_service_definition(&path)?.value;
                self.service_definition(&service, task_definition.as_ref())
                    .await;
            }
            None => self.skip(1, "ServiceDefinition", "service_definition is not set"),
        }
        Ok(())
    }

    /// An express definition, as ecspresso's `verifyExpressDefinition`: the execution and
    /// task roles (trusting ecs-tasks), the infrastructure role (trusting ECS), then the
    /// primary container's image, secrets and awsLogs log group (a test event in it).
    async fn express_definition(&mut self, express: &Value) {
        for (key, label, service) in [
            (
                "executionRoleArn",
                "ExecutionRole",
                "ecs-tasks.amazonaws.com",
            ),
            ("taskRoleArn", "TaskRole", "ecs-tasks.amazonaws.com"),
            (
                "infrastructureRoleArn",
                "InfrastructureRole",
                "ecs.amazonaws.com",
            ),
        ] {
            if let Some(arn) = express[key].as_str() {
                self.role(1, label, arn, service).await;
            }
        }
        let container = &express["primaryContainer"];
        if container.is_null() {
            return;
        }
        self.report.section(1, "PrimaryContainer");
        self.image(container).await;
        for secret in container["secrets"].as_array().into_iter().flatten() {
            self.secret(secret).await;
        }
        if let Some(group) = container["awsLogsConfiguration"]["logGroup"].as_str() {
            let region = self.app.clients.region.clone().unwrap_or_default();
            let prefix = container["awsLogsConfiguration"]["logStreamPrefix"]
                .as_str()
                .unwrap_or("ristretto");
            let as_awslogs = serde_json::json!({"logDriver": "awslogs", "options": {
                "awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": prefix}});
            self.log_configuration("Main", &as_awslogs).await;
        }
    }
}

pub(super) struct Run<'a, 'b> {
    pub(super) app: &'a App<'b>,
    pub(super) options: VerifyOptions,
    pub(super) report: Report,
    /// The SDK config for what ECS reads with the execution role (images, secrets, logs): the
    /// execution role's credentials when ristretto may assume it, else the caller's.
    as_task: aws_config::SdkConfig,
    roles: BTreeMap<(String, &'static str), (Status, String)>,
    /// Images already checked in this run, with what was found.
    images: BTreeMap<String, (Status, String)>,
}

/// NG for a missing resource, WARN when access is denied (ristretto cannot tell).
pub(super) fn classify<E, R>(err: &SdkError<E, R>) -> (Status, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = crate::aws::describe_error(err);
    let denied = err
        .code()
        .is_some_and(|c| c.contains("AccessDenied") || c == "UnauthorizedOperation");
    if denied {
        (Status::Warn, format!("cannot tell: {message}"))
    } else {
        (Status::Ng, message)
    }
}

impl Run<'_, '_> {
    /// Checks images, secrets and logs with the execution role's credentials, as ECS reads
    /// them, when the caller may assume it (session `ristretto-verifier`); otherwise with the
    /// caller's own, saying so.
    async fn assume_execution_role(&mut self, role: &str) {
        use aws_sdk_ecs::config::ProvideCredentials;
        let provider = aws_config::sts::AssumeRoleProvider::builder(role)
            .session_name("ristretto-verifier")
            .configure(&self.app.clients.sdk_config)
            .build()
            .await;
        match provider.provide_credentials().await {
            Ok(_) => {
                self.as_task = self
                    .app
                    .clients
                    .sdk_config
                    .to_builder()
                    .credentials_provider(aws_sdk_ecs::config::SharedCredentialsProvider::new(provider))
                    .build();
                self.report.record(
                    1,
                    format!("AssumeRole[{}]", role_name(role)),
                    Status::Ok,
                    "images, secrets and logs are checked with the execution role's credentials",
                    false,
                );
            }
            Err(err) => self.report.record(
                1,
                format!("AssumeRole[{}]", role_name(role)),
                Status::Skip,
                format!("cannot assume the execution role ({err}); images, secrets and logs are checked with your credentials"),
                false,
            ),
        }
    }

    /// Records a failed AWS call: NG, or WARN when access was denied.
    pub(super) fn aws_failure<E, R>(&mut self, depth: usize, name: String, err: &SdkError<E, R>)
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let (status, message) = classify(err);
        self.report.record(depth, name, status, message, false);
    }

    pub(super) fn ok(&mut self, depth: usize, name: &str) {
        self.report.record(depth, name, Status::Ok, "", false);
    }

    pub(super) fn ng(&mut self, depth: usize, name: &str, message: impl Into<String>) {
        self.report.record(depth, name, Status::Ng, message, false);
    }

    pub(super) fn skip(&mut self, depth: usize, name: &str, message: &str) {
        self.report
            .record(depth, name, Status::Skip, message, false);
    }

    async fn task_definition(&mut self, td: &Value) {
        for (key, label) in [
            ("executionRoleArn", "ExecutionRole"),
            ("taskRoleArn", "TaskRole"),
        ] {
            if let Some(arn) = td[key].as_str() {
                self.role(1, label, arn, "ecs-tasks.amazonaws.com").await;
            }
        }
        let awsvpc = td["networkMode"].as_str() == Some("awsvpc");
        for container in td["containerDefinitions"].as_array().into_iter().flatten() {
            let name = container["name"].as_str().unwrap_or("?");
            self.report.section(1, format!("Container[{name}]"));
            self.image(container).await;
            for secret in container["secrets"].as_array().into_iter().flatten() {
                self.secret(secret).await;
            }
            self.log_configuration(name, &container["logConfiguration"])
                .await;
            if awsvpc {
                self.awsvpc_ports(container);
            }
        }
    }

    pub(super) async fn role(
        &mut self,
        depth: usize,
        label: &str,
        arn: &str,
        service: &'static str,
    ) {
        let name = format!("{label}[{}]", role_name(arn));
        if let Some(problem) = role_arn_problem(arn) {
            self.report.record(depth, name, Status::Ng, problem, false);
            return;
        }
        let key = (role_name(arn).to_owned(), service);
        if let Some((status, message)) = self
            .roles
            .get(&key)
            .filter(|_| !self.options.no_cache)
            .cloned()
        {
            self.report.record(depth, name, status, message, true);
            return;
        }
        let iam: aws_sdk_iam::Client = self.app.clients.client();
        let (status, message) = match iam.get_role().role_name(role_name(arn)).send().await {
            Ok(output) => {
                let policy = output
                    .role()
                    .and_then(|r| r.assume_role_policy_document())
                    .unwrap_or_default();
                match trusts(policy, service) {
                    Ok(true) => (Status::Ok, String::new()),
                    Ok(false) => (
                        Status::Ng,
                        format!(
                            "the role's trust policy does not let {service} assume it (sts:AssumeRole)"
                        ),
                    ),
                    Err(problem) => (Status::Ng, problem),
                }
            }
            Err(err) => {
                let (status, message) = classify(&err);
                if err.code() == Some("NoSuchEntity") {
                    (status, format!("role {} not found", role_name(arn)))
                } else {
                    (status, message)
                }
            }
        };
        self.roles.insert(key, (status, message.clone()));
        self.report.record(depth, name, status, message, false);
    }

    async fn image(&mut self, container: &Value) {
        let Some(image) = container["image"].as_str() else {
            self.ng(2, "Image", "the container has no image");
            return;
        };
        let name = format!("Image[{image}]");
        if let Some((status, message)) = self
            .images
            .get(image)
            .filter(|_| !self.options.no_cache)
            .cloned()
        {
            self.report.record(2, name, status, message, true);
            return;
        }
        let (status, message) = match ecr_image(image) {
            Some(ecr) => self.ecr_image(ecr).await,
            None => other_registry(image).await,
        };
        self.images
            .insert(image.to_owned(), (status, message.clone()));
        self.report.record(2, name, status, message, false);
    }

    /// DescribeImages of an Amazon ECR image, with the execution role's credentials.
    async fn ecr_image(&self, ecr: EcrImage) -> (Status, String) {
        let client: aws_sdk_ecr::Client = self
            .app
            .clients
            .client_with(&self.as_task, Some(ecr.region.as_str()));
        let id = aws_sdk_ecr::types::ImageIdentifier::builder()
            .set_image_tag(ecr.tag.clone())
            .set_image_digest(ecr.digest.clone())
            .build();
        let result = client
            .describe_images()
            .registry_id(&ecr.account)
            .repository_name(&ecr.repository)
            .image_ids(id)
            .send()
            .await;
        match result {
            Ok(output) if !output.image_details().is_empty() => (Status::Ok, String::new()),
            Ok(_) => (Status::Ng, "image not found in the repository".to_owned()),
            Err(err) => classify(&err),
        }
    }

    async fn secret(&mut self, secret: &Value) {
        let label = secret["name"].as_str().unwrap_or("?");
        let name = format!("Secret[{label}]");
        let Some(value_from) = secret["valueFrom"].as_str() else {
            self.ng(2, &name, "valueFrom is missing");
            return;
        };
        if !self.options.get_secrets {
            self.skip(2, &name, "--no-get-secrets");
            return;
        }
        if is_secrets_manager(value_from) {
            let (id, key) = secret_reference(value_from);
            let result = self
                .app
                .clients
                .client_with::<aws_sdk_secretsmanager::Client>(&self.as_task, None)
                .get_secret_value()
                .secret_id(&id)
                .send()
                .await;
            match result {
                Ok(output) => match key {
                    None => self.ok(2, &name),
                    Some(key) => {
                        let parsed = output
                            .secret_string()
                            .and_then(|s| serde_json::from_str::<Value>(s).ok())
                            .filter(Value::is_object);
                        match parsed {
                            Some(v) if v.get(&key).is_some() => self.ok(2, &name),
                            Some(_) => {
                                self.ng(2, &name, format!("the secret has no JSON key `{key}`"))
                            }
                            None => self.ng(
                                2,
                                &name,
                                format!(
                                    "the reference asks for JSON key `{key}`, but the secret is not a JSON object"
                                ),
                            ),
                        }
                    }
                },
                Err(err) => {
                    self.aws_failure(2, name, &err);
                }
            }
            return;
        }
        let parameter = value_from
            .split_once(":parameter")
            .map_or(value_from, |(_, name)| name);
        let result = self
            .app
            .clients
            .client_with::<aws_sdk_ssm::Client>(&self.as_task, None)
            .get_parameters()
            .names(parameter)
            .with_decryption(true)
            .send()
            .await;
        match result {
            Ok(output) if output.invalid_parameters().is_empty() => self.ok(2, &name),
            Ok(_) => self.ng(2, &name, format!("SSM parameter {parameter} not found")),
            Err(err) => {
                self.aws_failure(2, name, &err);
            }
        }
    }

    async fn log_configuration(&mut self, container: &str, logs: &Value) {
        if logs["logDriver"].as_str() != Some("awslogs") {
            return;
        }
        let options = &logs["options"];
        let Some(group) = options["awslogs-group"].as_str() else {
            self.ng(2, "LogConfiguration", "awslogs-group is required");
            return;
        };
        let name = format!("LogConfiguration[{group}]");
        // Required by the awslogs driver on Fargate (and by ecspresso's verify).
        let Some(region) = options["awslogs-region"].as_str().map(str::to_owned) else {
            self.ng(2, &name, "awslogs-region is required");
            return;
        };
        let logs_client: aws_sdk_cloudwatchlogs::Client = self
            .app
            .clients
            .client_with(&self.as_task, Some(region.as_str()));
        if options["awslogs-create-group"].as_str() == Some("true")
            && let Err(err) = logs_client
                .create_log_group()
                .log_group_name(group)
                .send()
                .await
            && err.code() != Some("ResourceAlreadyExistsException")
        {
            self.aws_failure(2, name, &err);
            return;
        }
        if !self.options.put_logs {
            self.skip(2, &name, "--no-put-logs");
            return;
        }
        let prefix = options["awslogs-stream-prefix"]
            .as_str()
            .unwrap_or("ristretto");
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let stream = format!("{prefix}/{container}/ristretto-verify-{nanos}");
        if let Err(err) = logs_client
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(&stream)
            .send()
            .await
        {
            let (status, message) = classify(&err);
            let message = if err.code() == Some("ResourceNotFoundException") {
                format!("log group {group} does not exist (set awslogs-create-group or create it)")
            } else {
                message
            };
            self.report.record(2, name, status, message, false);
            return;
        }
        let event = aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
            .timestamp(i64::try_from(nanos / 1_000_000).unwrap_or_default())
            .message("This is a verify message by ristretto")
            .build();
        match event {
            Ok(event) => match logs_client
                .put_log_events()
                .log_group_name(group)
                .log_stream_name(&stream)
                .log_events(event)
                .send()
                .await
            {
                Ok(_) => self.ok(2, &name),
                Err(err) => {
                    self.aws_failure(2, name, &err);
                }
            },
            Err(err) => self.ng(2, &name, err.to_string()),
        }
    }

    fn awsvpc_ports(&mut self, container: &Value) {
        for mapping in container["portMappings"].as_array().into_iter().flatten() {
            let (Some(container_port), Some(host_port)) = (
                mapping["containerPort"].as_i64(),
                mapping["hostPort"].as_i64(),
            ) else {
                continue;
            };
            if container_port != host_port {
                self.ng(
                    2,
                    &format!("PortMapping[{container_port}]"),
                    format!("with awsvpc, hostPort ({host_port}) must equal containerPort ({container_port})"),
                );
            }
        }
    }

    async fn cluster(&mut self) {
        let cluster = self.app.cluster().to_owned();
        let name = format!("Cluster[{cluster}]");
        let result = self
            .app
            .clients
            .ecs
            .describe_clusters()
            .clusters(&cluster)
            .send()
            .await;
        match result {
            Ok(output) => {
                let active = output
                    .clusters()
                    .iter()
                    .any(|c| c.status() == Some("ACTIVE"));
                if active {
                    self.ok(1, &name);
                } else {
                    self.ng(1, &name, format!("cluster {cluster} not found"));
                }
            }
            Err(err) => {
                self.aws_failure(1, name, &err);
            }
        }
    }
}

/// An image outside Amazon ECR, asked of its registry anonymously (Docker Hub, ghcr.io, …):
/// NG when the registry has no such tag, WARN when it cannot tell (private, unreachable).
async fn other_registry(image: &str) -> (Status, String) {
    let reference = match crate::registry::Reference::parse(image) {
        Ok(reference) => reference,
        Err(why) => return (Status::Ng, why),
    };
    let found = tokio::task::spawn_blocking(move || super::registry::find(&reference)).await;
    match found {
        Ok(super::registry::Found::Yes) => (Status::Ok, String::new()),
        Ok(super::registry::Found::No(message)) => (Status::Ng, message),
        Ok(super::registry::Found::Private(message) | super::registry::Found::Unknown(message)) => {
            (Status::Warn, message)
        }
        Err(err) => (Status::Warn, format!("the registry check failed: {err}")),
    }
}
