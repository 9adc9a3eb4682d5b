//! kube-fake-client cannot serve Namespace objects (it reads `/api/v1/namespaces/<name>`
//! as a namespaced path), and the portal asks for the friend's namespace before it acts in
//! it. This layer answers those reads as an API server would for namespaces the portal made,
//! except the ones named as foreign, and passes every other request to the fake.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use kube::client::Body;
use serde_json::json;

#[derive(Clone)]
pub struct FakeNamespaces {
    inner: kube::Client,
    /// Namespaces that exist without the portal's labels (the portal's own, say).
    foreign: Arc<BTreeSet<String>>,
}

impl FakeNamespaces {
    pub fn client(inner: kube::Client, foreign: &[&str]) -> kube::Client {
        let layer = Self {
            inner,
            foreign: Arc::new(foreign.iter().map(|s| (*s).to_owned()).collect()),
        };
        kube::Client::new(layer, "default")
    }

    fn namespace(&self, name: &str) -> Response<Body> {
        let labels = match name.strip_prefix("friend-") {
            Some(friend) if !self.foreign.contains(name) => json!({
                "app.kubernetes.io/managed-by": "friend-portal",
                "friend-portal/friend": friend,
            }),
            _ => json!({"app.kubernetes.io/managed-by": "someone-else"}),
        };
        let body = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": labels},
        });
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string().into_bytes()))
            .expect("a static response")
    }
}

impl tower::Service<Request<Body>> for FakeNamespaces {
    type Response = Response<Body>;
    type Error = kube::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, kube::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let name = path
            .strip_prefix("/api/v1/namespaces/")
            .filter(|rest| !rest.is_empty() && !rest.contains('/'));
        if let (true, Some(name)) = (request.method() == http::Method::GET, name) {
            let response = self.namespace(name);
            return Box::pin(async move { Ok(response) });
        }
        let inner = self.inner.clone();
        Box::pin(async move { inner.send(request).await })
    }
}
