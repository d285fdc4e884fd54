//! Application Auto Scaling for the service's scalable target (`ecs:service:DesiredCount`,
//! resource `service/<cluster>/<service>`): suspend or resume scaling and set min/max, before
//! the service is updated, as ecspresso does. Scaling policies are only read (by `status`).

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace, SuspendedState};

use crate::app::App;
use crate::deploy::Error;

/// What to change on the scalable target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AutoScaling {
    /// `Some(true)` suspends, `Some(false)` resumes, `None` leaves the suspended state.
    pub suspend: Option<bool>,
    /// New minimum capacity.
    pub min: Option<i32>,
    /// New maximum capacity.
    pub max: Option<i32>,
}

impl AutoScaling {
    /// Whether anything is asked for.
    pub fn is_requested(&self) -> bool {
        self.suspend.is_some() || self.min.is_some() || self.max.is_some()
    }
}

/// Applies `changes` to the service's scalable targets. No target: a warning. Dry run:
/// describes only. Returns a description of what was changed.
pub async fn apply(
    app: &App<'_>,
    service: &str,
    changes: AutoScaling,
    dry_run: bool,
) -> Result<Vec<String>, Error> {
    if !changes.is_requested() {
        return Ok(Vec::new());
    }
    let resource = format!("service/{}/{service}", app.cluster());
    let client = &app.clients.autoscaling;
    let targets = describe_targets(app, &resource).await?;
    if targets.scalable_targets().is_empty() {
        app.warn(format!(
            "no scalable target for {resource}; auto scaling flags are ignored"
        ));
        return Ok(Vec::new());
    }
    let mut applied = Vec::new();
    for target in targets.scalable_targets() {
        let summary = describe_changes(changes);
        if dry_run {
            app.info(format!(
                "auto scaling of {resource} would change: {summary} (dry run)"
            ));
            continue;
        }
        let mut request = client
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(target.scalable_dimension().clone())
            .resource_id(&resource)
            .set_min_capacity(changes.min)
            .set_max_capacity(changes.max);
        if let Some(suspend) = changes.suspend {
            request = request.suspended_state(
                SuspendedState::builder()
                    .dynamic_scaling_in_suspended(suspend)
                    .dynamic_scaling_out_suspended(suspend)
                    .scheduled_scaling_suspended(suspend)
                    .build(),
            );
        }
        request.send().await.map_err(|err| Error::Aws {
            operation: "RegisterScalableTarget",
            message: describe_autoscaling_error(&err),
            applied: applied.clone(),
        })?;
        app.info(format!("auto scaling of {resource}: {summary}"));
        applied.push(format!("auto scaling of {resource} ({summary})"));
    }
    Ok(applied)
}

/// DescribeScalableTargets for the service's desired count (`resource` is
/// `service/<cluster>/<service>`).
pub(crate) async fn describe_targets(
    app: &App<'_>,
    resource: &str,
) -> Result<aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput, Error>{
    app.clients
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_ids(resource)
        .send()
        .await
        .map_err(|err| Error::Aws {
            operation: "DescribeScalableTargets",
            message: describe_autoscaling_error(&err),
            applied: Vec::new(),
        })
}

fn describe_changes(changes: AutoScaling) -> String {
    let mut parts = Vec::new();
    match changes.suspend {
        Some(true) => parts.push("suspended".to_owned()),
        Some(false) => parts.push("resumed".to_owned()),
        None => {}
    }
    if let Some(min) = changes.min {
        parts.push(format!("min {min}"));
    }
    if let Some(max) = changes.max {
        parts.push(format!("max {max}"));
    }
    parts.join(", ")
}

/// Like `aws::describe_error`, for the Application Auto Scaling client's errors.
pub fn describe_autoscaling_error<E, R>(
    err: &aws_sdk_applicationautoscaling::error::SdkError<E, R>,
) -> String
where
    E: aws_sdk_applicationautoscaling::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.as_service_error() {
        Some(service) => match (service.code(), service.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            _ => service.to_string(),
        },
        None => err.to_string(),
    }
}
