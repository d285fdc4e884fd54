//! ecspresso's `tfstate` plugin: where its state lives (`config: {path: …}` relative to the
//! config file, or `config: {url: …}` with the URLs fujiwara/tfstate-lookup reads: `s3://`,
//! `gs://`, `azurerm://`, `remote://` (Terraform Cloud / Enterprise), `https://`, `file://` or a
//! path), reading it once per run on first use (S3 through GetObject; HTTP(S) with a GET, as
//! Terraform's `http` backend serves it; the others in `tfstate_source/`), `optional: true` (a
//! missing state is a warning and an empty state), and the `tfstate`/`tfstatef` functions over
//! it. Address resolution is in `tfstate`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

mod azure;
mod gcs;
mod google_auth;
mod remote;

use super::tfstate::State;
use super::{AwsLookups, Warn, text_arg};
use crate::aws::Clients;
use crate::render::{Function, FunctionRegistry};

/// Where a `tfstate` plugin reads its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local file.
    File(PathBuf),
    /// An S3 object (`s3://BUCKET/KEY`).
    S3 {
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
    },
    /// A state served over HTTP(S) (`https://…`, e.g. Terraform's `http` backend).
    Http(String),
    /// A Google Cloud Storage object (`gs://BUCKET/KEY`).
    Gcs {
        /// The bucket.
        bucket: String,
        /// The object name.
        key: String,
    },
    /// An Azure Storage blob
    /// (`azurerm://[SUBSCRIPTION@]RESOURCE_GROUP/ACCOUNT/CONTAINER/BLOB`).
    Azure(azure::Blob),
    /// A Terraform Cloud / Enterprise workspace's current state
    /// (`remote://HOST/ORGANIZATION/WORKSPACE`).
    Remote(remote::Workspace),
}

/// The largest state read over HTTP.
const MAX_HTTP_STATE_BYTES: usize = 256 * 1024 * 1024;

impl Location {
    /// Reads a `tfstate` entry's `config`: `path` (relative to `base`, the config file's
    /// directory), else `url`: `s3://BUCKET/KEY`, `gs://BUCKET/KEY`,
    /// `azurerm://[SUBSCRIPTION@]RESOURCE_GROUP/ACCOUNT/CONTAINER/BLOB`,
    /// `remote://HOST/ORGANIZATION/WORKSPACE`, `file://PATH` or a bare path (relative ones also
    /// against `base`; ecspresso resolves a relative `url` against the working directory),
    /// `https://…` or `http://…`. Other schemes are errors.
    pub fn from_config(config: &Value, base: &Path) -> Result<Self, String> {
        let text = |key: &str| match config.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(other) => Err(format!(
                "`config.{key}` must be a non-empty string, got {other}"
            )),
        };
        let local = |path: &str| {
            let path = Path::new(path);
            if path.is_absolute() {
                path.to_path_buf()
            } else {
                base.join(path)
            }
        };
        if let Some(path) = text("path")? {
            return Ok(Self::File(local(&path)));
        }
        let Some(url) = text("url")? else {
            return Err(
                "needs `config.path` (a state file) or `config.url` (s3://BUCKET/KEY or https://…)"
                    .to_owned(),
            );
        };
        let bucket_and_key = |rest: &str, scheme: &str| match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => {
                Ok((bucket.to_owned(), key.to_owned()))
            }
            _ => Err(format!("`{url}` is not {scheme}://BUCKET/KEY")),
        };
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, key) = bucket_and_key(rest, "s3")?;
            return Ok(Self::S3 { bucket, key });
        }
        if let Some(rest) = url.strip_prefix("gs://") {
            let (bucket, key) = bucket_and_key(rest, "gs")?;
            return Ok(Self::Gcs { bucket, key });
        }
        if let Some(rest) = url.strip_prefix("azurerm://") {
            return azure::Blob::parse(rest)
                .map(Self::Azure)
                .ok_or_else(|| format!("`{url}` is not {}", azure::Blob::SYNTAX));
        }
        if let Some(rest) = url.strip_prefix("remote://") {
            return remote::Workspace::parse(rest)
                .map(Self::Remote)
                .ok_or_else(|| format!("`{url}` is not {}", remote::Workspace::SYNTAX));
        }
        if let Some(path) = url.strip_prefix("file://") {
            return Ok(Self::File(local(path)));
        }
        if url.starts_with("https://") || url.starts_with("http://") {
            return Ok(Self::Http(url));
        }
        match url.split_once("://") {
            Some((scheme, _)) => Err(format!(
                "`{url}`: the {scheme}:// scheme is not supported (use s3://, gs://, azurerm://, remote://, https://, file:// or a path)"
            )),
            None => Ok(Self::File(local(&url))),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            Self::Http(url) => write!(f, "{}", crate::fetch::redact(url)),
            Self::Gcs { bucket, key } => write!(f, "gs://{bucket}/{key}"),
            Self::Azure(blob) => write!(f, "{blob}"),
            Self::Remote(workspace) => write!(f, "{workspace}"),
        }
    }
}

/// One `tfstate` plugin entry's state, read on first use and kept for the run.
pub struct TfstateSource {
    location: Location,
    optional: bool,
    lookups: Arc<AwsLookups>,
    warn: Warn,
    state: OnceLock<Result<Arc<State>, String>>,
}

impl TfstateSource {
    /// A source for `location`; with `optional`, a missing state reads as empty (with a
    /// warning through `warn`).
    pub fn new(location: Location, optional: bool, lookups: Arc<AwsLookups>, warn: Warn) -> Self {
        Self {
            location,
            optional,
            lookups,
            warn,
            state: OnceLock::new(),
        }
    }

    /// The state, read and parsed the first time.
    pub fn state(&self) -> Result<Arc<State>, String> {
        self.state.get_or_init(|| self.load().map(Arc::new)).clone()
    }

    /// Resolves `address` in the state.
    pub fn lookup(&self, address: &str) -> Result<Value, String> {
        self.state()?.lookup(address).map_err(|err| err.to_string())
    }

    fn load(&self) -> Result<State, String> {
        let origin = self.location.to_string();
        let what = match &self.location {
            Location::File(_) => "state file",
            _ => "state",
        };
        let wrap = |read: Result<Fetched, String>| {
            read.map_err(|reason| format!("cannot read {what} {origin}: {reason}"))
        };
        let fetched = match &self.location {
            Location::File(path) => match std::fs::read(path) {
                Ok(bytes) => Fetched::Bytes(bytes),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    Fetched::Missing(err.to_string())
                }
                Err(err) => return Err(format!("cannot read {what} {origin}: {err}")),
            },
            Location::S3 { bucket, key } => self.get_object(bucket, key)?,
            Location::Http(url) => match crate::fetch::get(url, MAX_HTTP_STATE_BYTES) {
                // Terraform's http backend answers an empty body when there is no state yet.
                Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
                    Fetched::Missing("it answered an empty body (no state yet)".to_owned())
                }
                Ok(bytes) => Fetched::Bytes(bytes),
                Err(err) if err.status == Some(404) => Fetched::Missing(err.message),
                Err(err) => return Err(format!("cannot read {what} {origin}: {err}")),
            },
            Location::Gcs { bucket, key } => wrap(gcs::read(bucket, key))?,
            Location::Azure(blob) => wrap(azure::read(blob))?,
            Location::Remote(workspace) => wrap(remote::read(workspace))?,
        };
        match fetched {
            Fetched::Bytes(bytes) => State::parse(&bytes, &origin).map_err(|err| err.to_string()),
            Fetched::Missing(_) if self.optional => {
                (self.warn)(&format!(
                    "tfstate: {origin} does not exist; `optional: true`, so it is read as an empty state"
                ));
                Ok(State::empty(&origin))
            }
            Fetched::Missing(reason) => Err(format!("cannot read {what} {origin}: {reason}")),
        }
    }

    /// The object's bytes, or why it is missing when the bucket or key does not exist.
    fn get_object(&self, bucket: &str, key: &str) -> Result<Fetched, String> {
        let origin = self.location.to_string();
        self.lookups.call(async |clients: &Clients| {
            let s3: aws_sdk_s3::Client = clients.client();
            let output = match s3.get_object().bucket(bucket).key(key).send().await {
                Ok(output) => output,
                Err(err) => {
                    let reason = crate::aws::describe_error(&err);
                    let missing = err.as_service_error().is_some_and(|e| {
                        use aws_smithy_types::error::metadata::ProvideErrorMetadata;
                        e.is_no_such_key() || matches!(e.code(), Some("NoSuchBucket" | "NotFound"))
                    });
                    if missing {
                        return Ok(Fetched::Missing(reason));
                    }
                    return Err(format!("cannot read state {origin}: {reason}"));
                }
            };
            let body = output
                .body
                .collect()
                .await
                .map_err(|err| format!("cannot read state {origin}: {err}"))?;
            Ok(Fetched::Bytes(body.into_bytes().to_vec()))
        })
    }
}

/// What reading a state gave.
enum Fetched {
    Bytes(Vec<u8>),
    /// It does not exist; why, in the words of the file system or the storage service.
    Missing(String),
}

/// How long a read from Azure, GCS or Terraform Cloud waits to connect, for the first byte and
/// between bytes.
const REMOTE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The largest state read from Azure, GCS or Terraform Cloud (as over HTTP).
const MAX_REMOTE_STATE_BYTES: usize = MAX_HTTP_STATE_BYTES;

/// The largest API answer (JSON, XML error bodies) read while looking for a state.
const MAX_API_BYTES: usize = 1024 * 1024;

/// Environment variable `name`, or `None` when it is unset or empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// `status` in words (`404 Not Found`).
fn status_text(status: u16) -> String {
    http::StatusCode::from_u16(status).map_or_else(|_| status.to_string(), |s| s.to_string())
}

/// Registers `tfstate ADDRESS` and `tfstatef FORMAT ARGS…` (Go's Sprintf into the address)
/// over `source`, under `prefix`. In Go templates non-string values come out as JSON; Jsonnet
/// gets the value itself.
pub fn register(
    registry: &mut FunctionRegistry,
    prefix: &str,
    source: Arc<TfstateSource>,
) -> Result<(), crate::render::Error> {
    let s = source.clone();
    registry.register(
        prefix,
        Function::new("tfstate", &["address"], move |args| {
            s.lookup(&text_arg(args, 0, "tfstate")?)
        })
        .json_in_templates()
        .with_origin("plugin `tfstate`"),
    )?;
    registry.register(
        prefix,
        Function::new("tfstatef", &["format"], move |args| {
            let format = text_arg(args, 0, "tfstatef")?;
            source.lookup(&crate::render::gotemplate::sprintf(
                &format,
                args.get(1..).unwrap_or_default(),
            ))
        })
        .variadic()
        .json_in_templates()
        .with_origin("plugin `tfstate`"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn locations() {
        let base = Path::new("/conf");
        let file = |p: &str| Ok(Location::File(PathBuf::from(p)));
        assert_eq!(
            Location::from_config(&json!({"path": "tf/terraform.tfstate"}), base),
            file("/conf/tf/terraform.tfstate")
        );
        assert_eq!(
            Location::from_config(&json!({"path": "/abs.tfstate", "url": "s3://x/y"}), base),
            file("/abs.tfstate")
        );
        assert_eq!(
            Location::from_config(&json!({"url": "s3://bucket/env/app.tfstate"}), base),
            Ok(Location::S3 {
                bucket: "bucket".to_owned(),
                key: "env/app.tfstate".to_owned()
            })
        );
        assert_eq!(
            Location::from_config(&json!({"url": "file:///tmp/a.tfstate"}), base),
            file("/tmp/a.tfstate")
        );
        assert_eq!(
            Location::from_config(&json!({"url": "file://a.tfstate"}), base),
            file("/conf/a.tfstate")
        );
        assert_eq!(
            Location::from_config(&json!({"url": "./a.tfstate"}), base),
            file("/conf/./a.tfstate")
        );
        assert_eq!(
            Location::from_config(&json!({"url": "https://tf.example.com/state/app"}), base),
            Ok(Location::Http(
                "https://tf.example.com/state/app".to_owned()
            ))
        );
    }

    #[test]
    fn remote_locations() {
        let base = Path::new("/conf");
        let location = |url: &str| Location::from_config(&json!({ "url": url }), base).unwrap();
        for url in [
            "gs://bucket/env/app.tfstate",
            "azurerm://sub@rg/account/container/env/app.tfstate",
            "remote://app.terraform.io/acme/web",
        ] {
            assert_eq!(location(url).to_string(), url, "shown as written");
        }
        assert_eq!(
            location("gs://bucket/env/app.tfstate"),
            Location::Gcs {
                bucket: "bucket".to_owned(),
                key: "env/app.tfstate".to_owned()
            }
        );
        assert!(matches!(
            location("azurerm://rg/account/container/key"),
            Location::Azure(blob) if blob.account == "account" && blob.name == "key"
        ));
        assert!(matches!(
            location("remote://tfe.example.com/acme/web"),
            Location::Remote(workspace) if workspace.organization == "acme"
        ));
    }

    #[test]
    fn bad_locations() {
        let base = Path::new("/conf");
        let err = |config: Value| Location::from_config(&config, base).unwrap_err();
        assert!(err(json!({})).contains("needs `config.path`"));
        assert!(err(Value::Null).contains("needs `config.path`"));
        assert!(err(json!({"url": "s3://bucket"})).contains("not s3://BUCKET/KEY"));
        assert!(err(json!({"url": "s3:///key"})).contains("not s3://BUCKET/KEY"));
        assert!(err(json!({"url": "gs://bucket"})).contains("not gs://BUCKET/KEY"));
        assert!(
            err(json!({"url": "azurerm://rg/account/container"})).contains("is not azurerm://")
        );
        assert!(err(json!({"url": "remote://app.terraform.io/org"})).contains("is not remote://"));
        assert!(err(json!({"url": "consul://a/b"})).contains("consul:// scheme is not supported"));
        assert!(err(json!({"path": 3})).contains("`config.path` must be a non-empty string"));
    }

    #[test]
    fn missing_files_are_errors_unless_optional() {
        let dir = tempfile::tempdir().unwrap();
        let warnings = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = warnings.clone();
        let warn: Warn = Arc::new(move |m: &str| sink.lock().unwrap().push(m.to_owned()));
        let lookups = AwsLookups::new(Default::default());
        let missing = Location::File(dir.path().join("none.tfstate"));
        let source = TfstateSource::new(missing.clone(), false, lookups.clone(), warn.clone());
        let message = source.lookup("aws_vpc.main.id").unwrap_err();
        assert!(
            message.contains("cannot read state file")
                && message.contains("none.tfstate: No such file"),
            "{message}"
        );
        let source = TfstateSource::new(missing, true, lookups.clone(), warn.clone());
        let message = source.lookup("aws_vpc.main.id").unwrap_err();
        assert!(message.contains("the state is empty"), "{message}");
        source.lookup("output.x").unwrap_err();
        assert_eq!(warnings.lock().unwrap().len(), 1, "warned once");

        let path = dir.path().join("terraform.tfstate");
        std::fs::write(
            &path,
            r#"{"version": 4, "outputs": {"n": {"value": 3, "type": "number"}}, "resources": [
              {"mode": "managed", "type": "aws_subnet", "name": "s", "instances": [
                {"index_key": 0, "attributes": {"id": "subnet-0"}},
                {"index_key": 1, "attributes": {"id": "subnet-1"}}]}]}"#,
        )
        .unwrap();
        let mut registry = FunctionRegistry::default();
        let source = TfstateSource::new(Location::File(path), false, lookups, warn);
        register(&mut registry, "first_", Arc::new(source)).unwrap();
        use crate::render::gotemplate::FunctionSource;
        assert_eq!(
            registry.call("first_tfstatef", &[json!("aws_subnet.s[%d].id"), json!(1)]),
            Ok(json!("subnet-1"))
        );
        assert_eq!(
            registry.call("first_tfstatef", &[json!("output.%s"), json!("n")]),
            Ok(json!("3")),
            "templates get text"
        );
        let jsonnet = registry.get("first_tfstate").unwrap();
        assert_eq!(jsonnet.call(&[json!("output.n")]), Ok(json!(3)));
        assert_eq!(
            jsonnet.call(&[json!("aws_subnet.s")]).unwrap()[1]["id"],
            json!("subnet-1")
        );
    }
}
