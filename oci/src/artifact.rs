//! The CNCF "Wasm OCI artifact" layout: an OCI image manifest whose config has the media type
//! `application/vnd.wasm.config.v0+json` and whose one layer, `application/wasm`, is the
//! component itself (not a tarball), so any OCI registry stores it and Wasm tooling
//! (wasm-pkg-tools, Spin, wasmCloud) recognises it.
//!
//! This module only builds and checks JSON; it never parses the component's bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::{is_sha256_digest, sha256_digest};

pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// The OCI annotation for the artifact's version, surfaced by a pull.
pub const VERSION_ANNOTATION: &str = "org.opencontainers.image.version";
/// Its authors; copied into the config's `author`, as the layout's config has one.
pub const AUTHORS_ANNOTATION: &str = "org.opencontainers.image.authors";
/// Its creation time (RFC 3339); used as the config's `created` when given, which makes a
/// push reproducible (same bytes and annotations, same manifest digest).
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";

/// The config blob, as wasm-pkg-tools writes it. `component` (the component's imports and
/// exports) is optional in practice and left out: this crate does not parse components.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WasmConfig<'a> {
    created: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    architecture: &'static str,
    os: &'static str,
    /// The layers' digests: makes the config (and so its digest) differ per component.
    layer_digests: Vec<&'a str>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

impl Descriptor {
    pub(crate) fn of(media_type: &str, bytes: &[u8]) -> Self {
        Descriptor {
            media_type: media_type.to_owned(),
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    config: Descriptor,
    layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

/// What a push uploads: the config blob, and the manifest naming it and the layer.
pub(crate) struct Built {
    pub config: Vec<u8>,
    pub config_descriptor: Descriptor,
    pub layer_descriptor: Descriptor,
    pub manifest: Vec<u8>,
}

/// Builds the config and manifest for `component`, with `annotations` on the manifest.
/// `now` (RFC 3339) is the config's `created` unless the annotations carry one.
pub(crate) fn build(
    component: &[u8],
    annotations: &BTreeMap<String, String>,
    now: &str,
) -> Result<Built, serde_json::Error> {
    let layer_descriptor = Descriptor::of(WASM_LAYER_MEDIA_TYPE, component);
    let config = serde_json::to_vec(&WasmConfig {
        created: annotations
            .get(CREATED_ANNOTATION)
            .map_or(now, String::as_str),
        author: annotations.get(AUTHORS_ANNOTATION).map(String::as_str),
        architecture: "wasm",
        os: "wasip2",
        layer_digests: vec![&layer_descriptor.digest],
    })?;
    let config_descriptor = Descriptor::of(WASM_CONFIG_MEDIA_TYPE, &config);
    let manifest = serde_json::to_vec(&Manifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.to_owned()),
        config: config_descriptor.clone(),
        layers: vec![layer_descriptor.clone()],
        annotations: annotations.clone(),
    })?;
    Ok(Built {
        config,
        config_descriptor,
        layer_descriptor,
        manifest,
    })
}

/// A pulled manifest that passed [`check`]: its one Wasm layer and its annotations.
#[derive(Debug)]
pub(crate) struct Checked {
    pub layer: Descriptor,
    pub annotations: BTreeMap<String, String>,
}

/// Why a manifest was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not JSON, or not shaped like an OCI image manifest.
    Malformed(String),
    /// A well-formed manifest of something other than a Wasm component.
    NotWasm(String),
}

/// Checks that `manifest` is an OCI image manifest in the Wasm artifact layout with exactly one
/// `application/wasm` layer, whose digest is well-formed.
pub(crate) fn check(manifest: &[u8]) -> Result<Checked, Refusal> {
    let manifest: Manifest =
        serde_json::from_slice(manifest).map_err(|e| Refusal::Malformed(e.to_string()))?;
    if manifest.schema_version != 2 {
        return Err(Refusal::Malformed(format!(
            "schemaVersion {} (expected 2)",
            manifest.schema_version
        )));
    }
    // An index (multi-platform list) has no `config`/`layers` and fails to parse above; a
    // Docker v2 manifest parses but says so here.
    if let Some(media_type) = &manifest.media_type
        && media_type != MANIFEST_MEDIA_TYPE
    {
        return Err(Refusal::NotWasm(format!(
            "its manifest is `{media_type}`, not an OCI image manifest"
        )));
    }
    if manifest.config.media_type != WASM_CONFIG_MEDIA_TYPE {
        return Err(Refusal::NotWasm(format!(
            "its config is `{}`, not `{WASM_CONFIG_MEDIA_TYPE}`",
            manifest.config.media_type
        )));
    }
    let mut layers = manifest.layers.into_iter();
    let (Some(layer), None) = (layers.next(), layers.next()) else {
        return Err(Refusal::NotWasm(
            "it does not have exactly one layer".to_owned(),
        ));
    };
    if layer.media_type != WASM_LAYER_MEDIA_TYPE {
        return Err(Refusal::NotWasm(format!(
            "its layer is `{}`, not `{WASM_LAYER_MEDIA_TYPE}`",
            layer.media_type
        )));
    }
    if !is_sha256_digest(&layer.digest) {
        return Err(Refusal::Malformed(format!(
            "the layer digest `{}` is not a sha256 digest",
            layer.digest
        )));
    }
    Ok(Checked {
        layer,
        annotations: manifest.annotations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";
    const NOW: &str = "2026-01-02T03:04:05Z";

    fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn builds_the_wasm_artifact_layout() {
        let built = build(
            COMPONENT,
            &annotations(&[(VERSION_ANNOTATION, "1.0.0"), (AUTHORS_ANNOTATION, "Ann")]),
            NOW,
        )
        .expect("build");
        let config: serde_json::Value = serde_json::from_slice(&built.config).expect("config");
        assert_eq!(config["created"], NOW);
        assert_eq!(config["author"], "Ann");
        assert_eq!(config["architecture"], "wasm");
        assert_eq!(config["os"], "wasip2");
        assert_eq!(config["layerDigests"][0], sha256_digest(COMPONENT).as_str());

        let manifest: serde_json::Value =
            serde_json::from_slice(&built.manifest).expect("manifest");
        assert_eq!(manifest["schemaVersion"], 2);
        assert_eq!(manifest["mediaType"], MANIFEST_MEDIA_TYPE);
        assert_eq!(manifest["config"]["mediaType"], WASM_CONFIG_MEDIA_TYPE);
        assert_eq!(
            manifest["config"]["digest"],
            sha256_digest(&built.config).as_str()
        );
        assert_eq!(manifest["layers"][0]["mediaType"], WASM_LAYER_MEDIA_TYPE);
        assert_eq!(manifest["layers"][0]["size"], COMPONENT.len());
        assert_eq!(manifest["annotations"][VERSION_ANNOTATION], "1.0.0");

        let checked = check(&built.manifest).expect("own manifest passes");
        assert_eq!(checked.layer, built.layer_descriptor);
        assert_eq!(checked.annotations[VERSION_ANNOTATION], "1.0.0");
    }

    #[test]
    fn a_created_annotation_makes_the_push_reproducible() {
        let given = annotations(&[(CREATED_ANNOTATION, "2025-05-05T05:05:05Z")]);
        let a = build(COMPONENT, &given, NOW).expect("build");
        let b = build(COMPONENT, &given, "2030-01-01T00:00:00Z").expect("build");
        assert_eq!(a.manifest, b.manifest);
    }

    fn manifest_with(config_type: &str, layers: &[(&str, &str)]) -> Vec<u8> {
        let layers: Vec<_> = layers
            .iter()
            .map(|(media_type, digest)| {
                serde_json::json!({"mediaType": media_type, "digest": digest, "size": 8})
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {"mediaType": config_type, "digest": sha256_digest(b"{}"), "size": 2},
            "layers": layers,
        }))
        .expect("json")
    }

    #[test]
    fn refuses_what_is_not_a_wasm_component() {
        let digest = sha256_digest(COMPONENT);
        let tar = "application/vnd.oci.image.layer.v1.tar+gzip";
        let image_config = "application/vnd.oci.image.config.v1+json";
        let cases = [
            (
                manifest_with(WASM_CONFIG_MEDIA_TYPE, &[(tar, &digest)]),
                "its layer is",
            ),
            (
                manifest_with(image_config, &[(WASM_LAYER_MEDIA_TYPE, &digest)]),
                "its config is",
            ),
            (
                manifest_with(WASM_CONFIG_MEDIA_TYPE, &[]),
                "exactly one layer",
            ),
            (
                manifest_with(
                    WASM_CONFIG_MEDIA_TYPE,
                    &[
                        (WASM_LAYER_MEDIA_TYPE, &digest),
                        (WASM_LAYER_MEDIA_TYPE, &digest),
                    ],
                ),
                "exactly one layer",
            ),
        ];
        for (manifest, expected) in cases {
            match check(&manifest) {
                Err(Refusal::NotWasm(reason)) => assert!(reason.contains(expected), "{reason}"),
                other => panic!("expected NotWasm({expected}), got {other:?}"),
            }
        }
    }

    #[test]
    fn refuses_malformed_manifests() {
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [],
        });
        let bad_digest = manifest_with(WASM_CONFIG_MEDIA_TYPE, &[(WASM_LAYER_MEDIA_TYPE, "md5:x")]);
        for manifest in [
            b"not json".to_vec(),
            serde_json::to_vec(&index).expect("json"),
            bad_digest,
        ] {
            assert!(
                matches!(check(&manifest), Err(Refusal::Malformed(_))),
                "{}",
                String::from_utf8_lossy(&manifest)
            );
        }
    }
}
