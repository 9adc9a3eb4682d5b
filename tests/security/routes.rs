//! Every route the portal serves: the plugin routes read from the test policy
//! (`tests/policies/plugins.toml`) and the host's own, listed by hand from
//! `host/src/api/mod.rs`; and every kind of caller.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::ADMIN;
use crate::world::{Markers, World};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Admin,
    Agent,
    Friend,
}

/// What a route reads from its body.
#[derive(Debug, Clone)]
pub enum Body {
    /// Nothing: the body is ignored.
    None,
    /// JSON; this one is valid and changes state (`{friend}` is the caller's friend).
    Json(Value),
    /// Any bytes (a kv value, a component).
    Bytes,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    /// `:param` syntax, as in the policy.
    pub path: &'static str,
    /// The plugin route name, or `host`.
    pub name: String,
    pub callers: Vec<Kind>,
    /// Acts on the friend named in the path or body: an agent needs a friendship.
    pub subject: bool,
    /// Misbehaving test fixtures (and hello): exempt from the 5xx rule.
    pub fixture: bool,
    pub body: Body,
    /// Fixed parameter values (destructive routes act on a victim, not on alice).
    pub fixed: Vec<(&'static str, &'static str)>,
    /// Logs the caller out: the matrix gives it sessions of its own.
    pub consumes_session: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    NoToken,
    Malformed,
    Unknown,
    Expired,
    Revoked,
    /// An agent token after `DELETE /api/agents/:id` (an agent of the same id registered since).
    RevokedAgent,
    /// The session of a friend deleted since (a friend of the same id created since).
    DeletedFriend,
    /// Another friend's session: bob, on alice's routes and on his own portal.
    Bob,
    /// Agent `other`, no friendship with anyone.
    OtherAgent,
    /// Agent `main`, alice's.
    Agent,
    Admin,
    Alice,
}

impl Caller {
    pub const ALL: [Caller; 12] = [
        Caller::NoToken,
        Caller::Malformed,
        Caller::Unknown,
        Caller::Expired,
        Caller::Revoked,
        Caller::RevokedAgent,
        Caller::DeletedFriend,
        Caller::Bob,
        Caller::OtherAgent,
        Caller::Agent,
        Caller::Admin,
        Caller::Alice,
    ];

    /// The `Authorization` header this caller sends.
    pub fn auth(self, w: &World) -> Option<String> {
        let bearer = |t: &str| Some(format!("Bearer {t}"));
        match self {
            Caller::NoToken => None,
            Caller::Malformed => Some("Basic x".to_owned()),
            Caller::Unknown => bearer("c2VjdXJpdHktbWF0cml4LXVua25vd24tdG9rZW4tMDAwMDAw"),
            Caller::Expired => bearer(&w.expired),
            Caller::Revoked => bearer(&w.revoked),
            Caller::RevokedAgent => bearer(&w.revoked_agent),
            Caller::DeletedFriend => bearer(&w.deleted_friend),
            Caller::Bob => bearer(&w.bob),
            Caller::OtherAgent => bearer(&w.other),
            Caller::Agent => bearer(&w.agent),
            Caller::Admin => bearer(ADMIN),
            Caller::Alice => bearer(&w.alice),
        }
    }

    pub fn kind(self) -> Option<Kind> {
        match self {
            Caller::Bob | Caller::Alice => Some(Kind::Friend),
            Caller::OtherAgent | Caller::Agent => Some(Kind::Agent),
            Caller::Admin => Some(Kind::Admin),
            _ => None,
        }
    }

    /// The friend whose names fill the path: a friend's own, alice for everyone else.
    pub fn friend(self) -> &'static str {
        if self == Caller::Bob {
            crate::world::BOB
        } else {
            "alice"
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Unauthorized,
    Forbidden,
    /// Anything but 401, 403 and (fixtures apart) 5xx.
    Allowed,
}

impl Route {
    pub fn expect(&self, caller: Caller) -> Expect {
        let Some(kind) = caller.kind() else {
            return Expect::Unauthorized;
        };
        if !self.callers.contains(&kind) || (caller == Caller::OtherAgent && self.subject) {
            Expect::Forbidden
        } else {
            Expect::Allowed
        }
    }

    pub fn params(&self) -> Vec<&'static str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix(':'))
            .collect()
    }

    /// The path with every parameter filled for the friend `m`, `evil` put in place of `param`.
    pub fn fill(&self, w: &World, m: &Markers, evil: Option<(&str, &str)>) -> String {
        let pod = if m.friend == crate::world::BOB {
            &w.bob_pod
        } else {
            &w.alice_pod
        };
        self.path
            .split('/')
            .map(|seg| match seg.strip_prefix(':') {
                None => seg.to_owned(),
                Some(param) => match evil {
                    Some((p, value)) if p == param => value.to_owned(),
                    _ => self.value(param, m, pod),
                },
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    fn value(&self, param: &str, m: &Markers, pod: &str) -> String {
        if let Some((_, v)) = self.fixed.iter().find(|(p, _)| *p == param) {
            return (*v).to_owned();
        }
        let n = self.name.as_str();
        match param {
            "id" => m.friend.to_owned(),
            "pod" => pod.to_owned(),
            "key" => "k".to_owned(),
            "word" => "hi".to_owned(),
            "name" if n.starts_with("secrets.") => m.secret_name.clone(),
            "name" if n.starts_with("crons.") => m.cron_name.clone(),
            "name" if n.starts_with("exposure.") => m.exposure.clone(),
            "name" if n.starts_with("namespace.") => m.deployment.clone(),
            other => panic!("no value for :{other} in {} {}", self.method, self.path),
        }
    }

    /// The valid body for a caller acting for `friend` (`{via}`: `p` on the portal side,
    /// `o` on the operators', so that both sides' writes differ; `{agent}`: an agent the
    /// friend has a friendship with).
    pub fn body_for(&self, friend: &str) -> Option<Value> {
        let via = if self.path.starts_with("/api/portal/") {
            "p"
        } else {
            "o"
        };
        match &self.body {
            Body::None => None,
            Body::Bytes => Some(json!({"v": 1})),
            Body::Json(v) => {
                let agent = if friend == crate::world::BOB {
                    crate::world::BOBS_AGENT
                } else {
                    "main"
                };
                let with = [("{friend}", friend), ("{via}", via), ("{agent}", agent)];
                Some(substitute(v, &with))
            }
        }
    }
}

fn substitute(v: &Value, with: &[(&str, &str)]) -> Value {
    match v {
        Value::String(s) => Value::String(
            with.iter()
                .fold(s.clone(), |s, (from, to)| s.replace(from, to)),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, with)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), substitute(x, with)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The host's own routes (`host/src/api/mod.rs`), with README's callers.
fn host_routes() -> Vec<Route> {
    use Kind::*;
    let r = |method: Method, path: &'static str, callers: &[Kind], body: Body| Route {
        method,
        path,
        name: "host".to_owned(),
        callers: callers.to_vec(),
        subject: path.starts_with("/api/friends/:id"),
        fixture: false,
        body,
        fixed: vec![],
        consumes_session: false,
    };
    let fixed = |mut route: Route, fixed: &[(&'static str, &'static str)]| {
        route.fixed = fixed.to_vec();
        route
    };
    let j = Body::Json;
    let mut session = r(
        Method::POST,
        "/api/auth/portal-session",
        &[Admin, Agent],
        j(json!({"friend_id": "alice"})),
    );
    session.subject = true;
    let mut logout = r(Method::DELETE, "/api/portal/session", &[Friend], Body::None);
    logout.consumes_session = true;
    vec![
        r(Method::GET, "/api/agents", &[Admin], Body::None),
        r(
            Method::POST,
            "/api/agents",
            &[Admin],
            j(json!({"id": "matrix-agent", "display_name": "Matrix"})),
        ),
        fixed(
            r(Method::DELETE, "/api/agents/:id", &[Admin], Body::None),
            &[("id", "victim-agent")],
        ),
        session,
        logout,
        fixed(
            r(
                Method::DELETE,
                "/api/friends/:id/sessions",
                &[Admin, Agent],
                Body::None,
            ),
            &[("id", "carol")],
        ),
        r(Method::GET, "/api/friends", &[Admin, Agent], Body::None),
        r(
            Method::POST,
            "/api/friends",
            &[Admin, Agent],
            j(json!({"id": "matrix-friend", "display_name": "Matrix"})),
        ),
        r(Method::GET, "/api/friends/:id", &[Admin, Agent], Body::None),
        r(
            Method::PUT,
            "/api/friends/:id",
            &[Admin, Agent],
            j(json!({"display_name": "Renamed {friend}"})),
        ),
        fixed(
            r(
                Method::DELETE,
                "/api/friends/:id",
                &[Admin, Agent],
                Body::None,
            ),
            &[("id", "dave")],
        ),
        fixed(
            r(
                Method::PUT,
                "/api/friends/:id/agents/:agent_id",
                &[Admin],
                Body::None,
            ),
            &[("agent_id", "main")],
        ),
        fixed(
            r(
                Method::DELETE,
                "/api/friends/:id/agents/:agent_id",
                &[Admin],
                Body::None,
            ),
            &[("id", "erin"), ("agent_id", "main")],
        ),
        r(Method::GET, "/api/portal/me", &[Friend], Body::None),
        r(
            Method::PUT,
            "/api/portal/me",
            &[Friend],
            j(json!({"preferred_channel": "signal"})),
        ),
        r(Method::GET, "/api/portal/sessions", &[Friend], Body::None),
        fixed(
            r(
                Method::DELETE,
                "/api/portal/sessions/:id",
                &[Friend],
                Body::None,
            ),
            &[("id", "no-such-session")],
        ),
        r(Method::GET, "/api/portal/agents", &[Friend], Body::None),
        r(Method::GET, "/api/admin/audit", &[Admin], Body::None),
        r(Method::GET, "/metrics", &[Admin], Body::None),
        r(Method::GET, "/api/portal/echo", &[Friend], Body::None),
        r(Method::GET, "/api/admin/dns", &[Admin], Body::None),
        r(Method::GET, "/api/admin/outbox", &[Admin], Body::None),
        r(Method::GET, "/api/admin/plugins", &[Admin], Body::None),
        fixed(
            r(
                Method::PUT,
                "/api/admin/plugins/:name",
                &[Admin],
                Body::Bytes,
            ),
            &[("name", "hello")],
        ),
        fixed(
            r(
                Method::POST,
                "/api/admin/plugins/:name/rollback",
                &[Admin],
                Body::None,
            ),
            &[("name", "hello")],
        ),
    ]
}

/// The valid, state-changing body of each plugin route that reads one.
fn plugin_body(name: &str) -> Body {
    let manifest = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "matrix-cm"}, "data": {"k": "v"}});
    match name {
        "hello.kv-put" => Body::Bytes,
        "workspace.memory-put" | "workspace.notes-put" | "workspace.heartbeat-put" => {
            Body::Json(json!({"content": "rewritten for {friend} ({via})"}))
        }
        "crons.create" => Body::Json(
            json!({"name": "matrix-job", "message": "from the matrix", "cron": "0 9 * * *", "session": "agent:{agent}:direct:channel:{friend}"}),
        ),
        "crons.toggle" => Body::Json(json!({"enabled": false})),
        "crons.update" => Body::Json(
            json!({"message": "changed by the matrix ({via})", "cron": "0 10 * * *", "tz": "UTC", "session": "agent:{agent}:direct:channel:{friend}"}),
        ),
        "secrets.create" => Body::Json(json!({"name": "matrix-secret", "data": {"k": "v"}})),
        "secrets.replace" => Body::Json(json!({"data": {"token": "replaced"}})),
        "namespace.apply" => Body::Json(manifest),
        "exposure.create" => Body::Json(
            json!({"name": "m{via}{friend}", "service": "web", "port": 80, "domain": "your-domain.net"}),
        ),
        _ => Body::None,
    }
}

/// The plugin routes of the test policy, parsed with `toml`.
fn plugin_routes() -> Vec<Route> {
    let file = crate::support::test_policies().join("plugins.toml");
    let policy: toml::Table = toml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let mut routes = Vec::new();
    for (plugin, table) in policy["plugins"].as_table().expect("[plugins]") {
        for route in table
            .get("routes")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            let field = |k: &str| {
                route[k]
                    .as_str()
                    .unwrap_or_else(|| panic!("{plugin}: route without {k}"))
                    .to_owned()
            };
            let path: &'static str = Box::leak(field("path").into_boxed_str());
            let name = field("name");
            let callers = route["callers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| match c.as_str().unwrap() {
                    "admin" => Kind::Admin,
                    "agent" => Kind::Agent,
                    "friend" => Kind::Friend,
                    other => panic!("{plugin}: unknown caller {other}"),
                })
                .collect();
            routes.push(Route {
                method: field("method").parse().unwrap(),
                path,
                body: plugin_body(&name),
                fixture: ["hello", "spin", "narrow", "shared", "hog", "crash"]
                    .contains(&plugin.as_str()),
                name,
                callers,
                subject: path.starts_with("/api/friends/:id/"),
                fixed: vec![],
                consumes_session: false,
            });
        }
    }
    routes
}

pub fn all() -> Vec<Route> {
    let mut routes = host_routes();
    routes.extend(plugin_routes());
    routes
}

/// Routes that answer anyone, outside the matrix (checked for leaks and traversal).
pub const PUBLIC_GETS: [&str; 4] = ["/healthz", "/api/openapi.json", "/portal", "/portal/app.js"];
