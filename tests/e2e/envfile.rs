//! `--envfile` as ecspresso exports it (#15): every AWS setting the SDK reads, whether it comes
//! from the process environment or an env file, reaches the SDK, scoped to the command (and to
//! each service of a fleet): per-service endpoints (`AWS_ENDPOINT_URL_ECS`), profile files
//! (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_PROFILE`), `AWS_MAX_ATTEMPTS`, and
//! `AWS_CA_BUNDLE` (which Go's SDK reads and ristretto adds). The emulator's call log and an
//! independent client check what AWS saw.

use crate::support::{FaultProxy, TestContext, assert_failure, assert_success, run, text};

const CONFIG: &str = "region: ap-northeast-1\ncluster: e2e\nservice: web\ntask_definition: td.json\nservice_definition: sd.json\ntimeout: 2m\n";
const TASK_DEFINITION: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1", "memory": 128}]}"#;
const SERVICE_DEFINITION: &str = r#"{"launchType": "EC2", "desiredCount": 1}"#;

fn write_project(context: &TestContext) {
    context.write("ecspresso.yml", CONFIG);
    context.write("td.json", TASK_DEFINITION);
    context.write("sd.json", SERVICE_DEFINITION);
}

#[tokio::test]
async fn profile_files_and_a_service_endpoint_from_an_env_file_reach_the_sdk() {
    let context = TestContext::with_aws();
    let target = TestContext::with_aws();
    target.create_cluster().await;
    write_project(&context);
    context.write(
        "aws/credentials",
        &format!(
            "[deployer]\naws_access_key_id = {}\naws_secret_access_key = from-the-profile\n",
            target.access_key_id()
        ),
    );
    context.write(
        "aws/config",
        "[profile deployer]\nregion = ap-northeast-1\n",
    );
    let endpoint = context.endpoint.clone().unwrap_or_default();
    context.write(
        "deploy.env",
        &format!(
            "AWS_ENDPOINT_URL_ECS={endpoint}\nAWS_CONFIG_FILE=aws/config\nAWS_SHARED_CREDENTIALS_FILE=aws/credentials\nAWS_PROFILE=deployer\n"
        ),
    );
    let deploy = |envfile: bool| {
        let mut command = context.ristretto();
        // Only the env file says where ECS is and who deploys: the process has no credentials
        // and a general endpoint that refuses connections.
        command
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_MAX_ATTEMPTS", "1");
        if envfile {
            command.args(["--envfile", "deploy.env"]);
        }
        command.args(["deploy", "--no-wait"]);
        run(&mut command)
    };
    assert_failure(&deploy(false), "");
    let output = deploy(true);
    assert_success(&output);
    let service = target.service("web").await;
    assert!(
        service
            .task_definition()
            .unwrap_or_default()
            .contains(&format!(":{}:task-definition/web:1", target.account)),
        "deployed with the profile's credentials, in its account: {:?}",
        service.task_definition()
    );
    let calls = target.calls("CreateService");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        calls[0]["access_key"].as_str(),
        Some(target.access_key_id().as_str())
    );
}

#[tokio::test]
async fn max_attempts_from_an_env_file_bounds_every_retry() {
    let context = TestContext::with_aws();
    write_project(&context);
    context.create_cluster().await;
    let proxy = FaultProxy::start();
    proxy.add("DescribeServices", "5xx", 0);
    for attempts in [1, 3] {
        context.write("retry.env", &format!("AWS_MAX_ATTEMPTS={attempts}\n"));
        let before = proxy.hits("DescribeServices");
        let output = context.run(
            &["--envfile", "retry.env", "status"],
            &[("AWS_ENDPOINT_URL", proxy.endpoint.as_str())],
        );
        assert_failure(&output, "ServiceUnavailable");
        assert_eq!(
            proxy.hits("DescribeServices") - before,
            attempts,
            "AWS_MAX_ATTEMPTS={attempts} from the env file: {}",
            text(&output.stderr)
        );
    }
    context.write("retry.env", "AWS_MAX_ATTEMPTS=zero\n");
    assert_failure(
        &context.run(&["--envfile", "retry.env", "status"], &[]),
        "AWS_MAX_ATTEMPTS `zero` is not a whole number of at least 1",
    );
}

#[tokio::test]
async fn a_ca_bundle_from_an_env_file_or_the_process_trusts_a_private_authority() {
    let context = TestContext::with_aws();
    write_project(&context);
    context.create_cluster().await;
    let certificates = context.path("tls");
    let proxy = FaultProxy::start_tls(&certificates);
    let ca = certificates.join("ca.pem").display().to_string();
    context.write(
        "tls.env",
        &format!("AWS_ENDPOINT_URL={}\nAWS_CA_BUNDLE={ca}\n", proxy.endpoint),
    );
    context.write(
        "no-ca.env",
        &format!("AWS_ENDPOINT_URL={}\n", proxy.endpoint),
    );
    let untrusted = context.run(
        &["--envfile", "no-ca.env", "deploy", "--no-wait"],
        &[("AWS_MAX_ATTEMPTS", "1")],
    );
    assert_failure(&untrusted, "could not reach AWS");
    assert_success(&context.run(&["--envfile", "tls.env", "deploy", "--no-wait"], &[]));
    assert_eq!(context.service("web").await.desired_count(), 1);
    let creates = context.calls("CreateService");
    assert_eq!(
        creates.len(),
        1,
        "only the trusted run reached AWS: {creates:?}"
    );
    // The same setting from the process environment.
    let status = context.run(
        &["--envfile", "no-ca.env", "status"],
        &[("AWS_CA_BUNDLE", ca.as_str())],
    );
    assert_success(&status);
    context.write("bad.pem", "not a certificate\n");
    assert_failure(
        &context.run(&["status"], &[("AWS_CA_BUNDLE", "bad.pem")]),
        "AWS_CA_BUNDLE bad.pem: holds no PEM certificate",
    );
}

#[tokio::test]
async fn each_fleet_service_deploys_with_its_own_env_files() {
    let context = TestContext::with_aws();
    let blue = TestContext::with_aws();
    let green = TestContext::with_aws();
    blue.create_cluster().await;
    green.create_cluster().await;
    context.write(
        "service.jsonnet",
        "{ region: 'ap-northeast-1', cluster: 'e2e', service: std.extVar('SERVICE'), task_definition: 'td.json', service_definition: 'sd.json', timeout: '2m' }\n",
    );
    context.write(
        "td.json",
        r#"{"family": "{{ must_env `FAMILY` }}", "containerDefinitions": [{"name": "app", "image": "nginx:1", "memory": 64}]}"#,
    );
    context.write("sd.json", SERVICE_DEFINITION);
    for (name, account) in [("blue", &blue), ("green", &green)] {
        context.write(
            &format!("{name}.env"),
            &format!(
                "FAMILY={name}-family\nAWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY=from-{name}\n",
                account.access_key_id()
            ),
        );
    }
    context.write(
        "ristretto-fleet.yml",
        "services:\n  blue: {config: service.jsonnet, ext_str: {SERVICE: blue}, envfile: [blue.env]}\n  green: {config: service.jsonnet, ext_str: {SERVICE: green}, envfile: [green.env]}\n",
    );
    let output = context.run(&["fleet", "deploy"], &[]);
    assert_success(&output);
    for (name, account) in [("blue", &blue), ("green", &green)] {
        let service = account.service(name).await;
        assert!(
            service
                .task_definition()
                .unwrap_or_default()
                .contains(&format!(
                    ":{}:task-definition/{name}-family:1",
                    account.account
                )),
            "{name} deployed in its own account with its own variables: {:?}",
            service.task_definition()
        );
    }
    assert!(
        context.calls("").is_empty(),
        "nothing ran with the process's own credentials"
    );
}

/// `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` from an env file route the AWS calls as ecspresso's
/// exported variables do, with Go's rules: the endpoint here is a name only the proxy (a
/// forwarding proxy in front of the emulator) can reach, so a call succeeds only through it;
/// `NO_PROXY` for that name sends the calls direct (and they fail); loopback endpoints are never
/// proxied, even with a proxy that refuses connections.
#[tokio::test]
async fn proxy_variables_from_an_env_file_route_the_aws_calls() {
    let context = TestContext::with_aws();
    write_project(&context);
    context.create_cluster().await;
    let proxy = FaultProxy::start();
    // Counts the proxied calls without changing them.
    let (status, body) = control_delay(&proxy, "DescribeServices");
    assert_eq!(status, 200, "{body}");
    let port = context
        .endpoint
        .clone()
        .unwrap_or_default()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let unresolvable = format!("http://aws-emulator.invalid:{port}");
    context.write(
        "proxy.env",
        &format!(
            "AWS_ENDPOINT_URL={unresolvable}\nHTTP_PROXY={}\nHTTPS_PROXY=http://127.0.0.1:9\nAWS_MAX_ATTEMPTS=1\n",
            proxy.endpoint
        ),
    );
    assert_success(&context.run(&["--envfile", "proxy.env", "deploy", "--no-wait"], &[]));
    assert!(
        proxy.hits("DescribeServices") >= 1,
        "the calls went through the proxy"
    );
    assert_eq!(context.service("web").await.desired_count(), 1);

    context.write("bypass.env", "NO_PROXY=.invalid\n");
    let direct = context.run(
        &[
            "--envfile",
            "proxy.env",
            "--envfile",
            "bypass.env",
            "status",
        ],
        &[],
    );
    assert_failure(&direct, "could not reach AWS");

    context.write(
        "loopback.env",
        "HTTP_PROXY=http://127.0.0.1:9\nHTTPS_PROXY=http://127.0.0.1:9\nAWS_MAX_ATTEMPTS=1\n",
    );
    assert_success(&context.run(&["--envfile", "loopback.env", "status"], &[]));
}

/// A `delay` rule of 1 ms on `operation`: the proxy counts its hits and forwards the call.
fn control_delay(proxy: &FaultProxy, operation: &str) -> (u16, String) {
    crate::support::control(
        &proxy.endpoint,
        "/_fault/add",
        &serde_json::json!({"match": operation, "kind": "delay", "times": 0, "delay_ms": 1}),
    )
}
