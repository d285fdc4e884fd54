//! The [`App`] of each service of a fleet. Services with the same region and the same AWS
//! settings share one set of clients, and with it the request budget and the shared poller.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::app::{App, Loaded};
use crate::aws::Clients;
use crate::config::Environment;
use crate::events::EventSink;

/// Why a service's app could not be built.
#[derive(Debug, thiserror::Error)]
#[error("fleet service `{service}`: {error}")]
pub struct AppError {
    /// The fleet's name of the service.
    pub service: String,
    /// Why its AWS clients could not be built.
    #[source]
    pub error: crate::aws::Error,
}

/// Builds each loaded service's app, writing its events to its sink in `sinks` (in the order of
/// `loaded`), due by `now + its config timeout`.
pub async fn build<'a>(
    loaded: BTreeMap<String, Loaded>,
    sinks: impl IntoIterator<Item = &'a dyn EventSink>,
    assume_role_arn: Option<&str>,
) -> Result<BTreeMap<String, App<'a>>, AppError> {
    let mut shared: Vec<(Option<String>, Environment, Clients)> = Vec::new();
    let mut apps = BTreeMap::new();
    for ((name, service), events) in loaded.into_iter().zip(sinks) {
        let region = service.config.file.region.clone();
        let found = shared
            .iter()
            .find(|(r, e, _)| *r == region && *e == service.environment)
            .map(|(_, _, clients)| clients.clone());
        let clients = match found {
            Some(clients) => clients,
            None => {
                let clients = Clients::load_with(
                    region.as_deref(),
                    assume_role_arn,
                    true,
                    &service.environment,
                )
                .await
                .map_err(|error| AppError {
                    service: name.clone(),
                    error,
                })?;
                shared.push((region, service.environment.clone(), clients.clone()));
                clients
            }
        };
        let deadline = Instant::now() + service.config.file.timeout;
        let app = App::start(service, clients, events, None, deadline).await;
        apps.insert(name, app);
    }
    Ok(apps)
}
