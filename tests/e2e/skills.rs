//! `ristretto skills` as ecspresso v2.8's `skills` (kayac/ecspresso skillscmd/skillscmd.go over
//! Songmu/skillsmith): subcommands, `--scope user|repo`, `--prefix`, `--dry-run`, `--force`, the
//! `.skillsmith.json` marker and the output lines, driven in temp dirs with `HOME` overridden.

use std::path::Path;

use crate::support::{TestContext, assert_failure, assert_success, run, text};

fn skills(context: &TestContext, cwd: &Path, args: &[&str]) -> std::process::Output {
    let mut command = context.ristretto();
    command.current_dir(cwd).arg("skills").args(args);
    run(&mut command)
}

fn meta(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("ristretto/.skillsmith.json")).expect("metadata");
    serde_json::from_str(&text).expect("metadata is JSON")
}

#[test]
fn install_status_update_and_uninstall_in_the_user_scope() {
    let context = TestContext::offline();
    let home = context.dir.path();
    let installed = home.join(".agents/skills");
    let version = env!("CARGO_PKG_VERSION");

    let list = skills(&context, home, &["list"]);
    assert_success(&list);
    assert!(text(&list.stdout).starts_with("ristretto                      ECS deployment tool"));

    let status = skills(&context, home, &["status"]);
    assert_eq!(
        text(&status.stdout),
        format!("{:<30} not installed\n", "ristretto")
    );

    let dry = skills(&context, home, &["install", "--dry-run"]);
    assert_eq!(
        text(&dry.stdout),
        "installed (dry-run): ristretto\n[dry-run] no changes were made\n"
    );
    assert!(!installed.exists(), "a dry run writes nothing");

    let install = skills(&context, home, &["install"]);
    assert_eq!(text(&install.stdout), "installed: ristretto\n");
    let skill = std::fs::read_to_string(installed.join("ristretto/SKILL.md")).expect("SKILL.md");
    assert!(skill.starts_with("---\nname: ristretto\n") && skill.contains("ristretto deploy"));
    assert_eq!(meta(&installed)["installedBy"], "ristretto");
    assert_eq!(meta(&installed)["version"], version);

    let again = skills(&context, home, &["install"]);
    assert_eq!(
        text(&again.stdout),
        "skipped:   ristretto — skill \"ristretto\" already installed (use 'update' or 'reinstall' to refresh)\n"
    );
    let status = skills(&context, home, &["status", "--scope", "user"]);
    assert_eq!(
        text(&status.stdout),
        format!("{:<30} installed {version} (up to date)\n", "ristretto")
    );

    // An older installed version is updated; status shows the difference first.
    let stale = serde_json::json!({"installedBy": "ristretto", "version": "v0.0.1", "installedAt": "2026-01-01T00:00:00Z"});
    std::fs::write(
        installed.join("ristretto/.skillsmith.json"),
        stale.to_string(),
    )
    .expect("write");
    let status = skills(&context, home, &["status"]);
    assert_eq!(
        text(&status.stdout),
        format!(
            "{:<30} installed v0.0.1 → available {version}\n",
            "ristretto"
        )
    );
    let update = skills(&context, home, &["update"]);
    assert_eq!(text(&update.stdout), "updated: ristretto\n");
    assert_eq!(meta(&installed)["version"], version);
    let update = skills(&context, home, &["update"]);
    assert_eq!(
        text(&update.stdout),
        format!("skipped:   ristretto — skill \"ristretto\" is already at version \"{version}\"\n")
    );
    let reinstall = skills(&context, home, &["reinstall"]);
    assert_eq!(text(&reinstall.stdout), "reinstalled: ristretto\n");

    let uninstall = skills(&context, home, &["uninstall"]);
    assert_eq!(text(&uninstall.stdout), "uninstalled: ristretto\n");
    assert!(!installed.join("ristretto").exists());
    let uninstall = skills(&context, home, &["uninstall"]);
    assert_eq!(
        text(&uninstall.stdout),
        "skipped:     ristretto — not managed by skillsmith\n"
    );
}

#[test]
fn unmanaged_skills_are_left_alone_unless_forced() {
    let context = TestContext::offline();
    let home = context.dir.path();
    let own = context.write(".agents/skills/ristretto/SKILL.md", "my own notes\n");
    let install = skills(&context, home, &["install"]);
    assert_success(&install);
    assert_eq!(
        text(&install.stderr),
        "warning:   ristretto — skill \"ristretto\" exists but is not managed by skillsmith; use --force to overwrite\n"
    );
    assert_eq!(
        std::fs::read_to_string(&own).expect("read"),
        "my own notes\n"
    );
    let update = skills(&context, home, &["update"]);
    assert_eq!(
        text(&update.stdout),
        "skipped:   ristretto — skill \"ristretto\" is not managed by skillsmith\n"
    );
    let forced = skills(&context, home, &["install", "--force"]);
    assert_eq!(text(&forced.stdout), "installed: ristretto\n");
    assert!(
        std::fs::read_to_string(&own)
            .expect("read")
            .contains("name: ristretto")
    );
}

#[test]
fn repo_scope_and_prefix_choose_the_directory() {
    let context = TestContext::offline();
    let repo = context.path("work/app");
    let nested = repo.join("deploy/ecs");
    std::fs::create_dir_all(repo.join(".git")).expect("git dir");
    std::fs::create_dir_all(&nested).expect("nested");
    assert_success(&skills(&context, &nested, &["install", "--scope", "repo"]));
    assert!(repo.join(".agents/skills/ristretto/SKILL.md").is_file());
    assert!(
        !context.path(".agents").exists(),
        "the user scope is untouched"
    );
    let status = skills(&context, &nested, &["status", "--scope", "repo"]);
    assert!(text(&status.stdout).contains("(up to date)"));

    let outside = context.path("elsewhere");
    std::fs::create_dir_all(&outside).expect("dir");
    assert_failure(
        &skills(&context, &outside, &["install", "--scope", "repo"]),
        "not in a git repository",
    );
    assert_success(&skills(
        &context,
        &outside,
        &["install", "--prefix", "vendor/skills"],
    ));
    assert!(
        outside
            .join("vendor/skills/ristretto/.skillsmith.json")
            .is_file()
    );
    assert_failure(
        &skills(&context, &outside, &["install", "--scope", "team"]),
        "invalid value 'team'",
    );
}
