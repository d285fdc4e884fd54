//! Fleets: many services (ecspresso configs) managed together, which ecspresso declines to do.
//! A fleet file names each service's config, its dependencies and shared settings; commands run
//! level by level, in parallel up to a concurrency limit, and end with a per-service summary.

mod apps;
mod file;
mod graph;
mod plan;
mod run;

pub use apps::{AppError, build as build_apps};
pub use file::{Error, FleetFile, FleetService};
pub use graph::{Dependencies, ancestors, levels};
pub use plan::{Selection, check_distinct, service_globals};
pub use run::{Outcome, Progress, ServiceResult, interrupted_results, run, table};
