//! Lists inside one namespace, for the reads friends repeat: in the embedded cluster
//! through its read cache (`embedded::cache`), else from the API server.

use std::fmt::Debug;

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
    ) -> Result<Vec<K>, kube::Error>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + Sync
            + 'static,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), namespace);
        self.cached_list(namespace, api, params).await
    }

    /// The same for a kind known at run time (IngressRoutes).
    pub(super) async fn list_dynamic_in(
        &self,
        namespace: &str,
        resource: &ApiResource,
        params: &ListParams,
    ) -> Result<Vec<DynamicObject>, kube::Error> {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), namespace, resource);
        self.cached_list(namespace, api, params).await
    }

    async fn cached_list<K>(
        &self,
        namespace: &str,
        api: Api<K>,
        params: &ListParams,
    ) -> Result<Vec<K>, kube::Error>
    where
        K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        let read = async { api.list(params).await.map(|list| list.items) };
        match &self.embedded {
            Some(embedded) => {
                let query = format!(
                    "{}?{}&{}",
                    api.resource_url(),
                    params.label_selector.as_deref().unwrap_or_default(),
                    params.field_selector.as_deref().unwrap_or_default()
                );
                embedded.reads().list(namespace, query, read).await
            }
            None => read.await,
        }
    }
}
