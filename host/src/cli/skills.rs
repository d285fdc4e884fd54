//! `ristretto skills`: ecspresso v2.8's `skills` command (skillsmith's subcommands, flags and
//! output) over ristretto's own embedded skill. The work is in `crate::skills`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::environment::Environment;
use crate::output::{print_stderr, print_stdout};
use crate::skills::{self, Action, Mode, Scope, State};

/// Flags of `skills`.
#[derive(Debug, Args)]
pub struct SkillsArgs {
    #[command(subcommand)]
    command: SkillsCommand,
}

#[derive(Debug, Subcommand)]
enum SkillsCommand {
    /// List available skills
    List,
    /// Install skills
    Install(ModifyArgs),
    /// Update installed skills
    Update(ModifyArgs),
    /// Reinstall all managed skills
    Reinstall(ModifyArgs),
    /// Uninstall managed skills
    Uninstall(ModifyArgs),
    /// Show installation status
    Status(LocationArgs),
}

/// `--scope` values; empty means `user`, as in ecspresso.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScopeArg {
    /// The default (user).
    #[value(name = "")]
    Default,
    /// ~/.agents/skills
    User,
    /// <repository root>/.agents/skills
    Repo,
}

#[derive(Debug, Args)]
struct LocationArgs {
    /// Install scope (user or repo)
    #[arg(long, value_enum, default_value = "", hide_default_value = true)]
    scope: ScopeArg,
    /// Override install directory
    #[arg(long, value_name = "DIR")]
    prefix: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ModifyArgs {
    #[command(flatten)]
    location: LocationArgs,
    /// Preview changes without applying
    #[arg(long)]
    dry_run: bool,
    /// Overwrite unmanaged skills or force downgrade
    #[arg(long)]
    force: bool,
}

impl LocationArgs {
    fn dir(&self, environment: &Environment) -> anyhow::Result<PathBuf> {
        let scope = match self.scope {
            ScopeArg::Repo => Scope::Repo,
            ScopeArg::Default | ScopeArg::User => Scope::User,
        };
        let home = environment
            .get("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        Ok(skills::install_dir(
            scope,
            self.prefix.as_deref().filter(|p| !p.as_os_str().is_empty()),
            home.as_deref(),
            &std::env::current_dir()?,
        )?)
    }
}

/// Runs `skills`.
pub fn run(args: SkillsArgs, environment: &Environment) -> anyhow::Result<ExitCode> {
    let version = env!("CARGO_PKG_VERSION");
    match args.command {
        SkillsCommand::List => {
            let list = skills::list();
            if list.is_empty() {
                print_stdout("no skills found\n")?;
            }
            for skill in list {
                print_stdout(&format!("{:<30} {}\n", skill.dir, skill.description))?;
            }
        }
        SkillsCommand::Install(modify) => copy(Mode::Install, &modify, version, environment)?,
        SkillsCommand::Update(modify) => copy(Mode::Update, &modify, version, environment)?,
        SkillsCommand::Reinstall(modify) => copy(Mode::Reinstall, &modify, version, environment)?,
        SkillsCommand::Uninstall(modify) => {
            let dir = modify.location.dir(environment)?;
            for (name, action) in skills::uninstall(&dir, modify.dry_run)? {
                match action {
                    Action::Done if modify.dry_run => {
                        print_stdout(&format!("uninstalled (dry-run): {name}\n"))?
                    }
                    Action::Done => print_stdout(&format!("uninstalled: {name}\n"))?,
                    Action::Skipped(why) | Action::Warned(why) => {
                        print_stdout(&format!("skipped:     {name} — {why}\n"))?
                    }
                }
            }
            dry_run_note(modify.dry_run)?;
        }
        SkillsCommand::Status(location) => {
            for (name, state) in skills::status(&location.dir(environment)?) {
                let line = match state {
                    State::NotInstalled => format!("{name:<30} not installed\n"),
                    State::Unreadable(why) => {
                        format!("{name:<30} installed (metadata unreadable: {why})\n")
                    }
                    State::Installed(at) if skills::same_version(&at, version) => {
                        format!("{name:<30} installed {at} (up to date)\n")
                    }
                    State::Installed(at) => {
                        format!("{name:<30} installed {at} → available {version}\n")
                    }
                };
                print_stdout(&line)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// install, update and reinstall, printed as ecspresso's skills command prints them.
fn copy(
    mode: Mode,
    modify: &ModifyArgs,
    version: &str,
    environment: &Environment,
) -> anyhow::Result<()> {
    let dir = modify.location.dir(environment)?;
    let verb = mode.done();
    for (name, action) in skills::copy(mode, &dir, version, modify.force, modify.dry_run)? {
        match action {
            Action::Done if modify.dry_run => print_stdout(&format!("{verb} (dry-run): {name}\n"))?,
            Action::Done => print_stdout(&format!("{verb}: {name}\n"))?,
            Action::Skipped(why) => print_stdout(&format!("skipped:   {name} — {why}\n"))?,
            Action::Warned(why) => print_stderr(&format!("warning:   {name} — {why}\n"))?,
        }
    }
    dry_run_note(modify.dry_run)
}

fn dry_run_note(dry_run: bool) -> anyhow::Result<()> {
    if dry_run {
        print_stdout("[dry-run] no changes were made\n")?;
    }
    Ok(())
}
