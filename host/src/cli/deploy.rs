//! `ristretto deploy`, `scale` and `refresh`: flags → `deploy::DeployOptions`.

use std::process::ExitCode;

use std::sync::OnceLock;

use clap::Args;
use clap::builder::{PossibleValue, TypedValueParser};

use crate::deploy::{
    self, AutoScaling, CODEDEPLOY_EVENTS, DeployOptions, DesiredCount, ECS_STAGES, RollbackEvents,
    TaskDefinitionSource, WaitUntil,
};

/// Parses `--wait-until`: `stable`, `deployed`, `paused`, `ecs:<STAGE>` or
/// `codedeploy:<Event>`.
pub fn parse_wait_until(text: &str) -> Result<WaitUntil, String> {
    text.parse()
}

/// `--wait-until`'s value parser: [`parse_wait_until`], with every target as a possible value
/// so shell completion offers them (help keeps its short description: the args set
/// `hide_possible_values`).
#[derive(Debug, Clone, Copy)]
pub struct WaitUntilParser;

impl TypedValueParser for WaitUntilParser {
    type Value = WaitUntil;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<WaitUntil, clap::Error> {
        TypedValueParser::parse_ref(&parse_wait_until, cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        static TARGETS: OnceLock<Vec<String>> = OnceLock::new();
        let targets = TARGETS.get_or_init(|| {
            let plain = ["stable", "deployed", "paused"].map(str::to_owned);
            let stages = ECS_STAGES.iter().map(|s| format!("ecs:{s}"));
            let events = CODEDEPLOY_EVENTS.iter().map(|e| format!("codedeploy:{e}"));
            plain.into_iter().chain(stages).chain(events).collect()
        });
        Some(Box::new(
            targets.iter().map(|t| PossibleValue::new(t.as_str())),
        ))
    }
}

/// Auto scaling flags shared by `deploy` and `scale`.
#[derive(Debug, Clone, Args)]
pub struct AutoScalingArgs {
    /// Suspend the service's auto scaling (in, out and scheduled)
    #[arg(long, conflicts_with = "resume_auto_scaling")]
    pub suspend_auto_scaling: bool,
    /// Resume the service's auto scaling
    #[arg(long)]
    pub resume_auto_scaling: bool,
    /// Minimum capacity of the scalable target
    #[arg(long, value_name = "N")]
    pub auto_scaling_min: Option<i32>,
    /// Maximum capacity of the scalable target
    #[arg(long, value_name = "N")]
    pub auto_scaling_max: Option<i32>,
}

impl AutoScalingArgs {
    fn into_options(self) -> AutoScaling {
        AutoScaling {
            suspend: match (self.suspend_auto_scaling, self.resume_auto_scaling) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            min: self.auto_scaling_min,
            max: self.auto_scaling_max,
        }
    }
}

/// Flags of `deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Render and show what would change; make no change
    #[arg(long)]
    pub dry_run: bool,
    /// Desired count (default: `desiredCount` of the service definition; unchanged if absent)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub tasks: Option<i32>,
    /// Keep the service's current task definition; register nothing (`--revision` and
    /// `--latest-task-definition` win over it, as in ecspresso)
    #[arg(long)]
    pub skip_task_definition: bool,
    /// Deploy revision N of the task definition family; register nothing (wins over
    /// `--skip-task-definition`)
    #[arg(long, value_name = "N", conflicts_with = "latest_task_definition")]
    pub revision: Option<u64>,
    /// Deploy the newest registered revision of the family; register nothing
    #[arg(long)]
    pub latest_task_definition: bool,
    /// Start a new deployment even if nothing changed
    #[arg(long)]
    pub force_new_deployment: bool,
    /// `--no-wait` / `--wait`
    #[command(flatten)]
    pub wait: super::flags::WaitFlag,
    /// What to wait for: stable, deployed, paused (a PAUSE hook awaits action),
    /// ecs:<STAGE> (e.g. ecs:BAKE_TIME) or codedeploy:<Event> (e.g. codedeploy:AllowTraffic)
    #[arg(long, default_value = "deployed", alias = "until", value_name = "TARGET", value_parser = WaitUntilParser, hide_possible_values = true)]
    pub wait_until: WaitUntil,
    /// `--no-update-service` / `--update-service`
    #[command(flatten)]
    pub update_service: super::flags::UpdateServiceFlag,
    /// Auto scaling changes applied before the update
    #[command(flatten)]
    pub auto_scaling: AutoScalingArgs,
    /// CodeDeploy only: comma-separated events that roll the deployment back
    /// (DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST)
    #[arg(long, value_name = "EVENTS")]
    pub rollback_events: Option<String>,
    /// Decide everything this deploy would do and save it as a plan file (for review and
    /// `ristretto apply`); change nothing in AWS
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub plan_out: Option<std::path::PathBuf>,
}

impl DeployArgs {
    fn into_options(self) -> anyhow::Result<DeployOptions> {
        if self.tasks.is_some_and(|n| n < -1) {
            anyhow::bail!("--tasks must be 0 or more (or -1 to use the service definition)");
        }
        Ok(DeployOptions {
            dry_run: self.dry_run,
            task_definition: TaskDefinitionSource::by_priority(
                self.revision,
                self.latest_task_definition,
                self.skip_task_definition,
            ),
            desired_count: match self.tasks {
                Some(n) if n >= 0 => DesiredCount::Exactly(n),
                _ => DesiredCount::FromDefinition,
            },
            force_new_deployment: self.force_new_deployment,
            update_service: self.update_service.update_service,
            wait: self.wait.wait.then_some(self.wait_until),
            auto_scaling: self.auto_scaling.into_options(),
            rollback_events: RollbackEvents::parse(self.rollback_events.as_deref().unwrap_or(""))
                .map_err(|e| anyhow::anyhow!("--rollback-events: {e}"))?,
        })
    }
}

/// Flags of `scale`.
#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Render and show what would change; make no change
    #[arg(long)]
    pub dry_run: bool,
    /// Desired count
    #[arg(long, value_name = "N")]
    pub tasks: Option<i32>,
    /// `--no-wait` / `--wait`
    #[command(flatten)]
    pub wait: super::flags::WaitFlag,
    /// Auto scaling changes
    #[command(flatten)]
    pub auto_scaling: AutoScalingArgs,
}

/// Flags of `refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Show what would change; make no change
    #[arg(long)]
    pub dry_run: bool,
    /// `--no-wait` / `--wait`
    #[command(flatten)]
    pub wait: super::flags::WaitFlag,
}

/// Runs `deploy`.
pub async fn run(args: DeployArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    let plan_out = args.plan_out.clone();
    let options = args.into_options()?;
    match plan_out {
        Some(path) => {
            let service = deploy::saved_plan::plan_service(app, options, Vec::new()).await?;
            let file = deploy::saved_plan::plan_file(vec![service]);
            deploy::saved_plan::write(app, &file, &path)?;
        }
        None => {
            let result = deploy::deploy(app, options).await;
            app.emit(crate::events::Event::Debug(app.clients.usage()));
            result?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `scale`: a deploy that keeps the task definition and the service attributes.
pub async fn run_scale(args: ScaleArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    let options = DeployOptions {
        dry_run: args.dry_run,
        task_definition: TaskDefinitionSource::Current,
        desired_count: args
            .tasks
            .map_or(DesiredCount::Unchanged, DesiredCount::Exactly),
        force_new_deployment: false,
        update_service: false,
        wait: args.wait.wait.then_some(WaitUntil::Stable),
        auto_scaling: args.auto_scaling.into_options(),
        rollback_events: RollbackEvents::default(),
    };
    deploy::deploy(app, options).await?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `refresh`: a new deployment of the same task definition and attributes.
pub async fn run_refresh(args: RefreshArgs, app: &crate::app::App<'_>) -> anyhow::Result<ExitCode> {
    let options = DeployOptions {
        dry_run: args.dry_run,
        task_definition: TaskDefinitionSource::Current,
        desired_count: DesiredCount::Unchanged,
        force_new_deployment: true,
        update_service: false,
        wait: args.wait.wait.then_some(WaitUntil::Deployed),
        auto_scaling: AutoScaling::default(),
        rollback_events: RollbackEvents::default(),
    };
    deploy::deploy(app, options).await?;
    Ok(ExitCode::SUCCESS)
}
