//! Push and pull against a real CNCF distribution registry (tests/registry/build.sh).

mod support;

use std::collections::BTreeMap;

use portal_oci::{
    Auth, ClientOptions, Error, MANIFEST_MEDIA_TYPE, Reference, RegistryClient, VERSION_ANNOTATION,
    WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE, sha256_digest,
};
use support::Registry;

const LIMIT: u64 = 16 << 20;

/// Component-shaped bytes: the component preamble, then a deterministic filler. The OCI layer
/// never parses them, so they need not be a valid component; their size (150 KiB) spans
/// more than one read from the socket.
fn component(seed: u8) -> Vec<u8> {
    let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
    bytes.extend((0..150 * 1024u32).map(|i| (i.wrapping_mul(31) as u8) ^ seed));
    bytes
}

fn reference(registry: &Registry, path: &str) -> Reference {
    format!("oci://{}/{path}", registry.addr)
        .parse()
        .expect("reference")
}

fn version(v: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(VERSION_ANNOTATION.to_owned(), v.to_owned())])
}

#[tokio::test]
async fn push_then_pull_by_tag_and_by_digest() {
    let registry = Registry::start();
    let client = registry.client(Auth::Anonymous);
    let bytes = component(1);
    let tagged = reference(&registry, "plugins/hello:1.2.3");

    let pushed = client
        .push(&tagged, &bytes, &version("1.2.3"))
        .await
        .expect("push");
    assert!(portal_oci::is_sha256_digest(&pushed.digest));
    assert_eq!(pushed.layer_digest, sha256_digest(&bytes));
    assert_eq!(
        pushed.reference,
        tagged.with_digest(&pushed.digest).expect("pin")
    );

    let by_digest_only = reference(&registry, &format!("plugins/hello@{}", pushed.digest));
    for (how, reference, expected) in [
        ("tag", &tagged, None),
        (
            "tag, digest expected",
            &tagged,
            Some(pushed.digest.as_str()),
        ),
        ("tag@digest", &pushed.reference, None),
        ("digest", &by_digest_only, Some(pushed.digest.as_str())),
    ] {
        let pulled = client
            .pull(reference, expected, LIMIT)
            .await
            .unwrap_or_else(|e| panic!("pull by {how}: {e}"));
        assert!(pulled.bytes == bytes, "pull by {how}: other bytes");
        assert_eq!(pulled.manifest_digest, pushed.digest, "pull by {how}");
        assert_eq!(pulled.layer_digest, pushed.layer_digest, "pull by {how}");
        assert_eq!(pulled.version.as_deref(), Some("1.2.3"), "pull by {how}");
    }

    // What the registry stores is the Wasm OCI artifact layout, as other tools read it.
    let (status, manifest) =
        registry.get(&format!("/v2/plugins/hello/manifests/{}", pushed.digest));
    assert_eq!(status, 200);
    assert_eq!(sha256_digest(&manifest), pushed.digest);
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).expect("manifest json");
    assert_eq!(manifest["mediaType"], MANIFEST_MEDIA_TYPE);
    assert_eq!(manifest["config"]["mediaType"], WASM_CONFIG_MEDIA_TYPE);
    assert_eq!(manifest["layers"][0]["mediaType"], WASM_LAYER_MEDIA_TYPE);
    let config_digest = manifest["config"]["digest"]
        .as_str()
        .expect("config digest");
    let (status, config) = registry.get(&format!("/v2/plugins/hello/blobs/{config_digest}"));
    assert_eq!(status, 200);
    let config: serde_json::Value = serde_json::from_slice(&config).expect("config json");
    assert_eq!(config["architecture"], "wasm");
    assert_eq!(config["os"], "wasip2");
    assert_eq!(config["layerDigests"][0], pushed.layer_digest.as_str());

    // A new version under a new tag leaves the old one pullable by its digest.
    let second = client
        .push(
            &reference(&registry, "plugins/hello:1.2.4"),
            &component(2),
            &version("1.2.4"),
        )
        .await
        .expect("second push");
    assert_ne!(second.digest, pushed.digest);
    let old = client
        .pull(&pushed.reference, None, LIMIT)
        .await
        .expect("old");
    assert!(old.bytes == bytes);
}

#[tokio::test]
async fn a_wrong_digest_is_refused() {
    let registry = Registry::start();
    let client = registry.client(Auth::Anonymous);
    let tagged = reference(&registry, "plugins/hello:1");
    let pushed = client
        .push(&tagged, &component(3), &BTreeMap::new())
        .await
        .expect("push");
    let other = sha256_digest(b"another release");

    // The caller pins a digest the tag no longer (or never) pointed at.
    let err = client.pull(&tagged, Some(&other), LIMIT).await.unwrap_err();
    assert!(
        matches!(&err, Error::DigestMismatch { what: "manifest", expected, actual }
            if *expected == other && *actual == pushed.digest),
        "{err:?}"
    );
    // The reference and the caller disagree: refused before asking the registry.
    let err = client
        .pull(&pushed.reference, Some(&other), LIMIT)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    // A digest the registry does not have.
    let missing = reference(&registry, &format!("plugins/hello@{other}"));
    let err = client.pull(&missing, None, LIMIT).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let err = client
        .pull(&reference(&registry, "plugins/hello:nope"), None, LIMIT)
        .await;
    assert!(matches!(err, Err(Error::NotFound { .. })), "{err:?}");
    let err = client
        .pull(&reference(&registry, "plugins/absent:1"), None, LIMIT)
        .await;
    assert!(matches!(err, Err(Error::NotFound { .. })), "{err:?}");
}

/// Pushes, with the raw OCI client, a manifest with the given config and layer media types.
async fn push_foreign(registry: &Registry, path: &str, config_type: &str, layer_type: &str) {
    let raw = registry.raw_client();
    let target = reference(registry, path);
    let oci = oci_client::Reference::with_tag(
        target.registry().to_owned(),
        target.repository().to_owned(),
        target.tag().expect("tag").to_owned(),
    );
    let anonymous = oci_client::secrets::RegistryAuth::Anonymous;
    raw.auth(&oci, &anonymous, oci_client::RegistryOperation::Push)
        .await
        .expect("auth");
    let (config, layer) = (b"{}".to_vec(), component(4));
    let (config_digest, layer_digest) = (sha256_digest(&config), sha256_digest(&layer));
    raw.push_blob(&oci, config.clone(), &config_digest)
        .await
        .expect("config blob");
    raw.push_blob(&oci, layer.clone(), &layer_digest)
        .await
        .expect("layer blob");
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": config_type, "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": layer_type, "digest": layer_digest, "size": layer.len()}],
    });
    raw.push_manifest_raw(
        &oci,
        serde_json::to_vec(&manifest).expect("json"),
        http::HeaderValue::from_static(MANIFEST_MEDIA_TYPE),
    )
    .await
    .expect("manifest");
}

#[tokio::test]
async fn artifacts_that_are_not_wasm_components_are_refused() {
    let registry = Registry::start();
    let client = registry.client(Auth::Anonymous);
    let tar = "application/vnd.oci.image.layer.v1.tar+gzip";
    push_foreign(&registry, "images/tarball:1", WASM_CONFIG_MEDIA_TYPE, tar).await;
    let image_config = "application/vnd.oci.image.config.v1+json";
    push_foreign(
        &registry,
        "images/image:1",
        image_config,
        WASM_LAYER_MEDIA_TYPE,
    )
    .await;

    for (path, says) in [
        ("images/tarball:1", "its layer is"),
        ("images/image:1", "its config is"),
    ] {
        let err = client
            .pull(&reference(&registry, path), None, LIMIT)
            .await
            .unwrap_err();
        match &err {
            Error::NotWasm { reason, .. } => assert!(reason.contains(says), "{err}"),
            other => panic!("{path}: expected NotWasm, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_oversize_layer_is_refused_before_download() {
    let registry = Registry::start();
    let client = registry.client(Auth::Anonymous);
    let tagged = reference(&registry, "plugins/big:1");
    let bytes = component(5);
    client
        .push(&tagged, &bytes, &BTreeMap::new())
        .await
        .expect("push");

    let limit = 1024;
    let err = client.pull(&tagged, None, limit).await.unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { what: "layer", size, limit: 1024 } if size == bytes.len() as u64),
        "{err:?}"
    );
    // Exactly at the limit is allowed.
    let pulled = client
        .pull(&tagged, None, bytes.len() as u64)
        .await
        .expect("at the limit");
    assert!(pulled.bytes == bytes);
}

#[tokio::test]
async fn basic_auth_admits_the_user_and_refuses_others_plainly() {
    let (username, password) = ("portal", "s3cret-pass");
    let registry = Registry::start_with_user(username, password);
    let tagged = reference(&registry, "plugins/private:1");
    let bytes = component(6);

    let user = registry.client(Auth::Basic {
        username: username.into(),
        password: password.into(),
    });
    let pushed = user
        .push(&tagged, &bytes, &BTreeMap::new())
        .await
        .expect("push as the user");
    let pulled = user
        .pull(&tagged, Some(&pushed.digest), LIMIT)
        .await
        .expect("pull as the user");
    assert!(pulled.bytes == bytes);

    let wrong = registry.client(Auth::Basic {
        username: username.into(),
        password: "not-the-password".into(),
    });
    for err in [
        wrong.pull(&tagged, None, LIMIT).await.unwrap_err(),
        wrong
            .push(&tagged, &bytes, &BTreeMap::new())
            .await
            .unwrap_err(),
        registry
            .client(Auth::Anonymous)
            .pull(&tagged, None, LIMIT)
            .await
            .unwrap_err(),
    ] {
        let message = err.to_string();
        assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
        assert!(message.contains(&registry.addr), "{message}");
        assert!(!message.contains("not-the-password") && !message.contains(password));
    }
}

#[tokio::test]
async fn https_is_the_default() {
    // The registry speaks plain HTTP; a client not told so must not fall back to it.
    let registry = Registry::start();
    let client = RegistryClient::new(ClientOptions::default()).expect("client");
    let err = client
        .pull(&reference(&registry, "plugins/hello:1"), None, LIMIT)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
}
