//! `verify`: checks that what the task and service definitions reference exists and is usable,
//! as ecspresso's verify does: roles and their trust, ECR images, secrets, log groups (with a
//! test write), environment-file-free port rules, target groups, and the cluster. Each check
//! ends OK, NG (a problem), WARN (access denied: could not tell) or SKIP.

mod checks;
mod parse;
mod registry;
mod service_checks;

use serde_json::json;

pub use checks::{VerifyOptions, verify};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Fine.
    Ok,
    /// A problem that would break the deploy.
    Ng,
    /// Access denied or otherwise undecidable: could not tell.
    Warn,
    /// Not checked (by request, or not checkable).
    Skip,
}

impl Status {
    /// `OK`, `NG`, `WARN`, `SKIP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Ng => "NG",
            Self::Warn => "WARN",
            Self::Skip => "SKIP",
        }
    }
}

/// One line of the report: a section header (`status` None) or a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Nesting level (0 = TaskDefinition, ServiceDefinition, Cluster).
    pub depth: usize,
    /// What is checked, e.g. `ExecutionRole[ecsTaskExecutionRole]`.
    pub name: String,
    /// The outcome; `None` for a section header.
    pub status: Option<Status>,
    /// Detail (the problem for NG/WARN, the reason for SKIP).
    pub message: String,
    /// The same resource was checked before in this run.
    pub cached: bool,
    /// The path of section names leading to this line.
    pub path: Vec<String>,
}

/// What `verify` reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Every line, in order.
    pub checks: Vec<Check>,
    stack: Vec<String>,
}

impl Report {
    /// Opens a section at `depth`.
    pub fn section(&mut self, depth: usize, name: impl Into<String>) {
        let name = name.into();
        self.stack.truncate(depth);
        self.checks.push(Check {
            depth,
            name: name.clone(),
            status: None,
            message: String::new(),
            cached: false,
            path: self.stack.clone(),
        });
        self.stack.push(name);
    }

    /// Records a check at `depth`.
    pub fn record(
        &mut self,
        depth: usize,
        name: impl Into<String>,
        status: Status,
        message: impl Into<String>,
        cached: bool,
    ) {
        self.stack.truncate(depth);
        self.checks.push(Check {
            depth,
            name: name.into(),
            status: Some(status),
            message: message.into(),
            cached,
            path: self.stack.clone(),
        });
    }

    /// How many checks ended NG.
    pub fn problems(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.status == Some(Status::Ng))
            .count()
    }

    /// The indented tree: `Name` lines and `--> [OK] message` under each check.
    pub fn to_tree(&self) -> String {
        let mut out = String::new();
        for check in &self.checks {
            let indent = "  ".repeat(check.depth);
            out.push_str(&format!("{indent}{}\n", check.name));
            if let Some(status) = check.status {
                let cached = if check.cached { "(cached)" } else { "" };
                let message = if check.message.is_empty() {
                    String::new()
                } else {
                    format!(" {}", check.message)
                };
                out.push_str(&format!(
                    "{indent}--> [{}]{cached}{message}\n",
                    status.as_str()
                ));
            }
        }
        out
    }

    /// One JSON object per check (`verify`, `result`, `error`, `cached`), as ecspresso's JSON
    /// output.
    pub fn to_json_lines(&self) -> String {
        let mut out = String::new();
        for check in self.checks.iter().filter(|c| c.status.is_some()) {
            let mut path = check.path.clone();
            path.push(check.name.clone());
            let status = check.status.unwrap_or(Status::Skip);
            let line = json!({
                "verify": path.join("/"),
                "result": status.as_str(),
                "error": if matches!(status, Status::Ng | Status::Warn) { check.message.clone() } else { String::new() },
                "message": check.message,
                "cached": check.cached,
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_and_json_lines_show_every_check() {
        let mut report = Report::default();
        report.section(0, "TaskDefinition");
        report.record(1, "ExecutionRole[exec]", Status::Ok, "", false);
        report.section(1, "Container[app]");
        report.record(
            2,
            "Secret[DB]",
            Status::Ng,
            "secret app/db not found",
            false,
        );
        report.record(1, "TaskRole[exec]", Status::Ok, "", true);
        report.section(0, "Cluster");
        report.record(1, "Cluster[prod]", Status::Skip, "by request", false);
        assert_eq!(report.problems(), 1);
        assert_eq!(
            report.to_tree(),
            "TaskDefinition\n  ExecutionRole[exec]\n  --> [OK]\n  Container[app]\n    Secret[DB]\n    --> [NG] secret app/db not found\n  TaskRole[exec]\n  --> [OK](cached)\nCluster\n  Cluster[prod]\n  --> [SKIP] by request\n"
        );
        let lines: Vec<serde_json::Value> = report
            .to_json_lines()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[1]["verify"],
            "TaskDefinition/Container[app]/Secret[DB]"
        );
        assert_eq!(lines[1]["result"], "NG");
        assert_eq!(lines[1]["error"], "secret app/db not found");
        assert_eq!(lines[2]["cached"], true);
        assert_eq!(lines[3]["verify"], "Cluster/Cluster[prod]");
    }
}
