//! The start of a deploy, told once per deploy by every controller (ECS, CodeDeploy, Express):
//! after the definitions are loaded and transformed, before the pre-deploy gates, so a deploy
//! its definitions or a policy plugin refuse never started.

use serde_json::json;

use crate::app::App;
use crate::events::Lifecycle;
use crate::plugins::EventKind;

/// Tells the log and the notify plugins that the deploy of `service` starts.
pub(crate) fn announce(app: &App<'_>, service: &str, dry_run: bool) {
    app.lifecycle(
        Lifecycle::new(
            EventKind::DeployStarted,
            format!(
                "deploy of service {service} to cluster {} started",
                app.cluster()
            ),
        )
        .details(json!({"dry_run": dry_run})),
    );
}
