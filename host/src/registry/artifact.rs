//! The CNCF TAG Runtime "wasm OCI artifact" layout, as wkg (wasm-pkg-tools), Spin and runwasi
//! write it: an OCI image manifest whose config blob is `application/vnd.wasm.config.v0+json`
//! (`architecture: wasm`, `os: wasip2`, `layerDigests`, the component's imports and exports)
//! and whose one layer is the component, `application/wasm`. Pulling accepts any manifest with
//! exactly one wasm layer (also the older `application/vnd.wasm.content.layer.v1+wasm`), so
//! artifacts pushed by other tools load too. Every manifest and blob is checked against its
//! digest before it is returned.

use bytes::Bytes;
use serde_json::{Value, json};

use super::{Client, Error, Reference, digest_of};

/// The manifest media type of a wasm artifact.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The config media type of a wasm artifact.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The layer media type of a wasm artifact.
pub const LAYER_MEDIA_TYPE: &str = "application/wasm";
/// The layer media type wasm-to-oci and early Spin wrote.
const OLD_LAYER_MEDIA_TYPE: &str = "application/vnd.wasm.content.layer.v1+wasm";

/// The largest component ristretto pulls (the same cap as `url:` downloads).
pub const MAX_WASM_BYTES: usize = 64 * 1024 * 1024;

/// The component layer of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// `sha256:…` of the component.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A manifest fetched and checked.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Its digest (`sha256:…` of its bytes).
    pub digest: String,
    /// Its bytes, as the registry sent them.
    pub manifest: Vec<u8>,
    /// Its component layer.
    pub layer: Layer,
}

/// What the config blob says about the component.
#[derive(Debug, Clone, Default)]
pub struct ComponentInfo {
    /// Imported interface names (`wasi:http/outgoing-handler@0.2.6`, …).
    pub imports: Vec<String>,
    /// Exported interface names (`ristretto:plugin/gate@0.1.0`, …).
    pub exports: Vec<String>,
}

/// The one wasm layer of `manifest` (of `reference`, for messages).
pub fn wasm_layer(reference: &str, manifest: &[u8]) -> Result<Layer, Error> {
    let not_wasm = |message: String| Error::NotWasm {
        reference: reference.to_owned(),
        message,
    };
    let value: Value = serde_json::from_slice(manifest)
        .map_err(|e| not_wasm(format!("its manifest is not JSON: {e}")))?;
    if value.get("manifests").is_some() {
        return Err(not_wasm(
            "it is an image index (a multi-platform image), not a single wasm artifact".to_owned(),
        ));
    }
    let layers: Vec<&Value> = value["layers"]
        .as_array()
        .map(|layers| {
            layers
                .iter()
                .filter(|l| {
                    matches!(
                        l["mediaType"].as_str(),
                        Some(LAYER_MEDIA_TYPE | OLD_LAYER_MEDIA_TYPE)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let [layer] = layers.as_slice() else {
        return Err(not_wasm(format!(
            "it has {} layers of type {LAYER_MEDIA_TYPE}; a plugin artifact has exactly one",
            layers.len()
        )));
    };
    let digest = layer["digest"].as_str().unwrap_or_default().to_owned();
    super::reference::check_digest(&digest).map_err(not_wasm)?;
    let size = layer["size"]
        .as_u64()
        .ok_or_else(|| not_wasm("its wasm layer has no size".to_owned()))?;
    if size > MAX_WASM_BYTES as u64 {
        return Err(not_wasm(format!(
            "its component is {size} bytes; ristretto loads at most {MAX_WASM_BYTES}"
        )));
    }
    Ok(Layer { digest, size })
}

/// Fetches the manifest `reference` names (its digest if it has one, else its tag), checks it
/// against the digest and finds its component layer.
pub fn resolve(client: &mut Client, reference: &Reference) -> Result<Resolved, Error> {
    let manifest = client.manifest(reference.manifest_reference(), MANIFEST_MEDIA_TYPE)?;
    let digest = digest_of(&manifest);
    if let Some(expected) = &reference.digest
        && *expected != digest
    {
        return Err(Error::DigestMismatch {
            what: format!("the manifest of {reference}"),
            expected: expected.clone(),
            actual: digest,
        });
    }
    let layer = wasm_layer(&reference.to_string(), &manifest)?;
    Ok(Resolved {
        digest,
        manifest,
        layer,
    })
}

/// The component of `layer`, checked against its digest and size.
pub fn fetch_wasm(
    client: &mut Client,
    reference: &Reference,
    layer: &Layer,
) -> Result<Vec<u8>, Error> {
    let wasm = client.blob(&layer.digest, MAX_WASM_BYTES)?;
    let actual = digest_of(&wasm);
    if actual != layer.digest || wasm.len() as u64 != layer.size {
        return Err(Error::DigestMismatch {
            what: format!(
                "the component of {reference} ({} bytes, manifest says {})",
                wasm.len(),
                layer.size
            ),
            expected: layer.digest.clone(),
            actual,
        });
    }
    Ok(wasm)
}

/// The config blob and manifest of `wasm`; `created` is an RFC 3339 time.
pub fn build(wasm: &[u8], component: &ComponentInfo, created: &str) -> (Bytes, Bytes) {
    let layer_digest = digest_of(wasm);
    let config = json!({
        "created": created,
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [layer_digest],
        "component": {
            "imports": component.imports,
            "exports": component.exports,
        },
    });
    let config = Bytes::from(config.to_string());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {
            "mediaType": CONFIG_MEDIA_TYPE,
            "digest": digest_of(&config),
            "size": config.len(),
        },
        "layers": [{
            "mediaType": LAYER_MEDIA_TYPE,
            "digest": layer_digest,
            "size": wasm.len(),
        }],
    });
    (config, Bytes::from(manifest.to_string()))
}

/// Pushes `wasm` as an artifact tagged `reference`'s tag and returns the manifest digest.
pub fn push(
    client: &mut Client,
    reference: &Reference,
    wasm: Bytes,
    component: &ComponentInfo,
    created: &str,
) -> Result<String, Error> {
    let tag = reference.tag.clone().unwrap_or_else(|| "latest".to_owned());
    let (config, manifest) = build(&wasm, component, created);
    client.push_blob(&digest_of(&config), config)?;
    client.push_blob(&digest_of(&wasm), wasm)?;
    let digest = digest_of(&manifest);
    client.push_manifest(&tag, manifest, MANIFEST_MEDIA_TYPE)?;
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_manifest_has_one_wasm_layer_that_parses_back() {
        let wasm = b"\0asm component bytes";
        let info = ComponentInfo {
            imports: vec!["wasi:http/outgoing-handler@0.2.6".into()],
            exports: vec!["ristretto:plugin/gate@0.1.0".into()],
        };
        let (config, manifest) = build(wasm, &info, "2026-01-01T00:00:00Z");
        let config: Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(config["os"], "wasip2");
        assert_eq!(config["layerDigests"][0], digest_of(wasm));
        let layer = wasm_layer("r", &manifest).unwrap();
        assert_eq!(layer.digest, digest_of(wasm));
        assert_eq!(layer.size, wasm.len() as u64);
        let value: Value = serde_json::from_slice(&manifest).unwrap();
        assert_eq!(value["config"]["mediaType"], CONFIG_MEDIA_TYPE);
    }

    #[test]
    fn images_and_indexes_are_not_plugins() {
        let image = br#"{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:00","size":1}]}"#;
        let err = wasm_layer("ghcr.io/a/b:1", image).unwrap_err().to_string();
        assert!(
            err.contains("has 0 layers of type application/wasm"),
            "{err}"
        );
        let index = br#"{"schemaVersion":2,"manifests":[]}"#;
        let err = wasm_layer("ghcr.io/a/b:1", index).unwrap_err().to_string();
        assert!(err.contains("image index"), "{err}");
    }
}
