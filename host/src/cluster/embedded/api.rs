//! The HTTP side of the embedded API server: verbs on paths, in the API server's shapes.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

use super::cache::ReadCache;
use super::controllers::{self, stamp_new};
use super::defaults::{keep_allocated, normalise};
use super::objects::Objects;
use super::resources::{ResourceType, TYPES, Target, by_kind, parse_path};
use super::selectors::{matches_fields, matches_labels};
use super::status::Status;
use crate::clock::SharedClock;
use crate::cluster::merge::merge_patch;

#[derive(Clone)]
pub struct EmbeddedApi {
    /// `None` once closed: the client's background worker may outlive the server, and
    /// must not keep the data dir's store open.
    objects: Arc<std::sync::RwLock<Option<Objects>>>,
    clock: SharedClock,
    /// Writes happen one at a time, as if behind etcd's transactions.
    write_lock: Arc<tokio::sync::Mutex<()>>,
    /// Lists served again until a write changes them (see `cache`).
    reads: Arc<ReadCache>,
}

type Reply = Result<(StatusCode, Value), Status>;

impl EmbeddedApi {
    pub fn new(store: &portal_store::Store, clock: SharedClock) -> portal_store::StoreResult<Self> {
        Ok(Self {
            objects: Arc::new(std::sync::RwLock::new(Some(Objects::open(store)?))),
            clock,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            reads: Arc::new(ReadCache::default()),
        })
    }

    pub fn reads(&self) -> &ReadCache {
        &self.reads
    }

    /// Lets go of the store; later requests get 503.
    pub fn close(&self) {
        *self.objects.write().unwrap_or_else(|p| p.into_inner()) = None;
        self.reads.close();
    }

    async fn handle(&self, request: Request<kube::client::Body>) -> Response<Full<Bytes>> {
        let objects = self
            .objects
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(objects) = objects else {
            return respond(Err(Status {
                code: 503,
                reason: "ServiceUnavailable",
                message: "the embedded cluster is closed".into(),
            }));
        };
        // Whatever a write touched: its namespace, or (cluster-wide) all of them.
        let written = (request.method() != Method::GET)
            .then(|| parse_path(request.uri().path()).map(|target| target.namespace));
        let response = Server {
            objects,
            clock: &self.clock,
            write_lock: &self.write_lock,
        }
        .handle(request)
        .await;
        // Before the writer hears back, so its next read shows the write.
        if let Some(Some(namespace)) = written {
            self.reads.wrote(namespace.as_deref());
        }
        response
    }
}

/// One request's view of the embedded API server.
struct Server<'a> {
    objects: Objects,
    clock: &'a SharedClock,
    write_lock: &'a tokio::sync::Mutex<()>,
}

impl Server<'_> {
    async fn handle(&self, request: Request<kube::client::Body>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        let query = parse_query(parts.uri.query().unwrap_or(""));
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = match body.collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => return respond(Err(Status::bad_request(format!("unreadable body: {e}")))),
        };
        let Some(target) = parse_path(&path) else {
            return respond(Err(Status {
                code: 404,
                reason: "NotFound",
                message: format!("the server could not find the requested resource ({path})"),
            }));
        };
        if target.subresource.as_deref() == Some("log") && parts.method == Method::GET {
            return self.logs(&target, &query);
        }
        let dry_run = query.iter().any(|(k, v)| k == "dryRun" && v == "All");
        let reply = match (&parts.method, target.name.as_deref()) {
            (&Method::GET, None) => Ok((StatusCode::OK, self.list(&target, &query))),
            (&Method::GET, Some(name)) => self.get(&target, name),
            (&Method::POST, None) => {
                self.write(&target, None, &body, WriteKind::Create, dry_run)
                    .await
            }
            (&Method::PUT, Some(name)) => {
                self.write(&target, Some(name), &body, WriteKind::Replace, dry_run)
                    .await
            }
            (&Method::PATCH, Some(name)) => {
                let kind = if content_type.starts_with("application/apply-patch") {
                    WriteKind::Apply
                } else if content_type.starts_with("application/merge-patch")
                    || content_type.starts_with("application/strategic-merge-patch")
                {
                    WriteKind::Merge
                } else {
                    return respond(Err(Status::unsupported(format!(
                        "the embedded cluster does not support patch type '{content_type}'"
                    ))));
                };
                self.write(&target, Some(name), &body, kind, dry_run).await
            }
            (&Method::DELETE, Some(name)) => self.delete(&target, name, dry_run).await,
            _ => Err(Status {
                code: 405,
                reason: "MethodNotAllowed",
                message: format!("{} is not supported on {path}", parts.method),
            }),
        };
        respond(reply)
    }

    fn list(&self, target: &Target, query: &[(String, String)]) -> Value {
        let selector = query
            .iter()
            .find(|(k, _)| k == "labelSelector")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let field_selector = query
            .iter()
            .find(|(k, _)| k == "fieldSelector")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let items: Vec<Value> = self
            .objects
            .list(&target.resource, target.namespace.as_deref())
            .into_iter()
            .filter(|o| matches_labels(o, selector) && matches_fields(o, field_selector))
            .map(|o| self.present(&target.resource, o))
            .collect();
        json!({
            "apiVersion": target.resource.api_version(),
            "kind": format!("{}List", target.resource.kind),
            "metadata": {"resourceVersion": self.objects.next_resource_version()},
            "items": items,
        })
    }

    fn get(&self, target: &Target, name: &str) -> Reply {
        let object = self
            .objects
            .get(&target.resource, target.namespace.as_deref(), name)?;
        let object = object.ok_or_else(|| Status::not_found(target.resource.plural, name))?;
        Ok((StatusCode::OK, self.present(&target.resource, object)))
    }

    /// Adds what is computed at read time: a quota's usage.
    fn present(&self, rt: &ResourceType, mut object: Value) -> Value {
        if rt.kind == "ResourceQuota" {
            let ns = object["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let hard = object["spec"]["hard"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let used = controllers::quota_used(&self.objects, &ns, &hard);
            object["status"] = json!({"hard": hard, "used": used});
        }
        object
    }

    async fn write(
        &self,
        target: &Target,
        url_name: Option<&str>,
        body: &[u8],
        kind: WriteKind,
        dry_run: bool,
    ) -> Reply {
        let rt = target.resource;
        let ns = target.namespace.as_deref();
        let patch: Value = serde_json::from_slice(body)
            .map_err(|e| Status::bad_request(format!("request body is not JSON: {e}")))?;
        let _guard = self.write_lock.lock().await;
        if let Some(ns) = ns
            && self.objects.get(&namespaces(), None, ns)?.is_none()
        {
            return Err(Status::not_found("namespaces", ns));
        }
        let name = url_name
            .map(str::to_owned)
            .or_else(|| patch["metadata"]["name"].as_str().map(str::to_owned))
            .ok_or_else(|| Status::invalid("metadata.name: Required value"))?;
        crate::validate::dns_subdomain(&name).map_err(|r| {
            Status::invalid(format!("metadata.name: Invalid value: \"{name}\": {r}"))
        })?;
        let existing = self.objects.get(&rt, ns, &name)?;
        let now = self.clock.now();
        let (mut object, created) = match (kind, existing) {
            (WriteKind::Create, Some(_)) => return Err(Status::already_exists(rt.plural, &name)),
            (WriteKind::Create | WriteKind::Apply, None) => {
                let mut object = patch;
                if object["metadata"]["name"].is_null() {
                    object["metadata"]["name"] = name.clone().into();
                }
                stamp_new(&self.objects, &mut object, ns, now);
                (object, true)
            }
            (WriteKind::Replace | WriteKind::Merge, None) => {
                return Err(Status::not_found(rt.plural, &name));
            }
            (WriteKind::Replace, Some(old)) => {
                let sent = patch["metadata"]["resourceVersion"].as_str();
                if sent.is_some_and(|rv| Some(rv) != old["metadata"]["resourceVersion"].as_str()) {
                    return Err(Status::conflict(format!(
                        "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                        rt.plural
                    )));
                }
                let mut object = patch;
                carry_metadata(&old, &mut object, &self.objects);
                keep_allocated(&rt, &old, &mut object);
                (object, false)
            }
            (WriteKind::Merge | WriteKind::Apply, Some(old)) => {
                let mut object = old.clone();
                merge_patch(&mut object, &patch);
                carry_metadata(&old, &mut object, &self.objects);
                (object, false)
            }
        };
        object["apiVersion"] = rt.api_version().into();
        object["kind"] = rt.kind.into();
        if object["metadata"]["name"] != name.as_str() {
            return Err(Status::bad_request(format!(
                "the name of the object ({}) does not match the name in the URL ({name})",
                object["metadata"]["name"]
            )));
        }
        if let Some(ns) = ns {
            if object["metadata"]["namespace"]
                .as_str()
                .is_some_and(|n| n != ns)
            {
                return Err(Status::bad_request(
                    "the namespace of the object does not match the namespace in the URL",
                ));
            }
            object["metadata"]["namespace"] = ns.into();
            if created
                && let Some(message) = controllers::quota_exceeded(&self.objects, ns, &rt, &object)
            {
                return Err(Status::forbidden(format!(
                    "{} \"{name}\" is forbidden: {message}",
                    rt.plural
                )));
            }
        }
        normalise(&rt, &mut object);
        if dry_run {
            return Ok((
                if created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                self.present(&rt, object),
            ));
        }
        if let Some(ns) = ns {
            if rt.kind == "Pod" {
                controllers::apply_limit_defaults(&self.objects, ns, &mut object);
            }
            controllers::reconcile(&self.objects, &rt, ns, &mut object, now)?;
        }
        self.objects.put(&rt, ns, &name, &object)?;
        self.objects.flush().await?;
        Ok((
            if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            self.present(&rt, object),
        ))
    }

    async fn delete(&self, target: &Target, name: &str, dry_run: bool) -> Reply {
        let rt = target.resource;
        let ns = target.namespace.as_deref();
        let _guard = self.write_lock.lock().await;
        let existing = self
            .objects
            .get(&rt, ns, name)?
            .ok_or_else(|| Status::not_found(rt.plural, name))?;
        if dry_run {
            return Ok((StatusCode::OK, existing));
        }
        self.objects.remove(&rt, ns, name)?;
        match rt.kind {
            // Cascade: a namespace takes everything in it along.
            "Namespace" => {
                for t in TYPES.iter().filter(|t| t.namespaced) {
                    for object in self.objects.list(t, Some(name)) {
                        if let Some(n) = object["metadata"]["name"].as_str() {
                            self.objects.remove(t, Some(name), n)?;
                        }
                    }
                }
            }
            // Garbage collection of owned pods.
            "Deployment" | "Job" => {
                let pods = by_kind("Pod").expect("Pod is known");
                for pod in self.objects.list(&pods, ns) {
                    let owned = pod["metadata"]["ownerReferences"]
                        .as_array()
                        .is_some_and(|refs| {
                            refs.iter()
                                .any(|r| r["kind"] == rt.kind && r["name"] == name)
                        });
                    if owned && let Some(pod_name) = pod["metadata"]["name"].as_str() {
                        self.objects.remove(&pods, ns, pod_name)?;
                    }
                }
            }
            _ => {}
        }
        self.objects.flush().await?;
        Ok((StatusCode::OK, existing))
    }

    fn logs(&self, target: &Target, query: &[(String, String)]) -> Response<Full<Bytes>> {
        let name = target.name.as_deref().unwrap_or_default();
        match self
            .objects
            .get(&target.resource, target.namespace.as_deref(), name)
        {
            Ok(Some(_)) => match super::logs::pod_log(name, query) {
                Ok(text) => Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Full::new(Bytes::from(text)))
                    .unwrap_or_default(),
                Err(problem) => respond(Err(Status::bad_request(problem))),
            },
            Ok(None) => respond(Err(Status::not_found("pods", name))),
            Err(e) => respond(Err(e.into())),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum WriteKind {
    Create,
    Replace,
    Merge,
    Apply,
}

fn namespaces() -> ResourceType {
    by_kind("Namespace").expect("Namespace is known")
}

/// What an update keeps from the stored object, and the version it bumps.
fn carry_metadata(old: &Value, object: &mut Value, objects: &Objects) {
    for key in ["uid", "creationTimestamp", "namespace"] {
        object["metadata"][key] = old["metadata"][key].clone();
    }
    let generation = old["metadata"]["generation"].as_u64().unwrap_or(1);
    let spec_changed = old["spec"] != object["spec"];
    object["metadata"]["generation"] = (generation + u64::from(spec_changed)).into();
    object["metadata"]["resourceVersion"] = objects.next_resource_version().into();
    if object.get("status").is_none_or(Value::is_null) && !old["status"].is_null() {
        object["status"] = old["status"].clone();
    }
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn respond(reply: Reply) -> Response<Full<Bytes>> {
    let (status, body) = match reply {
        Ok(ok) => ok,
        Err(status) => (
            StatusCode::from_u16(status.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            status.to_json(),
        ),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(
            serde_json::to_vec(&body).unwrap_or_default(),
        )))
        .unwrap_or_default()
}

impl tower::Service<Request<kube::client::Body>> for EmbeddedApi {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<kube::client::Body>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(request).await) })
    }
}
