//! The `tfstate` plugin: a local state (`config.path`), one in S3 (`config.url`, seeded with
//! boto3 in the emulator) and one served over HTTP (Terraform's `http` backend) resolve in Go-template and Jsonnet definitions, with `func_prefix`,
//! `tfstatef` and `optional`; a wrong address, a missing or broken state file and an unknown
//! bucket or key are errors naming the lookup, the call site and the state.

use crate::support::{HttpSink, Reply, TestContext, assert_failure, assert_success, text};

/// A Terraform state (format version 4) with a module, a counted and a for_each resource.
const LOCAL_STATE: &str = r#"{
  "version": 4, "terraform_version": "1.9.0", "serial": 3, "lineage": "e2e",
  "outputs": {"cluster": {"value": "tf-cluster", "type": "string"}},
  "resources": [
    {"mode": "managed", "type": "aws_ecr_repository", "name": "app", "provider": "p",
     "instances": [{"attributes": {"repository_url": "123.dkr.ecr.ap-northeast-1.amazonaws.com/app",
                                   "tags": {"Name": "app", "team": "web"}}}]},
    {"module": "module.network", "mode": "managed", "type": "aws_subnet", "name": "private",
     "each": "list", "provider": "p",
     "instances": [{"index_key": 0, "attributes": {"id": "subnet-0aaa"}},
                   {"index_key": 1, "attributes": {"id": "subnet-1bbb"}}]},
    {"mode": "managed", "type": "aws_iam_role", "name": "task", "each": "map", "provider": "p",
     "instances": [{"index_key": "web", "attributes": {"arn": "arn:aws:iam::123456789012:role/web-task"}}]},
    {"mode": "data", "type": "aws_caller_identity", "name": "current", "provider": "p",
     "instances": [{"attributes": {"account_id": "123456789012"}}]}
  ]
}"#;

const S3_STATE: &str = r#"{
  "version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "s3",
  "outputs": {"log_group": {"value": "/ecs/web", "type": "string"}},
  "resources": [
    {"mode": "managed", "type": "aws_security_group", "name": "app", "provider": "p",
     "instances": [{"attributes": {"id": "sg-0123"}}]}
  ]
}"#;

fn config(plugins: &str) -> String {
    format!(
        "region: ap-northeast-1\ncluster: default\nservice: web\ntask_definition: td.json\nservice_definition: sd.jsonnet\nplugins:\n{plugins}"
    )
}

/// A YAML config whose cluster comes from the state (plugins are read before the rest).
fn config_with_cluster_from_state(plugins: &str) -> String {
    config(plugins).replace(
        "cluster: default",
        "cluster: '{{ tfstate \"output.cluster\" }}'",
    )
}

/// A local state, one in S3 (`s3_` prefix) and an optional one that does not exist (`later_`).
fn plugins(bucket: &str) -> String {
    format!(
        "  - name: tfstate\n    config:\n      path: tf/terraform.tfstate\n  - name: tfstate\n    func_prefix: s3_\n    config:\n      url: s3://{bucket}/web/terraform.tfstate\n  - name: tfstate\n    func_prefix: later_\n    config:\n      path: not-applied-yet.tfstate\n      optional: true\n"
    )
}

/// Creates this test's bucket (bucket names are global in the emulator too) and returns it.
fn create_bucket(context: &TestContext) -> String {
    let bucket = format!("tfstate-{}", context.account);
    context.boto3(&format!(
        "client('s3').create_bucket(Bucket='{bucket}', CreateBucketConfiguration={{'LocationConstraint': 'ap-northeast-1'}})"
    ));
    bucket
}

#[tokio::test]
async fn tfstate_lookups_resolve_from_files_and_s3() {
    let context = TestContext::with_aws();
    let bucket = create_bucket(&context);
    context.boto3(&format!(
        "client('s3').put_object(Bucket='{bucket}', Key='web/terraform.tfstate', Body={S3_STATE:?})"
    ));
    context.write("tf/terraform.tfstate", LOCAL_STATE);
    context.write(
        "ecspresso.yml",
        &config_with_cluster_from_state(&plugins(&bucket)),
    );
    context.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "memory": 64,
  "image": "{{ tfstate `aws_ecr_repository.app.repository_url` }}:latest",
  "environment": [
    {"name": "SUBNET", "value": "{{ tfstatef `module.network.aws_subnet.private[%d].id` 1 }}"},
    {"name": "ACCOUNT", "value": "{{ tfstate `data.aws_caller_identity.current.account_id` }}"},
    {"name": "TAGS", "value": "{{ tfstate `aws_ecr_repository.app.tags` | json_escape }}"},
    {"name": "CLUSTER", "value": "{{ tfstate `output.cluster` }}"}],
  "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "{{ s3_tfstate `output.log_group` }}"}}}],
  "taskRoleArn": "{{ tfstate `aws_iam_role.task['web'].arn` }}"}"#,
    );
    context.write(
        "sd.jsonnet",
        "local tfstate = std.native('tfstate');\n\
         {\n  desiredCount: 1,\n  networkConfiguration: { awsvpcConfiguration: {\n    \
         subnets: [s.id for s in tfstate('module.network.aws_subnet.private')],\n    \
         securityGroups: [std.native('s3_tfstate')('aws_security_group.app.id')],\n  } },\n  \
         tags: [{ key: 'team', value: tfstate('aws_ecr_repository.app').tags.team }],\n}\n",
    );
    let output = context.run(&["render", "config", "taskdef", "servicedef"], &[]);
    assert_success(&output);
    let stdout = text(&output.stdout);
    for expected in [
        "cluster: tf-cluster",
        r#""image": "123.dkr.ecr.ap-northeast-1.amazonaws.com/app:latest""#,
        r#""value": "subnet-1bbb""#,
        r#""value": "123456789012""#,
        r#""value": "{\"Name\":\"app\",\"team\":\"web\"}""#,
        r#""value": "tf-cluster""#,
        r#""awslogs-group": "/ecs/web""#,
        r#""taskRoleArn": "arn:aws:iam::123456789012:role/web-task""#,
        r#""sg-0123""#,
        r#""value": "web""#,
    ] {
        assert!(stdout.contains(expected), "{expected} in:\n{stdout}");
    }
    let subnets = stdout.find("subnet-0aaa").zip(stdout.rfind("subnet-1bbb"));
    assert!(
        subnets.is_some_and(|(a, b)| a < b),
        "both subnets, in order:\n{stdout}"
    );
    // The optional state is never read when unused: no warning.
    assert!(
        !text(&output.stderr).contains("not-applied-yet"),
        "{}",
        text(&output.stderr)
    );
    // A Jsonnet config: only `region` and `plugins` are evaluated before the plugins exist.
    context.write(
        "ecspresso.jsonnet",
        &format!(
            "local tfstate = std.native('s3_tfstate');\n{{\n  region: 'ap-northeast-1',\n  cluster: tfstate('output.log_group'),\n  service: 'web',\n  task_definition: 'td.json',\n  plugins: [{{ name: 'tfstate', func_prefix: 's3_', config: {{ url: 's3://{bucket}/web/terraform.tfstate' }} }}],\n}}\n"
        ),
    );
    let output = context.run(&["--config", "ecspresso.jsonnet", "render", "config"], &[]);
    assert_success(&output);
    assert!(
        text(&output.stdout).contains("cluster: /ecs/web"),
        "{}",
        text(&output.stdout)
    );
}

#[tokio::test]
async fn tfstate_errors_name_the_call_the_state_and_the_part_that_did_not_match() {
    let context = TestContext::with_aws();
    let bucket = create_bucket(&context);
    context.write("tf/terraform.tfstate", LOCAL_STATE);
    context.write("ecspresso.yml", &config(&plugins(&bucket)));
    context.write("sd.jsonnet", "{}\n");
    let render_td = |template: &str| {
        context.write(
            "td.json",
            &format!("{{\n  \"family\": \"{template}\"\n}}\n"),
        );
        context.run(&["render", "taskdef"], &[])
    };

    let output = render_td("{{ tfstate `aws_ecr_repository.api.repository_url` }}");
    assert_failure(
        &output,
        "td.json:2:17: error calling tfstate: `aws_ecr_repository.api.repository_url` not found in tf/terraform.tfstate: nothing under `aws_ecr_repository` is named `api`; nearest of",
    );
    assert!(text(&output.stderr).contains("aws_ecr_repository.app"));
    assert_failure(
        &render_td("{{ tfstate `aws_ecr_repository.app.tags.owner` }}"),
        "`aws_ecr_repository.app.tags` has no `owner` (it has: Name, team)",
    );
    assert_failure(
        &render_td("{{ tfstatef `module.network.aws_subnet.private[%d].id` 7 }}"),
        "td.json:2:17: error calling tfstatef: `module.network.aws_subnet.private[7].id` not found in tf/terraform.tfstate: `module.network.aws_subnet.private` has 2 items; [7] is out of range",
    );
    assert_failure(
        &render_td("{{ s3_tfstate `output.log_group` }}"),
        &format!(
            "td.json:2:17: error calling s3_tfstate: cannot read state s3://{bucket}/web/terraform.tfstate: NoSuchKey"
        ),
    );
    let output = render_td("{{ later_tfstate `output.cluster` }}");
    assert_failure(
        &output,
        "error calling later_tfstate: `output.cluster` not found in not-applied-yet.tfstate: the state is empty",
    );
    assert!(
        text(&output.stderr).contains(
            "tfstate: not-applied-yet.tfstate does not exist; `optional: true`, so it is read as an empty state"
        ),
        "{}",
        text(&output.stderr)
    );

    // Jsonnet calls name the file and position too.
    context.write(
        "sd.jsonnet",
        "{\n  x: std.native('tfstate')('aws_vpc.main.id'),\n}\n",
    );
    let output = context.run(&["render", "servicedef"], &[]);
    assert_failure(&output, "sd.jsonnet:2:");
    assert_failure(
        &output,
        "error calling tfstate: `aws_vpc.main.id` not found in tf/terraform.tfstate: no address starts with `aws_vpc`",
    );

    // Missing and broken state files, an unknown bucket.
    context.write(
        "ecspresso.yml",
        &config("  - name: tfstate\n    config:\n      path: tf/missing.tfstate\n  - name: tfstate\n    func_prefix: bad_\n    config:\n      url: file://tf/broken.tfstate\n  - name: tfstate\n    func_prefix: nobucket_\n    config:\n      url: s3://no-such-bucket/terraform.tfstate\n"),
    );
    context.write("tf/broken.tfstate", "{\"version\": 4, \"resources\": [");
    assert_failure(
        &render_td("{{ tfstate `output.cluster` }}"),
        "td.json:2:17: error calling tfstate: cannot read state file tf/missing.tfstate: No such file or directory",
    );
    assert_failure(
        &render_td("{{ bad_tfstate `output.cluster` }}"),
        "error calling bad_tfstate: tf/broken.tfstate is not a Terraform state: EOF while parsing",
    );
    assert_failure(
        &render_td("{{ nobucket_tfstate `output.cluster` }}"),
        "error calling nobucket_tfstate: cannot read state s3://no-such-bucket/terraform.tfstate: NoSuchBucket",
    );

    // Lookups in the config itself name the config's line.
    context.write(
        "ecspresso.yml",
        &config_with_cluster_from_state(
            "  - name: tfstate\n    config:\n      path: tf/missing.tfstate\n",
        ),
    );
    assert_failure(
        &context.run(&["render", "config"], &[]),
        "ecspresso.yml:2:14: error calling tfstate: cannot read state file tf/missing.tfstate",
    );

    // A bad plugin entry is a config error, before anything renders.
    context.write(
        "ecspresso.yml",
        &config("  - name: tfstate\n    config:\n      url: consul://host/key\n"),
    );
    assert_failure(
        &context.run(&["render", "config"], &[]),
        "plugin `tfstate` (plugins[0]): `consul://host/key`: the consul:// scheme is not supported",
    );
}

#[tokio::test]
async fn tfstate_over_http_resolves_and_a_missing_one_can_be_optional() {
    let context = TestContext::offline();
    let server = HttpSink::serve(|_, line| match line.split(' ').nth(1) {
        Some("/state/web") => Reply {
            status: 200,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: S3_STATE.as_bytes().to_vec(),
        },
        Some("/state/moved") => Reply {
            status: 301,
            headers: vec![("location".to_owned(), "/state/web".to_owned())],
            body: Vec::new(),
        },
        Some("/state/private") if line.contains("\r\nauthorization: Basic dTpzM2NyM3Q=") => Reply {
            status: 200,
            headers: Vec::new(),
            body: S3_STATE.as_bytes().to_vec(),
        },
        Some("/state/private") => Reply {
            status: 401,
            headers: Vec::new(),
            body: b"who are you".to_vec(),
        },
        Some("/state/empty") => Reply {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
        },
        Some("/state/broken") => Reply {
            status: 500,
            headers: Vec::new(),
            body: b"backend down".to_vec(),
        },
        _ => Reply {
            status: 404,
            headers: Vec::new(),
            body: b"no such state".to_vec(),
        },
    });
    let entry = |prefix: &str, path: &str, extra: &str| {
        format!(
            "  - name: tfstate\n    func_prefix: {prefix}\n    config:\n      url: {}{path}\n{extra}",
            server.url
        )
    };
    context.write(
        "ecspresso.yml",
        &config(&format!(
            "{}{}{}",
            entry("http_", "/state/moved", ""),
            entry("later_", "/state/not-yet", "      optional: true\n"),
            entry("down_", "/state/broken", "")
        )),
    );
    context.write(
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 64,
  "environment": [{"name": "SG", "value": "{{ http_tfstate `aws_security_group.app.id` }}"}]}]}"#,
    );
    context.write("sd.jsonnet", "{ desiredCount: 1 }\n");
    let output = context.run(&["render", "taskdef"], &[]);
    assert_success(&output);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("\"value\": \"sg-0123\""), "{stdout}");
    assert_eq!(
        server.request_lines(),
        ["GET /state/moved HTTP/1.1", "GET /state/web HTTP/1.1"],
        "states are read on first use only, redirects followed"
    );

    context.write(
        "td.json",
        "{\n  \"family\": \"{{ later_tfstate `output.anything` }}\"\n}\n",
    );
    let output = context.run(&["render", "taskdef"], &[]);
    assert_failure(
        &output,
        &format!(
            "error calling later_tfstate: `output.anything` not found in {}/state/not-yet: the state is empty",
            server.url
        ),
    );
    assert!(
        text(&output.stderr).contains("/state/not-yet does not exist; `optional: true`"),
        "{}",
        text(&output.stderr)
    );

    // user:password@ in the URL is basic auth (as Go's client does), never shown.
    let with_password = server.url.replace("http://", "http://u:s3cr3t@");
    context.write(
        "ecspresso.yml",
        &config(&format!(
            "  - name: tfstate\n    func_prefix: private_\n    config:\n      url: {with_password}/state/private\n  - name: tfstate\n    func_prefix: wrong_\n    config:\n      url: {}/state/private\n  - name: tfstate\n    func_prefix: empty_\n    config:\n      url: {}/state/empty\n      optional: true\n",
            server.url.replace("http://", "http://u:wrong@"),
            server.url
        )),
    );
    context.write(
        "td.json",
        "{\n  \"family\": \"{{ private_tfstate `aws_security_group.app.id` }}\"\n}\n",
    );
    let output = context.run(&["render", "taskdef"], &[]);
    assert_success(&output);
    assert!(
        text(&output.stdout).contains("sg-0123"),
        "{}",
        text(&output.stdout)
    );
    context.write(
        "td.json",
        "{\n  \"family\": \"{{ wrong_tfstate `aws_security_group.app.id` }}\"\n}\n",
    );
    let output = context.run(&["render", "taskdef"], &[]);
    assert_failure(&output, "answered 401 Unauthorized");
    assert!(
        !text(&output.stderr).contains(":wrong@"),
        "the password is never shown: {}",
        text(&output.stderr)
    );
    context.write(
        "td.json",
        "{\n  \"family\": \"{{ empty_tfstate `output.x` }}\"\n}\n",
    );
    let output = context.run(&["render", "taskdef"], &[]);
    assert_failure(&output, "the state is empty");
    assert!(
        text(&output.stderr).contains("/state/empty does not exist; `optional: true`"),
        "an empty answer is no state: {}",
        text(&output.stderr)
    );

    context.write(
        "ecspresso.yml",
        &config(&format!(
            "{}{}{}",
            entry("http_", "/state/moved", ""),
            entry("later_", "/state/not-yet", "      optional: true\n"),
            entry("down_", "/state/broken", "")
        )),
    );
    context.write(
        "td.json",
        "{\n  \"family\": \"{{ down_tfstate `output.log_group` }}\"\n}\n",
    );
    assert_failure(
        &context.run(&["render", "taskdef"], &[]),
        &format!(
            "td.json:2:17: error calling down_tfstate: cannot read state {0}/state/broken: {0}/state/broken answered 500 Internal Server Error",
            server.url
        ),
    );
}
