//! The command's shared ECS poller: everything the command waits on (one deploy, or every
//! service of a fleet) asks it for the service or the service deployment it follows, and it
//! answers them all with as few requests as ECS allows: DescribeServices names up to 10
//! services of a cluster per call, DescribeServiceDeployments up to 20 deployments. Waiters
//! poll on the same whole-second ticks (`next_tick`), so a poll round of N services costs
//! ⌈N/10⌉ DescribeServices calls; the request budget (`budget`, in the ECS client's HTTP
//! client) spaces the rounds out when even that is more than the quota allows.
//!
//! A request joins the batch being gathered, never one already sent: every answer was read
//! after its waiter asked.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_ecs::operation::describe_services::DescribeServicesError;
use aws_sdk_ecs::types::{Service, ServiceDeployment, ServiceField};
use tokio::sync::oneshot;

/// How long a round waits for the other waiters of the same tick to ask.
const GATHER: Duration = Duration::from_millis(25);
/// The most services one DescribeServices call names (the API's limit).
const SERVICES_PER_CALL: usize = 10;
/// The most deployments one DescribeServiceDeployments call names (the API's limit).
const DEPLOYMENTS_PER_CALL: usize = 20;

/// Why a poll failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PollError {
    /// The cluster does not exist.
    #[error("cluster {cluster} not found")]
    ClusterNotFound {
        /// The cluster.
        cluster: String,
    },
    /// AWS refused the call.
    #[error("{operation}: {message}")]
    Aws {
        /// The operation.
        operation: &'static str,
        /// What AWS said.
        message: String,
    },
}

/// What the poller sent, for benchmarks and debug output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollStats {
    /// Poll rounds (one batch of waiters' questions about services).
    pub rounds: u64,
    /// DescribeServices calls.
    pub describe_services: u64,
    /// Services those calls named.
    pub services_described: u64,
    /// DescribeServiceDeployments calls.
    pub describe_deployments: u64,
    /// Deployments those calls named.
    pub deployments_described: u64,
}

type Reply<T> = oneshot::Sender<Result<Option<T>, PollError>>;

/// The questions waiting for the next round, per scope (a cluster; "" for deployments).
struct Queue<T> {
    waiting: BTreeMap<(String, String), Vec<Reply<T>>>,
    flushing: BTreeSet<String>,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Self {
            waiting: BTreeMap::new(),
            flushing: BTreeSet::new(),
        }
    }
}

impl<T> Queue<T> {
    /// Adds a question; true when no round is running for its scope (the caller starts one).
    fn ask(&mut self, scope: &str, name: &str, reply: Reply<T>) -> bool {
        self.waiting
            .entry((scope.to_owned(), name.to_owned()))
            .or_default()
            .push(reply);
        self.flushing.insert(scope.to_owned())
    }

    /// Takes the questions of `scope`; when there are none, the round ends.
    fn take(&mut self, scope: &str) -> BTreeMap<String, Vec<Reply<T>>> {
        let keys: Vec<_> = self
            .waiting
            .keys()
            .filter(|(s, _)| s == scope)
            .cloned()
            .collect();
        let taken: BTreeMap<_, _> = keys
            .into_iter()
            .filter_map(|key| self.waiting.remove(&key).map(|r| (key.1, r)))
            .collect();
        if taken.is_empty() {
            self.flushing.remove(scope);
        }
        taken
    }
}

#[derive(Default)]
struct State {
    services: Queue<Service>,
    deployments: Queue<ServiceDeployment>,
    snapshots: HashMap<(String, String), (Instant, Service)>,
    stats: PollStats,
}

struct Inner {
    ecs: aws_sdk_ecs::Client,
    epoch: Instant,
    state: Mutex<State>,
}

/// The shared poller of one set of AWS clients (see the module doc). Cloning shares it.
#[derive(Clone)]
pub struct Poller {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller").finish_non_exhaustive()
    }
}

impl Poller {
    /// A poller that sends its calls with `ecs`.
    pub fn new(ecs: aws_sdk_ecs::Client) -> Self {
        Self {
            inner: Arc::new(Inner {
                ecs,
                epoch: Instant::now(),
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The service `name` of `cluster` (with its tags) as read by the next poll round; `None`
    /// when it does not exist or is INACTIVE.
    pub async fn service(&self, cluster: &str, name: &str) -> Result<Option<Service>, PollError> {
        let (reply, answer) = oneshot::channel();
        let start = self
            .with_state(|s| s.services.ask(cluster, name, reply))
            .unwrap_or(false);
        if start {
            let inner = self.inner.clone();
            let cluster = cluster.to_owned();
            tokio::spawn(async move { inner.services_rounds(&cluster).await });
        }
        answer.await.unwrap_or_else(|_| {
            Err(PollError::Aws {
                operation: "DescribeServices",
                message: "the poll round ended without an answer".to_owned(),
            })
        })
    }

    /// The service deployment `arn` as read by the next poll round; `None` when ECS does not
    /// know it.
    pub async fn deployment(&self, arn: &str) -> Result<Option<ServiceDeployment>, PollError> {
        let (reply, answer) = oneshot::channel();
        let start = self
            .with_state(|s| s.deployments.ask("", arn, reply))
            .unwrap_or(false);
        if start {
            let inner = self.inner.clone();
            tokio::spawn(async move { inner.deployment_rounds().await });
        }
        answer.await.unwrap_or_else(|_| {
            Err(PollError::Aws {
                operation: "DescribeServiceDeployments",
                message: "the poll round ended without an answer".to_owned(),
            })
        })
    }

    /// Remembers `service` as ECS just returned it (UpdateService's answer), so the first
    /// look of the wait that follows needs no DescribeServices.
    pub fn remember(&self, cluster: &str, service: &Service) {
        if let Some(name) = service.service_name() {
            self.with_state(|s| {
                s.snapshots.insert(
                    (cluster.to_owned(), name.to_owned()),
                    (Instant::now(), service.clone()),
                )
            });
        }
    }

    /// The service as last read (by a poll round or `remember`), when that was less than
    /// `max_age` ago. Tags are only there when a poll round read it.
    pub fn recent(&self, cluster: &str, name: &str, max_age: Duration) -> Option<Service> {
        self.with_state(|s| {
            s.snapshots
                .get(&(cluster.to_owned(), name.to_owned()))
                .filter(|(at, _)| at.elapsed() < max_age)
                .map(|(_, service)| service.clone())
        })
        .flatten()
    }

    /// The next whole second of the poller's clock: every waiter polls on these ticks, so
    /// their questions meet in one round.
    pub fn next_tick(&self) -> Instant {
        let elapsed = self.inner.epoch.elapsed();
        let next = Duration::from_secs(elapsed.as_secs() + 1);
        self.inner.epoch + next
    }

    /// What the poller sent so far.
    pub fn stats(&self) -> PollStats {
        self.with_state(|s| s.stats).unwrap_or_default()
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        self.inner.state.lock().ok().map(|mut s| f(&mut s))
    }
}

impl Inner {
    fn take<T>(
        &self,
        scope: &str,
        queue: impl Fn(&mut State) -> &mut Queue<T>,
    ) -> BTreeMap<String, Vec<Reply<T>>> {
        match self.state.lock() {
            Ok(mut state) => {
                let taken = queue(&mut state).take(scope);
                // A round is counted once, by its services (deployments are asked in the
                // same round, under the scope "").
                if !taken.is_empty() && !scope.is_empty() {
                    state.stats.rounds += 1;
                }
                taken
            }
            Err(_) => BTreeMap::new(),
        }
    }

    /// Answers the questions about `cluster`'s services, round after round, until none is
    /// left.
    async fn services_rounds(&self, cluster: &str) {
        loop {
            tokio::time::sleep(GATHER).await;
            let taken = self.take(cluster, |s| &mut s.services);
            if taken.is_empty() {
                return;
            }
            let names: Vec<String> = taken.keys().cloned().collect();
            let calls = names
                .chunks(SERVICES_PER_CALL)
                .map(|chunk| self.describe_services(cluster, chunk.to_vec()));
            let answers = futures::future::join_all(calls).await;
            let mut found: HashMap<String, Result<Option<Service>, PollError>> = HashMap::new();
            for (chunk, answer) in names.chunks(SERVICES_PER_CALL).zip(answers) {
                for name in chunk {
                    let result = match &answer {
                        Ok(services) => Ok(services
                            .iter()
                            .find(|s| {
                                s.service_name() == Some(name) || s.service_arn() == Some(name)
                            })
                            .filter(|s| s.status() != Some("INACTIVE"))
                            .cloned()),
                        Err(err) => Err(err.clone()),
                    };
                    found.insert(name.clone(), result);
                }
            }
            if let Ok(mut state) = self.state.lock() {
                let now = Instant::now();
                for (name, result) in &found {
                    if let Ok(Some(service)) = result {
                        state
                            .snapshots
                            .insert((cluster.to_owned(), name.clone()), (now, service.clone()));
                    }
                }
            }
            for (name, replies) in taken {
                let result = found.remove(&name).unwrap_or(Ok(None));
                for reply in replies {
                    let _ = reply.send(result.clone());
                }
            }
        }
    }

    async fn describe_services(
        &self,
        cluster: &str,
        names: Vec<String>,
    ) -> Result<Vec<Service>, PollError> {
        if let Ok(mut state) = self.state.lock() {
            state.stats.describe_services += 1;
            state.stats.services_described += names.len() as u64;
        }
        let output = self
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(names))
            .include(ServiceField::Tags)
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(DescribeServicesError::ClusterNotFoundException(_)) => {
                    PollError::ClusterNotFound {
                        cluster: cluster.to_owned(),
                    }
                }
                _ => PollError::Aws {
                    operation: "DescribeServices",
                    message: crate::aws::describe_error(&err),
                },
            })?;
        Ok(output.services().to_vec())
    }

    /// Answers the questions about service deployments, round after round, until none is
    /// left.
    async fn deployment_rounds(&self) {
        loop {
            tokio::time::sleep(GATHER).await;
            let taken = self.take("", |s| &mut s.deployments);
            if taken.is_empty() {
                return;
            }
            let arns: Vec<String> = taken.keys().cloned().collect();
            let calls = arns
                .chunks(DEPLOYMENTS_PER_CALL)
                .map(|chunk| self.describe_deployments(chunk.to_vec()));
            let answers = futures::future::join_all(calls).await;
            let mut found = HashMap::new();
            for (chunk, answer) in arns.chunks(DEPLOYMENTS_PER_CALL).zip(answers) {
                for arn in chunk {
                    let result = match &answer {
                        Ok(deployments) => Ok(deployments
                            .iter()
                            .find(|d| d.service_deployment_arn() == Some(arn))
                            .cloned()),
                        Err(err) => Err(err.clone()),
                    };
                    found.insert(arn.clone(), result);
                }
            }
            for (arn, replies) in taken {
                let result = found.remove(&arn).unwrap_or(Ok(None));
                for reply in replies {
                    let _ = reply.send(result.clone());
                }
            }
        }
    }

    async fn describe_deployments(
        &self,
        arns: Vec<String>,
    ) -> Result<Vec<ServiceDeployment>, PollError> {
        if let Ok(mut state) = self.state.lock() {
            state.stats.describe_deployments += 1;
            state.stats.deployments_described += arns.len() as u64;
        }
        let output = self
            .ecs
            .describe_service_deployments()
            .set_service_deployment_arns(Some(arns))
            .send()
            .await
            .map_err(|err| PollError::Aws {
                operation: "DescribeServiceDeployments",
                message: crate::aws::describe_error(&err),
            })?;
        Ok(output.service_deployments().to_vec())
    }
}
