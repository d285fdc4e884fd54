//! Task definition revisions of the family: listing with in-use marks, and deregistering old or
//! chosen ones (`deregister`), never one in use. "In use" means the service's deployments and
//! the non-STOPPED tasks of the family, as ecspresso defines it.

use std::collections::BTreeSet;

use aws_sdk_ecs::types::DesiredStatus;
use serde_json::Value;

use crate::app::App;
use crate::deploy::service::{find_service, primary_task_definition};
use crate::deploy::task_definition::{active_revisions, family_of, revision_of};
use crate::deploy::{Error, aws_error, short_task_definition};

/// A revision and why it is in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Task definition ARN.
    pub arn: String,
    /// `family:revision`.
    pub name: String,
    /// e.g. `current`, `deployment`, `task`; empty when unused.
    pub in_use: String,
    /// Why `rollback` skips it (rejected by a gate, or rolled back), when it does; filled in
    /// by `rollback::target::mark_skipped`.
    pub skipped: Option<String>,
}

/// The family: the local task definition's, else the service's current one.
pub async fn family(app: &App<'_>) -> Result<String, Error> {
    if let Some(path) = app.config.task_definition_path() {
        let local = app.load_task_definition(&path)?;
        if let Some(family) = local.value.get("family").and_then(Value::as_str) {
            return Ok(family.to_owned());
        }
    }
    match find_service(app)
        .await?
        .as_ref()
        .and_then(primary_task_definition)
    {
        Some(arn) => Ok(family_of(&arn).to_owned()),
        None => Err(Error::Invalid(
            "cannot tell the task definition family: no task_definition and no service with one"
                .to_owned(),
        )),
    }
}

/// The family of the service's task definition in AWS, with that task definition's ARN, when
/// the config names a service that exists; else [`family`] (the local file's) and no ARN. This
/// is ecspresso's `taskDefinitionFamily` (tasks.go) and `resolveTaskdefinition` (run.go), which
/// prefer the service's family to the file's.
pub async fn service_family(app: &App<'_>) -> Result<(String, Option<String>), Error> {
    if app.config.file.service.is_some()
        && let Some(service) = find_service(app).await?
        && let Some(arn) = primary_task_definition(&service)
    {
        return Ok((family_of(&arn).to_owned(), Some(arn)));
    }
    Ok((family(app).await?, None))
}

/// ACTIVE revisions of the family, newest first, with in-use marks.
pub async fn list(app: &App<'_>) -> Result<Vec<Revision>, Error> {
    let family = family(app).await?;
    let (current, deployments) = service_task_definitions(app).await?;
    let tasks = task_task_definitions(app, &family).await?;
    Ok(active_revisions(&app.clients.ecs, &family)
        .await?
        .into_iter()
        .map(|arn| {
            let mut marks = Vec::new();
            if current.as_deref() == Some(arn.as_str()) {
                marks.push("current");
            } else if deployments.contains(&arn) {
                marks.push("deployment");
            }
            if tasks.contains(&arn) {
                marks.push("tasks");
            }
            Revision {
                name: short_task_definition(&arn).to_owned(),
                in_use: marks.join(","),
                arn,
                skipped: None,
            }
        })
        .collect())
}

/// (the service's task definition, every deployment's task definition).
async fn service_task_definitions(
    app: &App<'_>,
) -> Result<(Option<String>, BTreeSet<String>), Error> {
    if app.config.file.service.as_deref().is_none_or(str::is_empty) {
        return Ok((None, BTreeSet::new()));
    }
    let Some(service) = find_service(app).await? else {
        return Ok((None, BTreeSet::new()));
    };
    let deployments = service
        .deployments()
        .iter()
        .filter_map(|d| d.task_definition().map(str::to_owned))
        .collect();
    Ok((primary_task_definition(&service), deployments))
}

/// Task definitions of the family's tasks that are not STOPPED.
async fn task_task_definitions(app: &App<'_>, family: &str) -> Result<BTreeSet<String>, Error> {
    let ecs = &app.clients.ecs;
    let mut arns = Vec::new();
    for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
        let output = ecs
            .list_tasks()
            .cluster(app.cluster())
            .family(family)
            .desired_status(status)
            .send()
            .await
            .map_err(|err| aws_error("ListTasks", &err, &[]))?;
        arns.extend(output.task_arns().iter().cloned());
    }
    let in_use = crate::deploy::service::describe_tasks(app, &arns)
        .await?
        .iter()
        .filter(|t| t.last_status() != Some("STOPPED"))
        .filter_map(|t| t.task_definition_arn().map(str::to_owned))
        .collect();
    Ok(in_use)
}

/// Which revisions `deregister` should remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeregisterSelection {
    /// Keep the N newest unused revisions; deregister older unused ones.
    Keep(usize),
    /// One revision.
    Revision(u64),
    /// The newest revision.
    Latest,
}

/// The revisions to deregister (never one in use). Errors when a chosen revision is in use
/// or does not exist.
pub fn select(
    revisions: &[Revision],
    selection: DeregisterSelection,
) -> Result<Vec<Revision>, Error> {
    match selection {
        DeregisterSelection::Keep(keep) => Ok(revisions
            .iter()
            .filter(|r| r.in_use.is_empty())
            .skip(keep)
            .cloned()
            .collect()),
        DeregisterSelection::Revision(_) | DeregisterSelection::Latest => {
            let chosen = match selection {
                DeregisterSelection::Revision(n) => {
                    revisions.iter().find(|r| revision_of(&r.arn) == n)
                }
                _ => revisions.first(),
            };
            let Some(chosen) = chosen else {
                return Err(Error::Invalid("no such ACTIVE revision".to_owned()));
            };
            if !chosen.in_use.is_empty() {
                return Err(Error::Invalid(format!(
                    "{} is in use ({}) and cannot be deregistered",
                    chosen.name, chosen.in_use
                )));
            }
            Ok(vec![chosen.clone()])
        }
    }
}

/// Deregisters `revisions` (and deletes them, in batches of 10, when `delete`).
pub async fn deregister(app: &App<'_>, revisions: &[Revision], delete: bool) -> Result<(), Error> {
    let mut applied = Vec::new();
    for revision in revisions {
        app.clients
            .ecs
            .deregister_task_definition()
            .task_definition(&revision.arn)
            .send()
            .await
            .map_err(|err| aws_error("DeregisterTaskDefinition", &err, &applied))?;
        app.info(format!("{} is deregistered", revision.name));
        applied.push(format!("{} deregistered", revision.name));
    }
    if delete {
        for chunk in revisions.chunks(10) {
            let output = app
                .clients
                .ecs
                .delete_task_definitions()
                .set_task_definitions(Some(chunk.iter().map(|r| r.arn.clone()).collect()))
                .send()
                .await
                .map_err(|err| aws_error("DeleteTaskDefinitions", &err, &applied))?;
            for failure in output.failures() {
                app.warn(format!(
                    "{} was not deleted: {}",
                    failure.arn().unwrap_or_default(),
                    failure.reason().unwrap_or_default()
                ));
            }
            for deleted in output.task_definitions() {
                app.info(format!(
                    "{} is deleted",
                    short_task_definition(deleted.task_definition_arn().unwrap_or_default())
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(n: u64, in_use: &str) -> Revision {
        Revision {
            arn: format!("arn:aws:ecs:r:1:task-definition/web:{n}"),
            name: format!("web:{n}"),
            in_use: in_use.to_owned(),
            skipped: None,
        }
    }

    #[test]
    fn keeps_newest_unused_and_never_in_use() {
        let revisions = [
            rev(5, ""),
            rev(4, "current"),
            rev(3, ""),
            rev(2, "tasks"),
            rev(1, ""),
        ];
        let names: Vec<_> = select(&revisions, DeregisterSelection::Keep(1))
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, vec!["web:3", "web:1"]);
        assert!(select(&revisions, DeregisterSelection::Revision(4)).is_err());
        assert_eq!(
            select(&revisions, DeregisterSelection::Latest).unwrap()[0].name,
            "web:5"
        );
        assert!(select(&revisions, DeregisterSelection::Revision(9)).is_err());
    }
}
