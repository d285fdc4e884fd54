//! Which revision `rollback` returns to when none is named: the ACTIVE revision before the
//! current one (ecspresso's rule), skipping revisions a gate rejected (tagged
//! `ristretto:rejected` when ristretto rolled them back, for every controller) and revisions
//! whose ECS deployments to this service were all rolled back. In a gated workflow the revision
//! before the current one is often a rejected one; returning production to it would undo the
//! gate.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types::ServiceDeploymentStatus;

use crate::app::App;
use crate::deploy::task_definition::{active_revisions, revision_of};
use crate::deploy::{Error, aws_error, short_task_definition};
use crate::events::Event;

/// Pages of ListServiceDeployments read (100 deployments each, newest first).
const HISTORY_PAGES: usize = 3;

/// The revision of `family` to roll `service` back to from `current` (`None` for a service
/// without ECS deployment history, e.g. CodeDeploy).
pub(crate) async fn previous_revision(
    app: &App<'_>,
    family: &str,
    current: &str,
    service: Option<&str>,
) -> Result<String, Error> {
    let rejected = match service {
        Some(service) => match rolled_back_revisions(app, service).await {
            Ok(rejected) => rejected,
            Err(err) => {
                app.emit(Event::Debug(format!(
                    "deployment history of {service} unavailable ({err}); using the revision before the current one"
                )));
                BTreeSet::new()
            }
        },
        None => BTreeSet::new(),
    };
    let current_revision = revision_of(current);
    for arn in active_revisions(&app.clients.ecs, family).await? {
        if revision_of(&arn) >= current_revision {
            continue;
        }
        let name = short_task_definition(&arn).to_owned();
        if rejected.contains(&name) {
            app.info(format!(
                "skipping {name}: its deployments to this service were rolled back, so it never served"
            ));
            continue;
        }
        if let Some(by) = rejected_by(app, &arn).await {
            app.info(format!("skipping {name}: rejected by the {by}"));
            continue;
        }
        return Ok(arn);
    }
    Err(Error::NothingToRollBackTo(format!(
        "no ACTIVE revision of {family} older than {} that served this service to roll back to (--revision N picks one)",
        short_task_definition(current)
    )))
}

/// Marks the revisions of `list` that `rollback` skips when it picks the previous revision:
/// those a gate rejected (`ristretto:rejected`) and those whose deployments to the service were
/// all rolled back. One ListTagsForResource per revision, plus the service's deployment
/// history.
pub(crate) async fn mark_skipped(app: &App<'_>, list: &mut [crate::deploy::revisions::Revision]) {
    let service = app.config.file.service.as_deref().filter(|s| !s.is_empty());
    let arns: Vec<String> = list.iter().map(|r| r.arn.clone()).collect();
    let reasons = skip_reasons(app, &arns, service).await;
    for revision in list {
        revision.skipped = reasons.get(&revision.name).cloned();
    }
}

/// Why `rollback` would skip each of `arns` (task definition ARNs of one family), keyed by
/// `family:revision`: rejected by a gate (its `ristretto:rejected` tag) or rolled back each time
/// it was deployed to `service`. Reads ListServiceDeployments (when a service is named) and
/// one ListTagsForResource per revision; a history that cannot be read leaves those marks out.
async fn skip_reasons(
    app: &App<'_>,
    arns: &[String],
    service: Option<&str>,
) -> BTreeMap<String, String> {
    let rolled_back = match service {
        Some(service) => rolled_back_revisions(app, service)
            .await
            .unwrap_or_default(),
        None => BTreeSet::new(),
    };
    let mut reasons = BTreeMap::new();
    for arn in arns {
        let name = short_task_definition(arn).to_owned();
        // In the order `previous_revision` checks them, so both say the same.
        if rolled_back.contains(&name) {
            reasons.insert(name, "rolled back, never served".to_owned());
        } else if let Some(by) = rejected_by(app, arn).await {
            reasons.insert(name, format!("rejected by the {by}"));
        }
    }
    reasons
}

/// The `ristretto:rejected` tag of the task definition `arn` (what rejected it), if any.
async fn rejected_by(app: &App<'_>, arn: &str) -> Option<String> {
    let output = app
        .clients
        .ecs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .ok()?;
    output
        .tags()
        .iter()
        .find(|t| t.key() == Some(crate::deploy::rejected::REJECTED_TAG))
        .map(|t| t.value().unwrap_or("a gate").to_owned())
}

/// Task definitions (`family:revision`) whose deployments to `service` all ended rolled back.
async fn rolled_back_revisions(app: &App<'_>, service: &str) -> Result<BTreeSet<String>, Error> {
    let mut outcomes: Vec<(String, ServiceDeploymentStatus)> = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..HISTORY_PAGES {
        let output = app
            .clients
            .ecs
            .list_service_deployments()
            .cluster(app.cluster())
            .service(service)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|err| aws_error("ListServiceDeployments", &err, &[]))?;
        for brief in output.service_deployments() {
            if let (Some(revision), Some(status)) =
                (brief.target_service_revision_arn(), brief.status())
            {
                outcomes.push((revision.to_owned(), status.clone()));
            }
        }
        token = output.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let revisions: BTreeSet<&str> = outcomes.iter().map(|(r, _)| r.as_str()).collect();
    let mut task_definitions: BTreeMap<String, String> = BTreeMap::new();
    let revisions: Vec<&str> = revisions.into_iter().collect();
    for chunk in revisions.chunks(20) {
        let output = app
            .clients
            .ecs
            .describe_service_revisions()
            .set_service_revision_arns(Some(chunk.iter().map(|s| (*s).to_owned()).collect()))
            .send()
            .await
            .map_err(|err| aws_error("DescribeServiceRevisions", &err, &[]))?;
        for revision in output.service_revisions() {
            if let (Some(arn), Some(task_definition)) =
                (revision.service_revision_arn(), revision.task_definition())
            {
                task_definitions.insert(
                    arn.to_owned(),
                    short_task_definition(task_definition).to_owned(),
                );
            }
        }
    }
    let mut served = BTreeSet::new();
    let mut rolled_back = BTreeSet::new();
    for (revision, status) in &outcomes {
        let Some(task_definition) = task_definitions.get(revision) else {
            continue;
        };
        match status {
            ServiceDeploymentStatus::Successful => {
                served.insert(task_definition.clone());
            }
            ServiceDeploymentStatus::RollbackSuccessful
            | ServiceDeploymentStatus::RollbackFailed
            | ServiceDeploymentStatus::RollbackInProgress
            | ServiceDeploymentStatus::RollbackRequested => {
                rolled_back.insert(task_definition.clone());
            }
            _ => {}
        }
    }
    Ok(rolled_back.difference(&served).cloned().collect())
}
