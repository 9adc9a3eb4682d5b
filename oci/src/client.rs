//! The registry client: options, credentials, and the push and pull of one component.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use futures_util::StreamExt;
use oci_client::RegistryOperation;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;

use crate::artifact::{self, MANIFEST_MEDIA_TYPE, Refusal, VERSION_ANNOTATION};
use crate::digest::{BlobCollector, check_sha256, sha256_digest};
use crate::error::{Error, Step, from_oci, from_stream_error};
use crate::reference::Reference;

/// Manifests are small JSON documents; the distribution spec suggests clients refuse ones over
/// 4 MiB, which also bounds what a hostile registry can make us parse.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// How to authenticate to the registry.
#[derive(Clone, Default)]
pub enum Auth {
    /// No credentials (the registry may still hand out anonymous tokens).
    #[default]
    Anonymous,
    /// HTTP Basic credentials, also used to obtain a bearer token where the registry asks.
    Basic { username: String, password: String },
}

// The password never reaches a log line through `{:?}`.
impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Anonymous => f.write_str("Anonymous"),
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// Options for [`RegistryClient::new`]. The defaults: anonymous, HTTPS only, 10 s to connect,
/// 60 s without progress on a read.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub auth: Auth,
    /// Registries (`host` or `host:port`, exactly as written in references) to speak plain
    /// HTTP to, e.g. a registry on 127.0.0.1 in tests. Every other registry is HTTPS.
    pub insecure_http_registries: Vec<String>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            auth: Auth::Anonymous,
            insecure_http_registries: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
        }
    }
}

/// What [`RegistryClient::push`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The manifest's digest: what a release pins.
    pub digest: String,
    /// The pushed reference pinned to that digest (`oci://host/repo:tag@sha256:…`).
    pub reference: Reference,
    /// The component layer's digest (the sha256 of the component bytes).
    pub layer_digest: String,
}

/// A component pulled and verified by [`RegistryClient::pull`].
#[derive(Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The component's bytes, as pushed.
    pub bytes: Vec<u8>,
    pub manifest_digest: String,
    pub layer_digest: String,
    /// The manifest's `org.opencontainers.image.version` annotation, if it has one.
    pub version: Option<String>,
    /// All of the manifest's annotations.
    pub annotations: BTreeMap<String, String>,
}

// The bytes are a component of up to megabytes: a debug print shows their length only.
impl fmt::Debug for Pulled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pulled")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("manifest_digest", &self.manifest_digest)
            .field("layer_digest", &self.layer_digest)
            .field("version", &self.version)
            .field("annotations", &self.annotations)
            .finish()
    }
}

/// A client for OCI registries, holding one set of credentials. Cheap to share by reference;
/// it caches bearer tokens per registry and repository.
pub struct RegistryClient {
    client: oci_client::Client,
    auth: RegistryAuth,
}

impl fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `RegistryAuth`'s own Debug redacts too; say only which kind.
        let auth = match self.auth {
            RegistryAuth::Anonymous => "anonymous",
            _ => "credentials",
        };
        f.debug_struct("RegistryClient")
            .field("auth", &auth)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    pub fn new(options: ClientOptions) -> Result<Self, Error> {
        install_ring_provider();
        let protocol = if options.insecure_http_registries.is_empty() {
            ClientProtocol::Https
        } else {
            ClientProtocol::HttpsExcept(options.insecure_http_registries)
        };
        let config = ClientConfig {
            protocol,
            connect_timeout: Some(options.connect_timeout),
            read_timeout: Some(options.read_timeout),
            // Never an image index: a plugin is one component, there is no platform to pick.
            platform_resolver: None,
            ..ClientConfig::default()
        };
        // `Client::new` would fall back to a default config on error; surface the error.
        let client =
            oci_client::Client::try_from(config).map_err(|e| Error::Client(e.to_string()))?;
        let auth = match options.auth {
            Auth::Anonymous => RegistryAuth::Anonymous,
            Auth::Basic { username, password } => RegistryAuth::Basic(username, password),
        };
        Ok(RegistryClient { client, auth })
    }

    /// Pushes `component` to `reference` (which needs a tag and no digest: the digest is
    /// computed from what is pushed) as a Wasm OCI artifact, with `annotations` on its
    /// manifest. Returns the manifest digest and the reference pinned to it.
    pub async fn push(
        &self,
        reference: &Reference,
        component: &[u8],
        annotations: &BTreeMap<String, String>,
    ) -> Result<Pushed, Error> {
        if reference.tag().is_none() || reference.digest().is_some() {
            return Err(Error::InvalidReference {
                input: reference.to_string(),
                reason: "a push needs a tag and no digest: the digest is computed from what is \
                         pushed"
                    .to_owned(),
            });
        }
        let oci = reference.to_oci();
        let fail = |step| move |e| from_oci(e, reference.registry(), &reference.to_string(), step);

        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let built = artifact::build(component, annotations, &now)
            .map_err(|e| Error::Client(format!("cannot encode the manifest: {e}")))?;

        self.client
            .auth(&oci, &self.auth, RegistryOperation::Push)
            .await
            .map_err(fail(Step::Authenticate))?;
        self.client
            .push_blob(&oci, built.config, &built.config_descriptor.digest)
            .await
            .map_err(fail(Step::PushConfig))?;
        self.client
            .push_blob(&oci, component.to_vec(), &built.layer_descriptor.digest)
            .await
            .map_err(fail(Step::PushLayer))?;
        let digest = sha256_digest(&built.manifest);
        self.client
            .push_manifest_raw(
                &oci,
                built.manifest,
                http::HeaderValue::from_static(MANIFEST_MEDIA_TYPE),
            )
            .await
            .map_err(fail(Step::PushManifest))?;
        Ok(Pushed {
            reference: reference.with_digest(&digest)?,
            digest,
            layer_digest: built.layer_descriptor.digest,
        })
    }

    /// Pulls the component at `reference` and verifies it: the manifest digest against the
    /// reference's digest and `expected_digest` (when either pins one), the manifest's media
    /// types (a Wasm OCI artifact with one `application/wasm` layer), the layer's size against
    /// `max_bytes` (before and while downloading) and the layer's sha256 against the manifest.
    pub async fn pull(
        &self,
        reference: &Reference,
        expected_digest: Option<&str>,
        max_bytes: u64,
    ) -> Result<Pulled, Error> {
        let pinned = pinned_digest(reference, expected_digest)?;
        let name = reference.to_string();
        let registry = reference.registry();
        let oci = reference.to_oci();

        let (manifest, _) = self
            .client
            .pull_manifest_raw(&oci, &self.auth, &[MANIFEST_MEDIA_TYPE])
            .await
            .map_err(|e| from_oci(e, registry, &name, Step::PullManifest))?;
        if manifest.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(Error::TooLarge {
                what: "manifest",
                size: manifest.len() as u64,
                limit: MAX_MANIFEST_BYTES,
            });
        }
        // Computed here from the bytes, not taken from the registry's Docker-Content-Digest.
        let manifest_digest = sha256_digest(&manifest);
        if let Some(expected) = pinned
            && expected != manifest_digest
        {
            return Err(Error::DigestMismatch {
                what: "manifest",
                expected: expected.to_owned(),
                actual: manifest_digest,
            });
        }
        let checked = artifact::check(&manifest).map_err(|refusal| match refusal {
            Refusal::NotWasm(reason) => Error::NotWasm {
                reference: name.clone(),
                reason,
            },
            Refusal::Malformed(reason) => Error::InvalidManifest {
                reference: name.clone(),
                reason,
            },
        })?;
        let layer = checked.layer;
        if layer.size > max_bytes {
            return Err(Error::TooLarge {
                what: "layer",
                size: layer.size,
                limit: max_bytes,
            });
        }

        let descriptor = OciDescriptor {
            media_type: layer.media_type.clone(),
            digest: layer.digest.clone(),
            // Checked against `max_bytes` above, so it fits.
            size: i64::try_from(layer.size).unwrap_or(i64::MAX),
            ..OciDescriptor::default()
        };
        let mut stream = self
            .client
            .pull_blob_stream(&oci, &descriptor)
            .await
            .map_err(|e| from_oci(e, registry, &name, Step::PullLayer))?;
        if let Some(length) = stream.content_length
            && length > max_bytes
        {
            return Err(Error::TooLarge {
                what: "layer",
                size: length,
                limit: max_bytes,
            });
        }
        let mut collector = BlobCollector::new(&layer.digest, layer.size, max_bytes);
        while let Some(chunk) = stream.stream.next().await {
            let chunk =
                chunk.map_err(|e| from_stream_error(e, registry, &name, Step::PullLayer))?;
            collector.push(&chunk)?;
        }
        let bytes = collector.finish()?;

        Ok(Pulled {
            bytes,
            manifest_digest,
            layer_digest: layer.digest,
            version: checked.annotations.get(VERSION_ANNOTATION).cloned(),
            annotations: checked.annotations,
        })
    }
}

/// The digest a pull must find: the reference's and the caller's, which must agree.
fn pinned_digest<'a>(
    reference: &'a Reference,
    expected: Option<&'a str>,
) -> Result<Option<&'a str>, Error> {
    let expected = expected.map(check_sha256).transpose()?;
    match (reference.digest(), expected) {
        (Some(in_reference), Some(expected)) if in_reference != expected => {
            Err(Error::DigestMismatch {
                what: "manifest",
                expected: expected.to_owned(),
                actual: format!("{in_reference} (pinned by the reference {reference})"),
            })
        }
        (in_reference, expected) => Ok(expected.or(in_reference)),
    }
}

/// reqwest is built without a TLS crypto provider (the default would bring aws-lc-rs); use
/// ring, as the rest of the workspace does, unless the process already chose one.
fn install_ring_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing one is fine: there is one either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn the_password_is_never_in_debug_output() {
        let auth = Auth::Basic {
            username: "ci".into(),
            password: "hunter2".into(),
        };
        let options = ClientOptions {
            auth,
            ..ClientOptions::default()
        };
        let printed = format!("{options:?}");
        assert!(
            printed.contains("ci") && !printed.contains("hunter2"),
            "{printed}"
        );
        let client = RegistryClient::new(options).expect("client");
        assert!(!format!("{client:?}").contains("hunter2"));
    }

    #[test]
    fn the_client_and_its_futures_can_move_between_tasks() {
        fn send_sync<T: Send + Sync>(_: &T) {}
        fn send<T: Send>(_: &T) {}
        let client = RegistryClient::new(ClientOptions::default()).expect("client");
        send_sync(&client);
        let reference: Reference = "r.example/hello:1".parse().expect("reference");
        let annotations = BTreeMap::new();
        // Built, never polled: only their types matter.
        send(&client.push(&reference, b"", &annotations));
        send(&client.pull(&reference, None, 1));
    }

    #[test]
    fn the_reference_and_the_caller_must_pin_the_same_digest() {
        let tagged: Reference = "r.example/hello:1".parse().expect("reference");
        let pinned = tagged.with_digest(A).expect("digest");
        assert_eq!(pinned_digest(&tagged, None).expect("ok"), None);
        assert_eq!(pinned_digest(&tagged, Some(B)).expect("ok"), Some(B));
        assert_eq!(pinned_digest(&pinned, None).expect("ok"), Some(A));
        assert_eq!(pinned_digest(&pinned, Some(A)).expect("ok"), Some(A));
        assert!(matches!(
            pinned_digest(&pinned, Some(B)),
            Err(Error::DigestMismatch { .. })
        ));
        assert!(matches!(
            pinned_digest(&tagged, Some("sha256:nope")),
            Err(Error::InvalidDigest(_))
        ));
    }
}
