//! Plugin releases and replica reports.

use super::{at, race};
use crate::{Release, ReplicaReport, RollbackRefusal, Store};

pub fn release(plugin: &str, sha: &str) -> Release {
    Release {
        plugin: plugin.to_owned(),
        reference: format!("oci://registry.test/plugins/{plugin}@sha256:{sha}"),
        sha256: sha.to_owned(),
        version: format!("v-{sha}"),
        by: "admin".into(),
        at: at(0),
    }
}

pub async fn releases_publish_and_roll_back(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let r = &store.releases;
    assert!(r.releases("hello").await.unwrap().is_empty());
    assert_eq!(
        r.roll_back("hello", "aa").await.unwrap(),
        Err(RollbackRefusal::NothingToRollBack)
    );
    assert!(r.publish(&release("hello", "aa"), None).await.unwrap());
    assert!(
        !r.publish(&release("hello", "bb"), None).await.unwrap(),
        "the built-in is no longer current"
    );
    assert!(
        r.publish(&release("hello", "bb"), Some("aa"))
            .await
            .unwrap()
    );
    assert!(r.publish(&release("other", "cc"), None).await.unwrap());
    let shas: Vec<String> = r
        .releases("hello")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.sha256)
        .collect();
    assert_eq!(shas, ["bb", "aa"], "the current one first");
    let mut current: Vec<String> = r
        .current_releases()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.sha256)
        .collect();
    current.sort();
    assert_eq!(current, ["bb", "cc"]);
    assert_eq!(
        r.roll_back("hello", "aa").await.unwrap(),
        Err(RollbackRefusal::Moved)
    );
    assert_eq!(
        r.roll_back("hello", "bb").await.unwrap(),
        Ok(Some(release("hello", "aa")))
    );
    assert_eq!(r.roll_back("hello", "aa").await.unwrap(), Ok(None));
    assert!(
        r.releases("hello").await.unwrap().is_empty(),
        "built-in again"
    );

    let report = ReplicaReport {
        replica: "portal-0".into(),
        serving: [("hello".to_owned(), "aa".to_owned())].into(),
        failed: Default::default(),
        seen_at: at(1),
    };
    r.report(&report).await.unwrap();
    let mut later = report.clone();
    later.seen_at = at(2);
    r.report(&later).await.unwrap();
    assert_eq!(r.reports().await.unwrap(), vec![later]);
}

pub async fn publish_race_has_one_winner(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let results = race(&store, 6, |store, i| async move {
        store
            .releases
            .publish(&release("hello", &format!("{i:02}")), None)
            .await
    })
    .await;
    let won = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(won, 1, "{results:?}");
    assert_eq!(store.releases.releases("hello").await.unwrap().len(), 1);
}
