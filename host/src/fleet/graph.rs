//! The dependency graph of a fleet: unknown names and cycles are found before anything runs,
//! and the services are grouped into levels (a level depends only on earlier ones).

use std::collections::{BTreeMap, BTreeSet};

/// Dependencies by service.
pub type Dependencies = BTreeMap<String, Vec<String>>;

/// Checks names and cycles; returns the levels (each sorted by name).
pub fn levels(dependencies: &Dependencies) -> Result<Vec<Vec<String>>, String> {
    for (service, needs) in dependencies {
        for need in needs {
            if !dependencies.contains_key(need) {
                return Err(format!(
                    "service `{service}` depends on `{need}`, which is not in the fleet"
                ));
            }
            if need == service {
                return Err(format!("service `{service}` depends on itself"));
            }
        }
    }
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut levels = Vec::new();
    while done.len() < dependencies.len() {
        let level: Vec<String> = dependencies
            .iter()
            .filter(|(s, needs)| !done.contains(*s) && needs.iter().all(|n| done.contains(n)))
            .map(|(s, _)| s.clone())
            .collect();
        if level.is_empty() {
            let stuck: Vec<&String> = dependencies.keys().filter(|s| !done.contains(*s)).collect();
            return Err(format!(
                "dependency cycle among: {}",
                cycle_description(dependencies, &stuck)
            ));
        }
        done.extend(level.iter().cloned());
        levels.push(level);
    }
    Ok(levels)
}

/// Names one cycle, e.g. `a -> b -> a`.
fn cycle_description(dependencies: &Dependencies, stuck: &[&String]) -> String {
    let Some(start) = stuck.first() else {
        return String::new();
    };
    let mut path = vec![(*start).clone()];
    let mut current = (*start).clone();
    loop {
        let Some(next) = dependencies
            .get(&current)
            .and_then(|needs| needs.iter().find(|n| stuck.contains(n)))
        else {
            return stuck
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ");
        };
        if let Some(position) = path.iter().position(|p| p == next) {
            let mut cycle = path[position..].to_vec();
            cycle.push(next.clone());
            return cycle.join(" -> ");
        }
        path.push(next.clone());
        current = next.clone();
    }
}

/// The services `name` depends on, directly or not.
pub fn ancestors(dependencies: &Dependencies, name: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![name.to_owned()];
    while let Some(current) = stack.pop() {
        for need in dependencies.get(&current).into_iter().flatten() {
            if out.insert(need.clone()) {
                stack.push(need.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(pairs: &[(&str, &[&str])]) -> Dependencies {
        pairs
            .iter()
            .map(|(s, d)| ((*s).to_owned(), d.iter().map(|x| (*x).to_owned()).collect()))
            .collect()
    }

    #[test]
    fn levels_and_errors() {
        let graph = deps(&[
            ("db", &[]),
            ("api", &["db"]),
            ("web", &["api"]),
            ("worker", &["db"]),
            ("cron", &[]),
        ]);
        assert_eq!(
            levels(&graph).unwrap(),
            vec![
                vec!["cron".to_owned(), "db".to_owned()],
                vec!["api".to_owned(), "worker".to_owned()],
                vec!["web".to_owned()]
            ]
        );
        let cycle = deps(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])]);
        assert_eq!(
            levels(&cycle).unwrap_err(),
            "dependency cycle among: a -> b -> c -> a"
        );
        assert!(
            levels(&deps(&[("a", &["zzz"])]))
                .unwrap_err()
                .contains("`zzz`, which is not in the fleet")
        );
        assert!(
            levels(&deps(&[("a", &["a"])]))
                .unwrap_err()
                .contains("depends on itself")
        );
        assert_eq!(
            ancestors(&graph, "web"),
            ["api".to_owned(), "db".to_owned()].into_iter().collect()
        );
    }
}
