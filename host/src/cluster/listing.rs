//! Lists inside one namespace, for the reads friends repeat: in the embedded cluster
//! through its read cache (`embedded::cache`), else from the API server. A list is
//! shared (`Arc`): the embedded cache hands out the one it keeps.

use std::fmt::Debug;
use std::sync::Arc;

use kube::api::{Api, DynamicObject, ListParams};
use kube::discovery::ApiResource;
use kube::{Resource, core::NamespaceResourceScope};
use serde::de::DeserializeOwned;

use super::Cluster;

impl Cluster {
    /// `Api::list` of `namespace`, served again from the embedded cluster's cache while
    /// nothing in the namespace was written.
    pub(super) async fn list_in<K>(
        &self,
        namespace: &str,
        params: &ListParams,
    ) -> Result<Arc<Vec<K>>, kube::Error>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + Sync
            + 'static,
    {
        // The Rust type tells the kind apart (the cache keys on it), so only the
        // selectors go into the query; the `Api` is made only when the list is read.
        let read = async {
            let api: Api<K> = Api::namespaced(self.client.clone(), namespace);
            api.list(params).await.map(|list| list.items)
        };
        self.cached_list(namespace, String::new(), params, read)
            .await
    }

    /// The same for a kind known at run time (IngressRoutes).
    pub(super) async fn list_dynamic_in(
        &self,
        namespace: &str,
        resource: &ApiResource,
        params: &ListParams,
    ) -> Result<Arc<Vec<DynamicObject>>, kube::Error> {
        // Every dynamic kind is the same Rust type: the resource goes into the query.
        let kind = format!("{}/{}", resource.api_version, resource.plural);
        let read = async {
            let api: Api<DynamicObject> =
                Api::namespaced_with(self.client.clone(), namespace, resource);
            api.list(params).await.map(|list| list.items)
        };
        self.cached_list(namespace, kind, params, read).await
    }

    /// `read`, or in the embedded cluster the list it answered last, while nothing in
    /// `namespace` was written since. `kind` and the selectors key the list.
    async fn cached_list<K>(
        &self,
        namespace: &str,
        mut kind: String,
        params: &ListParams,
        read: impl Future<Output = Result<Vec<K>, kube::Error>>,
    ) -> Result<Arc<Vec<K>>, kube::Error>
    where
        K: Send + Sync + 'static,
    {
        let Some(embedded) = &self.embedded else {
            return read.await.map(Arc::new);
        };
        for selector in [&params.label_selector, &params.field_selector] {
            kind.push('?');
            kind.push_str(selector.as_deref().unwrap_or_default());
        }
        embedded.reads().list(namespace, kind, read).await
    }
}
