//! Counts the requests the portal sends to the API server, by verb and resource, for
//! `portal_kube_requests_total` in /metrics: the figure the watch caches bring down.

use http::{Method, Request};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

pub use crate::telemetry::metrics::KubeRequestLabels;

pub type KubeRequests = Family<KubeRequestLabels, Counter>;

/// A tower layer for kube's client that counts every request before it is sent.
pub fn layer<B>(
    counter: KubeRequests,
) -> tower::util::MapRequestLayer<impl Fn(Request<B>) -> Request<B> + Clone> {
    tower::util::MapRequestLayer::new(move |request: Request<B>| {
        counter
            .get_or_create(&classify(
                request.method(),
                request.uri().path(),
                request.uri().query(),
            ))
            .inc();
        request
    })
}

/// The Kubernetes verb and resource (with its subresource) of an API request path.
pub fn classify(method: &Method, path: &str, query: Option<&str>) -> KubeRequestLabels {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest: &[&str] = match segments.as_slice() {
        ["api", _version, rest @ ..] => rest,
        ["apis", _group, _version, rest @ ..] => rest,
        _ => &[],
    };
    // namespaces/<ns>/<resource>/... is namespaced; namespaces[/<ns>] is the kind itself.
    let rest = match rest {
        ["namespaces", _, resource, tail @ ..] => {
            let mut r = vec![*resource];
            r.extend_from_slice(tail);
            r
        }
        other => other.to_vec(),
    };
    let resource = match rest.as_slice() {
        [] => "other".to_owned(),
        [resource] | [resource, _] => (*resource).to_owned(),
        [resource, _, sub, ..] => format!("{resource}/{sub}"),
    };
    let named = rest.len() >= 2;
    let watching = query.is_some_and(|q| q.split('&').any(|p| p == "watch=true" || p == "watch=1"));
    let verb = match *method {
        Method::GET if watching => "watch",
        Method::GET if named => "get",
        Method::GET => "list",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if named => "delete",
        Method::DELETE => "deletecollection",
        _ => "other",
    };
    KubeRequestLabels {
        verb: verb.to_owned(),
        resource,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(method: Method, path: &str, query: Option<&str>) -> (String, String) {
        let l = classify(&method, path, query);
        (l.verb, l.resource)
    }

    fn pair(verb: &str, resource: &str) -> (String, String) {
        (verb.to_owned(), resource.to_owned())
    }

    #[test]
    fn requests_are_named_by_verb_and_resource() {
        let ns = "/api/v1/namespaces/friend-a";
        assert_eq!(
            of(Method::GET, &format!("{ns}/pods"), None),
            pair("list", "pods")
        );
        assert_eq!(
            of(
                Method::GET,
                &format!("{ns}/pods"),
                Some("labelSelector=a&watch=true")
            ),
            pair("watch", "pods")
        );
        assert_eq!(
            of(
                Method::GET,
                &format!("{ns}/pods/web/log"),
                Some("tailLines=5")
            ),
            pair("get", "pods/log")
        );
        assert_eq!(
            of(Method::POST, &format!("{ns}/secrets"), None),
            pair("create", "secrets")
        );
        assert_eq!(
            of(Method::PUT, &format!("{ns}/secrets/k"), None),
            pair("update", "secrets")
        );
        assert_eq!(
            of(
                Method::DELETE,
                "/apis/traefik.io/v1alpha1/namespaces/friend-a/ingressroutes/expose-x",
                None
            ),
            pair("delete", "ingressroutes")
        );
        assert_eq!(
            of(Method::GET, "/api/v1/namespaces/friend-a", None),
            pair("get", "namespaces")
        );
        assert_eq!(
            of(Method::GET, "/api/v1/namespaces", None),
            pair("list", "namespaces")
        );
        assert_eq!(of(Method::GET, "/version", None), pair("list", "other"));
    }
}
