//! The store's conformance suite (`portal_store::conformance`) against the sled backend,
//! each case on a new data dir. The same cases run against the Kubernetes-API backend on a
//! real API server in `tests/real_cluster/store_conformance.rs`.

async fn fresh() -> portal_store::Store {
    // Under the target dir, kept after the test: a failing case leaves its data to look at.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a temporary data dir")
        .keep();
    portal_store::sled::open_embedded(&dir, 8 << 20).expect("a new sled store opens")
}

portal_store::conformance_tests!(fresh);
