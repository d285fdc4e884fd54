//! The command's ECS request budget: one token bucket per API family, as ECS throttles, shared
//! by every task of the command that uses the same account and region. Every ECS request waits
//! for a token of its family before it is sent (`Budgeted`, the ECS client's HTTP client), so a
//! fleet of hundreds of services stays within the quotas instead of being throttled; when AWS
//! throttles anyway (other callers share the account's buckets), `Budget::throttled` halves
//! that family's refill rate, which then recovers over about ten seconds.
//!
//! Figures: "Request throttling for the Amazon ECS API" (Amazon ECS API Reference,
//! <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html>,
//! "Request token bucket sizes and refill rates"): ECS throttles each account per Region, all
//! actions of a category share one bucket, the bucket's maximum capacity is the burst and its
//! refill rate the sustained rate, and an emptied bucket refills by the rate every second.
//! The emulator enforces the same table (tests/emulator/ristretto_emulator/throttling.py).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// The ECS categories with their documented (burst, refill per second) and actions. Actions the
/// page does not list are not budgeted.
const FAMILIES: [(&str, u32, u32, &[&str]); 20] = [
    (
        "Cluster modify actions",
        20,
        1,
        &[
            "CreateCluster",
            "DeleteCluster",
            "PutClusterCapacityProviders",
            "UpdateCluster",
            "UpdateClusterSettings",
        ],
    ),
    (
        "Cluster read actions",
        50,
        20,
        &["DescribeClusters", "ListClusters"],
    ),
    (
        "Task definition modify actions",
        20,
        1,
        &["DeregisterTaskDefinition", "RegisterTaskDefinition"],
    ),
    (
        "Task definition read actions",
        50,
        20,
        &[
            "DescribeTaskDefinition",
            "ListTaskDefinitions",
            "ListTaskDefinitionFamilies",
        ],
    ),
    (
        "Task definition deletion actions",
        5,
        1,
        &["DeleteTaskDefinitions"],
    ),
    (
        "Capacity provider modify actions",
        10,
        1,
        &[
            "CreateCapacityProvider",
            "DeleteCapacityProvider",
            "UpdateCapacityProvider",
        ],
    ),
    (
        "Capacity provider read actions",
        50,
        20,
        &["DescribeCapacityProviders"],
    ),
    (
        "Tag modify actions",
        20,
        10,
        &["TagResource", "UntagResource"],
    ),
    ("Tag read actions", 50, 20, &["ListTagsForResource"]),
    (
        "Setting modify actions",
        10,
        1,
        &[
            "DeleteAccountSetting",
            "PutAccountSetting",
            "PutAccountSettingDefault",
        ],
    ),
    ("Setting read actions", 50, 20, &["ListAccountSettings"]),
    (
        "Cluster resource modify actions",
        100,
        40,
        &[
            "DeleteAttributes",
            "DeregisterContainerInstance",
            "ExecuteCommand",
            "PutAttributes",
            "RunTask",
            "StartTask",
            "StopTask",
            "UpdateContainerAgent",
            "UpdateContainerInstancesStates",
        ],
    ),
    (
        "Cluster resource read actions",
        100,
        20,
        &[
            "DescribeContainerInstances",
            "DescribeTasks",
            "ListAttributes",
            "ListContainerInstances",
            "ListTasks",
        ],
    ),
    (
        "Agent modify actions",
        200,
        120,
        &[
            "RegisterContainerInstance",
            "SubmitAttachmentStateChanges",
            "SubmitContainerStateChange",
            "SubmitTaskStateChange",
        ],
    ),
    (
        "Service modify actions",
        50,
        5,
        &["CreateService", "DeleteService", "UpdateService"],
    ),
    (
        "Service read actions",
        100,
        20,
        &["DescribeServices", "ListServices"],
    ),
    (
        "Service deployment actions",
        50,
        20,
        &["DescribeServiceDeployments", "ListServiceDeployments"],
    ),
    (
        "Service revision actions",
        50,
        20,
        &["DescribeServiceRevisions"],
    ),
    (
        "Task protection actions",
        200,
        80,
        &["UpdateTaskProtection", "GetTaskProtection"],
    ),
    (
        "Cluster service resource read actions",
        10,
        1,
        &["ListServicesByNamespace"],
    ),
];

/// The share of each documented quota ristretto allows itself: the account's buckets are
/// shared with other callers, and requests arrive at AWS a little bunched by the network.
const SHARE: f64 = 0.9;
/// The lowest share of a family's refill rate throttling can push the budget to.
const SLOWEST: f64 = 0.05;
/// How much of the full rate comes back per second without throttling.
const RECOVERY_PER_SECOND: f64 = 0.1;

/// The ECS category (index into `FAMILIES`) of `operation`, if the page lists it.
fn family_of(operation: &str) -> Option<usize> {
    FAMILIES
        .iter()
        .position(|(_, _, _, actions)| actions.contains(&operation))
}

/// One family's bucket. `tokens` may go below zero: a request that found the bucket empty
/// reserved a future token and waits for it, so waiters go in the order they came.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    rate: f64,
    /// The share of `rate` in force (lowered by throttling, recovering over time).
    factor: f64,
    stamp: Instant,
}

impl Bucket {
    fn new(burst: u32, refill: u32, now: Instant) -> Self {
        let capacity = (f64::from(burst) * SHARE).max(1.0);
        Self {
            tokens: capacity,
            capacity,
            rate: f64::from(refill) * SHARE,
            factor: 1.0,
            stamp: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.stamp).as_secs_f64();
        self.factor = (self.factor + elapsed * RECOVERY_PER_SECOND).min(1.0);
        self.tokens = (self.tokens + elapsed * self.rate * self.factor).min(self.capacity);
        self.stamp = now;
    }

    /// Takes a token; returns how long to wait before using it.
    fn reserve(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / (self.rate * self.factor))
        }
    }
}

/// What the budget saw, for benchmarks and debug output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BudgetStats {
    /// ECS requests sent (attempts, retries included).
    pub requests: u64,
    /// Requests that waited for a token.
    pub delayed: u64,
    /// ThrottlingExceptions AWS answered.
    pub throttled: u64,
}

/// The request budget of one account and region (see the module doc).
#[derive(Debug)]
pub struct Budget {
    buckets: Mutex<HashMap<usize, Bucket>>,
    stats: Mutex<BudgetStats>,
}

impl Budget {
    fn new() -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            stats: Mutex::new(BudgetStats::default()),
        }
    }

    /// The budget shared by every client of the process with the same `key` (the account and
    /// region as the environment names them: region, credentials, profile, role, endpoint).
    pub fn shared(key: &str) -> Arc<Self> {
        static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<Budget>>>> = OnceLock::new();
        let registry = REGISTRY.get_or_init(Default::default);
        match registry.lock() {
            Ok(mut map) => map
                .entry(key.to_owned())
                .or_insert_with(|| Arc::new(Self::new()))
                .clone(),
            Err(_) => Arc::new(Self::new()),
        }
    }

    /// Waits until `operation` may be sent (at once when its family has tokens).
    pub async fn acquire(&self, operation: &str) {
        let wait = self.reserve(operation);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    fn reserve(&self, operation: &str) -> Duration {
        let wait = family_of(operation).map_or(Duration::ZERO, |family| {
            let (_, burst, refill, _) = FAMILIES[family];
            let now = Instant::now();
            self.buckets.lock().map_or(Duration::ZERO, |mut buckets| {
                buckets
                    .entry(family)
                    .or_insert_with(|| Bucket::new(burst, refill, now))
                    .reserve(now)
            })
        });
        if let Ok(mut stats) = self.stats.lock() {
            stats.requests += 1;
            stats.delayed += u64::from(!wait.is_zero());
        }
        wait
    }

    /// AWS throttled `operation`: its family slows to half its current rate and loses what is
    /// left in its bucket.
    pub fn throttled(&self, operation: &str) {
        if let Some(family) = family_of(operation)
            && let Ok(mut buckets) = self.buckets.lock()
            && let Some(bucket) = buckets.get_mut(&family)
        {
            bucket.refill(Instant::now());
            bucket.factor = (bucket.factor * 0.5).max(SLOWEST);
            bucket.tokens = bucket.tokens.min(0.0);
        }
        if let Ok(mut stats) = self.stats.lock() {
            stats.throttled += 1;
        }
    }

    /// What the budget saw so far.
    pub fn stats(&self) -> BudgetStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }
}

/// An HTTP client whose requests wait for the budget first: ECS's awsJson protocol names the
/// operation in the `X-Amz-Target` header (`AmazonEC2ContainerServiceV20141113.DescribeServices`).
#[derive(Debug, Clone)]
pub struct Budgeted {
    /// The client that sends the requests.
    pub inner: SharedHttpClient,
    /// The budget the requests wait for.
    pub budget: Arc<Budget>,
}

impl HttpClient for Budgeted {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(BudgetedConnector {
            inner: self.inner.http_connector(settings, components),
            budget: self.budget.clone(),
        })
    }
}

#[derive(Debug)]
struct BudgetedConnector {
    inner: SharedHttpConnector,
    budget: Arc<Budget>,
}

impl HttpConnector for BudgetedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or_default()
            .to_owned();
        let inner = self.inner.clone();
        let budget = self.budget.clone();
        HttpConnectorFuture::new(async move {
            budget.acquire(&operation).await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_free_then_requests_wait_for_the_refill() {
        let start = Instant::now();
        // Service read actions: burst 100, refill 20/s; 90% of it is ristretto's.
        let mut bucket = Bucket::new(100, 20, start);
        for _ in 0..90 {
            assert_eq!(bucket.reserve(start), Duration::ZERO);
        }
        let wait = bucket.reserve(start);
        assert!((wait.as_secs_f64() - 1.0 / 18.0).abs() < 1e-6, "{wait:?}");
        // A second later 18 tokens came back, one of them already reserved.
        let later = start + Duration::from_secs(1);
        for _ in 0..17 {
            assert_eq!(bucket.reserve(later), Duration::ZERO);
        }
        assert!(bucket.reserve(later) > Duration::ZERO);
    }

    #[test]
    fn throttling_halves_the_rate_which_recovers() {
        let budget = Budget::new();
        assert_eq!(budget.reserve("DescribeServices"), Duration::ZERO);
        budget.throttled("DescribeServices");
        let wait = budget.reserve("DescribeServices");
        assert!(wait > Duration::from_millis(100), "{wait:?}");
        assert_eq!(budget.stats().throttled, 1);
        assert_eq!(budget.stats().requests, 2);
        // Unlisted actions are not budgeted.
        assert_eq!(budget.reserve("ContinueServiceDeployment"), Duration::ZERO);
        assert_eq!(family_of("UpdateService"), Some(14));
        assert_eq!(FAMILIES[14].0, "Service modify actions");
    }
}
