//! Hot swap while serving, rollback, persistence of the installed version, and uploads
//! refused because they cannot describe their routes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::StatusCode;
use serde_json::Value;

use crate::World;
use crate::support::{ADMIN, fixture};

async fn install(w: &World, plugin: &str, fixture_name: &str) -> Value {
    let r = w.upload(plugin, fixture(fixture_name)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn served_version(w: &World) -> String {
    let r = w.p.get("/api/portal/hello", &w.alice).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["version"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_swaps_under_load_fail_no_request() {
    let w = World::new().await;
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..6)
        .map(|_| {
            let (http, url, token, stop) = (
                w.p.http.clone(),
                w.p.url("/api/portal/hello"),
                w.alice.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut seen: BTreeMap<String, usize> = BTreeMap::new();
                let mut failures = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match http.get(&url).bearer_auth(&token).send().await {
                        Ok(r) if r.status() == StatusCode::OK => {
                            let body: Value = r.json().await.unwrap();
                            *seen
                                .entry(body["version"].as_str().unwrap_or("?").to_owned())
                                .or_default() += 1;
                        }
                        Ok(r) => failures.push(format!(
                            "{} {}",
                            r.status(),
                            r.text().await.unwrap_or_default()
                        )),
                        Err(e) => failures.push(e.to_string()),
                    }
                }
                (seen, failures)
            })
        })
        .collect();

    let mut expected_version = String::new();
    for i in 0..20 {
        let (fixture_name, tag) = if i % 2 == 0 {
            ("hello2", "v2")
        } else {
            ("hello", "v1")
        };
        let swap = install(&w, "hello", fixture_name).await;
        assert_ne!(swap["version"], swap["previous"]);
        if !expected_version.is_empty() {
            assert_eq!(
                swap["previous"], expected_version,
                "previous is the version it replaced"
            );
        }
        expected_version = swap["version"].as_str().unwrap().to_owned();
        // A request that starts after the upload returned is served by the new version.
        assert_eq!(served_version(&w).await, tag, "swap {i}");
    }
    stop.store(true, Ordering::Relaxed);

    let mut total: BTreeMap<String, usize> = BTreeMap::new();
    for client in clients {
        let (seen, failures) = client.await.unwrap();
        assert!(
            failures.is_empty(),
            "failed requests during swaps: {failures:?}"
        );
        for (version, n) in seen {
            *total.entry(version).or_default() += n;
        }
    }
    let versions: Vec<_> = total.keys().cloned().collect();
    assert!(versions.iter().all(|v| v == "v1" || v == "v2"), "{total:?}");
    assert!(
        total.values().sum::<usize>() > 20,
        "the clients kept going: {total:?}"
    );
    eprintln!("requests served during 20 swaps: {total:?}");
}

#[tokio::test]
async fn rollback_returns_to_the_previous_version() {
    let w = World::new().await;
    let base = w.plugin_row("hello").await["version"].clone();
    let swap = install(&w, "hello", "hello2").await;
    assert_eq!(swap["previous"], base);
    assert_eq!(served_version(&w).await, "v2");

    let back =
        w.p.send(
            reqwest::Method::POST,
            "/api/admin/plugins/hello/rollback",
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(back.body["version"], base);
    assert_eq!(back.body["previous"], swap["version"]);
    assert_eq!(served_version(&w).await, "v1");

    let nothing =
        w.p.send(
            reqwest::Method::POST,
            "/api/admin/plugins/hello/rollback",
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(nothing.status, StatusCode::CONFLICT, "{}", nothing.text);
    assert_eq!(served_version(&w).await, "v1");
}

#[tokio::test]
async fn the_installed_version_survives_a_restart() {
    let w = World::new().await;
    let swap = install(&w, "hello", "hello2").await;
    let World {
        p,
        alice,
        agent,
        bob,
    } = w;
    let p = p.restart().await;
    let w = World {
        p,
        alice,
        agent,
        bob,
    };
    assert_eq!(served_version(&w).await, "v2");
    assert_eq!(w.plugin_row("hello").await["version"], swap["version"]);
    // And rollback still knows what came before.
    let back =
        w.p.send(
            reqwest::Method::POST,
            "/api/admin/plugins/hello/rollback",
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(back.body["version"], swap["previous"]);
}

/// The API document follows the version serving now, and a version that cannot describe
/// its routes (the crash fixture panics in `describe` too) is refused on upload.
#[tokio::test]
async fn an_upload_that_cannot_describe_its_routes_is_refused() {
    let w = World::new().await;
    let before = w.plugin_row("spin").await["version"].clone();
    let r = w.upload("spin", fixture("crash")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let message = r.message();
    assert!(
        message.contains("plugin 'spin': describe failed: wasm trap"),
        "{message}"
    );
    assert!(
        message.contains("crash fixture asked to describe its routes"),
        "{message}"
    );
    assert!(
        !message.contains("backtrace"),
        "the backtrace is for the log: {message}"
    );
    assert_eq!(
        w.plugin_row("spin").await["version"],
        before,
        "nothing changed"
    );

    // The crash plugin serving since start-up cannot describe itself either: its routes
    // are documented as any JSON, and the document is still served.
    let doc = w.p.get("/api/openapi.json", ADMIN).await;
    assert_eq!(doc.status, StatusCode::OK);
    let crash = &doc.body["paths"]["/api/portal/fixtures/crash"]["get"]["responses"];
    assert!(crash["2XX"].is_object(), "{crash}");
}
