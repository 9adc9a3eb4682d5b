//! Plugins as OCI artifacts.
//!
//! A plugin (a WebAssembly component) is pushed to and pulled from any OCI registry in the
//! CNCF "Wasm OCI artifact" layout, as Spin, wasmCloud and wasm-pkg-tools do: an OCI image
//! manifest whose config is `application/vnd.wasm.config.v0+json` and whose single layer,
//! `application/wasm`, is the component's bytes.
//!
//! ```no_run
//! # async fn demo(component: Vec<u8>) -> Result<(), portal_oci::Error> {
//! use portal_oci::{ClientOptions, Reference, RegistryClient};
//!
//! let client = RegistryClient::new(ClientOptions::default())?;
//! let reference: Reference = "oci://registry.example.com/plugins/hello:1.0.0".parse()?;
//! let pushed = client.push(&reference, &component, &Default::default()).await?;
//! // A release records `pushed.digest`; pulling by it gets exactly those bytes or an error.
//! let pulled = client.pull(&reference, Some(&pushed.digest), 16 << 20).await?;
//! assert_eq!(pulled.bytes, component);
//! # Ok(()) }
//! ```
//!
//! What a pull guarantees: the manifest hashes to the pinned digest (when the reference or the
//! caller pins one), it is a Wasm component artifact, the layer is within the caller's size
//! limit (checked before downloading and while downloading) and hashes to the manifest's
//! layer digest. The component itself is not parsed here: the runtime validates it.
//!
//! Transport: HTTPS (rustls with ring) unless the caller lists a registry for plain HTTP.
//! Credentials: anonymous or HTTP Basic (exchanged for a bearer token where the registry
//! asks), never logged.

mod artifact;
mod client;
mod digest;
mod error;
mod reference;

pub use artifact::{
    AUTHORS_ANNOTATION, CREATED_ANNOTATION, MANIFEST_MEDIA_TYPE, VERSION_ANNOTATION,
    WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE,
};
pub use client::{Auth, ClientOptions, MAX_MANIFEST_BYTES, Pulled, Pushed, RegistryClient};
pub use digest::{is_sha256_digest, sha256_digest};
pub use error::{Error, Step};
pub use reference::Reference;
