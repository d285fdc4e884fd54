//! `deploy --plan-out`: decide the deploy with `Plan::decide` (nothing is written to AWS) and
//! save it with the AWS state it was computed against, its inputs by sha256, the gates that
//! will run and, for `plan show`, the normalized definitions before and after.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::format::{
    Inputs, KIND, PlanFile, Review, SavedTaskDefinition, ServicePlan, VERSION, sha256_hex,
};
use super::{Error, convert, secrets, state};
use crate::app::App;
use crate::deploy::diff::{
    remote_task_definition_json, service_for_diff, task_definition_for_diff,
};
use crate::deploy::options::DeployOptions;
use crate::deploy::plan::Plan;
use crate::deploy::service::find_service;
use crate::deploy::tags::ignored_tags;

/// The plan file of `services` (in apply order), made now.
pub fn plan_file(services: Vec<ServicePlan>) -> PlanFile {
    PlanFile {
        kind: KIND.to_owned(),
        version: VERSION,
        created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        ristretto_version: env!("CARGO_PKG_VERSION").to_owned(),
        services,
    }
}

/// Decides the deploy of `options` to the configured service and saves it (nothing is
/// written to AWS). `depends_on` names the fleet services applied before this one.
pub async fn plan_service(
    app: &App<'_>,
    options: DeployOptions,
    depends_on: Vec<String>,
) -> Result<ServicePlan, Error> {
    let service = app
        .service()
        .map_err(|e| Error::NotPlannable(e.to_string()))?
        .to_owned();
    let Some(remote) = find_service(app).await? else {
        return Err(Error::NotPlannable(format!(
            "service {service} does not exist in cluster {}: a plan updates an existing service; create it with `ristretto deploy`",
            app.cluster()
        )));
    };
    let arn = remote.service_arn().unwrap_or_default().to_owned();
    let mut parts = arn.split(':');
    let region = parts.nth(3).unwrap_or_default().to_owned();
    let account = parts.next().unwrap_or_default().to_owned();
    app.update_context(|c| c.account = account.clone());
    let plan = Plan::decide(app, &service, &remote, options).await?;
    let aws_state = state::read(app, &remote, plan.auto_scaling.is_requested()).await?;
    let express = crate::deploy::express::is_express(&remote);
    let review = review(app, &plan, &aws_state.service_definition, express).await?;
    let mut saved = ServicePlan {
        config: app.config.path.display().to_string(),
        cluster: app.cluster().to_owned(),
        service: service.clone(),
        account,
        region,
        envfile: Vec::new(),
        ext_str: BTreeMap::new(),
        ext_code: BTreeMap::new(),
        depends_on,
        inputs: inputs(app)?,
        aws_state,
        options: convert::save_options(&options),
        plan: convert::save_plan(&plan)?,
        gates: app
            .plugins
            .plugins()
            .filter(|p| p.has(crate::plugins::Hook::Gate))
            .map(|p| p.name.clone())
            .collect(),
        secrets: Vec::new(),
        review,
    };
    let values = app.renderer.functions().secret_values().snapshot();
    if !values.is_empty() {
        let mut json = serde_json::to_value(&saved).map_err(|e| Error::Format(e.to_string()))?;
        secrets::mask(&mut json, &values);
        saved = serde_json::from_value(json).map_err(|e| Error::Format(e.to_string()))?;
        saved.secrets = secrets::references(&values);
        app.info(format!(
            "{} secret value(s) are stored in the plan as reference and sha256 only",
            values.len()
        ));
    }
    describe(app, &saved);
    Ok(saved)
}

/// The config, definition files and plugins the plan was made from, by sha256.
fn inputs(app: &App<'_>) -> Result<Inputs, Error> {
    let mut files = BTreeMap::new();
    let paths = [
        Some(app.config.path.clone()),
        app.config.task_definition_path(),
        app.config.service_definition_path(),
    ];
    for path in paths.into_iter().flatten() {
        if let Ok(bytes) = std::fs::read(&path) {
            files.insert(path.display().to_string(), sha256_hex(&bytes));
        }
    }
    Ok(Inputs {
        files,
        plugins: app
            .plugins
            .plugins()
            .map(|p| (p.name.clone(), p.sha256.clone()))
            .collect(),
    })
}

/// The normalized definitions before and after, for `plan show` (for an Express service,
/// without what ECS manages: `express`).
async fn review(
    app: &App<'_>,
    plan: &Plan,
    remote_service: &Value,
    express: bool,
) -> Result<Review, Error> {
    let ignored = ignored_tags(app);
    let code_deploy = plan.code_deploy.is_some();
    let service = match (&plan.local_service, &plan.attributes) {
        (Some(local), Some(_)) => {
            let mut local = service_for_diff(local.value.clone(), &ignored, false, code_deploy);
            if let Value::Object(map) = &mut local {
                map.remove("desiredCount");
                map.remove("tags");
            }
            if express {
                local = crate::deploy::express::managed::without_managed(local);
            }
            Some([remote_service.clone(), local])
        }
        _ => None,
    };
    let current = plan.previous_task_definition.clone();
    let task_definition = match (&plan.task_definition, &current) {
        (crate::deploy::plan::PlannedTaskDefinition::Register { definition, .. }, Some(arn)) => {
            let remote = remote_task_definition_json(app, arn).await?;
            Some([
                task_definition_for_diff(remote, &ignored),
                task_definition_for_diff(definition.value.clone(), &ignored),
            ])
        }
        _ => None,
    };
    Ok(Review {
        service,
        current_task_definition: current,
        task_definition,
    })
}

/// Reports what the plan will do, one line.
fn describe(app: &App<'_>, saved: &ServicePlan) {
    let what = match &saved.plan.task_definition {
        SavedTaskDefinition::Register { path, .. } => format!("register {path}"),
        SavedTaskDefinition::Existing { arn } => {
            format!("deploy {}", crate::deploy::short_task_definition(arn))
        }
    };
    app.info(format!(
        "planned service {} ({}): {what}",
        saved.service, saved.plan.strategy
    ));
}

/// Writes `file` to `path` and says so.
pub fn write(app: &App<'_>, file: &PlanFile, path: &Path) -> Result<(), Error> {
    file.write(path)?;
    app.info(format!(
        "plan written to {}; nothing was changed in AWS",
        path.display()
    ));
    Ok(())
}
