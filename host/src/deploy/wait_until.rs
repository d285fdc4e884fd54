//! What a command waits for: `stable`, `deployed`, `paused`, an ECS lifecycle stage
//! (`ecs:BAKE_TIME`) or a CodeDeploy lifecycle event (`codedeploy:AfterAllowTestTraffic`), and
//! the order of ECS's lifecycle stages.

use std::fmt;
use std::str::FromStr;

/// ECS service-deployment lifecycle stages, in the order a deployment walks them.
pub const ECS_STAGES: [&str; 11] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
];

/// CodeDeploy lifecycle events of an ECS deployment, in order.
pub const CODEDEPLOY_EVENTS: [&str; 8] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
];

/// Position of an ECS lifecycle stage in `ECS_STAGES`.
pub fn stage_index(stage: &str) -> Option<usize> {
    ECS_STAGES.iter().position(|s| *s == stage)
}

/// What to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitUntil {
    /// One deployment left and running = desired (DescribeServices).
    Stable,
    /// The service deployment (or CodeDeploy deployment) reached a terminal status.
    Deployed,
    /// A PAUSE lifecycle hook awaits action (ECS blue/green, linear, canary).
    Paused,
    /// The ECS service deployment reached this lifecycle stage (index into `ECS_STAGES`).
    EcsStage(usize),
    /// The CodeDeploy lifecycle event succeeded (index into `CODEDEPLOY_EVENTS`).
    CodeDeployEvent(usize),
}

impl WaitUntil {
    /// Whether this target needs the ECS deployment controller.
    pub fn needs_ecs_controller(self) -> bool {
        matches!(self, Self::EcsStage(_))
    }

    /// Whether this target returns before the deployment is over.
    pub fn is_intermediate(self) -> bool {
        matches!(
            self,
            Self::Paused | Self::EcsStage(_) | Self::CodeDeployEvent(_)
        )
    }
}

impl fmt::Display for WaitUntil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stable => f.write_str("stable"),
            Self::Deployed => f.write_str("deployed"),
            Self::Paused => f.write_str("paused"),
            Self::EcsStage(i) => write!(f, "ecs:{}", ECS_STAGES.get(*i).unwrap_or(&"?")),
            Self::CodeDeployEvent(i) => {
                write!(
                    f,
                    "codedeploy:{}",
                    CODEDEPLOY_EVENTS.get(*i).unwrap_or(&"?")
                )
            }
        }
    }
}

impl FromStr for WaitUntil {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "stable" => return Ok(Self::Stable),
            "deployed" => return Ok(Self::Deployed),
            "paused" => return Ok(Self::Paused),
            _ => {}
        }
        if let Some(stage) = text.strip_prefix("ecs:") {
            return stage_index(&stage.to_ascii_uppercase())
                .map(Self::EcsStage)
                .ok_or_else(|| {
                    format!(
                        "unknown ECS lifecycle stage `{stage}`; one of: {}",
                        ECS_STAGES.join(", ")
                    )
                });
        }
        if let Some(event) = text.strip_prefix("codedeploy:") {
            return CODEDEPLOY_EVENTS
                .iter()
                .position(|e| e.eq_ignore_ascii_case(event))
                .map(Self::CodeDeployEvent)
                .ok_or_else(|| {
                    format!(
                        "unknown CodeDeploy lifecycle event `{event}`; one of: {}",
                        CODEDEPLOY_EVENTS.join(", ")
                    )
                });
        }
        Err(format!(
            "`{text}` is not a wait target: use stable, deployed, paused, ecs:<STAGE> or codedeploy:<Event>"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_round_trips() {
        for text in [
            "stable",
            "deployed",
            "paused",
            "ecs:BAKE_TIME",
            "ecs:POST_TEST_TRAFFIC_SHIFT",
            "codedeploy:AfterAllowTestTraffic",
        ] {
            let parsed: WaitUntil = text.parse().unwrap();
            assert_eq!(parsed.to_string(), text);
        }
        assert_eq!(
            "ecs:bake_time".parse::<WaitUntil>(),
            Ok(WaitUntil::EcsStage(9))
        );
        assert_eq!(
            "codedeploy:allowtraffic".parse::<WaitUntil>(),
            Ok(WaitUntil::CodeDeployEvent(6))
        );
    }

    #[test]
    fn rejects_unknown_targets_with_the_choices() {
        let err = "ecs:BAKING".parse::<WaitUntil>().unwrap_err();
        assert!(err.contains("BAKING") && err.contains("BAKE_TIME"), "{err}");
        let err = "codedeploy:Install2".parse::<WaitUntil>().unwrap_err();
        assert!(err.contains("AfterAllowTraffic"), "{err}");
        let err = "done".parse::<WaitUntil>().unwrap_err();
        assert!(err.contains("ecs:<STAGE>"), "{err}");
    }

    #[test]
    fn stage_order_matches_the_walk() {
        assert!(
            stage_index("POST_TEST_TRAFFIC_SHIFT") < stage_index("PRE_PRODUCTION_TRAFFIC_SHIFT")
        );
        assert!(
            stage_index("PRE_PRODUCTION_TRAFFIC_SHIFT") < stage_index("PRODUCTION_TRAFFIC_SHIFT")
        );
        assert!(stage_index("BAKE_TIME") < stage_index("CLEAN_UP"));
        assert_eq!(stage_index("NOPE"), None);
        assert!(WaitUntil::EcsStage(0).needs_ecs_controller());
        assert!(!WaitUntil::Deployed.is_intermediate());
    }
}
