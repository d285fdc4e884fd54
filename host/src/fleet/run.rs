//! Runs one command over the services of a fleet: a service starts when everything it depends
//! on has succeeded, up to `concurrency` at once; after a failure nothing new starts (running
//! services finish), and services whose dependencies failed are skipped. Returns one result per
//! service, in fleet order.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};

use super::graph::Dependencies;

/// How one service ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The command succeeded; `revision` is what the service runs (when known).
    Succeeded {
        /// `family:revision`.
        revision: Option<String>,
        /// Extra detail (e.g. "differs").
        detail: String,
    },
    /// The command failed.
    Failed(String),
    /// The command failed and the service was rolled back.
    RolledBack(String),
    /// Not run.
    Skipped(String),
}

impl Outcome {
    /// Whether dependents may start.
    pub fn succeeded(&self) -> bool {
        matches!(self, Self::Succeeded { .. })
    }

    /// `deployed`, `failed`, `rolled back`, `skipped` (with `ok` naming success).
    pub fn label(&self, ok: &str) -> String {
        match self {
            Self::Succeeded { .. } => ok.to_owned(),
            Self::Failed(_) => "failed".to_owned(),
            Self::RolledBack(_) => "rolled back".to_owned(),
            Self::Skipped(_) => "skipped".to_owned(),
        }
    }
}

/// One service's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceResult {
    /// The service's fleet name.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it ran.
    pub duration: Duration,
}

/// Runs `start(name)` for every service of `dependencies`, respecting the order and the
/// concurrency limit. With `keep_going` (read-only commands), a failure does not stop the
/// services that do not depend on it.
pub async fn run<F, Fut>(
    dependencies: &Dependencies,
    concurrency: usize,
    keep_going: bool,
    mut start: F,
) -> Vec<ServiceResult>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let concurrency = concurrency.max(1);
    let mut results: BTreeMap<String, ServiceResult> = BTreeMap::new();
    let mut started: BTreeSet<String> = BTreeSet::new();
    let mut running = FuturesUnordered::new();
    let mut stopped = false;
    loop {
        // Skip services whose dependencies did not succeed.
        for (name, needs) in dependencies {
            if started.contains(name) || results.contains_key(name) {
                continue;
            }
            if let Some(failed) = needs
                .iter()
                .find(|n| results.get(*n).is_some_and(|r| !r.outcome.succeeded()))
            {
                results.insert(
                    name.clone(),
                    ServiceResult {
                        name: name.clone(),
                        outcome: Outcome::Skipped(format!(
                            "its dependency `{failed}` did not succeed"
                        )),
                        duration: Duration::ZERO,
                    },
                );
            }
        }
        if !stopped {
            let ready: Vec<String> = dependencies
                .iter()
                .filter(|(name, needs)| {
                    !started.contains(*name)
                        && !results.contains_key(*name)
                        && needs
                            .iter()
                            .all(|n| results.get(n).is_some_and(|r| r.outcome.succeeded()))
                })
                .map(|(name, _)| name.clone())
                .collect();
            for name in ready {
                if running.len() >= concurrency {
                    break;
                }
                started.insert(name.clone());
                let future = start(name.clone());
                running.push(async move {
                    let began = Instant::now();
                    let outcome = future.await;
                    ServiceResult {
                        name,
                        outcome,
                        duration: began.elapsed(),
                    }
                });
            }
        }
        let Some(result) = running.next().await else {
            break;
        };
        if !result.outcome.succeeded() && !keep_going {
            stopped = true;
        }
        results.insert(result.name.clone(), result);
    }
    for name in dependencies.keys() {
        results
            .entry(name.clone())
            .or_insert_with(|| ServiceResult {
                name: name.clone(),
                outcome: Outcome::Skipped(
                    "not started: the fleet stopped after a failure".to_owned(),
                ),
                duration: Duration::ZERO,
            });
    }
    results.into_values().collect()
}

/// The results as an aligned table.
pub fn table(results: &[ServiceResult], ok: &str) -> String {
    let rows: Vec<[String; 5]> = results
        .iter()
        .map(|r| {
            let (revision, detail) = match &r.outcome {
                Outcome::Succeeded { revision, detail } => {
                    (revision.clone().unwrap_or_default(), detail.clone())
                }
                Outcome::Failed(m) | Outcome::RolledBack(m) | Outcome::Skipped(m) => {
                    (String::new(), m.clone())
                }
            };
            [
                r.name.clone(),
                r.outcome.label(ok),
                format!("{:.1}s", r.duration.as_secs_f64()),
                revision,
                detail.lines().next().unwrap_or_default().to_owned(),
            ]
        })
        .collect();
    let header = ["SERVICE", "RESULT", "DURATION", "REVISION", "DETAIL"];
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 5]| {
        format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {:<w3$}  {}\n",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        )
        .trim_end()
        .to_owned()
            + "\n"
    };
    let mut out = line(header);
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    fn deps(pairs: &[(&str, &[&str])]) -> Dependencies {
        pairs
            .iter()
            .map(|(s, d)| ((*s).to_owned(), d.iter().map(|x| (*x).to_owned()).collect()))
            .collect()
    }

    #[tokio::test]
    async fn order_concurrency_and_failure_handling() {
        let graph = deps(&[
            ("db", &[]),
            ("api", &["db"]),
            ("web", &["api"]),
            ("cron", &[]),
            ("worker", &["db"]),
        ]);
        let log = Arc::new(Mutex::new(Vec::new()));
        let events = log.clone();
        let results = run(&graph, 2, false, move |name| {
            let events = events.clone();
            async move {
                events.lock().unwrap().push(format!("start {name}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                events.lock().unwrap().push(format!("end {name}"));
                if name == "api" {
                    Outcome::Failed("boom".to_owned())
                } else {
                    Outcome::Succeeded {
                        revision: None,
                        detail: String::new(),
                    }
                }
            }
        })
        .await;
        let log = log.lock().unwrap().clone();
        let position = |e: &str| log.iter().position(|x| x == e);
        assert!(position("end db") < position("start api"), "{log:?}");
        let by_name: BTreeMap<_, _> = results
            .iter()
            .map(|r| (r.name.as_str(), r.outcome.clone()))
            .collect();
        assert_eq!(by_name["api"], Outcome::Failed("boom".to_owned()));
        assert!(
            matches!(by_name["web"], Outcome::Skipped(_)),
            "dependents of a failure are skipped"
        );
        assert!(by_name["db"].succeeded() && by_name["cron"].succeeded());
        let table = table(&results, "deployed");
        assert!(
            table.starts_with("SERVICE") && table.contains("api      failed"),
            "{table}"
        );
    }
}

/// How far one service of a fleet got.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Started at this instant, not finished.
    Running(std::time::Instant),
    /// Finished with this outcome after this long.
    Done(Outcome, std::time::Duration),
}

/// The fleet's results when `signal` stopped it: finished services as they ended, running ones
/// failed, the rest skipped.
pub fn interrupted_results<'n>(
    names: impl Iterator<Item = &'n String>,
    progress: &BTreeMap<String, Progress>,
    signal: crate::interrupt::Signal,
) -> Vec<ServiceResult> {
    names
        .map(|name| {
            let (outcome, duration) = match progress.get(name) {
                Some(Progress::Done(outcome, duration)) => (outcome.clone(), *duration),
                Some(Progress::Running(started)) => (
                    Outcome::Failed(format!("stopped by {} while running", signal.name())),
                    started.elapsed(),
                ),
                None => (
                    Outcome::Skipped(format!("not started: stopped by {}", signal.name())),
                    std::time::Duration::ZERO,
                ),
            };
            ServiceResult {
                name: name.clone(),
                outcome,
                duration,
            }
        })
        .collect()
}
