//! Agent skills (`ristretto skills`, as ecspresso v2.8's `skills` command, which uses
//! Songmu/skillsmith): the skill files describing ristretto for coding assistants, embedded in
//! the binary (skills/ristretto/SKILL.md), installed into `~/.agents/skills` (scope `user`, the
//! default), `<repository root>/.agents/skills` (scope `repo`, the nearest parent with `.git`)
//! or a `--prefix` directory. An installed skill directory carries skillsmith's
//! `.skillsmith.json` (`installedBy`, `version`, `installedAt`); a directory without it is not
//! managed and is only replaced with `force`. Returns what was done; never prints.

use std::path::{Path, PathBuf};

/// The skills embedded in this binary: (directory name, SKILL.md).
pub const EMBEDDED: &[(&str, &str)] =
    &[("ristretto", include_str!("../../skills/ristretto/SKILL.md"))];

/// skillsmith's metadata file in an installed skill directory.
pub const META_FILE: &str = ".skillsmith.json";

/// Why a skills command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The install directory cannot be determined (no home, no repository, a `.git` symlink).
    #[error("{0}")]
    Location(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

/// Where skills are installed: ecspresso's `--scope user|repo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// `~/.agents/skills` (the default).
    #[default]
    User,
    /// `<repository root>/.agents/skills`.
    Repo,
}

/// One embedded skill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    /// Its directory name.
    pub dir: &'static str,
    /// The `description` of its front matter.
    pub description: String,
    /// SKILL.md.
    pub text: &'static str,
}

/// The embedded skills, in directory order.
pub fn list() -> Vec<Skill> {
    EMBEDDED
        .iter()
        .map(|(dir, text)| Skill {
            dir,
            description: front_matter(text, "description").unwrap_or_default(),
            text,
        })
        .collect()
}

/// The value of `key` in the YAML front matter of a SKILL.md (a plain one-line value).
fn front_matter(text: &str, key: &str) -> Option<String> {
    let body = text.strip_prefix("---\n")?;
    let end = body.find("\n---")?;
    body[..end].lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The install directory: `prefix` when given, else the scope's directory. `home` is the
/// user's home directory; `cwd` is where the repository root is searched from.
pub fn install_dir(
    scope: Scope,
    prefix: Option<&Path>,
    home: Option<&Path>,
    cwd: &Path,
) -> Result<PathBuf, Error> {
    if let Some(prefix) = prefix {
        return Ok(prefix.to_path_buf());
    }
    match scope {
        Scope::User => home
            .map(|h| h.join(".agents").join("skills"))
            .ok_or_else(|| Error::Location("resolving home directory: HOME is not set".into())),
        Scope::Repo => Ok(repo_root(cwd)?.join(".agents").join("skills")),
    }
}

/// The nearest directory from `cwd` upwards holding `.git` (a directory, or a file in a
/// worktree); a `.git` symlink is refused, as skillsmith refuses it.
fn repo_root(cwd: &Path) -> Result<PathBuf, Error> {
    for dir in cwd.ancestors() {
        let git = dir.join(".git");
        match std::fs::symlink_metadata(&git) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::Location(format!(
                    ".git in {} is a symlink, which is not supported for security reasons",
                    dir.display()
                )));
            }
            Ok(_) => return Ok(dir.to_path_buf()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::Io { path: git, source }),
        }
    }
    Err(Error::Location(
        "resolving install dir for scope \"repo\" (finding repo root): not in a git repository"
            .into(),
    ))
}

/// Which of skillsmith's commands changes the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Install skills that are not installed; skip managed ones.
    Install,
    /// Refresh managed skills whose version differs.
    Update,
    /// Overwrite every managed skill.
    Reinstall,
}

impl Mode {
    /// The verb reported for a skill this mode wrote.
    pub fn done(self) -> &'static str {
        match self {
            Mode::Install => "installed",
            Mode::Update => "updated",
            Mode::Reinstall => "reinstalled",
        }
    }
}

/// What happened to one skill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Written (or, in a dry run, would be): the mode's verb.
    Done,
    /// Left alone, with the reason.
    Skipped(String),
    /// Left alone because it is not managed (a warning), with the reason.
    Warned(String),
}

/// Installs, updates or reinstalls every embedded skill into `dir`, as `version`. `force`
/// replaces unmanaged skills (and lets `update` downgrade); `dry_run` writes nothing.
pub fn copy(
    mode: Mode,
    dir: &Path,
    version: &str,
    force: bool,
    dry_run: bool,
) -> Result<Vec<(&'static str, Action)>, Error> {
    let mut actions = Vec::new();
    for skill in list() {
        let dest = dir.join(skill.dir);
        let action = decide(mode, &dest, skill.dir, version, force);
        if action == Action::Done && !dry_run {
            write_skill(&dest, &skill, version)?;
        }
        actions.push((skill.dir, action));
    }
    Ok(actions)
}

fn decide(mode: Mode, dest: &Path, name: &str, version: &str, force: bool) -> Action {
    let managed = dest.join(META_FILE).exists();
    match mode {
        Mode::Install if dest.exists() && !managed && !force => Action::Warned(format!(
            "skill {name:?} exists but is not managed by skillsmith; use --force to overwrite"
        )),
        Mode::Install if managed => Action::Skipped(format!(
            "skill {name:?} already installed (use 'update' or 'reinstall' to refresh)"
        )),
        Mode::Update if !managed => {
            Action::Skipped(format!("skill {name:?} is not managed by skillsmith"))
        }
        Mode::Update => match installed_version(dest) {
            Ok(installed) if same_version(&installed, version) => {
                Action::Skipped(format!("skill {name:?} is already at version {version:?}"))
            }
            Ok(installed) if newer(&installed, version) && !force => Action::Skipped(format!(
                "skill {name:?} is at version {installed:?}, newer than {version:?}; use --force to downgrade"
            )),
            _ => Action::Done,
        },
        Mode::Reinstall if !managed && !force => Action::Warned(format!(
            "skill {name:?} is not managed by skillsmith; use --force to overwrite"
        )),
        _ => Action::Done,
    }
}

/// Writes the skill into a sibling temp directory, then swaps it in, so an interrupted write
/// never leaves half a skill behind.
fn write_skill(dest: &Path, skill: &Skill, version: &str) -> Result<(), Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let staging = parent.join(format!(".{}.{}.tmp", skill.dir, std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    let meta = serde_json::json!({
        "installedBy": "ristretto",
        "version": version,
        "installedAt": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    });
    let written = std::fs::write(staging.join("SKILL.md"), skill.text)
        .and_then(|()| std::fs::write(staging.join(META_FILE), meta.to_string()));
    if let Err(source) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(Error::Io {
            path: staging,
            source,
        });
    }
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(io(dest))?;
    }
    std::fs::rename(&staging, dest).map_err(io(dest))
}

/// Removes every managed embedded skill from `dir` (unmanaged ones are skipped).
pub fn uninstall(dir: &Path, dry_run: bool) -> Result<Vec<(&'static str, Action)>, Error> {
    let mut actions = Vec::new();
    for skill in list() {
        let dest = dir.join(skill.dir);
        if !dest.join(META_FILE).exists() {
            actions.push((
                skill.dir,
                Action::Skipped("not managed by skillsmith".into()),
            ));
            continue;
        }
        if !dry_run {
            std::fs::remove_dir_all(&dest).map_err(|source| Error::Io {
                path: dest.clone(),
                source,
            })?;
        }
        actions.push((skill.dir, Action::Done));
    }
    Ok(actions)
}

/// The installation state of one embedded skill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not installed (or not managed).
    NotInstalled,
    /// Installed, but its metadata cannot be read.
    Unreadable(String),
    /// Installed at this version.
    Installed(String),
}

/// The state of every embedded skill in `dir`.
pub fn status(dir: &Path) -> Vec<(&'static str, State)> {
    list()
        .into_iter()
        .map(|skill| {
            let dest = dir.join(skill.dir);
            let state = if !dest.join(META_FILE).exists() {
                State::NotInstalled
            } else {
                match installed_version(&dest) {
                    Ok(version) => State::Installed(version),
                    Err(message) => State::Unreadable(message),
                }
            };
            (skill.dir, state)
        })
        .collect()
}

fn installed_version(dest: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(dest.join(META_FILE)).map_err(|e| e.to_string())?;
    let meta: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(meta["version"].as_str().unwrap_or_default().to_owned())
}

/// Versions compare without a leading `v`, as skillsmith compares them.
pub fn same_version(a: &str, b: &str) -> bool {
    a.trim_start_matches('v') == b.trim_start_matches('v')
}

fn newer(installed: &str, available: &str) -> bool {
    match (
        semver::Version::parse(installed.trim_start_matches('v')),
        semver::Version::parse(available.trim_start_matches('v')),
    ) {
        (Ok(installed), Ok(available)) => installed > available,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_skill_has_a_name_and_description() {
        let skills = list();
        assert_eq!(skills[0].dir, "ristretto");
        assert_eq!(
            front_matter(skills[0].text, "name").as_deref(),
            Some("ristretto")
        );
        assert!(!skills[0].description.is_empty());
    }

    #[test]
    fn repo_scope_finds_the_nearest_git_and_refuses_outside_one() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        assert!(install_dir(Scope::Repo, None, None, &nested).is_err());
        std::fs::write(dir.path().join("a/.git"), "gitdir: elsewhere\n").unwrap();
        assert_eq!(
            install_dir(Scope::Repo, None, None, &nested).unwrap(),
            dir.path().join("a/.agents/skills")
        );
        assert_eq!(
            install_dir(Scope::User, Some(Path::new("/p")), None, &nested).unwrap(),
            PathBuf::from("/p")
        );
    }

    #[test]
    fn update_skips_same_and_newer_versions_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        copy(Mode::Install, dir.path(), "v0.2.0", false, false).unwrap();
        let update = |version, force| copy(Mode::Update, dir.path(), version, force, true);
        assert!(matches!(
            update("0.2.0", false).unwrap()[0].1,
            Action::Skipped(_)
        ));
        assert!(matches!(
            update("0.1.0", false).unwrap()[0].1,
            Action::Skipped(_)
        ));
        assert_eq!(update("0.1.0", true).unwrap()[0].1, Action::Done);
        assert_eq!(update("0.3.0", false).unwrap()[0].1, Action::Done);
    }
}
