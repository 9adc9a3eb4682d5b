use super::*;

fn files() -> (tempfile::TempDir, Files) {
    let dir = tempfile::tempdir().unwrap();
    let workspace = Workspace::open(dir.path().to_owned()).unwrap();
    (dir, Files::new(workspace))
}

#[test]
fn who_may_write_what() {
    use CallerKind::*;
    let table = [
        (Friend, File::Memory, true),
        (Friend, File::Notes, false),
        (Friend, File::Heartbeat, true),
        (Agent, File::Memory, false),
        (Agent, File::Notes, true),
        (Agent, File::Heartbeat, true),
        (Admin, File::Memory, false),
        (Admin, File::Notes, true),
        (Admin, File::Heartbeat, true),
    ];
    for (caller, file, allowed) in table {
        assert_eq!(may_write(caller, file), allowed, "{caller:?} {file:?}");
    }
}

#[test]
fn preconditions_follow_rfc_9110() {
    let tag = etag(Some(b"hello"));
    assert_ne!(tag, etag(Some(b"")));
    assert_ne!(etag(Some(b"")), etag(None));
    assert!(preconditions_hold(&tag, true, None, None));
    assert!(preconditions_hold(&tag, true, Some(&tag), None));
    assert!(preconditions_hold(
        &tag,
        true,
        Some(&format!("\"x\", {tag}")),
        None
    ));
    assert!(preconditions_hold(&tag, true, Some("*"), None));
    assert!(!preconditions_hold(&tag, true, Some("\"stale\""), None));
    assert!(!preconditions_hold(
        &tag,
        true,
        Some(&format!("W/{tag}")),
        None
    ));
    assert!(!preconditions_hold("\"absent\"", false, Some("*"), None));
    assert!(preconditions_hold(
        "\"absent\"",
        false,
        Some("\"absent\""),
        None
    ));
    assert!(!preconditions_hold(&tag, true, None, Some("*")));
    assert!(preconditions_hold("\"absent\"", false, None, Some("*")));
    assert!(!preconditions_hold(
        &tag,
        true,
        None,
        Some(&format!("W/{tag}"))
    ));
    assert!(preconditions_hold(&tag, true, None, Some("\"other\"")));
}

#[tokio::test]
async fn writes_check_permission_size_encoding_and_etag() {
    let (_dir, files) = files();
    let empty = files.read("alice", File::Memory).await.unwrap();
    assert!(!empty.exists);
    assert_eq!(empty.content, "");
    let first = files
        .write(
            CallerKind::Friend,
            "alice",
            File::Memory,
            b"# Me".to_vec(),
            Some(&empty.etag),
            None,
        )
        .await
        .unwrap();
    let read = files.read("alice", File::Memory).await.unwrap();
    assert_eq!(
        (read.content.as_str(), read.exists, read.etag.as_str()),
        ("# Me", true, first.as_str())
    );
    // The etag seen before the first write is stale now.
    let stale = files
        .write(
            CallerKind::Friend,
            "alice",
            File::Memory,
            b"x".to_vec(),
            Some(&empty.etag),
            None,
        )
        .await;
    assert!(matches!(stale, Err(Error::PreconditionFailed)));
    assert!(matches!(
        files
            .write(
                CallerKind::Friend,
                "alice",
                File::Notes,
                b"x".to_vec(),
                None,
                None
            )
            .await,
        Err(Error::ReadOnly)
    ));
    assert!(matches!(
        files
            .write(
                CallerKind::Agent,
                "alice",
                File::Memory,
                b"x".to_vec(),
                None,
                None
            )
            .await,
        Err(Error::ReadOnly)
    ));
    assert!(matches!(
        files
            .write(CallerKind::Friend, "alice", File::Memory, vec![b'a'; MAX_FILE_BYTES + 1], None, None)
            .await,
        Err(Error::TooLarge(n)) if n as usize == MAX_FILE_BYTES
    ));
    assert!(matches!(
        files
            .write(
                CallerKind::Friend,
                "alice",
                File::Memory,
                vec![0xff, 0xfe],
                None,
                None
            )
            .await,
        Err(Error::NotUtf8)
    ));
    let exactly = vec![b'a'; MAX_FILE_BYTES];
    files
        .write(
            CallerKind::Friend,
            "alice",
            File::Memory,
            exactly.clone(),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(files.path("alice", File::Memory)).unwrap(),
        exactly
    );
    assert!(!files.read("bob", File::Memory).await.unwrap().exists);
}

#[tokio::test]
async fn of_two_writers_with_the_same_etag_exactly_one_wins() {
    let (_dir, files) = files();
    let files = std::sync::Arc::new(files);
    let base = files.read("alice", File::Heartbeat).await.unwrap().etag;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (files, base) = (files.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let text = format!("writer {i}\n").repeat(1000).into_bytes();
            files
                .write(
                    CallerKind::Friend,
                    "alice",
                    File::Heartbeat,
                    text,
                    Some(&base),
                    None,
                )
                .await
        }));
    }
    let mut wins = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => wins += 1,
            Err(e) => assert!(matches!(e, Error::PreconditionFailed), "{e:?}"),
        }
    }
    assert_eq!(wins, 1);
    let on_disk = std::fs::read_to_string(files.path("alice", File::Heartbeat)).unwrap();
    let first = on_disk.lines().next().unwrap().to_owned();
    assert!(on_disk.lines().all(|l| l == first) && on_disk.lines().count() == 1000);
}
