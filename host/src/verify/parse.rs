//! Pure helpers of `verify`: ECR image references, Secrets Manager ARNs with a JSON key, IAM
//! role names and trust policies.

use serde_json::Value;

/// An image in Amazon ECR: `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPO[:TAG][@DIGEST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage {
    /// The registry's account id.
    pub account: String,
    /// The registry's region.
    pub region: String,
    /// The repository name.
    pub repository: String,
    /// The tag (`latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// The digest (`sha256:…`).
    pub digest: Option<String>,
}

/// Parses an ECR image reference; `None` for other registries.
pub fn ecr_image(image: &str) -> Option<EcrImage> {
    let (host, path) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?.to_owned();
    let rest: Vec<_> = parts.collect();
    if rest != ["amazonaws", "com"] && rest != ["amazonaws", "com", "cn"] {
        return None;
    }
    let (name, digest) = match path.split_once('@') {
        Some((name, digest)) => (name, Some(digest.to_owned())),
        None => (path, None),
    };
    let (repository, tag) = match name.rsplit_once(':') {
        Some((repository, tag)) => (repository, Some(tag.to_owned())),
        None => (name, None),
    };
    let tag = match (&tag, &digest) {
        (None, None) => Some("latest".to_owned()),
        _ => tag,
    };
    Some(EcrImage {
        account: account.to_owned(),
        region,
        repository: repository.to_owned(),
        tag,
        digest,
    })
}

/// Splits a Secrets Manager `valueFrom` into the secret id and the JSON key, if any:
/// `arn:aws:secretsmanager:REGION:ACCT:secret:NAME:KEY:STAGE:VERSION`.
pub fn secret_reference(value_from: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() > 7 {
        let key = Some(parts[7]).filter(|k| !k.is_empty()).map(str::to_owned);
        return (parts[..7].join(":"), key);
    }
    (value_from.to_owned(), None)
}

/// Whether `value_from` names a Secrets Manager secret (otherwise an SSM parameter).
pub fn is_secrets_manager(value_from: &str) -> bool {
    value_from.starts_with("arn:") && value_from.split(':').nth(2) == Some("secretsmanager")
}

/// The role name of a role ARN (`arn:aws:iam::1:role/path/name` → `name`) or a bare name.
pub fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Why `arn` is not a role ARN, as ecspresso's `extractRoleName` decides: an ARN must be
/// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`. `None` for a role ARN, and for a bare role
/// name (no `arn:`), which ECS accepts in `taskRoleArn` (ecspresso reports it NG).
pub fn role_arn_problem(arn: &str) -> Option<String> {
    if !arn.starts_with("arn:") {
        return None;
    }
    match arn.splitn(6, ':').collect::<Vec<_>>().as_slice() {
        ["arn", partition, "iam", _, _, resource]
            if !partition.is_empty() && resource.starts_with("role/") =>
        {
            None
        }
        _ => Some(format!(
            "`{arn}` is not a valid role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
        )),
    }
}

/// Whether a trust policy (JSON, possibly URL-encoded as IAM returns it) lets `service`
/// assume the role with `sts:AssumeRole`.
pub fn trusts(policy: &str, service: &str) -> Result<bool, String> {
    let decoded = percent_encoding::percent_decode_str(policy)
        .decode_utf8()
        .map_err(|e| format!("the trust policy is not UTF-8: {e}"))?;
    let document: Value =
        serde_json::from_str(&decoded).map_err(|e| format!("the trust policy is not JSON: {e}"))?;
    let statements = match &document["Statement"] {
        Value::Array(items) => items.clone(),
        item @ Value::Object(_) => vec![item.clone()],
        _ => Vec::new(),
    };
    let listed = |value: &Value, wanted: &str| match value {
        Value::String(s) => s == wanted || s == "*",
        Value::Array(items) => items.iter().any(|i| i == wanted || i == "*"),
        _ => false,
    };
    Ok(statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && listed(&s["Principal"]["Service"], service)
            && listed(&s["Action"], "sts:AssumeRole")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_images_with_tags_digests_and_defaults() {
        let image =
            ecr_image("123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/team/web:v1.2").unwrap();
        assert_eq!(image.account, "123456789012");
        assert_eq!(image.region, "ap-northeast-1");
        assert_eq!(image.repository, "team/web");
        assert_eq!(image.tag.as_deref(), Some("v1.2"));
        let digest =
            ecr_image("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web@sha256:abc").unwrap();
        assert_eq!(digest.tag, None);
        assert_eq!(digest.digest.as_deref(), Some("sha256:abc"));
        let latest = ecr_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/web").unwrap();
        assert_eq!(latest.tag.as_deref(), Some("latest"));
        for other in [
            "nginx:1.27",
            "ghcr.io/org/app:1",
            "public.ecr.aws/nginx/nginx",
            "localhost:5000/x",
        ] {
            assert_eq!(ecr_image(other), None, "{other}");
        }
    }

    #[test]
    fn secret_references_split_the_json_key() {
        let arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:app/db-AbCdEf";
        assert_eq!(secret_reference(arn), (arn.to_owned(), None));
        assert_eq!(
            secret_reference(&format!("{arn}:password::")),
            (arn.to_owned(), Some("password".to_owned()))
        );
        assert!(is_secrets_manager(arn));
        assert!(!is_secrets_manager("/app/password"));
        assert!(!is_secrets_manager(
            "arn:aws:ssm:ap-northeast-1:1:parameter/app/x"
        ));
    }

    #[test]
    fn trust_policies_in_every_form() {
        let single = r#"{"Statement": {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}}"#;
        assert_eq!(trusts(single, "ecs-tasks.amazonaws.com"), Ok(true));
        assert_eq!(trusts(single, "ecs.amazonaws.com"), Ok(false));
        let list = r#"{"Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}"#;
        assert_eq!(trusts(list, "ecs-tasks.amazonaws.com"), Ok(true));
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs-tasks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        assert_eq!(trusts(encoded, "ecs-tasks.amazonaws.com"), Ok(true));
        let deny = r#"{"Statement": [{"Effect": "Deny", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;
        assert_eq!(trusts(deny, "ecs-tasks.amazonaws.com"), Ok(false));
        assert!(trusts("not json", "x").is_err());
        assert_eq!(
            role_name("arn:aws:iam::1:role/service/app-exec"),
            "app-exec"
        );
    }

    #[test]
    fn role_arns_are_checked_as_ecspresso_checks_them() {
        for ok in [
            "arn:aws:iam::123456789012:role/ecsTaskRole",
            "arn:aws:iam::123456789012:role/path/to/ecsTaskRole",
            "arn:aws-cn:iam::123456789012:role/app",
            "ecsTaskRole",
        ] {
            assert_eq!(role_arn_problem(ok), None, "{ok}");
        }
        for bad in [
            "arn:aws:iam::123456789012:foo",
            "arn:aws:iam::123456789012:policy/ecsTaskRole",
            "arn:aws:ec2::123456789012:foo/bar",
            "arn:aws:iam::role/x",
        ] {
            assert!(role_arn_problem(bad).is_some(), "{bad}");
        }
    }
}
