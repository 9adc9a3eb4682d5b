//! The portal binary in kube mode against the shared control plane, one per test (each
//! with its own data dir), and the few API calls every case needs.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::child::{ADMIN, Child};
use crate::control_plane::{ControlPlane, control_plane};

pub struct KubePortal {
    pub child: Child,
    pub plane: &'static ControlPlane,
    _dir: TempDir,
}

/// An answer: status and JSON body.
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

impl KubePortal {
    pub async fn start() -> Self {
        let plane = tokio::task::spawn_blocking(control_plane)
            .await
            .expect("starting the control plane");
        let dir = tempfile::tempdir().expect("a data dir");
        let child = Child::serve_with_env(
            dir.path(),
            // The built-in exposure policy lists no domain: the exposure tests need one.
            &["--cluster", "kube", "--domains", "your-domain.net"],
            &[("KUBECONFIG", plane.portal_kubeconfig.as_path())],
        )
        .await;
        let portal = Self {
            child,
            plane,
            _dir: dir,
        };
        let health = portal.call(Method::GET, "/healthz", ADMIN, None).await;
        assert_eq!(health.body["cluster"], "kube", "{}", health.body);
        portal
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        let (status, body) = self.child.call(method, path, token, body).await;
        Reply { status, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, token, None).await
    }

    pub async fn add_agent(&self, id: &str) -> String {
        let r = self
            .post("/api/agents", ADMIN, json!({"id": id, "display_name": id}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["token"].as_str().expect("a token").to_owned()
    }

    pub async fn add_friend(&self, token: &str, id: &str) {
        let r = self
            .post("/api/friends", token, json!({"id": id, "display_name": id}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }

    pub async fn session_for(&self, token: &str, friend: &str) -> String {
        let r = self
            .post(
                "/api/auth/portal-session",
                token,
                json!({"friend_id": friend}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["session_token"]
            .as_str()
            .expect("a session")
            .to_owned()
    }

    /// An agent, and a friend of it with a portal session.
    pub async fn friend(&self, id: &str) -> Friend {
        let agent = self.add_agent("main").await;
        self.add_friend(&agent, id).await;
        let session = self.session_for(&agent, id).await;
        Friend {
            namespace: format!("friend-{id}"),
            agent,
            session,
        }
    }
}

pub struct Friend {
    pub namespace: String,
    pub agent: String,
    pub session: String,
}
