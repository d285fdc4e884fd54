//! Terraform state lookups, as fujiwara/tfstate-lookup (ecspresso's `tfstate` plugin) does
//! them: parses a state in format version 4 and resolves addresses such as `aws_vpc.main.id`,
//! `data.aws_caller_identity.current.account_id`, `module.net.aws_subnet.private[0].id`,
//! `aws_instance.web["key"].id` and `output.vpc_id`, with attribute paths (`tags.Name`,
//! `subnets[1]`, `tags["kubernetes.io/role"]`). Pure: reading files and S3 objects is the
//! caller's job; this module only sees bytes.
//!
//! Differs from tfstate-lookup on purpose: a counted or `for_each` resource named without an
//! index resolves to all its instances (a list, or an object by key) instead of "not found",
//! and a failed lookup says which part did not match and lists nearby addresses.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// The only state format version read (Terraform 0.12 and later write it).
pub const STATE_VERSION: u64 = 4;

/// How many addresses or keys an error lists.
const SUGGESTIONS: usize = 5;

/// Why a state could not be read or an address not resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The state is not JSON, or not shaped like a state.
    #[error("{origin} is not a Terraform state: {message}")]
    Invalid {
        /// Where the state came from (a file or an `s3://` URL).
        origin: String,
        /// The JSON parser's message.
        message: String,
    },
    /// A state in another format version.
    #[error(
        "{origin}: unsupported state format version {version} (version {STATE_VERSION}, written by Terraform 0.12 and later, is supported)"
    )]
    Version {
        /// Where the state came from.
        origin: String,
        /// The version found (0 when missing).
        version: u64,
    },
    /// A `.terraform/terraform.tfstate` backend pointer instead of a state.
    #[error(
        "{origin} is a backend configuration (backend `{backend}`), not a state; point the tfstate plugin at the state itself (e.g. `url: s3://BUCKET/KEY`)"
    )]
    BackendPointer {
        /// Where the pointer came from.
        origin: String,
        /// The backend type (`s3`, `remote`, …).
        backend: String,
    },
    /// An address that cannot be parsed (e.g. an unclosed bracket).
    #[error("invalid address `{address}`: {message}")]
    Address {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        message: String,
    },
    /// An address that names nothing in the state, or a null value.
    #[error("`{address}` not found in {origin}: {reason}")]
    NotFound {
        /// The address as given.
        address: String,
        /// Where the state came from.
        origin: String,
        /// Which part did not match, and what is there instead.
        reason: String,
    },
}

/// A parsed state: every resource instance, data source and output by its address.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    origin: String,
    entries: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct RawState {
    version: Option<u64>,
    #[serde(default)]
    resources: Vec<RawResource>,
    #[serde(default)]
    outputs: BTreeMap<String, Value>,
    backend: Option<RawBackend>,
}

#[derive(Deserialize)]
struct RawBackend {
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Deserialize)]
struct RawResource {
    #[serde(default)]
    module: String,
    mode: String,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    instances: Vec<RawInstance>,
}

#[derive(Deserialize)]
struct RawInstance {
    index_key: Option<Value>,
    attributes: Option<Value>,
    attributes_flat: Option<Value>,
}

impl State {
    /// Parses a state read from `origin` (named in errors).
    pub fn parse(bytes: &[u8], origin: &str) -> Result<Self, Error> {
        let raw: RawState = serde_json::from_slice(bytes).map_err(|err| Error::Invalid {
            origin: origin.to_owned(),
            message: err.to_string(),
        })?;
        if let Some(backend) = raw.backend {
            return Err(Error::BackendPointer {
                origin: origin.to_owned(),
                backend: backend.kind,
            });
        }
        let version = raw.version.unwrap_or(0);
        if version != STATE_VERSION {
            return Err(Error::Version {
                origin: origin.to_owned(),
                version,
            });
        }
        let mut entries = BTreeMap::new();
        for (name, output) in raw.outputs {
            entries.insert(format!("output.{name}"), output_value(output));
        }
        // Instances of counted and for_each resources, grouped under the bare address.
        let mut groups: BTreeMap<String, Vec<(Value, Value)>> = BTreeMap::new();
        for resource in raw.resources {
            let mut base = String::new();
            if !resource.module.is_empty() {
                base.push_str(&resource.module);
                base.push('.');
            }
            match resource.mode.as_str() {
                "managed" => {}
                "data" => base.push_str("data."),
                _ => continue,
            }
            base.push_str(&format!("{}.{}", resource.kind, resource.name));
            if resource.mode == "data" && resource.kind == "terraform_remote_state" {
                // Its `outputs` attribute holds {value, type}; expose the values.
                if let Some(Value::Object(attributes)) = resource
                    .instances
                    .into_iter()
                    .next()
                    .and_then(|i| i.attributes)
                {
                    let data = attributes
                        .into_iter()
                        .map(|(k, v)| (k, output_value(v)))
                        .collect();
                    entries.insert(base, Value::Object(data));
                }
                continue;
            }
            for instance in resource.instances {
                let attributes = instance
                    .attributes
                    .or(instance.attributes_flat)
                    .unwrap_or(Value::Null);
                match instance.index_key {
                    None | Some(Value::Null) => {
                        entries.insert(base.clone(), attributes);
                    }
                    Some(key) => {
                        let text = serde_json::to_string(&key).unwrap_or_default();
                        entries.insert(format!("{base}[{text}]"), attributes.clone());
                        groups
                            .entry(base.clone())
                            .or_default()
                            .push((key, attributes));
                    }
                }
            }
        }
        for (address, instances) in groups {
            entries.entry(address).or_insert_with(|| group(instances));
        }
        Ok(Self {
            origin: origin.to_owned(),
            entries,
        })
    }

    /// A state with nothing in it (an optional state that does not exist).
    pub fn empty(origin: &str) -> Self {
        Self {
            origin: origin.to_owned(),
            entries: BTreeMap::new(),
        }
    }

    /// Where the state came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Every address the state holds (outputs as `output.NAME`), sorted.
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Resolves `address` to the value it names: an attribute, a whole resource's attributes
    /// object, an output's value, or the instances of a counted resource. Single quotes are read
    /// as double quotes (`aws_instance.web['a']`), as ecspresso's template function does. A
    /// null value is not found, as in tfstate-lookup.
    pub fn lookup(&self, address: &str) -> Result<Value, Error> {
        let normalized = address.trim().replace('\'', "\"");
        if normalized.is_empty() {
            return Err(Error::Address {
                address: address.to_owned(),
                message: "the address is empty".to_owned(),
            });
        }
        let Some((base, value)) = self.longest_match(&normalized) else {
            return Err(self.not_found(address, self.unmatched(&normalized)));
        };
        let path = parse_path(&normalized[base.len()..]).map_err(|message| Error::Address {
            address: address.to_owned(),
            message,
        })?;
        let mut current = value;
        let mut walked = base.to_owned();
        for segment in &path {
            current = step(current, segment, &walked).map_err(|r| self.not_found(address, r))?;
            walked.push_str(&segment.to_string());
        }
        if current.is_null() {
            return Err(self.not_found(address, format!("`{walked}` is null in the state")));
        }
        Ok(current.clone())
    }

    /// The entry whose address is the longest prefix of `address` ending at a `.` or `[`.
    fn longest_match(&self, address: &str) -> Option<(&str, &Value)> {
        self.entries
            .iter()
            .filter(|(key, _)| {
                address.strip_prefix(key.as_str()).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
                })
            })
            .max_by_key(|(key, _)| key.len())
            .map(|(key, value)| (key.as_str(), value))
    }

    fn not_found(&self, address: &str, reason: String) -> Error {
        Error::NotFound {
            address: address.to_owned(),
            origin: self.origin.clone(),
            reason,
        }
    }

    /// Says which part of an address that matches no entry went wrong, and suggests entries.
    fn unmatched(&self, address: &str) -> String {
        if self.entries.is_empty() {
            return "the state is empty".to_owned();
        }
        let parts = components(address);
        let matched = self
            .entries
            .keys()
            .map(|key| common_components(&parts, &components(key)))
            .max()
            .unwrap_or(0);
        // Nearest first: most leading parts in common, then fewest edits.
        let mut nearest: Vec<(std::cmp::Reverse<usize>, usize, &str)> = self
            .entries
            .keys()
            .map(|key| {
                let key_parts = components(key);
                let width = key_parts.len().min(parts.len());
                (
                    std::cmp::Reverse(common_components(&parts, &key_parts)),
                    strsim::levenshtein(key, &parts[..width].join(".")),
                    key.as_str(),
                )
            })
            .collect();
        nearest.sort();
        let nearest: Vec<&str> = nearest
            .into_iter()
            .take(SUGGESTIONS)
            .map(|(_, _, k)| k)
            .collect();
        let missing = parts.get(matched).cloned().unwrap_or_default();
        let what = if matched == 0 {
            format!("no address starts with `{missing}`")
        } else {
            format!(
                "nothing under `{}` is named `{missing}`",
                parts[..matched].join(".")
            )
        };
        format!(
            "{what}; nearest of {} addresses: {}",
            self.entries.len(),
            nearest.join(", ")
        )
    }
}

/// An output's value: outputs are stored as `{"value": …, "type": …}`.
fn output_value(output: Value) -> Value {
    match output {
        Value::Object(mut map) if map.contains_key("value") => {
            map.remove("value").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// All instances of a resource: a list by index for `count`, an object by key for `for_each`.
fn group(mut instances: Vec<(Value, Value)>) -> Value {
    if instances.iter().all(|(key, _)| key.is_u64()) {
        instances.sort_by_key(|(key, _)| key.as_u64());
        Value::Array(instances.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(
            instances
                .into_iter()
                .map(|(key, v)| match key {
                    Value::String(s) => (s, v),
                    other => (other.to_string(), v),
                })
                .collect(),
        )
    }
}

/// One step of an attribute path.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// `.name` or `["name"]`.
    Key(String),
    /// `[n]`, or `[-n]` counting from the end.
    Index(i64),
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Key(key) if key.contains(['.', '[', ']', '"']) => {
                write!(f, "[{}]", Value::from(key.as_str()))
            }
            Self::Key(key) => write!(f, ".{key}"),
            Self::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// Parses the part of an address after the matched entry: `.a.b[0]["c.d"]`.
fn parse_path(text: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        match first {
            '.' => {
                let end = rest[1..].find(['.', '[']).map_or(rest.len(), |i| i + 1);
                let name = &rest[1..end];
                if name.is_empty() {
                    return Err(format!("empty attribute name before `{}`", &rest[1..]));
                }
                segments.push(Segment::Key(name.to_owned()));
                rest = &rest[end..];
            }
            '[' => {
                let (inner, after) = bracket(&rest[1..])?;
                segments.push(match inner.parse::<i64>() {
                    Ok(index) => Segment::Index(index),
                    Err(_) => Segment::Key(unquote(inner)?),
                });
                rest = after;
            }
            other => return Err(format!("expected `.` or `[` at `{other}`")),
        }
    }
    Ok(segments)
}

/// Splits `…]rest` at the closing bracket, skipping brackets inside a quoted key.
fn bracket(text: &str) -> Result<(&str, &str), String> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return Ok((text[..i].trim(), &text[i + 1..])),
            _ => {}
        }
    }
    Err("unclosed `[`".to_owned())
}

/// A bracket key: `"a.b"` (JSON string) or a bare word.
fn unquote(inner: &str) -> Result<String, String> {
    if inner.starts_with('"') {
        serde_json::from_str(inner).map_err(|_| format!("bad quoted key `{inner}`"))
    } else if inner.is_empty() {
        Err("empty `[]`".to_owned())
    } else {
        Ok(inner.to_owned())
    }
}

/// Applies one segment to `value`, or says why it does not apply (`walked` names `value`).
fn step<'v>(value: &'v Value, segment: &Segment, walked: &str) -> Result<&'v Value, String> {
    match (value, segment) {
        (Value::Object(map), Segment::Key(key)) => map.get(key).ok_or_else(|| {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            format!("`{walked}` has no `{key}` (it has: {})", list(&keys))
        }),
        (Value::Array(items), Segment::Index(index)) => {
            let position = if *index < 0 {
                i64::try_from(items.len()).unwrap_or(i64::MAX) + index
            } else {
                *index
            };
            usize::try_from(position)
                .ok()
                .and_then(|i| items.get(i))
                .ok_or_else(|| {
                    format!(
                        "`{walked}` has {} items; [{index}] is out of range",
                        items.len()
                    )
                })
        }
        (Value::Array(items), Segment::Key(key)) => match key.parse::<usize>() {
            Ok(i) => items.get(i).ok_or_else(|| {
                format!(
                    "`{walked}` has {} items; .{key} is out of range",
                    items.len()
                )
            }),
            Err(_) => Err(format!(
                "`{walked}` is a list of {} items; index it with [N], not `.{key}`",
                items.len()
            )),
        },
        (Value::Object(_), Segment::Index(index)) => Err(format!(
            "`{walked}` is an object, not a list; [{index}] does not apply"
        )),
        (Value::Null, _) => Err(format!("`{walked}` is null in the state")),
        (scalar, _) => Err(format!(
            "`{walked}` is a {} ({scalar}); `{segment}` does not apply",
            kind(scalar)
        )),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        return "nothing".to_owned();
    }
    let shown = items
        .iter()
        .take(10)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > 10 {
        format!("{shown}, … {} in all", items.len())
    } else {
        shown
    }
}

/// Splits an address at the dots outside brackets: `module.m.aws_x.y["a.b"].id` gives
/// `module`, `m`, `aws_x`, `y["a.b"]`, `id`.
fn components(address: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    for c in address.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            '.' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
}

fn common_components(a: &[String], b: &[String]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests;
