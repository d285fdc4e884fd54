//! Tags on the service: the changes between remote and local (added, updated, removed), with
//! `ignore.tags` keys left alone on both sides, and TagResource/UntagResource to apply them.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::Tag;
use serde_json::Value;

use crate::app::App;
use crate::deploy::{Error, aws_error};

/// What to change on the service's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Tags to add or update.
    pub set: BTreeMap<String, String>,
    /// Keys to remove.
    pub remove: Vec<String>,
}

impl TagChanges {
    /// Whether anything changes.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// Compares remote and local tags, ignoring `ignored` keys.
pub fn compare(remote: &[Tag], local: &[Tag], ignored: &[String]) -> TagChanges {
    let keep = |t: &&Tag| t.key().is_some_and(|k| !ignored.iter().any(|i| i == k));
    let remote: BTreeMap<&str, &str> = remote
        .iter()
        .filter(keep)
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect();
    let local: BTreeMap<&str, &str> = local
        .iter()
        .filter(keep)
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect();
    TagChanges {
        set: local
            .iter()
            .filter(|(k, v)| remote.get(*k) != Some(*v))
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        remove: remote
            .keys()
            .filter(|k| !local.contains_key(*k))
            .map(|k| (*k).to_owned())
            .collect(),
    }
}

/// `ignore.tags` of the config.
pub(crate) fn ignored_tags(app: &App<'_>) -> Vec<String> {
    app.config
        .file
        .ignore
        .as_ref()
        .map(|i| i.tags.clone())
        .unwrap_or_default()
}

/// The `tags` of a service definition.
pub(crate) fn local_tags(definition: &Value) -> Vec<Tag> {
    definition
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    Tag::builder()
                        .set_key(t.get("key").and_then(Value::as_str).map(str::to_owned))
                        .set_value(t.get("value").and_then(Value::as_str).map(str::to_owned))
                        .build()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reports the tag changes (applied, or would be with a dry run).
pub(crate) fn report_tag_changes(app: &App<'_>, changes: &TagChanges, dry_run: bool) {
    let suffix = if dry_run { " (dry run)" } else { "" };
    for (key, value) in &changes.set {
        app.info(format!("tag {key}={value} set on the service{suffix}"));
    }
    for key in &changes.remove {
        app.info(format!("tag {key} removed from the service{suffix}"));
    }
}

/// TagResource / UntagResource on the service; records what was applied.
pub(crate) async fn apply_tags(
    app: &App<'_>,
    arn: &str,
    changes: &TagChanges,
    applied: &mut Vec<String>,
) -> Result<(), Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let ecs = &app.clients.ecs;
    if !changes.set.is_empty() {
        let tags = changes
            .set
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        ecs.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|err| aws_error("TagResource", &err, applied))?;
        applied.push(format!(
            "service tags set ({})",
            changes.set.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !changes.remove.is_empty() {
        ecs.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .map_err(|err| aws_error("UntagResource", &err, applied))?;
        applied.push(format!(
            "service tags removed ({})",
            changes.remove.join(", ")
        ));
    }
    report_tag_changes(app, changes, false);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag::builder().key(k).value(v).build()
    }

    #[test]
    fn adds_updates_removes_and_ignores() {
        let remote = [
            tag("a", "1"),
            tag("b", "1"),
            tag("gone", "x"),
            tag("managed-by", "tf"),
        ];
        let local = [tag("a", "1"), tag("b", "2"), tag("new", "y")];
        let changes = compare(&remote, &local, &["managed-by".to_owned()]);
        assert_eq!(
            changes.set,
            BTreeMap::from([
                ("b".to_owned(), "2".to_owned()),
                ("new".to_owned(), "y".to_owned())
            ])
        );
        assert_eq!(changes.remove, vec!["gone".to_owned()]);
        assert!(compare(&remote[..2], &remote[..2], &[]).is_empty());
    }
}
