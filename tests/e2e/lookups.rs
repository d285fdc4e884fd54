//! ssm and secretsmanager lookups (always available, as ecspresso's implicit plugins) and the
//! `cloudformation` plugin's `cfn_output`/`cfn_export` in YAML configs, Go-template definitions
//! and Jsonnet, with `func_prefix`, against values seeded in the emulator; a missing parameter,
//! stack, output or export is an error naming the lookup and the file position.

use crate::support::{TestContext, assert_failure, assert_success, text};

#[tokio::test]
async fn ssm_and_secretsmanager_lookups_resolve_and_fail_clearly() {
    let context = TestContext::with_aws();
    context.boto3(
        "ssm = client('ssm')\n\
         ssm.put_parameter(Name='/app/cluster', Value='prod-cluster', Type='String')\n\
         ssm.put_parameter(Name='/app/password', Value='s3cr3t', Type='SecureString')\n\
         ssm.put_parameter(Name='/app/subnets', Value='subnet-a,subnet-b', Type='StringList')\n\
         client('secretsmanager').create_secret(Name='app/db', SecretString='x')",
    );
    context.write(
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: '{{ ssm \"/app/cluster\" }}'\nservice: web\ntask_definition: td.json\nservice_definition: sd.jsonnet\nplugins:\n  - name: ssm\n    func_prefix: other_\n",
    );
    context.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 64,
  "environment": [{"name": "PASSWORD", "value": "{{ ssm `/app/password` }}"}, {"name": "SUBNET", "value": "{{ other_ssm `/app/subnets` 1 }}"}],
  "secrets": [{"name": "DB", "valueFrom": "{{ secretsmanager_arn `app/db` }}"}]}]}"#,
    );
    context.write("sd.jsonnet", "{ desiredCount: 1, tags: [{ key: 'subnet', value: std.native('ssm_list')('/app/subnets', 0) }] }\n");
    let output = context.run(&["render", "config", "taskdef", "servicedef"], &[]);
    assert_success(&output);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("cluster: prod-cluster"), "{stdout}");
    assert!(stdout.contains("\"value\": \"s3cr3t\""), "{stdout}");
    assert!(stdout.contains("\"value\": \"subnet-b\""), "{stdout}");
    assert!(stdout.contains("\"value\": \"subnet-a\""), "{stdout}");
    assert!(stdout.contains("secret:app/db"), "{stdout}");

    context.write(
        "td.json",
        "{\n  \"family\": \"{{ ssm `/app/missing` }}\"\n}\n",
    );
    let output = context.run(&["render", "taskdef"], &[]);
    assert_failure(
        &output,
        "td.json:2:17: error calling ssm: parameter /app/missing: ParameterNotFound",
    );
    context.write(
        "td.json",
        "{\n  \"family\": \"{{ ssm `/app/subnets` }}\"\n}\n",
    );
    assert_failure(
        &context.run(&["render", "taskdef"], &[]),
        "is a StringList: give an index",
    );
}

/// A stack with literal outputs, one of them exported (the cheapest seed moto accepts).
const STACK: &str = "Resources:\n  Handle:\n    Type: AWS::CloudFormation::WaitConditionHandle\nOutputs:\n  VpcId:\n    Value: vpc-0cfn\n    Export:\n      Name: shared-vpc-id\n  ClusterName:\n    Value: cfn-cluster\n";

#[tokio::test]
async fn cloudformation_lookups_resolve_and_fail_clearly() {
    let context = TestContext::with_aws();
    context.boto3(&format!(
        "client('cloudformation').create_stack(StackName='infra', TemplateBody={STACK:?})"
    ));
    context.write(
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: '{{ cfn_output \"infra\" \"ClusterName\" }}'\nservice: web\ntask_definition: td.json\nservice_definition: sd.jsonnet\nplugins:\n  - name: cloudformation\n  - name: cloudformation\n    func_prefix: other_\n",
    );
    context.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 64,
  "environment": [{"name": "VPC", "value": "{{ cfn_output `infra` `VpcId` }}"},
                  {"name": "SHARED", "value": "{{ other_cfn_export `shared-vpc-id` }}"}]}]}"#,
    );
    context.write(
        "sd.jsonnet",
        "{ desiredCount: 1, tags: [\n  { key: 'cluster', value: std.native('cfn_output')('infra', 'ClusterName') },\n  { key: 'vpc', value: std.native('cfn_export')('shared-vpc-id') },\n] }\n",
    );
    let output = context.run(&["render", "config", "taskdef", "servicedef"], &[]);
    assert_success(&output);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("cluster: cfn-cluster"), "{stdout}");
    assert_eq!(
        stdout.matches("\"value\": \"vpc-0cfn\"").count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("\"value\": \"cfn-cluster\""), "{stdout}");

    let render_td = |template: &str| {
        context.write(
            "td.json",
            &format!("{{\n  \"family\": \"{template}\"\n}}\n"),
        );
        context.run(&["render", "taskdef"], &[])
    };
    assert_failure(
        &render_td("{{ cfn_output `infra` `VpcID` }}"),
        "td.json:2:17: error calling cfn_output: stack infra has no output VpcID (nearest of 2: VpcId, ClusterName)",
    );
    assert_failure(
        &render_td("{{ cfn_output `nope` `VpcId` }}"),
        "td.json:2:17: error calling cfn_output: stack nope: ValidationError: Stack with id nope does not exist",
    );
    assert_failure(
        &render_td("{{ cfn_export `shared-vpc` }}"),
        "td.json:2:17: error calling cfn_export: no export named shared-vpc (nearest of 1: shared-vpc-id)",
    );
}

#[tokio::test]
async fn external_plugin_functions_run_commands_in_templates_and_jsonnet() {
    let context = TestContext::offline();
    context.write(
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: c\nservice: web\ntask_definition: td.json\nservice_definition: sd.jsonnet\nplugins:\n  - name: external\n    config:\n      name: image_for\n      command: [sh, -c, 'printf \"{\\\"image\\\": \\\"nginx:%s\\\", \\\"tag\\\": \\\"%s\\\"}\" \"$1\" \"$1\"', '--']\n      num_args: 1\n      timeout: 5s\n  - name: external\n    func_prefix: git_\n    config:\n      name: sha\n      command: [echo, abc123]\n      parser: string\n  - name: external\n    config:\n      name: broken\n      command: [sh, -c, 'echo no such table >&2; exit 4']\n",
    );
    context.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "{{ (image_for `1.29`).image }}", "dockerLabels": {{ image_for `1.27` }}, "memory": 64,
  "command": ["{{ index (image_for `1.30`) `tag` }}", "{{ with image_for `1.31` }}{{ .tag }}{{ end }}"],
  "environment": [{"name": "SHA", "value": "{{ git_sha }}"}]}]}"#,
    );
    context.write(
        "sd.jsonnet",
        "{ desiredCount: 1, tags: [{ key: 'image', value: std.native('image_for')('1.28').image }] }\n",
    );
    let output = context.run(&["render", "taskdef", "servicedef"], &[]);
    assert_success(&output);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("\"tag\": \"1.27\"") && stdout.contains("\"image\": \"nginx:1.27\""),
        "JSON results print as JSON in templates: {stdout}"
    );
    assert!(
        stdout.contains("\"image\": \"nginx:1.29\"")
            && stdout.contains("\"1.30\"")
            && stdout.contains("\"1.31\""),
        "fields of a JSON result are reachable as in ecspresso: {stdout}"
    );
    assert!(stdout.contains("\"value\": \"abc123\""), "{stdout}");
    assert!(stdout.contains("\"value\": \"nginx:1.28\""), "{stdout}");

    context.write("td.json", "{\n  \"family\": \"{{ broken }}\"\n}\n");
    assert_failure(
        &context.run(&["render", "taskdef"], &[]),
        "td.json:2:17: error calling broken: `sh -c echo no such table >&2; exit 4` exited with exit status: 4",
    );
}

/// A JSON-RPC 2.0 server for the `external` plugin's jsonrpc mode: `result` is
/// `{"key", "pid", "served"}` for `params[0]`; `missing` is answered with an error.
const JSONRPC_SERVER: &str = r#"
import json, os, sys
served = 0
for line in sys.stdin:
    request = json.loads(line)
    served += 1
    key = request["params"][0]
    if key == "missing":
        answer = {"error": {"code": -32001, "message": "no parameter " + key}}
    else:
        answer = {"result": {"key": key, "pid": os.getpid(), "served": served}}
    answer.update(jsonrpc="2.0", id=request["id"])
    print(json.dumps(answer), flush=True)
"#;

#[tokio::test]
async fn external_jsonrpc_mode_answers_every_call_from_one_process() {
    let context = TestContext::offline();
    context.write("server.py", JSONRPC_SERVER);
    context.write(
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: c\nservice: web\ntask_definition: td.json\nservice_definition: sd.jsonnet\nplugins:\n  - name: external\n    func_prefix: rpc_\n    config:\n      name: param\n      mode: jsonrpc\n      command: [python3, server.py]\n      num_args: 1\n      timeout: 10s\n",
    );
    context.write(
        "td.json",
        r#"{"family": "{{ (rpc_param `family`).key }}", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 64,
  "environment": [{"name": "A", "value": "{{ (rpc_param `a`).pid }}/{{ (rpc_param `a`).served }}"}, {"name": "B", "value": "{{ (rpc_param `b`).pid }}/{{ (rpc_param `b`).served }}"}]}]}"#,
    );
    context.write(
        "sd.jsonnet",
        "{ desiredCount: 1, tags: [{ key: 'from', value: std.native('rpc_param')('jsonnet').key }] }\n",
    );
    let output = context.run(&["render", "taskdef", "servicedef"], &[]);
    assert_success(&output);
    let stdout = text(&output.stdout);
    let rendered: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("two JSON documents");
    assert_eq!(rendered[0]["family"], "family");
    assert_eq!(rendered[1]["tags"][0]["value"], "jsonnet");
    let environment = rendered[0]["containerDefinitions"][0]["environment"]
        .as_array()
        .expect("environment");
    let answers: Vec<(&str, u64)> = environment
        .iter()
        .map(|variable| {
            let (pid, served) = variable["value"]
                .as_str()
                .and_then(|v| v.split_once('/'))
                .expect("pid/served");
            (pid, served.parse().expect("a count"))
        })
        .collect();
    assert_eq!(
        answers[0].0, answers[1].0,
        "one process answered every call: {stdout}"
    );
    assert!(
        answers[1].1 > answers[0].1,
        "the process counted its calls: {stdout}"
    );

    context.write(
        "td.json",
        "{\n  \"family\": \"{{ rpc_param `missing` }}\"\n}\n",
    );
    assert_failure(
        &context.run(&["render", "taskdef"], &[]),
        "td.json:2:17: error calling rpc_param: jsonrpc error: no parameter missing (code: -32001)",
    );
}

#[tokio::test]
async fn env_files_reach_lookups_and_external_commands() {
    let context = TestContext::with_aws();
    let other = TestContext::with_aws();
    other.boto3(
        "client('ssm').put_parameter(Name='/app/tier', Value='other-account', Type='String')",
    );
    context.write(
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: c\nservice: web\ntask_definition: td.json\nplugins:\n  - name: external\n    config:\n      name: release\n      command: [sh, -c, 'printf %s \"$RELEASE_NAME\"']\n      parser: string\n",
    );
    context.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 64,
  "environment": [{"name": "TIER", "value": "{{ ssm `/app/tier` }}"}, {"name": "RELEASE", "value": "{{ release }}"}]}]}"#,
    );
    context.write(
        "deploy.env",
        &format!(
            "RELEASE_NAME=blue-moon\nAWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY=from-the-env-file\n",
            other.access_key_id()
        ),
    );
    let output = context.run(&["--envfile", "deploy.env", "render", "taskdef"], &[]);
    assert_success(&output);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("\"value\": \"other-account\""),
        "the ssm lookup used the env file's credentials: {stdout}"
    );
    assert!(
        stdout.contains("\"value\": \"blue-moon\""),
        "the external command saw the env file's variable: {stdout}"
    );

    let output = context.run(&["render", "taskdef"], &[]);
    assert_failure(&output, "ParameterNotFound");
}

/// `--assume-role-arn` is for ECS; lookups use the caller's own credentials, as ecspresso builds
/// its ssm, secretsmanager, cloudformation and tfstate clients before assuming the role
/// (config.go `Restrict` → `setupPlugins`, then `New` → `AssumeRole`). The role is in another
/// account, whose own parameter the lookup must not read.
#[tokio::test]
async fn lookups_use_the_caller_and_ecs_uses_the_assumed_role() {
    let caller = TestContext::with_aws();
    let target = TestContext::with_aws();
    target.create_cluster().await;
    caller.boto3(
        "client('ssm').put_parameter(Name='/app/tier', Value='from-the-caller', Type='String')\n\
         client('secretsmanager').create_secret(Name='app/db', SecretString='x')",
    );
    target.boto3(
        "client('ssm').put_parameter(Name='/app/tier', Value='from-the-role', Type='String')",
    );
    caller.write(
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n",
    );
    caller.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 64,
  "environment": [{"name": "TIER", "value": "{{ ssm `/app/tier` }}"}],
  "secrets": [{"name": "DB", "valueFrom": "{{ secretsmanager_arn `app/db` }}"}]}]}"#,
    );
    caller.write("sd.json", r#"{"launchType": "EC2", "desiredCount": 1}"#);
    let role = format!("arn:aws:iam::{}:role/deployer", target.account);
    let output = caller.run(&["--assume-role-arn", &role, "deploy", "--no-wait"], &[]);
    assert_success(&output);

    let registered = target
        .ecs()
        .await
        .describe_task_definition()
        .task_definition("web")
        .send()
        .await
        .expect("the task definition is in the role's account");
    let container = &registered
        .task_definition()
        .expect("task definition")
        .container_definitions()[0];
    assert_eq!(
        container.environment()[0].value(),
        Some("from-the-caller"),
        "the ssm lookup read the caller's account"
    );
    assert!(
        container.secrets()[0]
            .value_from()
            .contains(&format!(":{}:secret:app/db", caller.account)),
        "{:?}",
        container.secrets()
    );
    let key = caller.access_key_id();
    for operation in ["GetParameter", "DescribeSecret", "AssumeRole"] {
        let calls = caller.calls(operation);
        assert!(
            !calls.is_empty() && calls.iter().all(|c| c["access_key"] == key.as_str()),
            "{operation} is signed with the caller's key {key}: {calls:?}"
        );
    }
    for operation in ["RegisterTaskDefinition", "CreateService"] {
        let calls = target.calls(operation);
        assert!(
            !calls.is_empty()
                && calls.iter().all(|c| {
                    let signer = c["access_key"].as_str().unwrap_or_default();
                    !signer.is_empty() && signer != key && signer != target.access_key_id()
                }),
            "{operation} is signed with the role's temporary key: {calls:?}"
        );
    }
    assert!(
        caller.calls("RegisterTaskDefinition").is_empty(),
        "nothing registered with the caller's credentials"
    );
}
