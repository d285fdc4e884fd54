//! The service definition's checks of `verify`: network configuration, load balancers (target
//! groups, blue/green alternates and roles), lifecycle hooks, VPC Lattice target groups and
//! port names, EBS volume roles.

use serde_json::Value;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::Status;
use super::checks::{Run, classify};

impl Run<'_, '_> {
    /// The service definition's checks: network configuration, load balancers, lifecycle
    /// hooks, VPC Lattice, EBS volume roles.
    pub(super) async fn service_definition(&mut self, service: &Value, td: Option<&Value>) {
        let awsvpc = td.is_some_and(|t| t["networkMode"].as_str() == Some("awsvpc"));
        if awsvpc {
            if service["networkConfiguration"]["awsvpcConfiguration"].is_object() {
                self.ok(1, "NetworkConfiguration");
            } else {
                self.ng(
                    1,
                    "NetworkConfiguration",
                    "the task definition uses awsvpc: networkConfiguration.awsvpcConfiguration is required",
                );
            }
        }
        for lb in service["loadBalancers"].as_array().into_iter().flatten() {
            self.load_balancer(lb, td).await;
        }
        if service["deploymentConfiguration"]["earlySuccessCriteria"].is_object() {
            let controller = service["deploymentController"]["type"]
                .as_str()
                .unwrap_or("ECS");
            let strategy = service["deploymentConfiguration"]["strategy"]
                .as_str()
                .unwrap_or("ROLLING");
            match crate::deploy::early_success_problem(service, controller, strategy) {
                None => self.ok(1, "EarlySuccessCriteria"),
                Some(problem) => self.ng(1, "EarlySuccessCriteria", problem),
            }
        }
        let hooks = service["deploymentConfiguration"]["lifecycleHooks"].as_array();
        for (index, hook) in hooks.into_iter().flatten().enumerate() {
            self.lifecycle_hook(index, hook).await;
        }
        for lattice in service["vpcLatticeConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            self.lattice(lattice, td).await;
        }
        for volume in service["volumeConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let name = volume["name"].as_str().unwrap_or("?");
            if let Some(role) = volume["managedEBSVolume"]["roleArn"].as_str() {
                self.report.section(1, format!("Volume[{name}]"));
                self.role(2, "Role", role, "ecs.amazonaws.com").await;
            }
        }
    }

    async fn lifecycle_hook(&mut self, index: usize, hook: &Value) {
        let target = hook["targetType"].as_str().unwrap_or("AWS_LAMBDA");
        let name = format!("LifecycleHook[{index}]");
        if target == "PAUSE" {
            self.report.record(
                1,
                name,
                Status::Ok,
                "PAUSE: continued with `ristretto continue` or by ristretto's gates",
                false,
            );
            return;
        }
        self.report.section(1, name);
        match hook["hookTargetArn"].as_str() {
            Some(_) => self.ok(2, "HookTarget"),
            None => self.ng(
                2,
                "HookTarget",
                "hookTargetArn is required for AWS_LAMBDA hooks",
            ),
        }
        match hook["roleArn"].as_str() {
            Some(role) => self.role(2, "Role", role, "ecs.amazonaws.com").await,
            None => self.ng(2, "Role", "roleArn is required for AWS_LAMBDA hooks"),
        }
    }

    async fn lattice(&mut self, lattice: &Value, td: Option<&Value>) {
        let port_name = lattice["portName"].as_str().unwrap_or_default();
        self.report
            .section(1, format!("VpcLatticeConfiguration[{port_name}]"));
        match lattice["roleArn"].as_str() {
            Some(role) => self.role(2, "Role", role, "ecs.amazonaws.com").await,
            None => self.ng(2, "Role", "roleArn is required"),
        }
        if let Some(arn) = lattice["targetGroupArn"].as_str() {
            let name = format!("TargetGroup[{}]", arn.rsplit('/').next().unwrap_or(arn));
            let client: aws_sdk_vpclattice::Client = self.app.clients.client();
            match client
                .get_target_group()
                .target_group_identifier(arn)
                .send()
                .await
            {
                Ok(_) => self.ok(2, &name),
                Err(err) => self.aws_failure(2, name, &err),
            }
        } else {
            self.ng(2, "TargetGroup", "targetGroupArn is required");
        }
        if port_name.is_empty() {
            self.ng(2, "PortName", "portName is required");
        } else if let Some(td) = td {
            let named = td["containerDefinitions"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["portMappings"].as_array().cloned().unwrap_or_default())
                .any(|m| m["name"] == port_name);
            if named {
                self.ok(2, "PortName");
            } else {
                self.ng(
                    2,
                    "PortName",
                    format!(
                        "no container port mapping of the task definition is named `{port_name}`"
                    ),
                );
            }
        }
    }

    async fn load_balancer(&mut self, lb: &Value, td: Option<&Value>) {
        let container = lb["containerName"].as_str().unwrap_or("?");
        let port = lb["containerPort"].as_i64().unwrap_or_default();
        self.report
            .section(1, format!("LoadBalancer[{container}:{port}]"));
        match lb["targetGroupArn"].as_str() {
            Some(arn) => self.target_group(2, "TargetGroup", arn).await,
            None if lb["loadBalancerName"].is_string() => {}
            None => self.ng(2, "TargetGroup", "targetGroupArn is required"),
        }
        if let Some(td) = td {
            let found = td["containerDefinitions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["name"] == container)
                .flat_map(|c| c["portMappings"].as_array().cloned().unwrap_or_default())
                .any(|m| m["containerPort"].as_i64() == Some(port));
            if found {
                self.ok(2, "ContainerPort");
            } else {
                self.ng(
                    2,
                    "ContainerPort",
                    format!(
                        "the task definition has no container {container} with containerPort {port}"
                    ),
                );
            }
        }
        let advanced = &lb["advancedConfiguration"];
        if advanced.is_object() {
            match advanced["roleArn"].as_str() {
                Some(role) => self.role(2, "Role", role, "ecs.amazonaws.com").await,
                None => self.ng(2, "Role", "advancedConfiguration.roleArn is required"),
            }
            match advanced["alternateTargetGroupArn"].as_str() {
                Some(arn) => self.target_group(2, "AlternateTargetGroup", arn).await,
                None => self.ng(
                    2,
                    "AlternateTargetGroup",
                    "advancedConfiguration.alternateTargetGroupArn is required",
                ),
            }
        }
    }

    async fn target_group(&mut self, depth: usize, label: &str, arn: &str) {
        let name = format!("{label}[{}]", arn.rsplit(':').next().unwrap_or(arn));
        let client: aws_sdk_elasticloadbalancingv2::Client = self.app.clients.client();
        match client
            .describe_target_groups()
            .target_group_arns(arn)
            .send()
            .await
        {
            Ok(output) if !output.target_groups().is_empty() => self.ok(depth, &name),
            Ok(_) => self.ng(depth, &name, "target group not found"),
            Err(err) => {
                let (status, message) = classify(&err);
                let message = if err.code() == Some("TargetGroupNotFound") {
                    format!("target group {arn} not found")
                } else {
                    message
                };
                self.report.record(depth, name, status, message, false);
            }
        }
    }
}
