//! Tags on the service: the changes between remote and local (added, updated, removed), with
//! `ignore.tags` keys left alone on both sides, and TagResource/UntagResource to apply them.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::Tag;

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
