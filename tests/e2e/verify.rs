//! `verify` through the binary against resources seeded in the emulator: a role with the right
//! trust, a missing role, an ECR image, secrets present and missing (with a JSON key), an SSM
//! parameter, log groups present (with a test write) and missing, a missing target group, the
//! cluster; `--no-get-secrets`/`--no-put-logs` skip; `--output json` gives one line per check.

use crate::support::{HttpSink, Reply, TestContext, assert_success, text};

const TRUST_TASKS: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;
const TRUST_ECS: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;

/// A container registry on loopback (OCI distribution API) that, like Docker Hub, answers a
/// manifest request with a Bearer challenge and gives an anonymous token; it has
/// `busybox:1.36` only.
fn registry() -> HttpSink {
    HttpSink::serve(|_, head| {
        let line = head.lines().next().unwrap_or_default();
        let host = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("host")
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default();
        let authorized = head
            .to_ascii_lowercase()
            .contains("authorization: bearer t0ken");
        let reply = |status: u16, headers: Vec<(&str, String)>, body: &str| Reply {
            status,
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            body: body.as_bytes().to_vec(),
        };
        if line.starts_with("GET /token?") {
            return reply(200, vec![], r#"{"token": "t0ken"}"#);
        }
        if !line.starts_with("GET /v2/busybox/manifests/") {
            return reply(404, vec![], "{}");
        }
        if !authorized {
            let challenge = format!(
                r#"Bearer realm="http://{host}/token",service="test-registry",scope="repository:busybox:pull""#
            );
            return reply(401, vec![("www-authenticate", challenge)], "{}");
        }
        if line.starts_with("GET /v2/busybox/manifests/1.36 ") {
            reply(
                200,
                vec![(
                    "content-type",
                    "application/vnd.oci.image.index.v1+json".to_owned(),
                )],
                r#"{"schemaVersion": 2, "manifests": []}"#,
            )
        } else {
            reply(404, vec![], r#"{"errors": [{"code": "MANIFEST_UNKNOWN"}]}"#)
        }
    })
}

fn task_definition(account: &str, sidecar_image: &str) -> String {
    format!(
        r#"{{"family": "web", "executionRoleArn": "arn:aws:iam::{account}:role/exec", "taskRoleArn": "arn:aws:iam::{account}:role/missing-task-role",
  "containerDefinitions": [
    {{"name": "app", "image": "{account}.dkr.ecr.ap-northeast-1.amazonaws.com/web:v1", "memory": 128,
      "portMappings": [{{"containerPort": 80, "name": "http"}}],
      "secrets": [
        {{"name": "DB", "valueFrom": "{{{{ secretsmanager_arn `app/db` }}}}:password::"}},
        {{"name": "MISSING", "valueFrom": "arn:aws:secretsmanager:ap-northeast-1:{account}:secret:app/missing-AbCdEf"}},
        {{"name": "TOKEN", "valueFrom": "/app/token"}}],
      "logConfiguration": {{"logDriver": "awslogs", "options": {{"awslogs-group": "/ecs/web", "awslogs-region": "ap-northeast-1", "awslogs-stream-prefix": "web"}}}}}},
    {{"name": "sidecar", "image": "{sidecar_image}", "memory": 64,
      "logConfiguration": {{"logDriver": "awslogs", "options": {{"awslogs-group": "/ecs/missing", "awslogs-region": "ap-northeast-1", "awslogs-stream-prefix": "web"}}}}}}]}}"#
    )
}

#[tokio::test]
async fn verify_reports_ok_and_ng_for_what_the_definitions_reference() {
    let context = TestContext::with_aws();
    let registry = registry();
    let sidecar = format!(
        "{}/busybox:1.36",
        registry.url.trim_start_matches("http://")
    );
    context.create_cluster().await;
    context.boto3(&format!(
        "iam = client('iam')
iam.create_role(RoleName='exec', AssumeRolePolicyDocument='''{TRUST_TASKS}''')
client('secretsmanager').create_secret(Name='app/db', SecretString='{{\"password\": \"x\"}}')
client('ssm').put_parameter(Name='/app/token', Value='t', Type='SecureString')
client('logs').create_log_group(logGroupName='/ecs/web')
ecr = client('ecr')
ecr.create_repository(repositoryName='web')
ecr.put_image(repositoryName='web', imageManifest='{{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\"}}', imageTag='v1')
iam.create_role(RoleName='ecs-infra', AssumeRolePolicyDocument='''{TRUST_ECS}''')
tg = client('vpc-lattice').create_target_group(name='web', type='IP', config={{'port': 80, 'protocol': 'HTTP', 'vpcIdentifier': 'vpc-0123456789abcdef0'}})
open('{lattice}', 'w').write(tg['arn'])",
        lattice = context.path("lattice-arn").display()
    ));
    let lattice = std::fs::read_to_string(context.path("lattice-arn")).expect("lattice arn");
    context.write(
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\n",
    );
    context.write("td.json", &task_definition(&context.account, &sidecar));
    context.write(
        "sd.json",
        &format!(
            r#"{{"launchType": "EC2", "desiredCount": 1,
  "loadBalancers": [{{"targetGroupArn": "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/gone/0123456789abcdef", "containerName": "app", "containerPort": 80}}],
  "deploymentConfiguration": {{"lifecycleHooks": [
    {{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}},
    {{"targetType": "AWS_LAMBDA", "hookTargetArn": "arn:aws:lambda:ap-northeast-1:{account}:function:smoke", "lifecycleStages": ["PRE_SCALE_UP"]}}]}},
  "vpcLatticeConfigurations": [{{"roleArn": "arn:aws:iam::{account}:role/ecs-infra", "targetGroupArn": "{lattice}", "portName": "http"}}]}}"#,
            account = context.account
        ),
    );

    let output = context.run(&["verify"], &[]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        text(&output.stderr).contains("verify found 5 problem(s)"),
        "{}",
        text(&output.stderr)
    );
    let sidecar_ok = format!("    Image[{sidecar}]\n    --> [OK]\n");
    for expected in [
        "  AssumeRole[exec]\n  --> [OK] images, secrets and logs are checked with the execution role's credentials\n",
        "  ExecutionRole[exec]\n  --> [OK]\n",
        "  TaskRole[missing-task-role]\n  --> [NG] role missing-task-role not found\n",
        "    Image[",
        "/web:v1]\n    --> [OK]\n",
        "    Secret[DB]\n    --> [OK]\n",
        "    Secret[MISSING]\n    --> [NG] ",
        "    Secret[TOKEN]\n    --> [OK]\n",
        "    LogConfiguration[/ecs/web]\n    --> [OK]\n",
        sidecar_ok.as_str(),
        "    LogConfiguration[/ecs/missing]\n    --> [NG] log group /ecs/missing does not exist",
        "    TargetGroup[targetgroup/gone/0123456789abcdef]\n    --> [NG] target group",
        "    ContainerPort\n    --> [OK]\n",
        "Cluster\n  Cluster[e2e]\n  --> [OK]\n",
        "  LifecycleHook[0]\n  --> [OK] PAUSE",
        "    Role\n    --> [NG] roleArn is required for AWS_LAMBDA hooks\n",
        "  VpcLatticeConfiguration[http]\n    Role[ecs-infra]\n    --> [OK]\n",
        "    PortName\n    --> [OK]\n",
    ] {
        assert!(stdout.contains(expected), "{expected:?} not in:\n{stdout}");
    }
    let streams = context.calls("PutLogEvents").len();
    assert_eq!(streams, 1, "one test write, to the group that exists");

    let output = context.run(
        &[
            "verify",
            "--no-get-secrets",
            "--no-put-logs",
            "--output",
            "json",
        ],
        &[],
    );
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let result = |path: &str| {
        lines
            .iter()
            .find(|l| l["verify"] == path)
            .map(|l| l["result"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("{path} not in {lines:?}"))
    };
    assert_eq!(
        result("TaskDefinition/Container[app]/Secret[MISSING]"),
        "SKIP"
    );
    assert_eq!(
        result("TaskDefinition/Container[app]/LogConfiguration[/ecs/web]"),
        "SKIP"
    );
    assert_eq!(result("TaskDefinition/TaskRole[missing-task-role]"), "NG");
    assert_eq!(result("Cluster/Cluster[e2e]"), "OK");
    assert_eq!(
        context.calls("PutLogEvents").len(),
        1,
        "nothing written with --no-put-logs"
    );

    context.write(
        "td.json",
        &task_definition(&context.account, &sidecar)
            .replace("role/missing-task-role", "role/exec")
            .replace(
                r#"{"name": "MISSING", "valueFrom": "arn:aws:secretsmanager:ap-northeast-1:"#,
                r#"{"name": "MISSING", "valueFrom": "arn:aws:secretsmanager:ap-northeast-1:x"#,
            ),
    );
    context.write("sd.json", r#"{"launchType": "EC2", "desiredCount": 1}"#);
    context.boto3("client('logs').create_log_group(logGroupName='/ecs/missing')");
    let output = context.run(&["verify", "--no-get-secrets"], &[]);
    assert_success(&output);
    assert!(
        text(&output.stdout).contains("  TaskRole[exec]\n  --> [OK](cached)\n"),
        "{}",
        text(&output.stdout)
    );
    let output = context.run(&["verify", "--no-get-secrets", "--no-cache"], &[]);
    assert_success(&output);
    assert!(
        text(&output.stdout).contains("  TaskRole[exec]\n  --> [OK]\n"),
        "{}",
        text(&output.stdout)
    );
    // The awslogs driver needs its region (Fargate refuses the task without it).
    context.write(
        "td.json",
        &task_definition(&context.account, &sidecar)
            .replace("role/missing-task-role", "role/exec")
            .replace(
                r#""awslogs-group": "/ecs/missing", "awslogs-region": "ap-northeast-1", "#,
                r#""awslogs-group": "/ecs/missing", "#,
            ),
    );
    let output = context.run(&["verify", "--no-get-secrets"], &[]);
    assert!(!output.status.success());
    assert!(
        text(&output.stdout)
            .contains("LogConfiguration[/ecs/missing]\n    --> [NG] awslogs-region is required"),
        "{}",
        text(&output.stdout)
    );
    // An image tag the registry does not have.
    let missing = sidecar.replace(":1.36", ":nope");
    context.write(
        "td.json",
        &task_definition(&context.account, &missing).replace("role/missing-task-role", "role/exec"),
    );
    let output = context.run(&["verify", "--no-get-secrets"], &[]);
    assert!(!output.status.success());
    let registry_host = sidecar.split('/').next().unwrap_or_default();
    assert!(
        text(&output.stdout).contains(&format!(
            "    Image[{missing}]\n    --> [NG] {registry_host}/busybox has no manifest nope (HTTP 404)"
        )),
        "{}",
        text(&output.stdout)
    );
    assert!(
        registry
            .request_lines()
            .iter()
            .any(|l| l
                .starts_with("GET /token?scope=repository%3Abusybox%3Apull&service=test-registry")),
        "the anonymous token was asked for: {:?}",
        registry.request_lines()
    );
}
