//! HTTP: the router, the tower layers every request passes, and the server's lifecycle.

pub mod guard;
pub mod housekeeping;
pub mod json;
mod json_errors;
pub mod metrics;
mod plugin_routes;
pub mod portal_page;
mod store_open;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceBuilder;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::auth::admin_token::{self, AdminToken};
use crate::clock::SharedClock;
use crate::config::ServeConfig;
use crate::error::ApiError;
use crate::state::{AppState, SharedState};
use crate::telemetry::request_id;
use crate::workspace::Workspace;
pub use store_open::open_store;

/// Request bodies larger than this get 413 (plugin uploads have their own cap).
pub const MAX_BODY: usize = 1024 * 1024;
/// A safety net behind the plugins' own deadlines.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub fn router(state: SharedState) -> Router {
    // Every request's log lines name the replica that served it (PORTAL_REPLICA_ID).
    let replica: std::sync::Arc<str> = state.config.scheduler.replica.as_str().into();
    let request_id = HeaderName::from_static(request_id::HEADER);
    let routes = crate::api::routes(state.native_echo)
        .merge(plugin_routes::routes(&state))
        .merge(portal_page::routes())
        .route_layer(from_fn_with_state(state.clone(), guard::guard))
        .merge(crate::mcp::routes(&state));
    routes
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(axum::http::StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
        })
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::map_request(request_id::admit))
                .layer(SetRequestIdLayer::new(request_id.clone(), request_id::RandomId))
                .layer(TraceLayer::new_for_http().make_span_with(move |request: &axum::http::Request<_>| {
                    let id = request.headers().get(request_id::HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
                    let path = loggable_path(request.uri().path());
                    tracing::info_span!("request", replica = %replica, request_id = %id, method = %request.method(), path = %path, caller = tracing::field::Empty)
                }))
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
                .layer(from_fn(request_id::scope))
                .layer(from_fn_with_state(state.clone(), metrics::record))
                .layer(from_fn(json_errors::ensure_json))
                .layer(from_fn(timeout))
                .layer(DefaultBodyLimit::max(MAX_BODY)),
        )
        .with_state(state)
}

/// The longest request path written to the log: a client chooses it, and every log line
/// of the request carries it.
const LOGGED_PATH_MAX: usize = 256;

/// `path` cut to [`LOGGED_PATH_MAX`] bytes (at a character boundary).
fn loggable_path(path: &str) -> &str {
    let mut end = path.len().min(LOGGED_PATH_MAX);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    &path[..end]
}

async fn timeout(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            "the request took too long",
        )
        .into_response(),
    }
}

/// Opens the state a server runs on: store, workspace, admin token.
pub async fn build_state(
    config: ServeConfig,
    clock: SharedClock,
) -> anyhow::Result<(SharedState, AdminToken)> {
    std::fs::create_dir_all(&config.data_dir)?;
    let metrics = Arc::new(crate::telemetry::metrics::Metrics::default());
    let kube = match config.cluster {
        crate::cluster::ClusterMode::Kube => {
            Some(crate::cluster::kube_client(metrics.kube_requests.clone()).await?)
        }
        crate::cluster::ClusterMode::Embedded => None,
    };
    let mut store = open_store(&config, kube.as_ref()).await?;
    store_open::attach_local_trees(&mut store, &config)?;
    let workspace = Workspace::open(config.workspace_dir.clone())?;
    let admin =
        admin_token::load_or_create(config.admin_token.as_deref(), &config.admin_token_file())?;
    let policy = config
        .policies
        .load_plugins(&crate::api::native_route_clash)?;
    store.audit.set_audit_bounds(portal_store::AuditBounds {
        kept_per_friend: policy.audit_entries_per_friend,
        ..Default::default()
    });
    let session_policy = crate::auth::policy::SessionPolicy::load(&config.policies)?;
    let (elector, leadership) = store_open::elect_leader(&config, kube.as_ref())?;
    let scheduler = crate::scheduler::Scheduler::open(
        &store,
        clock.clone(),
        config.scheduler.clone(),
        leadership,
    )
    .await?;
    let cluster = Arc::new(crate::cluster::connect(
        config.cluster,
        &store,
        kube,
        clock.clone(),
        &config.policies,
    )?);
    let exposure = Arc::new(crate::exposure::ExposurePolicy::load(
        &config.policies,
        config.domains.clone(),
    )?);
    let dns = Arc::new(match config.dns {
        crate::dns::DnsMode::Local => {
            crate::dns::Dns::Local(crate::dns::LocalDns::open(&store, clock.clone())?)
        }
        crate::dns::DnsMode::Cloudflare => {
            let cloudflare = config
                .cloudflare
                .clone()
                .ok_or_else(|| anyhow::anyhow!("--dns cloudflare needs a Cloudflare API token"))?;
            crate::dns::Dns::Cloudflare(crate::dns::CloudflareDns::new(cloudflare))
        }
    });
    let services = Arc::new(crate::capabilities::Services::new(
        &store,
        policy.kv_limits(),
        workspace.clone(),
        scheduler.clone(),
        cluster.clone(),
        exposure.clone(),
        dns.clone(),
        clock.clone(),
    ));
    let runtime = crate::runtime::Runtime::start(
        &policy,
        &config.data_dir,
        &config.compiled_dir(),
        services,
        metrics.clone(),
        clock.clone(),
    )?;
    let registry = config.registry.clone();
    let state = AppState {
        runtime,
        admin_token: admin.secret().to_owned(),
        config,
        store,
        clock,
        metrics,
        workspace,
        scheduler,
        cluster,
        exposure,
        dns,
        session_issue_lock: tokio::sync::Mutex::new(()),
        session_policy,
        public_url: std::sync::OnceLock::new(),
        native_echo: policy.native_echo,
        elector: std::sync::Mutex::new(elector),
        releases: crate::releases::follow::Follower::new(&registry),
        touching: Default::default(),
    };
    Ok((Arc::new(state), admin))
}

/// A server running in this process; tests start one per case on a free port.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: SharedState,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish, flushes the store.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await?
    }
}

pub async fn start(state: SharedState) -> anyhow::Result<RunningServer> {
    let listener = TcpListener::bind(state.config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", state.config.listen))?;
    let addr = listener.local_addr()?;
    let _ = state.public_url.set(
        state
            .config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}")),
    );
    // A replica serves the plugins' current releases before it answers anything.
    state.releases.sync(&state).await;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(state.clone());
    state.scheduler.start();
    let sweeper = tokio::spawn(housekeeping::sweep_hourly(Arc::downgrade(&state)));
    let (stop_following, following) = tokio::sync::watch::channel(false);
    let follower = tokio::spawn(crate::releases::follow::run(
        Arc::downgrade(&state),
        following,
    ));
    let task_state = state.clone();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app.into_make_service())
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        // Stopped with the server, whichever way it stopped.
        stop_following.send_replace(true);
        let _ = follower.await;
        task_state.scheduler.shutdown().await;
        let elector = task_state
            .elector
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(elector) = elector {
            elector.release().await;
        }
        task_state.cluster.close();
        served?;
        sweeper.abort();
        // What is not flushed as it is written (a session's last use) is flushed here.
        if let Some(local) = &task_state.store.local {
            local.flusher().flush().await?;
        }
        tracing::info!("stopped; store flushed");
        Ok(())
    });
    Ok(RunningServer {
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn logged_paths_are_bounded() {
        let long = format!("/api/{}", "é".repeat(1000));
        let logged = super::loggable_path(&long);
        assert!(logged.len() <= super::LOGGED_PATH_MAX && long.starts_with(logged));
        assert_eq!(super::loggable_path("/healthz"), "/healthz");
    }
}
