//! Every route by every kind of caller: 401 without a valid token, 403 for the wrong kind
//! of caller (or an agent without the friendship), and for allowed callers anything but
//! 401, 403 or a 5xx.

use reqwest::StatusCode;

use crate::leaks::{describe, leak};
use crate::routes::{self, Caller, Expect};
use crate::support::ADMIN;
use crate::world::World;

#[tokio::test]
async fn every_route_by_every_caller() {
    let w = World::new().await;
    let mut routes = routes::all();
    // Deletions last, so that the routes reading what they delete see it first.
    routes.sort_by_key(|r| r.method == reqwest::Method::DELETE);
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut seen = std::collections::HashSet::new();
    for route in &routes {
        assert!(
            seen.insert((route.method.clone(), route.path)),
            "listed twice: {} {}",
            route.method,
            route.path
        );
        // Logging out ends the caller's session: give this route sessions of its own.
        let own = if route.consumes_session {
            Some((
                w.p.session_for(&w.agent, "alice").await,
                w.p.session_for(ADMIN, crate::world::BOB).await,
            ))
        } else {
            None
        };
        for caller in Caller::ALL {
            let auth = match (&own, caller) {
                (Some((alice, _)), Caller::Alice) => Some(format!("Bearer {alice}")),
                (Some((_, bob)), Caller::Bob) => Some(format!("Bearer {bob}")),
                _ => caller.auth(&w),
            };
            let target = w.markers(caller.friend());
            let path = route.fill(&w, target, None);
            let body = route.body_for(caller.friend());
            let r = w
                .call(&route.method, &path, auth.as_deref(), body.as_ref())
                .await;
            cases += 1;
            if std::env::var_os("SECURITY_VERBOSE").is_some() {
                eprintln!("{}", describe(caller, &route.method, &path, &r));
            }
            let expect = route.expect(caller);
            let ok = match expect {
                Expect::Unauthorized => r.status == StatusCode::UNAUTHORIZED,
                Expect::Forbidden => r.status == StatusCode::FORBIDDEN,
                Expect::Allowed => {
                    !matches!(r.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                        && (route.fixture || !r.status.is_server_error())
                }
            };
            if !ok {
                failures.push(format!(
                    "expected {expect:?}: {}",
                    describe(caller, &route.method, &path, &r)
                ));
            }
            // Every error is the JSON error shape, with the request id.
            if !r.status.is_success() && r.body["error"]["code"].as_str().is_none_or(str::is_empty)
            {
                failures.push(format!(
                    "not a JSON error: {}",
                    describe(caller, &route.method, &path, &r)
                ));
            }
            if r.headers.get("x-request-id").is_none() {
                failures.push(format!(
                    "no x-request-id: {}",
                    describe(caller, &route.method, &path, &r)
                ));
            }
            let request = format!("{path} {}", body.map(|b| b.to_string()).unwrap_or_default());
            if let Some(why) = leak(&w, caller, &route.name, &request, &r) {
                failures.push(format!(
                    "leaks {why}: {}",
                    describe(caller, &route.method, &path, &r)
                ));
            }
        }
    }
    // The agent registered again under a revoked id did not inherit its friendships.
    let r = w.p.get("/api/friends/alice", &w.reborn_agent).await;
    if r.status != StatusCode::FORBIDDEN {
        failures.push(format!(
            "a re-registered agent id reaches alice: {} {:.300}",
            r.status, r.text
        ));
    }
    eprintln!(
        "matrix: {} routes x {} callers = {cases} cases",
        routes.len(),
        Caller::ALL.len()
    );
    assert!(
        routes.len() >= 60,
        "only {} routes in the table",
        routes.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
