//! `apply`: checks a saved service plan against the config (cluster, service, plugins), its
//! age, the account and region, and the AWS state it was computed against (re-reading only
//! that state and its secrets); then carries it out exactly through `deploy::run::execute`
//! (pre-deploy gates, apply, controller) with the deploy's notifications. Definitions are never
//! rendered again.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::format::{PlanFile, SavedPlan, ServicePlan, sha256_hex};
use super::{Error, convert, secrets, state};
use crate::app::App;
use crate::deploy::options::DeployOptions;
use crate::deploy::plan::Plan;
use crate::deploy::service::find_service;

/// What `apply` accepts.
#[derive(Debug, Clone, Copy)]
pub struct ApplyLimits {
    /// The oldest plan accepted (`--max-age`).
    pub max_age: Duration,
}

/// A service plan that passed every check, ready to carry out.
pub struct Checked {
    plan: Plan,
    options: DeployOptions,
}

/// Checks `saved` (of `file`) against the config, the clock, the account and region and the
/// AWS state. Nothing is written.
pub async fn check_service(
    app: &App<'_>,
    file: &PlanFile,
    saved: &ServicePlan,
    limits: ApplyLimits,
) -> Result<Checked, Error> {
    check_age(file, limits.max_age)?;
    check_target(app, saved)?;
    check_inputs(app, file, saved)?;
    let Some(remote) = find_service(app).await? else {
        return Err(Error::Drift {
            service: saved.service.clone(),
            changes: vec![format!(
                "the service no longer exists in cluster {}",
                saved.cluster
            )],
        });
    };
    let arn = remote.service_arn().unwrap_or_default();
    let mut parts = arn.split(':');
    let region = parts.nth(3).unwrap_or_default();
    let account = parts.next().unwrap_or_default();
    if account != saved.account || region != saved.region {
        return Err(Error::WrongTarget(format!(
            "the plan is for account {} in region {}, but service {} here is in account {account} in region {region}",
            saved.account, saved.region, saved.service
        )));
    }
    app.update_context(|c| c.account = account.to_owned());
    let (values, mut changes) = match secrets::reread(app, &saved.service, &saved.secrets).await {
        Ok(values) => (values, Vec::new()),
        Err(Error::Drift { changes, .. }) => (BTreeMap::new(), changes),
        Err(other) => return Err(other),
    };
    let scaling = saved.aws_state.scalable_targets.is_some();
    let now = state::read(app, &remote, scaling).await?;
    let mut now = serde_json::to_value(now).map_err(|e| Error::Format(e.to_string()))?;
    secrets::mask(&mut now, &values);
    let now = serde_json::from_value(now).map_err(|e| Error::Format(e.to_string()))?;
    changes.extend(state::drift(&saved.aws_state, &now));
    if !changes.is_empty() {
        if already_applied(&saved.aws_state, &now) {
            changes.push(
                "the service has a newer deployment than the plan saw: was this plan applied already?"
                    .to_owned(),
            );
        }
        return Err(Error::Drift {
            service: saved.service.clone(),
            changes,
        });
    }
    let mut plan_json =
        serde_json::to_value(&saved.plan).map_err(|e| Error::Format(e.to_string()))?;
    secrets::unmask(&mut plan_json, &values);
    let unmasked: SavedPlan =
        serde_json::from_value(plan_json).map_err(|e| Error::Format(e.to_string()))?;
    let options = convert::load_options(&saved.options, &unmasked)?;
    let plan = convert::load_plan(&unmasked, &saved.service, options.rollback_events)?;
    Ok(Checked { plan, options })
}

/// Checks `saved` and, when it still holds, carries it out as `deploy` would, gates and
/// notifications included. Returns the deployed task definition ARN.
pub async fn apply_service(
    app: &App<'_>,
    file: &PlanFile,
    saved: &ServicePlan,
    limits: ApplyLimits,
) -> Result<String, Error> {
    let Checked { plan, options } = check_service(app, file, saved, limits).await?;
    app.update_context(|c| c.strategy = plan.strategy.name().to_owned());
    app.info(format!(
        "applying the plan of {} made {}: AWS is as it was planned against",
        saved.service, file.created_at
    ));
    let started = SystemTime::now();
    let work = crate::deploy::run::execute(app, &plan, options, started);
    Ok(crate::deploy::run::notified(app, options, work).await?)
}

/// A plan older than `max_age` is refused.
fn check_age(file: &PlanFile, max_age: Duration) -> Result<(), Error> {
    let created = humantime::parse_rfc3339(&file.created_at).map_err(|e| {
        Error::Format(format!(
            "not a valid plan: created_at `{}`: {e}",
            file.created_at
        ))
    })?;
    let age = SystemTime::now()
        .duration_since(created)
        .unwrap_or_default();
    if age > max_age {
        return Err(Error::Expired {
            age: crate::config::format_duration(Duration::from_secs(age.as_secs())),
            limit: crate::config::format_duration(max_age),
        });
    }
    Ok(())
}

/// The config must name the plan's cluster and service, in the plan's region.
fn check_target(app: &App<'_>, saved: &ServicePlan) -> Result<(), Error> {
    let service = app.service().unwrap_or_default();
    if app.cluster() != saved.cluster || service != saved.service {
        return Err(Error::WrongTarget(format!(
            "the plan is for service {} in cluster {}, but {} names service {service} in cluster {}",
            saved.service,
            saved.cluster,
            app.config.path.display(),
            app.cluster()
        )));
    }
    if let Some(region) = app.clients.region.as_deref()
        && region != saved.region
    {
        return Err(Error::WrongTarget(format!(
            "the plan is for region {}, but this command uses region {region}",
            saved.region
        )));
    }
    Ok(())
}

/// The plugins (gates, notifications) must be those the plan was made with; changed
/// definition files are only reported, since the plan holds what it registers.
fn check_inputs(app: &App<'_>, file: &PlanFile, saved: &ServicePlan) -> Result<(), Error> {
    let plugins: BTreeMap<String, String> = app
        .plugins
        .plugins()
        .map(|p| (p.name.clone(), p.sha256.clone()))
        .collect();
    if plugins != saved.inputs.plugins {
        let describe = |m: &BTreeMap<String, String>| {
            m.iter()
                .map(|(name, sha)| format!("{name} ({})", &sha[..sha.len().min(12)]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(Error::WrongTarget(format!(
            "the plugins differ from the plan's, so its gates and notifications would not be the reviewed ones: the config loads [{}], the plan was made with [{}]; make a new plan",
            describe(&plugins),
            describe(&saved.inputs.plugins)
        )));
    }
    if file.ristretto_version != env!("CARGO_PKG_VERSION") {
        app.warn(format!(
            "the plan was made by ristretto {}; this is {}",
            file.ristretto_version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    for (path, sha) in &saved.inputs.files {
        let now = std::fs::read(path).map(|b| sha256_hex(&b)).ok();
        if now.as_deref() != Some(sha.as_str()) {
            app.warn(format!(
                "{path} changed since the plan was made; apply carries out the plan as reviewed, not the file"
            ));
        }
    }
    Ok(())
}

/// Whether the service moved on to a deployment the plan did not see while keeping none of
/// the ones it saw: what applying the same plan twice looks like.
fn already_applied(planned: &super::format::AwsState, now: &super::format::AwsState) -> bool {
    planned.task_definition != now.task_definition
        && !now.deployments.is_empty()
        && now
            .deployments
            .iter()
            .any(|d| !planned.deployments.contains(d))
}
