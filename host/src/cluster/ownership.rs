//! Who a namespace belongs to. A friend's namespace is `friend-<id>`, but that name alone
//! proves nothing: the portal's own namespace, another tenant's or a leftover could carry
//! it. The portal acts in a namespace only when it carries the portal's ownership labels
//! for that same friend id; one that exists without them is refused (409) and left as it is.

use kube::api::{Api, DynamicObject};
use serde_json::Value;

use super::kinds::api_resource;
use super::secrets::{MANAGED_BY, MANAGER};
use super::{Cluster, ClusterError};

/// The friend id a namespace belongs to.
pub const FRIEND_LABEL: &str = "friend-portal/friend";

/// What the cluster holds under a friend's namespace name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceState {
    Absent,
    /// Present, with the portal's labels for this friend.
    Owned,
    /// The friend's, and being deleted: a real cluster keeps a deleted namespace
    /// (Terminating) until its namespace controller has emptied it.
    Terminating,
}

/// Writes the ownership labels into a Namespace document, whatever the template says: an
/// operator's template without them would make the portal refuse its own namespaces.
pub fn stamp_ownership(namespace: &mut Value, friend_id: &str) {
    let labels = &mut namespace["metadata"]["labels"];
    if !labels.is_object() {
        *labels = Value::Object(Default::default());
    }
    labels[MANAGED_BY] = MANAGER.into();
    labels[FRIEND_LABEL] = friend_id.into();
}

/// Whether a Namespace object carries the portal's labels for `friend_id`.
fn owned_by(namespace: &Value, friend_id: &str) -> bool {
    let labels = &namespace["metadata"]["labels"];
    labels[MANAGED_BY] == MANAGER && labels[FRIEND_LABEL] == friend_id
}

/// The friend id a `friend-<id>` namespace name stands for.
fn friend_of(namespace: &str) -> Option<&str> {
    namespace.strip_prefix(portal_store::NAMESPACE_PREFIX)
}

/// Whether the API server has begun deleting the object.
fn being_deleted(object: &Value) -> bool {
    !object["metadata"]["deletionTimestamp"].is_null()
}

impl Cluster {
    /// The state of `friend_id`'s namespace, for acting in it: a namespace of that name
    /// that is not theirs is a conflict, and so is theirs while it is being deleted
    /// (nothing new may go into it, and a new friend of that id must wait until it is gone).
    pub async fn namespace_state(&self, friend_id: &str) -> Result<NamespaceState, ClusterError> {
        match self.namespace_lookup(friend_id).await? {
            NamespaceState::Terminating => Err(ClusterError::Conflict(format!(
                "namespace '{}' is still being deleted; the id '{friend_id}' can be used \
                 again once it is gone (usually within seconds)",
                portal_store::namespace_of(friend_id)
            ))),
            state => Ok(state),
        }
    }

    /// The state of `friend_id`'s namespace, Terminating included; one that is not
    /// theirs is a conflict, named in the error.
    pub async fn namespace_lookup(&self, friend_id: &str) -> Result<NamespaceState, ClusterError> {
        let name = portal_store::namespace_of(friend_id);
        let (resource, _) = api_resource("Namespace")
            .ok_or_else(|| ClusterError::Unavailable("Namespace kind missing".into()))?;
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
        let Some(found) = api.get_opt(&name).await? else {
            return Ok(NamespaceState::Absent);
        };
        let found = serde_json::to_value(&found)?;
        if owned_by(&found, friend_id) {
            Ok(if being_deleted(&found) {
                NamespaceState::Terminating
            } else {
                NamespaceState::Owned
            })
        } else {
            Err(ClusterError::Conflict(format!(
                "namespace '{name}' already exists and was not made by the portal for \
                 '{friend_id}' (it lacks the labels {MANAGED_BY}={MANAGER} and \
                 {FRIEND_LABEL}={friend_id}); the portal will not use or change it"
            )))
        }
    }

    /// Refuses to act in `namespace` when it exists and is not the portal's for the friend
    /// it is named after. A namespace that does not exist passes: the call that follows
    /// answers for it.
    pub async fn require_owned(&self, namespace: &str) -> Result<(), ClusterError> {
        let friend = friend_of(namespace).ok_or_else(|| {
            ClusterError::Forbidden(format!("'{namespace}' is not a friend's namespace"))
        })?;
        self.namespace_state(friend).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ownership_needs_both_labels_for_the_same_friend() {
        let mut ns = json!({"metadata": {"name": "friend-alice"}});
        assert!(!owned_by(&ns, "alice"));
        stamp_ownership(&mut ns, "alice");
        assert!(owned_by(&ns, "alice"));
        assert!(!owned_by(&ns, "x-alice"));
        ns["metadata"]["labels"][MANAGED_BY] = "helm".into();
        assert!(!owned_by(&ns, "alice"));
    }

    #[test]
    fn a_namespace_with_a_deletion_timestamp_is_being_deleted() {
        assert!(!being_deleted(&json!({"metadata": {"name": "friend-a"}})));
        assert!(being_deleted(
            &json!({"metadata": {"deletionTimestamp": "2026-03-01T10:00:00Z"}})
        ));
    }

    #[test]
    fn stamping_keeps_the_templates_other_labels() {
        let mut ns = json!({"metadata": {"labels": {"team": "a", FRIEND_LABEL: "mallory"}}});
        stamp_ownership(&mut ns, "alice");
        assert_eq!(ns["metadata"]["labels"]["team"], "a");
        assert_eq!(ns["metadata"]["labels"][FRIEND_LABEL], "alice");
    }
}
