//! When a wait may skip DescribeServiceDeployments: a plain rolling deployment (strategy
//! ROLLING, no lifecycle hooks) waited on until it is `deployed` only needs the service
//! deployment when something moved, and whatever moves in one (tasks started or stopped,
//! circuit breaker or alarm rollback, completion) shows in the service's `deployments[]`,
//! which every poll reads anyway. So the deployment is read again only when the service
//! changed since the last read (or that read is `REFRESH` old); otherwise the last read
//! stands. Blue/green, linear and canary deployments, hooks and stage targets are read on
//! every poll: their stages and pauses do not show in the service.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{DeploymentRolloutState, Service, ServiceDeployment};

use crate::deploy::wait_until::WaitUntil;

/// The longest a plain rolling wait goes without reading the deployment itself.
const REFRESH: Duration = Duration::from_secs(10);

/// What one wait last read.
pub(crate) struct DeploymentLooks {
    until: WaitUntil,
    last: Option<Look>,
}

struct Look {
    service: ServiceView,
    at: Instant,
    deployment: ServiceDeployment,
}

/// What of a service changes when its deployment moves.
#[derive(PartialEq)]
struct ServiceView {
    deployments: Vec<aws_sdk_ecs::types::Deployment>,
    current: Option<String>,
    status: Option<String>,
    counts: (i32, i32, i32),
}

impl ServiceView {
    fn of(service: &Service) -> Self {
        Self {
            deployments: service.deployments().to_vec(),
            current: service.current_service_deployment().map(str::to_owned),
            status: service.status().map(str::to_owned),
            counts: (
                service.running_count(),
                service.pending_count(),
                service.desired_count(),
            ),
        }
    }
}

impl DeploymentLooks {
    /// Nothing read yet, for a wait until `until`.
    pub(crate) fn new(until: WaitUntil) -> Self {
        Self { until, last: None }
    }

    /// The deployment as last read, when `service` (as just polled) shows that it cannot
    /// have moved since: a rollout still in progress, nothing changed. Once no rollout of the
    /// service is in progress, the deployment is read on every poll until it says it ended
    /// (ECS may update the service before the service deployment).
    pub(crate) fn unchanged(&self, service: &Service) -> Option<ServiceDeployment> {
        let last = self.last.as_ref()?;
        let rolling_out = service
            .deployments()
            .iter()
            .any(|d| d.rollout_state() == Some(&DeploymentRolloutState::InProgress));
        (last.at.elapsed() < REFRESH
            && rolling_out
            && plain_rolling(service, self.until)
            && last.service == ServiceView::of(service))
        .then(|| last.deployment.clone())
    }

    /// Remembers `deployment`, read when the service was `service`.
    pub(crate) fn read(&mut self, service: &Service, deployment: &ServiceDeployment) {
        self.last = Some(Look {
            service: ServiceView::of(service),
            at: Instant::now(),
            deployment: deployment.clone(),
        });
    }
}

/// A ROLLING deployment without lifecycle hooks, waited on until it ends.
fn plain_rolling(service: &Service, until: WaitUntil) -> bool {
    let configuration = service.deployment_configuration();
    until == WaitUntil::Deployed
        && configuration
            .and_then(|c| c.strategy())
            .is_none_or(|s| s.as_str() == "ROLLING")
        && configuration.is_none_or(|c| c.lifecycle_hooks().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{
        Deployment, DeploymentConfiguration, DeploymentLifecycleHook, DeploymentStrategy,
    };

    fn service(running: i32, strategy: DeploymentStrategy, hooks: bool) -> Service {
        let mut configuration = DeploymentConfiguration::builder().strategy(strategy);
        if hooks {
            configuration =
                configuration.lifecycle_hooks(DeploymentLifecycleHook::builder().build());
        }
        Service::builder()
            .deployment_configuration(configuration.build())
            .deployments(
                Deployment::builder()
                    .id("ecs-svc/1")
                    .running_count(running)
                    .rollout_state(DeploymentRolloutState::InProgress)
                    .build(),
            )
            .build()
    }

    fn deployment() -> ServiceDeployment {
        ServiceDeployment::builder()
            .service_deployment_arn("arn")
            .build()
    }

    #[test]
    fn a_plain_rolling_wait_reuses_the_deployment_until_the_service_moves() {
        let mut looks = DeploymentLooks::new(WaitUntil::Deployed);
        let before = service(0, DeploymentStrategy::Rolling, false);
        assert_eq!(looks.unchanged(&before), None, "nothing read yet");
        looks.read(&before, &deployment());
        assert_eq!(looks.unchanged(&before), Some(deployment()));
        assert_eq!(
            looks.unchanged(&service(1, DeploymentStrategy::Rolling, false)),
            None,
            "a task started: read the deployment again"
        );
        let mut completed = before.clone();
        completed.deployments = Some(vec![
            Deployment::builder()
                .id("ecs-svc/1")
                .rollout_state(DeploymentRolloutState::Completed)
                .build(),
        ]);
        looks.read(&completed, &deployment());
        assert_eq!(
            looks.unchanged(&completed),
            None,
            "no rollout in progress: read until the deployment says it ended"
        );
    }

    #[test]
    fn stages_hooks_and_traffic_strategies_read_the_deployment_on_every_poll() {
        for (until, strategy, hooks) in [
            (WaitUntil::EcsStage(2), DeploymentStrategy::Rolling, false),
            (WaitUntil::Paused, DeploymentStrategy::Rolling, false),
            (WaitUntil::Deployed, DeploymentStrategy::Rolling, true),
            (WaitUntil::Deployed, DeploymentStrategy::BlueGreen, false),
        ] {
            let mut looks = DeploymentLooks::new(until);
            let current = service(0, strategy.clone(), hooks);
            looks.read(&current, &deployment());
            assert_eq!(
                looks.unchanged(&current),
                None,
                "{until} {strategy:?} {hooks}"
            );
        }
    }
}
