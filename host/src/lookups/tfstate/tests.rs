use super::*;
use serde_json::json;

fn fixture() -> Value {
    json!({
        "version": 4,
        "terraform_version": "1.9.0",
        "serial": 7,
        "lineage": "l",
        "outputs": {
            "vpc_id": {"value": "vpc-123", "type": "string"},
            "subnets": {"value": ["subnet-a", "subnet-b"], "type": ["list", "string"]},
            "repository-uri": {"value": "123.dkr.ecr/app", "type": "string"}
        },
        "resources": [
            {"mode": "managed", "type": "aws_vpc", "name": "main", "provider": "p",
             "instances": [{"schema_version": 1, "attributes": {
                "id": "vpc-123", "cidr_block": "10.0.0.0/16", "enable_dns": true,
                "tags": {"Name": "main", "kubernetes.io/role": "shared"},
                "description": null}}]},
            {"mode": "managed", "type": "aws_vpc", "name": "other", "provider": "p",
             "instances": [{"attributes": {"id": "vpc-456"}}]},
            {"mode": "data", "type": "aws_caller_identity", "name": "current", "provider": "p",
             "instances": [{"attributes": {"account_id": "123456789012"}}]},
            {"module": "module.network", "mode": "managed", "type": "aws_subnet", "name": "private",
             "each": "list", "provider": "p",
             "instances": [
                {"index_key": 1, "attributes": {"id": "subnet-b", "cidr_block": "10.0.2.0/24"}},
                {"index_key": 0, "attributes": {"id": "subnet-a", "cidr_block": "10.0.1.0/24"}}
             ]},
            {"module": "module.app.module.roles", "mode": "managed", "type": "aws_iam_role",
             "name": "task", "provider": "p",
             "instances": [{"attributes": {"name": "task-role", "arn": "arn:aws:iam::1:role/task"}}]},
            {"mode": "managed", "type": "aws_instance", "name": "web", "each": "map", "provider": "p",
             "instances": [
                {"index_key": "blue", "attributes": {"id": "i-blue", "ports": [80, 443]}},
                {"index_key": "green.v2", "attributes": {"id": "i-green"}}
             ]},
            {"mode": "data", "type": "aws_lb_target_group", "name": "app", "each": "map", "provider": "p",
             "instances": [{"index_key": "dev1", "attributes": {"name": "dev-dev1-app"}}]},
            {"mode": "data", "type": "terraform_remote_state", "name": "shared", "provider": "p",
             "instances": [{"attributes": {"backend": "s3",
                "outputs": {"value": {"kms_key_arn": "arn:kms", "list": [1, 2]},
                            "type": ["object", {}]}}}]},
            {"mode": "managed", "type": "aws_lb", "name": "legacy", "provider": "p",
             "instances": [{"attributes_flat": {"id": "lb-1"}}]}
        ]
    })
}

fn state() -> State {
    State::parse(fixture().to_string().as_bytes(), "terraform.tfstate").unwrap()
}

fn ok(address: &str) -> Value {
    state()
        .lookup(address)
        .unwrap_or_else(|e| panic!("{address}: {e}"))
}

fn err(address: &str) -> String {
    state().lookup(address).unwrap_err().to_string()
}

#[test]
fn managed_resources_and_attribute_paths() {
    assert_eq!(ok("aws_vpc.main.id"), json!("vpc-123"));
    assert_eq!(ok("aws_vpc.main.enable_dns"), json!(true));
    assert_eq!(ok("aws_vpc.main.tags.Name"), json!("main"));
    assert_eq!(
        ok(r#"aws_vpc.main.tags["kubernetes.io/role"]"#),
        json!("shared")
    );
    assert_eq!(ok("aws_vpc.main.tags")["Name"], json!("main"));
    assert_eq!(ok("aws_vpc.main")["cidr_block"], json!("10.0.0.0/16"));
    assert_eq!(ok("aws_vpc.other.id"), json!("vpc-456"));
    assert_eq!(ok("aws_lb.legacy.id"), json!("lb-1"), "attributes_flat");
}

#[test]
fn data_sources() {
    assert_eq!(
        ok("data.aws_caller_identity.current.account_id"),
        json!("123456789012")
    );
    assert_eq!(
        ok(r#"data.aws_lb_target_group.app["dev1"].name"#),
        json!("dev-dev1-app")
    );
    assert_eq!(
        ok("data.terraform_remote_state.shared.outputs.kms_key_arn"),
        json!("arn:kms")
    );
    assert_eq!(
        ok("data.terraform_remote_state.shared.outputs.list[1]"),
        json!(2)
    );
}

#[test]
fn modules_and_count() {
    assert_eq!(
        ok("module.network.aws_subnet.private[0].id"),
        json!("subnet-a")
    );
    assert_eq!(
        ok("module.network.aws_subnet.private[1].cidr_block"),
        json!("10.0.2.0/24")
    );
    assert_eq!(
        ok("module.app.module.roles.aws_iam_role.task.name"),
        json!("task-role")
    );
    // All instances, in index order, when no index is given.
    let all = ok("module.network.aws_subnet.private");
    assert_eq!(all[0]["id"], json!("subnet-a"));
    assert_eq!(all[1]["id"], json!("subnet-b"));
    assert_eq!(
        ok("module.network.aws_subnet.private[-1].id"),
        json!("subnet-b")
    );
}

#[test]
fn for_each_keys() {
    assert_eq!(ok(r#"aws_instance.web["blue"].id"#), json!("i-blue"));
    assert_eq!(ok("aws_instance.web['blue'].id"), json!("i-blue"));
    assert_eq!(ok(r#"aws_instance.web["green.v2"].id"#), json!("i-green"));
    assert_eq!(ok(r#"aws_instance.web["blue"].ports[1]"#), json!(443));
    assert_eq!(ok(r#"aws_instance.web["blue"].ports.0"#), json!(80));
    let all = ok("aws_instance.web");
    assert_eq!(all["blue"]["id"], json!("i-blue"));
    assert_eq!(all["green.v2"]["id"], json!("i-green"));
}

#[test]
fn outputs() {
    assert_eq!(ok("output.vpc_id"), json!("vpc-123"));
    assert_eq!(ok("output.subnets"), json!(["subnet-a", "subnet-b"]));
    assert_eq!(ok("output.subnets[1]"), json!("subnet-b"));
    assert_eq!(ok("output.repository-uri"), json!("123.dkr.ecr/app"));
}

#[test]
fn unknown_resources_name_the_part_and_suggest() {
    let message = err("aws_vpc.mian.id");
    assert!(
        message.starts_with("`aws_vpc.mian.id` not found in terraform.tfstate: "),
        "{message}"
    );
    assert!(
        message.contains("nothing under `aws_vpc` is named `mian`"),
        "{message}"
    );
    assert!(message.contains("aws_vpc.main"), "{message}");
    let message = err("aws_vcp.main.id");
    assert!(
        message.contains("no address starts with `aws_vcp`"),
        "{message}"
    );
    assert!(message.contains("nearest of"), "{message}");
    let message = err("module.network.aws_subnet.public[0].id");
    assert!(
        message.contains("nothing under `module.network.aws_subnet` is named `public[0]`"),
        "{message}"
    );
    assert!(err("output.vpc_ip").contains("output.vpc_id"));
    // A name that only extends an existing one is not a match.
    assert!(err("aws_vpc.main2.id").contains("`main2`"));
}

#[test]
fn wrong_attribute_paths_say_what_is_there() {
    let message = err("aws_vpc.main.tags.Nme");
    assert!(
        message.contains("`aws_vpc.main.tags` has no `Nme` (it has: Name, kubernetes.io/role)"),
        "{message}"
    );
    assert!(
        err("module.network.aws_subnet.private[5].id")
            .contains("`module.network.aws_subnet.private` has 2 items; [5] is out of range")
    );
    assert!(err(r#"aws_instance.web["red"].id"#).contains("has no `red` (it has: blue, green.v2)"));
    assert!(err("aws_vpc.main.id.x").contains("`aws_vpc.main.id` is a string"));
    assert!(err("output.subnets.first").contains("index it with [N]"));
    assert!(err("aws_vpc.main.tags[0]").contains("is an object, not a list"));
    assert!(err("aws_vpc.main.description").contains("`aws_vpc.main.description` is null"));
}

#[test]
fn malformed_addresses() {
    assert!(err("aws_vpc.main.tags[\"Name\"").contains("unclosed `[`"));
    assert!(err("aws_vpc.main..id").contains("empty attribute name"));
    assert!(err("  ").contains("empty"));
    assert!(err("aws_vpc.main.tags[]").contains("empty `[]`"));
}

#[test]
fn bad_states() {
    let e = State::parse(b"not json", "s3://b/k").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("s3://b/k is not a Terraform state"),
        "{e}"
    );
    let e = State::parse(br#"{"version": 3, "resources": []}"#, "old.tfstate").unwrap_err();
    assert!(
        e.to_string().contains("unsupported state format version 3"),
        "{e}"
    );
    let e = State::parse(
        br#"{"version": 3, "backend": {"type": "s3", "config": {}}}"#,
        ".terraform/terraform.tfstate",
    )
    .unwrap_err();
    assert!(e.to_string().contains("backend `s3`"), "{e}");
    let empty = State::empty("missing.tfstate");
    assert!(
        empty
            .lookup("aws_vpc.main.id")
            .unwrap_err()
            .to_string()
            .contains("the state is empty")
    );
}

#[test]
fn addresses_are_listed() {
    let state = state();
    let addresses: Vec<&str> = state.addresses().collect();
    for expected in [
        "aws_instance.web",
        r#"aws_instance.web["blue"]"#,
        "data.aws_caller_identity.current",
        "module.network.aws_subnet.private[0]",
        "output.vpc_id",
    ] {
        assert!(addresses.contains(&expected), "{expected} in {addresses:?}");
    }
}

#[test]
fn components_respect_brackets() {
    assert_eq!(
        components(r#"module.m.aws_x.y["a.b"].id"#),
        vec!["module", "m", "aws_x", r#"y["a.b"]"#, "id"]
    );
}
