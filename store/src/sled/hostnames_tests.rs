use super::*;
use std::sync::Arc;

fn table() -> (tempfile::TempDir, Arc<SledStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), super::super::DEFAULT_CACHE_BYTES).unwrap();
    (dir, Arc::new(store))
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_000_000, 0).unwrap()
}

fn request<'a>(hostname: &'a str, friend: &'a str, name: &'a str) -> ClaimRequest<'a> {
    ClaimRequest {
        hostname,
        friend,
        name,
        zone: "your-domain.net",
    }
}

const SHOP: &str = "shop-x-alice.your-domain.net";

#[tokio::test]
async fn a_hostname_has_one_owner() {
    let (_dir, t) = table();
    let alice = request(SHOP, "alice", "shop-x");
    assert!(t.claim(alice, ClaimPart::Route, 10, now()).await.unwrap());
    // The owner adds the other part; the same part again is not new.
    assert!(t.claim(alice, ClaimPart::Record, 10, now()).await.unwrap());
    assert!(!t.claim(alice, ClaimPart::Record, 10, now()).await.unwrap());
    // Another friend, whatever the case of the name, is refused and changes nothing.
    let x_alice = request("Shop-X-Alice.your-domain.net", "x-alice", "shop");
    for part in [ClaimPart::Route, ClaimPart::Record] {
        let err = t.claim(x_alice, part, 10, now()).await.unwrap_err();
        assert!(matches!(err, ClaimError::Taken), "{err:?}");
    }
    assert!(!t.release(SHOP, "x-alice", ClaimPart::Record).await.unwrap());
    let claim = t.owner(SHOP).await.unwrap().unwrap();
    assert_eq!(
        (claim.friend.as_str(), claim.route, claim.record),
        ("alice", true, true)
    );
    assert_eq!(t.hostname_count("x-alice").await.unwrap(), 0);
    assert_eq!(t.hostname_count("alice").await.unwrap(), 1);
}

#[tokio::test]
async fn the_claim_goes_with_its_last_part() {
    let (_dir, t) = table();
    let alice = request(SHOP, "alice", "shop-x");
    t.claim(alice, ClaimPart::Route, 10, now()).await.unwrap();
    t.claim(alice, ClaimPart::Record, 10, now()).await.unwrap();
    assert!(t.release(SHOP, "alice", ClaimPart::Route).await.unwrap());
    assert!(
        t.owner(SHOP).await.unwrap().is_some(),
        "the record still stands"
    );
    assert!(t.release(SHOP, "alice", ClaimPart::Record).await.unwrap());
    assert!(t.owner(SHOP).await.unwrap().is_none());
    assert_eq!(t.hostname_count("alice").await.unwrap(), 0);
    assert!(t.hostnames_of("alice").await.unwrap().is_empty());
    // Free again: another friend may take it now.
    let x_alice = request(SHOP, "x-alice", "shop");
    assert!(t.claim(x_alice, ClaimPart::Route, 10, now()).await.unwrap());
}

#[tokio::test]
async fn the_limit_counts_hostnames_not_parts() {
    let (_dir, t) = table();
    let names: Vec<String> = (0..3)
        .map(|i| format!("app{i}-bob.your-domain.net"))
        .collect();
    for name in &names {
        let r = request(name, "bob", "app");
        t.claim(r, ClaimPart::Route, 3, now()).await.unwrap();
        t.claim(r, ClaimPart::Record, 3, now()).await.unwrap();
    }
    let fourth = request("app3-bob.your-domain.net", "bob", "app3");
    let err = t
        .claim(fourth, ClaimPart::Route, 3, now())
        .await
        .unwrap_err();
    assert!(matches!(err, ClaimError::Limit { max: 3 }), "{err:?}");
    assert!(t.owner("app3-bob.your-domain.net").await.unwrap().is_none());
    // Others are not limited by bob's count.
    let carol = request("app-carol.your-domain.net", "carol", "app");
    t.claim(carol, ClaimPart::Route, 3, now()).await.unwrap();
    // Releasing one makes room.
    t.release_name("bob", "app", ClaimPart::Route)
        .await
        .unwrap();
    t.release(&names[0], "bob", ClaimPart::Record)
        .await
        .unwrap();
    assert_eq!(t.hostname_count("bob").await.unwrap(), 2);
    t.claim(fourth, ClaimPart::Route, 3, now()).await.unwrap();
}

#[tokio::test]
async fn concurrent_claims_have_one_winner() {
    let (_dir, t) = table();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let friend = format!("f{i}");
            let r = request(SHOP, &friend, "shop");
            t.claim(r, ClaimPart::Route, 10, now()).await.is_ok()
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    // And one friend racing themselves past the limit: exactly `max` win.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let hostname = format!("n{i}-dave.your-domain.net");
            let r = request(&hostname, "dave", "n");
            t.claim(r, ClaimPart::Route, 5, now()).await.is_ok()
        }));
    }
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap());
    }
    assert_eq!(won, 5);
    assert_eq!(t.hostname_count("dave").await.unwrap(), 5);
    assert_eq!(t.hostnames_of("dave").await.unwrap().len(), 5);
}

/// Claims `part` of `hostname` for `friend`, which must succeed.
async fn take(t: &SledStore, hostname: &str, friend: &str, name: &str, part: ClaimPart) {
    let r = request(hostname, friend, name);
    t.claim(r, part, 10, now()).await.unwrap();
}

#[tokio::test]
async fn release_all_frees_only_the_friends_hostnames() {
    let (_dir, t) = table();
    take(&t, SHOP, "alice", "shop-x", ClaimPart::Record).await;
    let other = "shop-x-alice.other.org";
    take(&t, other, "alice", "shop-x", ClaimPart::Route).await;
    let theirs = "shop-alice-b.your-domain.net";
    take(&t, theirs, "alice-b", "shop", ClaimPart::Route).await;
    assert_eq!(t.release_all("alice").await.unwrap(), 2);
    assert!(t.owner(SHOP).await.unwrap().is_none());
    assert!(t.owner(other).await.unwrap().is_none());
    assert_eq!(t.owner(theirs).await.unwrap().unwrap().friend, "alice-b");
    assert_eq!(t.hostname_count("alice").await.unwrap(), 0);
}
