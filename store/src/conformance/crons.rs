//! Cron jobs and their runs.

use super::{at, race};
use crate::{Job, JobRefusal, Run, RunStatus, Store, Trigger};

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

pub async fn interrupted_runs_are_failed(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let c = &store.crons;
    c.create_job(&job("alice", "water"), 5)
        .await
        .unwrap()
        .unwrap();
    c.add_run("alice", "water", &run(0, RunStatus::Delivered), 10)
        .await
        .unwrap();
    c.add_run("alice", "water", &run(1, RunStatus::Pending), 10)
        .await
        .unwrap();
    assert_eq!(c.fail_interrupted_runs().await.unwrap(), 1);
    let runs = c.runs("alice", "water", 10).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Failed);
    assert!(runs[0].error.is_some(), "says why");
    assert_eq!(runs[1].status, RunStatus::Delivered);
    assert_eq!(c.fail_interrupted_runs().await.unwrap(), 0);
}
