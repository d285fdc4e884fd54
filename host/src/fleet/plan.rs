//! What a fleet command runs, decided before any service is touched: the services selected
//! (`--only`), their order (dependencies first; dependents first for rollbacks), each
//! service's settings (the fleet's ext vars and env files under the service's own and the
//! command line's), and that no two entries name the same ECS service.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::{ConfigFile, Globals};
use crate::fleet::{Dependencies, FleetFile, levels};

/// The services a fleet command runs and in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Each selected service and the selected services it waits for.
    pub dependencies: Dependencies,
    /// The selected services, level by level, for the log line (`a, b | c`).
    pub levels: Vec<String>,
}

impl Selection {
    /// Selects `only` (every service when empty) of `fleet` (read from `file`); with
    /// `dependents_first` (rollbacks) a service waits for its dependents instead.
    pub fn new(
        fleet: &FleetFile,
        file: &Path,
        only: &[String],
        dependents_first: bool,
    ) -> Result<Self, String> {
        let mut dependencies: Dependencies = fleet
            .services
            .iter()
            .map(|(n, s)| (n.clone(), s.depends_on.clone()))
            .collect();
        let levels = levels(&dependencies).map_err(|m| format!("{}: {m}", file.display()))?;
        if !only.is_empty() {
            if let Some(name) = only.iter().find(|n| !fleet.services.contains_key(*n)) {
                return Err(format!("--only: `{name}` is not in {}", file.display()));
            }
            dependencies.retain(|name, _| only.contains(name));
            for needs in dependencies.values_mut() {
                needs.retain(|n| only.contains(n));
            }
        }
        if dependents_first {
            dependencies = reversed(&dependencies);
        }
        // The levels of what runs (with --only, the named services only).
        let levels = levels
            .iter()
            .map(|level| {
                level
                    .iter()
                    .filter(|name| dependencies.contains_key(*name))
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .filter(|level| !level.is_empty())
            .map(|level| level.join(", "))
            .collect();
        Ok(Self {
            dependencies,
            levels,
        })
    }
}

/// Each service waiting for its dependents instead of its dependencies.
fn reversed(dependencies: &Dependencies) -> Dependencies {
    dependencies
        .keys()
        .map(|name| {
            let dependents = dependencies
                .iter()
                .filter(|(_, needs)| needs.contains(name))
                .map(|(n, _)| n.clone());
            (name.clone(), dependents.collect())
        })
        .collect()
}

/// The settings of fleet service `name`: the command line's `globals` with the service's
/// config, env files (the fleet's, the service's, then the command line's) and ext vars (the
/// fleet's, overridden by the service's, overridden by the command line's). Paths are relative
/// to `base`, the fleet file's folder.
pub fn service_globals(fleet: &FleetFile, name: &str, globals: &Globals, base: &Path) -> Globals {
    let mut service_globals = globals.clone();
    let Some(service) = fleet.services.get(name) else {
        return service_globals;
    };
    service_globals.config = Some(base.join(&service.config));
    service_globals.envfile = fleet
        .envfile
        .iter()
        .chain(&service.envfile)
        .map(|p| base.join(p))
        .chain(globals.envfile.clone())
        .collect();
    let mut ext_str = fleet.ext_str.clone();
    ext_str.extend(service.ext_str.clone());
    ext_str.extend(globals.ext_str.clone());
    service_globals.ext_str = ext_str;
    let mut ext_code = fleet.ext_code.clone();
    ext_code.extend(service.ext_code.clone());
    ext_code.extend(globals.ext_code.clone());
    service_globals.ext_code = ext_code;
    service_globals
}

/// Refuses two fleet entries for one ECS service (same region, cluster and service), which
/// would deploy it twice at once. `file` is the fleet file, for the message.
pub fn check_distinct<'a>(
    configs: impl IntoIterator<Item = (&'a str, &'a ConfigFile)>,
    file: &Path,
) -> Result<(), String> {
    let mut targets: BTreeMap<(Option<&str>, &str, &str), &str> = BTreeMap::new();
    for (name, config) in configs {
        let Some(service) = config.service.as_deref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let key = (config.region.as_deref(), config.cluster.as_str(), service);
        if let Some(first) = targets.insert(key, name) {
            return Err(format!(
                "{}: `{first}` and `{name}` are the same service ({service} in cluster {}); nothing was run",
                file.display(),
                config.cluster
            ));
        }
    }
    Ok(())
}
