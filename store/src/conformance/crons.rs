//! Cron jobs and their runs.

use super::{at, race};
use crate::{Claim, Job, JobRefusal, Run, RunStatus, Store, Trigger};

pub fn job(friend: &str, name: &str) -> Job {
    Job {
        friend: friend.to_owned(),
        name: name.to_owned(),
        message: "Water the plants".into(),
        cron: "0 9 * * *".into(),
        session: "agent:pi:signal:direct:+15550001111".into(),
        tz: "Europe/Paris".into(),
        enabled: true,
        created_at: at(0),
        next_run: Some(at(60)),
    }
}

pub fn run(minute: i64, status: RunStatus) -> Run {
    Run {
        at: at(minute),
        trigger: Trigger::Scheduled,
        status,
        error: None,
        scheduled_for: Some(at(minute)),
        attempts: 0,
        replica: Some("portal-0".into()),
    }
}

pub async fn jobs_and_their_runs(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let c = &store.crons;
    c.create_job(&job("alice", "water"), 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c.create_job(&job("alice", "water"), 5).await.unwrap(),
        Err(JobRefusal::Exists)
    );
    c.create_job(&job("alice", "bins"), 5)
        .await
        .unwrap()
        .unwrap();
    c.create_job(&job("bob", "water"), 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c.create_job(&job("alice", "more"), 2).await.unwrap(),
        Err(JobRefusal::Limit { max: 2 })
    );
    assert!(c.job("alice", "more").await.unwrap().is_none());

    let names: Vec<String> = c
        .jobs_of("alice")
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.name)
        .collect();
    assert_eq!(names, ["bins", "water"], "name order");
    assert_eq!(c.job_count("alice").await.unwrap(), 2);
    assert_eq!(c.all_jobs().await.unwrap().len(), 3);

    let mut edited = job("alice", "water");
    edited.enabled = false;
    edited.next_run = None;
    c.put_job(&edited).await.unwrap();
    assert_eq!(c.job("alice", "water").await.unwrap(), Some(edited));

    let mut ids = Vec::new();
    for minute in 0..5 {
        ids.push(
            c.add_run("alice", "water", &run(minute, RunStatus::Pending), 3)
                .await
                .unwrap(),
        );
    }
    assert!(
        ids.windows(2).all(|w| w[0].seq < w[1].seq),
        "increasing: {ids:?}"
    );
    let runs = c.runs("alice", "water", 10).await.unwrap();
    let minutes: Vec<_> = runs.iter().map(|r| r.at).collect();
    assert_eq!(
        minutes,
        [at(4), at(3), at(2)],
        "newest three kept, newest first"
    );
    c.finish_run(&ids[4], RunStatus::Delivered, None, Some(2))
        .await
        .unwrap();
    c.finish_run(
        &ids[3],
        RunStatus::Failed,
        Some("gateway said no".into()),
        None,
    )
    .await
    .unwrap();
    let runs = c.runs("alice", "water", 2).await.unwrap();
    assert_eq!(
        (runs[0].status, runs[0].attempts),
        (RunStatus::Delivered, 2)
    );
    assert_eq!(runs[1].status, RunStatus::Failed);
    assert_eq!(runs[1].error.as_deref(), Some("gateway said no"));
    // A run of a job gone is not brought back.
    c.finish_run(&ids[0], RunStatus::Delivered, None, None)
        .await
        .unwrap();
    assert_eq!(c.runs("alice", "water", 10).await.unwrap().len(), 3);

    assert!(c.remove_job("alice", "water").await.unwrap());
    assert!(!c.remove_job("alice", "water").await.unwrap());
    c.finish_run(&ids[4], RunStatus::Failed, None, None)
        .await
        .unwrap();
    c.create_job(&job("alice", "water"), 5)
        .await
        .unwrap()
        .unwrap();
    assert!(
        c.runs("alice", "water", 10).await.unwrap().is_empty(),
        "runs went with the job"
    );
    assert!(c.runs("bob", "water", 10).await.unwrap().is_empty());
}

pub async fn job_limit_holds_under_a_race(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let results = race(&store, 10, |store, i| async move {
        store
            .crons
            .create_job(&job("alice", &format!("job{i}")), 4)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        4,
        "{results:?}"
    );
    assert_eq!(store.crons.job_count("alice").await.unwrap(), 4);
}

pub async fn pending_runs_are_listed(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let c = &store.crons;
    c.create_job(&job("alice", "water"), 5)
        .await
        .unwrap()
        .unwrap();
    c.add_run("alice", "water", &run(0, RunStatus::Delivered), 10)
        .await
        .unwrap();
    let id = c
        .add_run("alice", "water", &run(1, RunStatus::Pending), 10)
        .await
        .unwrap();
    let pending = c.pending_runs().await.unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].0, id);
    assert_eq!(pending[0].1, run(1, RunStatus::Pending), "with its replica");
    c.finish_run(&id, RunStatus::Delivered, None, Some(1))
        .await
        .unwrap();
    assert!(c.pending_runs().await.unwrap().is_empty());
}

pub async fn a_time_is_claimed_once(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let c = &store.crons;
    let water = job("alice", "water");
    c.create_job(&water, 5).await.unwrap().unwrap();
    let first = run(60, RunStatus::Pending);
    let claimed = c
        .claim_run("alice", "water", at(60), Some(at(120)), Some(&first), 10)
        .await
        .unwrap();
    assert!(matches!(claimed, Claim::Claimed(Some(_))), "{claimed:?}");
    let moved = c
        .claim_run("alice", "water", at(60), Some(at(120)), Some(&first), 10)
        .await
        .unwrap();
    match moved {
        Claim::Moved(Some(now)) => assert_eq!(now.next_run, Some(at(120))),
        other => panic!("a second claim of the same time must find it moved: {other:?}"),
    }
    // An edit made from an older read puts the claimed time back: the job moves on again,
    // and the time is not recorded twice.
    c.put_job(&water).await.unwrap();
    let again = c
        .claim_run("alice", "water", at(60), Some(at(120)), Some(&first), 10)
        .await
        .unwrap();
    assert_eq!(again, Claim::Claimed(None));
    assert_eq!(c.runs("alice", "water", 10).await.unwrap().len(), 1);
    let later = c
        .claim_run(
            "alice",
            "water",
            at(120),
            None,
            Some(&run(120, RunStatus::Pending)),
            10,
        )
        .await
        .unwrap();
    assert!(matches!(later, Claim::Claimed(Some(_))), "{later:?}");
    assert_eq!(
        c.job("alice", "water").await.unwrap().unwrap().next_run,
        None
    );
    assert_eq!(
        c.claim_run("alice", "gone", at(60), None, None, 10)
            .await
            .unwrap(),
        Claim::Moved(None)
    );
    let mut off = water.clone();
    off.name = "off".into();
    off.enabled = false;
    c.create_job(&off, 5).await.unwrap().unwrap();
    assert!(matches!(
        c.claim_run("alice", "off", at(60), None, Some(&first), 10)
            .await
            .unwrap(),
        Claim::Moved(Some(_))
    ));
}

pub async fn claim_race_has_one_winner(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    store
        .crons
        .create_job(&job("alice", "water"), 5)
        .await
        .unwrap()
        .unwrap();
    let results = race(&store, 8, |store, _| async move {
        store
            .crons
            .claim_run(
                "alice",
                "water",
                at(60),
                Some(at(120)),
                Some(&run(60, RunStatus::Pending)),
                10,
            )
            .await
    })
    .await;
    let won = results
        .iter()
        .filter(|r| matches!(r, Ok(Claim::Claimed(Some(_)))))
        .count();
    assert_eq!(won, 1, "{results:?}");
    assert_eq!(
        store.crons.runs("alice", "water", 10).await.unwrap().len(),
        1
    );
}
