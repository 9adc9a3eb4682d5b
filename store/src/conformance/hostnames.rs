//! Hostname claims: one owner per hostname, a maximum per friend.

use super::{at, race};
use crate::{ClaimError, ClaimPart, ClaimRequest, Store};

fn request<'a>(hostname: &'a str, friend: &'a str) -> ClaimRequest<'a> {
    ClaimRequest {
        hostname,
        friend,
        name: hostname.split('.').next().unwrap_or(hostname),
        zone: "example.org",
    }
}

pub async fn hostnames_have_one_owner(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let h = &store.hostnames;
    let blog = request("blog-alice.example.org", "alice");
    assert!(h.claim(blog, ClaimPart::Route, 3, at(0)).await.unwrap());
    assert!(
        !h.claim(blog, ClaimPart::Route, 3, at(1)).await.unwrap(),
        "held already"
    );
    assert!(h.claim(blog, ClaimPart::Record, 3, at(1)).await.unwrap());
    let claim = h
        .owner("BLOG-alice.example.org")
        .await
        .unwrap()
        .expect("any case");
    assert_eq!(
        (claim.friend.as_str(), claim.route, claim.record),
        ("alice", true, true)
    );
    assert_eq!(claim.claimed_at, at(0));
    assert_eq!(
        h.hostname_count("alice").await.unwrap(),
        1,
        "one hostname, two parts"
    );

    let taken = h.claim(
        request("blog-alice.example.org", "bob"),
        ClaimPart::Route,
        3,
        at(2),
    );
    assert!(matches!(taken.await, Err(ClaimError::Taken)));
    assert!(
        !h.release("blog-alice.example.org", "bob", ClaimPart::Route)
            .await
            .unwrap()
    );
    assert_eq!(
        h.owner("blog-alice.example.org")
            .await
            .unwrap()
            .unwrap()
            .friend,
        "alice"
    );

    assert!(
        h.release("blog-alice.example.org", "alice", ClaimPart::Route)
            .await
            .unwrap()
    );
    assert!(
        h.owner("blog-alice.example.org").await.unwrap().is_some(),
        "the record remains"
    );
    assert!(
        h.release("blog-alice.example.org", "alice", ClaimPart::Record)
            .await
            .unwrap()
    );
    assert!(h.owner("blog-alice.example.org").await.unwrap().is_none());
    assert_eq!(h.hostname_count("alice").await.unwrap(), 0);

    // Free again: anyone may claim it; the per-friend maximum counts hostnames.
    let bob = request("blog-alice.example.org", "bob");
    assert!(h.claim(bob, ClaimPart::Route, 1, at(3)).await.unwrap());
    let more = h.claim(
        request("shop-bob.example.org", "bob"),
        ClaimPart::Route,
        1,
        at(3),
    );
    assert!(matches!(more.await, Err(ClaimError::Limit { max: 1 })));
    assert!(h.owner("shop-bob.example.org").await.unwrap().is_none());

    for name in ["a-carol", "b-carol", "c-carol"] {
        let hostname = format!("{name}.example.org");
        let r = ClaimRequest {
            name: if name == "c-carol" { "other" } else { "site" },
            ..request(&hostname, "carol")
        };
        h.claim(r, ClaimPart::Route, 5, at(4)).await.unwrap();
        h.claim(r, ClaimPart::Record, 5, at(4)).await.unwrap();
    }
    let held: Vec<String> = h
        .hostnames_of("carol")
        .await
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        held,
        [
            "a-carol.example.org",
            "b-carol.example.org",
            "c-carol.example.org"
        ]
    );
    h.release_name("carol", "site", ClaimPart::Route)
        .await
        .unwrap();
    h.release_name("carol", "site", ClaimPart::Record)
        .await
        .unwrap();
    let held: Vec<String> = h
        .hostnames_of("carol")
        .await
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(held, ["c-carol.example.org"]);
    assert_eq!(h.release_all("carol").await.unwrap(), 1);
    assert!(h.hostnames_of("carol").await.unwrap().is_empty());
    assert_eq!(h.hostname_count("carol").await.unwrap(), 0);
    assert_eq!(h.hostname_count("bob").await.unwrap(), 1, "bob's stays");
}

pub async fn hostname_race_has_one_owner(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let results = race(&store, 8, |store, i| async move {
        let friend = format!("f{i}");
        let r = request("same.example.org", &friend);
        store
            .hostnames
            .claim(r, ClaimPart::Route, 5, at(0))
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let owner = store
        .hostnames
        .owner("same.example.org")
        .await
        .unwrap()
        .unwrap();
    let counted: u64 = hostnames_counted(&store, 8).await;
    assert_eq!(counted, 1, "only the owner counts it ({})", owner.friend);
}

async fn hostnames_counted(store: &Store, n: usize) -> u64 {
    let mut sum = 0;
    for i in 0..n {
        sum += store
            .hostnames
            .hostname_count(&format!("f{i}"))
            .await
            .unwrap();
    }
    sum
}

pub async fn hostname_limit_holds_under_a_race(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let results = race(&store, 10, |store, i| async move {
        let hostname = format!("site{i}-alice.example.org");
        let r = request(&hostname, "alice");
        store
            .hostnames
            .claim(r, ClaimPart::Route, 3, at(0))
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        3,
        "{results:?}"
    );
    assert_eq!(
        store.hostnames.hostnames_of("alice").await.unwrap().len(),
        3
    );
    assert_eq!(store.hostnames.hostname_count("alice").await.unwrap(), 3);
}
