//! What the service's deployment controller and strategy allow: the strategy name hooks see,
//! wait targets checked before anything changes, and the fields CodeDeploy owns.

use aws_sdk_ecs::types::Service;
use serde_json::Value;

use crate::app::App;
use crate::definition::Definition;
use crate::deploy::Error;
use crate::deploy::wait_until::WaitUntil;

/// How a service's deployments are carried out: its deployment controller and, under the ECS
/// controller, its deployment strategy. Hooks see it by `name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// ECS controller, ROLLING (the default).
    Rolling,
    /// ECS controller, BLUE_GREEN.
    BlueGreen,
    /// ECS controller, LINEAR.
    Linear,
    /// ECS controller, CANARY.
    Canary,
    /// The CODE_DEPLOY controller.
    CodeDeploy,
    /// The EXTERNAL controller (task sets managed outside ECS deployments).
    External,
}

impl Strategy {
    /// The strategy of deployment controller `controller` (`ECS`, `CODE_DEPLOY`, `EXTERNAL`) and
    /// ECS deployment strategy `strategy` (`ROLLING`, `BLUE_GREEN`, `LINEAR`, `CANARY`).
    pub fn from_names(controller: &str, strategy: &str) -> Self {
        match (controller, strategy) {
            ("CODE_DEPLOY", _) => Self::CodeDeploy,
            ("EXTERNAL", _) => Self::External,
            (_, "BLUE_GREEN") => Self::BlueGreen,
            (_, "LINEAR") => Self::Linear,
            (_, "CANARY") => Self::Canary,
            _ => Self::Rolling,
        }
    }

    /// The strategy a service definition asks for, falling back to the service in AWS for
    /// what the definition leaves out.
    pub fn of(local: Option<&Value>, remote: Option<&Service>) -> Self {
        let (controller, strategy) = controller_and_strategy(local, remote);
        Self::from_names(&controller, &strategy)
    }

    /// The name plugins' hook context and `--output json` use: `rolling`, `blue-green`,
    /// `linear`, `canary`, `codedeploy` or `external`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rolling => "rolling",
            Self::BlueGreen => "blue-green",
            Self::Linear => "linear",
            Self::Canary => "canary",
            Self::CodeDeploy => "codedeploy",
            Self::External => "external",
        }
    }

    /// ECS-native traffic shifting (blue/green, linear, canary): ristretto's gates run at a
    /// PAUSE lifecycle hook.
    pub fn shifts_traffic_natively(self) -> bool {
        matches!(self, Self::BlueGreen | Self::Linear | Self::Canary)
    }

    /// Whether the deployment waits for ristretto's before-traffic-shift gates (a PAUSE hook
    /// or CodeDeploy's READY wait).
    pub fn pauses_for_gates(self) -> bool {
        self.shifts_traffic_natively() || self == Self::CodeDeploy
    }
}

/// The deployment controller type and ECS deployment strategy names: the local definition's,
/// else the service's, else `ECS` / `ROLLING`.
fn controller_and_strategy(local: Option<&Value>, remote: Option<&Service>) -> (String, String) {
    let controller = local
        .and_then(|v| v.pointer("/deploymentController/type"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            remote
                .and_then(|r| r.deployment_controller())
                .map(|c| c.r#type().as_str().to_owned())
        })
        .unwrap_or_else(|| "ECS".to_owned());
    let strategy = local
        .and_then(|v| v.pointer("/deploymentConfiguration/strategy"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            remote
                .and_then(|r| r.deployment_configuration())
                .and_then(|c| c.strategy())
                .map(|s| s.as_str().to_owned())
        })
        .unwrap_or_else(|| "ROLLING".to_owned());
    (controller, strategy)
}

/// Whether the service uses the CODE_DEPLOY deployment controller.
pub(crate) fn is_code_deploy(service: &Service) -> bool {
    service
        .deployment_controller()
        .is_some_and(|c| c.r#type().as_str() == "CODE_DEPLOY")
}

/// Fields CodeDeploy owns on a CODE_DEPLOY service (changed only through a deployment), as
/// ecspresso leaves them out of UpdateService.
pub(crate) fn without_codedeploy_managed_fields(
    input: &mut aws_sdk_ecs::operation::update_service::UpdateServiceInput,
) {
    input.network_configuration = None;
    input.platform_version = None;
    input.load_balancers = None;
    input.service_registries = None;
    input.capacity_provider_strategy = None;
    input.service_connect_configuration = None;
    input.volume_configurations = None;
    input.vpc_lattice_configurations = None;
}

/// The service as JSON for the AppSpec: the local definition when loaded, else the service.
pub(crate) fn service_json(local: Option<&Definition>, remote: &Service) -> Result<Value, Error> {
    match local {
        Some(definition) => Ok(definition.value.clone()),
        None => crate::deploy::service::remote_service_json(remote),
    }
}

/// The lifecycle stages a ROLLING deployment goes through.
const ROLLING_STAGES: [&str; 5] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "CLEAN_UP",
];

/// Whether the service will have a PAUSE hook: the local definition's hooks (with ristretto's
/// gate hook applied), else the service's.
fn has_pause_hook(local: Option<&Value>, remote: &Service) -> bool {
    match local {
        Some(value) => value
            .pointer("/deploymentConfiguration/lifecycleHooks")
            .and_then(Value::as_array)
            .is_some_and(|hooks| {
                hooks
                    .iter()
                    .any(|h| h.get("targetType").and_then(Value::as_str) == Some("PAUSE"))
            }),
        None => remote.deployment_configuration().is_some_and(|c| {
            c.lifecycle_hooks().iter().any(|h| {
                h.target_type()
                    == Some(&aws_sdk_ecs::types::DeploymentLifecycleHookTargetType::Pause)
            })
        }),
    }
}

/// What ECS would refuse in an `earlySuccessCriteria` (ECS API reference,
/// DeploymentEarlySuccessCriteria; as ecspresso v2.8.7's verify checks it, kayac/ecspresso#1080):
/// only the ECS controller with the ROLLING strategy; with `enable: true`, both `healthyPercent`
/// (0–100, at least `minimumHealthyPercent`, whose default is 100) and
/// `sourceServiceRevisionCleanup`. Checked before anything is registered.
pub fn early_success_problem(
    definition: &Value,
    controller: &str,
    strategy: &str,
) -> Option<String> {
    let config = definition.get("deploymentConfiguration")?;
    let early = config.get("earlySuccessCriteria")?;
    if !early
        .get("enable")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return None;
    }
    if controller != "ECS" || strategy != "ROLLING" {
        return Some(format!(
            "early success criteria work only with the ECS deployment controller and the ROLLING strategy, not {controller} / {strategy}"
        ));
    }
    let Some(healthy) = early.get("healthyPercent").and_then(Value::as_i64) else {
        return Some("`enable: true` needs `healthyPercent`".to_owned());
    };
    if early.get("sourceServiceRevisionCleanup").is_none() {
        return Some(
            "`enable: true` needs `sourceServiceRevisionCleanup` (BLOCKING or DEFERRED)".to_owned(),
        );
    }
    let minimum = config
        .get("minimumHealthyPercent")
        .and_then(Value::as_i64)
        .unwrap_or(100);
    if !(0..=100).contains(&healthy) || healthy < minimum {
        return Some(format!(
            "`healthyPercent` {healthy} must be between minimumHealthyPercent ({minimum}) and 100"
        ));
    }
    None
}

/// The deployment strategy (`Strategy`) from the service definition when it is applied, else
/// from the service. Rejects wait targets the strategy cannot reach before anything is changed,
/// and warns when `--wait-until stable` outwaits early success criteria.
pub(crate) fn check_wait_target(
    app: &App<'_>,
    remote: &Service,
    local: Option<&Definition>,
    wait: Option<WaitUntil>,
) -> Result<Strategy, Error> {
    let local_value = local.map(|d| &d.value);
    let (controller, strategy) = controller_and_strategy(local_value, Some(remote));
    let name = Strategy::from_names(&controller, &strategy);
    let service = app.config.file.service.clone().unwrap_or_default();
    if let Some(problem) =
        local_value.and_then(|v| early_success_problem(v, &controller, &strategy))
    {
        return Err(Error::Invalid(format!(
            "service {service}'s deploymentConfiguration.earlySuccessCriteria: {problem} (nothing was changed)"
        )));
    }
    let early_success = local_value
        .and_then(|v| v.pointer("/deploymentConfiguration/earlySuccessCriteria/enable"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if early_success && wait == Some(WaitUntil::Stable) {
        app.warn(format!(
            "service {service} completes its deployments early (earlySuccessCriteria), but --wait-until stable waits for every task and the previous revision's cleanup too; the default (deployed) returns when ECS says the deployment succeeded"
        ));
    }
    match wait {
        Some(WaitUntil::Paused)
            if name != Strategy::CodeDeploy && !has_pause_hook(local_value, remote) =>
        {
            Err(Error::Invalid(format!(
                "--wait-until paused needs a PAUSE lifecycle hook, and service {service}'s definition has none (gate plugins add one for BLUE_GREEN, LINEAR and CANARY); nothing was changed"
            )))
        }
        Some(until @ WaitUntil::EcsStage(stage))
            if name == Strategy::Rolling
                && !crate::deploy::wait_until::ECS_STAGES
                    .get(stage)
                    .is_some_and(|s| ROLLING_STAGES.contains(s)) =>
        {
            Err(Error::Invalid(format!(
                "--wait-until {until} needs deploymentConfiguration.strategy BLUE_GREEN, LINEAR or CANARY; service {service} uses ROLLING, whose deployments go through {} (nothing was changed)",
                ROLLING_STAGES.join(", ")
            )))
        }
        Some(until) if until.needs_ecs_controller() && name == Strategy::CodeDeploy => {
            Err(Error::Invalid(format!(
                "--wait-until {until} needs the ECS deployment controller; use codedeploy:<Event> for CODE_DEPLOY services (nothing was changed)"
            )))
        }
        Some(until @ WaitUntil::CodeDeployEvent(_)) if name != Strategy::CodeDeploy => {
            Err(Error::Invalid(format!(
                "--wait-until {until} needs a CODE_DEPLOY service; use ecs:<STAGE> for the ECS deployment controller (nothing was changed)"
            )))
        }
        _ => Ok(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition(early: Value, minimum: Option<i64>) -> Value {
        let mut config = json!({"earlySuccessCriteria": early});
        if let Some(minimum) = minimum {
            config["minimumHealthyPercent"] = json!(minimum);
        }
        json!({"deploymentConfiguration": config})
    }

    #[test]
    fn early_success_criteria_are_checked_as_ecs_would() {
        let ok = json!({"enable": true, "healthyPercent": 100, "sourceServiceRevisionCleanup": "DEFERRED"});
        assert_eq!(
            early_success_problem(&definition(ok.clone(), None), "ECS", "ROLLING"),
            None
        );
        assert!(early_success_problem(&definition(ok, None), "ECS", "BLUE_GREEN").is_some());
        let half = json!({"enable": true, "healthyPercent": 50, "sourceServiceRevisionCleanup": "BLOCKING"});
        assert!(
            early_success_problem(&definition(half.clone(), None), "ECS", "ROLLING")
                .is_some_and(|p| p.contains("minimumHealthyPercent (100)"))
        );
        assert_eq!(
            early_success_problem(&definition(half, Some(50)), "ECS", "ROLLING"),
            None
        );
        assert!(
            early_success_problem(&definition(json!({"enable": true}), None), "ECS", "ROLLING")
                .is_some()
        );
        assert_eq!(
            early_success_problem(
                &definition(json!({"enable": false}), None),
                "ECS",
                "BLUE_GREEN"
            ),
            None
        );
    }
}
