//! The foundation's end-to-end check: a task definition rendered by `ristretto render` from
//! Jsonnet + Go-template files is registered in the emulator with the AWS SDK and reads back
//! with every rendered field intact.

use aws_sdk_ecs::types::{
    ContainerDefinition, KeyValuePair, LogConfiguration, LogDriver, NetworkMode, PortMapping,
    Secret,
};

use crate::support::{TestContext, run, text};

const CONFIG: &str = "cluster: e2e\nservice: web\ntask_definition: td.jsonnet\n";

const TASK_DEFINITION: &str = r#"
local tag = std.extVar('TAG');
{
  Family: 'web-{{ must_env `STAGE` }}',
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  requiresCompatibilities: ['FARGATE'],
  containerDefinitions: [{
    name: 'app',
    image: 'nginx:' + tag,
    memory: 256,
    essential: true,
    environment: [{ name: 'STAGE', value: std.native('must_env')('STAGE') }, { name: 'EMPTY', value: null }],
    secrets: [{ name: 'TOKEN', valueFrom: 'arn:aws:ssm:ap-northeast-1:123456789012:parameter/token' }],
    portMappings: [{ containerPort: 80, protocol: 'tcp' }],
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'app' } },
    dockerLabels: { 'Team.Name': 'platform' },
  }],
}
"#;

#[tokio::test]
async fn rendered_task_definition_registers_and_reads_back() {
    let context = TestContext::with_aws();
    context.write("ecspresso.yml", CONFIG);
    context.write("td.jsonnet", TASK_DEFINITION);
    let output = run(context
        .ristretto()
        .args(["render", "taskdef", "--ext-str", "TAG=1.27"])
        .env("STAGE", "prod"));
    assert!(
        output.status.success(),
        "render failed: {}",
        text(&output.stderr)
    );
    let rendered: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("render prints JSON");
    let container = &rendered["containerDefinitions"][0];
    assert_eq!(rendered["family"], "web-prod");
    assert_eq!(
        container["environment"],
        serde_json::json!([{"name": "STAGE", "value": "prod"}, {"name": "EMPTY"}])
    );

    let ecs = context.ecs().await;
    let log = &container["logConfiguration"];
    let registered = ecs
        .register_task_definition()
        .family(rendered["family"].as_str().unwrap_or_default())
        .network_mode(NetworkMode::from(
            rendered["networkMode"].as_str().unwrap_or_default(),
        ))
        .cpu(rendered["cpu"].as_str().unwrap_or_default())
        .memory(rendered["memory"].as_str().unwrap_or_default())
        .set_requires_compatibilities(Some(vec!["FARGATE".into()]))
        .container_definitions(
            ContainerDefinition::builder()
                .name(container["name"].as_str().unwrap_or_default())
                .image(container["image"].as_str().unwrap_or_default())
                .memory(container["memory"].as_i64().unwrap_or_default() as i32)
                .essential(true)
                .environment(
                    KeyValuePair::builder()
                        .name("STAGE")
                        .value(
                            container["environment"][0]["value"]
                                .as_str()
                                .unwrap_or_default(),
                        )
                        .build(),
                )
                .secrets(
                    Secret::builder()
                        .name("TOKEN")
                        .value_from(
                            container["secrets"][0]["valueFrom"]
                                .as_str()
                                .unwrap_or_default(),
                        )
                        .build()
                        .expect("secret"),
                )
                .port_mappings(PortMapping::builder().container_port(80).build())
                .log_configuration(
                    LogConfiguration::builder()
                        .log_driver(LogDriver::Awslogs)
                        .options(
                            "awslogs-group",
                            log["options"]["awslogs-group"].as_str().unwrap_or_default(),
                        )
                        .build()
                        .expect("log configuration"),
                )
                .docker_labels(
                    "Team.Name",
                    container["dockerLabels"]["Team.Name"]
                        .as_str()
                        .unwrap_or_default(),
                )
                .build(),
        )
        .send()
        .await
        .expect("register the rendered task definition");
    let revision = registered
        .task_definition()
        .map(|t| t.revision())
        .unwrap_or_default();
    assert_eq!(revision, 1);

    let described = ecs
        .describe_task_definition()
        .task_definition("web-prod:1")
        .send()
        .await
        .expect("describe it back");
    let td = described.task_definition().expect("task definition");
    assert_eq!(td.family(), Some("web-prod"));
    assert_eq!(td.cpu(), Some("256"));
    let back = &td.container_definitions()[0];
    assert_eq!(back.image(), Some("nginx:1.27"));
    assert_eq!(back.environment()[0].value(), Some("prod"));
    assert_eq!(
        back.docker_labels()
            .and_then(|l| l.get("Team.Name"))
            .map(String::as_str),
        Some("platform")
    );

    // Another account sees nothing: tests are isolated by access key.
    let other = TestContext::with_aws();
    let listed = other
        .ecs()
        .await
        .list_task_definitions()
        .send()
        .await
        .expect("list in another account");
    assert!(
        listed.task_definition_arns().is_empty(),
        "{:?}",
        listed.task_definition_arns()
    );
}
