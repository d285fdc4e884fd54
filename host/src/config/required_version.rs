//! `required_version`: a version constraint in hashicorp/go-version syntax (`>= 2.0.0, < 3`,
//! `~> 2.1`, `= 2.8.8`, optional `v` prefixes). Configs are ecspresso's, so a constraint is
//! satisfied when it accepts either this binary's version or the ecspresso version whose
//! behaviour ristretto follows (`ECSPRESSO_COMPAT_VERSION`).

use semver::{Version, VersionReq};

/// Checks `constraint` against `ristretto_version` and `ecspresso_version`.
/// Returns a message naming the constraint and both versions when it is not satisfied or
/// cannot be parsed.
pub fn check_required_version(
    constraint: &str,
    ristretto_version: &str,
    ecspresso_version: &str,
) -> Result<(), String> {
    let requirement = parse_constraint(constraint)?;
    let satisfied = [ristretto_version, ecspresso_version]
        .iter()
        .filter_map(|v| Version::parse(v.trim_start_matches('v')).ok())
        .any(|v| requirement.matches(&v));
    if satisfied {
        Ok(())
    } else {
        Err(format!(
            "required_version `{constraint}` is not satisfied by ristretto {ristretto_version} (ecspresso-compatible {ecspresso_version})"
        ))
    }
}

/// Translates a go-version constraint into a semver requirement.
fn parse_constraint(constraint: &str) -> Result<VersionReq, String> {
    let mut parts = Vec::new();
    for raw in constraint.split(',') {
        let part = raw.trim();
        if part.is_empty() {
            return Err(format!(
                "required_version `{constraint}` has an empty constraint"
            ));
        }
        parts.push(translate_part(part).ok_or_else(|| {
            format!("required_version `{constraint}`: cannot parse `{part}` (expected e.g. \">= 2.0.0, < 3\")")
        })?);
    }
    VersionReq::parse(&parts.join(", "))
        .map_err(|err| format!("required_version `{constraint}`: {err}"))
}

fn translate_part(part: &str) -> Option<String> {
    let op_len = part
        .find(|c: char| c.is_ascii_digit() || c == 'v')
        .unwrap_or(part.len());
    let (op, version) = part.split_at(op_len);
    let version = version.trim().trim_start_matches('v');
    if version.is_empty()
        || !version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+')
    {
        return None;
    }
    let op = op.trim();
    match op {
        "" | "=" | "==" => Some(format!("={}", pad(version))),
        "!=" => None,
        ">" | ">=" | "<" | "<=" => Some(format!("{op}{version}")),
        // hashicorp's pessimistic operator: `~> 2.1` allows >= 2.1, < 3; `~> 2.1.3` allows >= 2.1.3, < 2.2.
        "~>" => {
            let segments: Vec<&str> = version.split('.').collect();
            match segments.len() {
                1 | 2 => Some(format!(">={}, <{}", pad(version), bump(&segments, 0)?)),
                _ => Some(format!(">={version}, <{}", bump(&segments, 1)?)),
            }
        }
        _ => None,
    }
}

/// Pads `2` or `2.1` to `2.0.0` / `2.1.0`.
fn pad(version: &str) -> String {
    match version.matches('.').count() {
        0 => format!("{version}.0.0"),
        1 => format!("{version}.0"),
        _ => version.to_owned(),
    }
}

/// Increments segment `index` and zeroes the rest: `bump([2,1,3], 1)` is `2.2.0`.
fn bump(segments: &[&str], index: usize) -> Option<String> {
    let mut numbers: Vec<u64> = segments
        .iter()
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    numbers.truncate(index + 1);
    let last = numbers.last_mut()?;
    *last += 1;
    while numbers.len() < 3 {
        numbers.push(0);
    }
    Some(
        numbers
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecspresso_constraints_are_accepted() {
        assert!(check_required_version(">= 2.0.0, < 3", "0.1.0", "2.8.8").is_ok());
        assert!(check_required_version(">= v2.0.0", "0.1.0", "2.8.8").is_ok());
        assert!(check_required_version("~> 2.8", "0.1.0", "2.8.8").is_ok());
        assert!(check_required_version(">= 0.1", "0.1.0", "2.8.8").is_ok());
        assert!(check_required_version("= 0.1.0", "0.1.0", "2.8.8").is_ok());
    }

    #[test]
    fn unsatisfied_constraints_name_both_versions() {
        let err = check_required_version(">= 3.0.0", "0.1.0", "2.8.8").unwrap_err();
        assert!(
            err.contains(">= 3.0.0") && err.contains("0.1.0") && err.contains("2.8.8"),
            "{err}"
        );
        assert!(check_required_version("~> 2.8.9", "0.1.0", "2.8.8").is_err());
        assert!(check_required_version("~> 1.2", "0.1.0", "2.8.8").is_err());
    }

    #[test]
    fn unparsable_constraints_are_errors() {
        for bad in ["", "latest", ">= two", ">= 2.0,", "!= 2.0.0", "=> 2"] {
            assert!(
                check_required_version(bad, "0.1.0", "2.8.8").is_err(),
                "{bad:?}"
            );
        }
    }
}
