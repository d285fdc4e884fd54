//! `remote://HOST/ORGANIZATION/WORKSPACE` states, in Terraform Cloud (`app.terraform.io`) or
//! Terraform Enterprise, as fujiwara/tfstate-lookup's `readTFE` reads them with the `TFE_TOKEN`
//! API token: the workspace (`GET /api/v2/organizations/ORG/workspaces/NAME`), its current state
//! version (`GET /api/v2/workspaces/ID/current-state-version`), then a plain GET of that
//! version's `hosted-state-download-url` (a signed URL, fetched without the token as
//! tfstate-lookup does). The API is always reached over HTTPS; `HOST` may carry a port.

use std::fmt;

use super::{Fetched, MAX_API_BYTES, MAX_REMOTE_STATE_BYTES, REMOTE_TIMEOUT, env, status_text};

/// The workspace a `remote://` URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// `app.terraform.io` or a Terraform Enterprise host name (with an optional `:port`).
    pub host: String,
    /// The organization.
    pub organization: String,
    /// The workspace name.
    pub name: String,
}

impl Workspace {
    /// The URL syntax, for messages.
    pub const SYNTAX: &'static str = "remote://HOST/ORGANIZATION/WORKSPACE";

    /// Parses what follows `remote://`; `None` unless it is exactly host, organization and
    /// workspace.
    pub fn parse(rest: &str) -> Option<Self> {
        let mut parts = rest.split('/');
        let (host, organization, name) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || [host, organization, name].iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(Self {
            host: host.to_owned(),
            organization: organization.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "remote://{}/{}/{}",
            self.host, self.organization, self.name
        )
    }
}

/// Reads the workspace's current state; a workspace the token cannot see or one without a
/// state yet is `Fetched::Missing` (Terraform Cloud answers 404 to both).
pub(super) fn read(workspace: &Workspace) -> Result<Fetched, String> {
    let token = env("TFE_TOKEN").ok_or_else(|| {
        format!(
            "TFE_TOKEN is not set; reading a state from {} needs an API token",
            workspace.host
        )
    })?;
    let api = format!("https://{}/api/v2", workspace.host);
    fn segment(s: &str) -> percent_encoding::PercentEncode<'_> {
        const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~');
        percent_encoding::utf8_percent_encode(s, UNRESERVED)
    }
    let url = format!(
        "{api}/organizations/{}/workspaces/{}",
        segment(&workspace.organization),
        segment(&workspace.name)
    );
    let id = match get_json(&url, &token)? {
        Ok(document) => document["data"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{url} answered without `data.id`"))?,
        Err(missing) => return Ok(missing),
    };
    let url = format!("{api}/workspaces/{}/current-state-version", segment(&id));
    let download = match get_json(&url, &token)? {
        Ok(document) => document["data"]["attributes"]["hosted-state-download-url"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                format!("{url} answered without `data.attributes.hosted-state-download-url`")
            })?,
        Err(missing) => return Ok(missing),
    };
    match crate::fetch::get(&download, MAX_REMOTE_STATE_BYTES) {
        Ok(bytes) => Ok(Fetched::Bytes(bytes)),
        Err(err) => Err(format!("downloading the current state version: {err}")),
    }
}

/// The JSON:API document `url` answers with, `Err(Missing)` for a 404, or why it failed.
fn get_json(url: &str, token: &str) -> Result<Result<serde_json::Value, Fetched>, String> {
    let authorization = format!("Bearer {token}");
    let headers = [
        ("authorization", authorization.as_str()),
        ("accept", "application/vnd.api+json"),
    ];
    let answer = crate::fetch::get_answer(url, &headers, MAX_API_BYTES, REMOTE_TIMEOUT)
        .map_err(|err| err.message)?;
    let document: Option<serde_json::Value> = serde_json::from_slice(&answer.body).ok();
    if (200..300).contains(&answer.status) {
        return document
            .map(Ok)
            .ok_or_else(|| format!("{url} answered something other than JSON"));
    }
    let reason = format!(
        "{url} answered {}{}",
        status_text(answer.status),
        document.as_ref().map_or_else(String::new, api_errors)
    );
    match answer.status {
        404 => Ok(Err(Fetched::Missing(format!(
            "{reason}: the workspace or its state does not exist, or the token cannot read it"
        )))),
        401 => Err(format!("{reason}: TFE_TOKEN was refused")),
        _ => Err(reason),
    }
}

/// ` (title: detail; …)` from a JSON:API `errors` array.
fn api_errors(document: &serde_json::Value) -> String {
    let Some(errors) = document["errors"].as_array().filter(|e| !e.is_empty()) else {
        return String::new();
    };
    let texts: Vec<String> = errors
        .iter()
        .map(|error| {
            let title = error["title"].as_str().unwrap_or_default();
            match error["detail"].as_str() {
                Some(detail) if !title.is_empty() => format!("{title}: {detail}"),
                Some(detail) => detail.to_owned(),
                None => title.to_owned(),
            }
        })
        .filter(|text| !text.is_empty())
        .collect();
    if texts.is_empty() {
        String::new()
    } else {
        format!(" ({})", texts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            Workspace::parse("app.terraform.io/acme/web-prod"),
            Some(Workspace {
                host: "app.terraform.io".to_owned(),
                organization: "acme".to_owned(),
                name: "web-prod".to_owned(),
            })
        );
        assert_eq!(
            Workspace::parse("127.0.0.1:8443/o/w").unwrap().to_string(),
            "remote://127.0.0.1:8443/o/w"
        );
        for bad in [
            "app.terraform.io/acme",
            "app.terraform.io/acme/w/x",
            "/o/w",
            "h//w",
        ] {
            assert_eq!(Workspace::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn json_api_errors() {
        let document = serde_json::json!({"errors": [
            {"status": "401", "title": "unauthorized"},
            {"title": "bad", "detail": "very"}
        ]});
        assert_eq!(api_errors(&document), " (unauthorized; bad: very)");
        assert_eq!(api_errors(&serde_json::json!({"data": {}})), "");
    }
}
