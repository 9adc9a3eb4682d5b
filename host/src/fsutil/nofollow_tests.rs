use std::os::unix::fs::symlink;

use super::*;

/// A root with `friends/alice/` and, outside it, `secret.txt`.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, Folder) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("friends/alice")).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    let folder = Folder::open_root(&root).unwrap();
    (dir, root, folder)
}

fn alice(root: &Folder) -> Folder {
    let friends = root.child("friends", false).unwrap().unwrap();
    friends.child("alice", false).unwrap().unwrap()
}

#[test]
fn plain_files_are_written_whole_and_read_back() {
    let (_dir, root_path, root) = setup();
    let alice = alice(&root);
    assert!(alice.read_file("MEMORY.md", 100).unwrap().is_none());
    alice.write_file("MEMORY.md", b"first").unwrap();
    alice.write_file("MEMORY.md", b"second, longer").unwrap();
    assert_eq!(
        alice.read_file("MEMORY.md", 100).unwrap().unwrap(),
        b"second, longer"
    );
    assert_eq!(alice.read_file("MEMORY.md", 3).unwrap().unwrap(), b"seco");
    let names: Vec<_> = std::fs::read_dir(root_path.join("friends/alice"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["MEMORY.md"], "no temp file left behind");
}

#[test]
fn a_linked_file_is_neither_read_nor_written_through() {
    let (dir, root_path, root) = setup();
    let outside = dir.path().join("secret.txt");
    let link = root_path.join("friends/alice/MEMORY.md");
    symlink(&outside, &link).unwrap();
    let alice = alice(&root);
    let read = alice.read_file("MEMORY.md", 100).unwrap_err();
    assert!(matches!(read, Refusal::Link(..)), "{read:?}");
    assert_eq!(
        read.to_string(),
        "friends/alice/MEMORY.md is a link, not a file; the portal does not follow links"
    );
    let write = alice.write_file("MEMORY.md", b"overwritten").unwrap_err();
    assert!(matches!(write, Refusal::Link(..)), "{write:?}");
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "outside");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_linked_folder_is_not_entered() {
    let (dir, root_path, root) = setup();
    std::fs::create_dir(root_path.join("friends/bob")).unwrap();
    std::fs::write(root_path.join("friends/bob/MEMORY.md"), "bob's").unwrap();
    symlink(
        root_path.join("friends/bob"),
        root_path.join("friends/carol"),
    )
    .unwrap();
    symlink(dir.path(), root_path.join("friends/dave")).unwrap();
    let friends = root.child("friends", false).unwrap().unwrap();
    for (name, create) in [("carol", false), ("carol", true), ("dave", true)] {
        let e = friends.child(name, create).unwrap_err();
        assert!(matches!(e, Refusal::Link(_, "folder")), "{name}: {e:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("friends/{name} is a link"))
        );
    }
    assert_eq!(
        std::fs::read_to_string(root_path.join("friends/bob/MEMORY.md")).unwrap(),
        "bob's"
    );
}

#[test]
fn hard_links_pipes_and_folders_are_not_files() {
    let (_dir, root_path, root) = setup();
    std::fs::create_dir(root_path.join("friends/bob")).unwrap();
    let bobs = root_path.join("friends/bob/MEMORY.md");
    std::fs::write(&bobs, "bob's").unwrap();
    let alice_dir = root_path.join("friends/alice");
    std::fs::hard_link(&bobs, alice_dir.join("MEMORY.md")).unwrap();
    std::fs::create_dir(alice_dir.join("NOTES.md")).unwrap();
    let alice = alice(&root);
    rustix::fs::mknodat(
        &alice.fd,
        "HEARTBEAT.md",
        FileType::Fifo,
        Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let hard = alice.read_file("MEMORY.md", 100).unwrap_err();
    assert!(matches!(hard, Refusal::HardLinked(_)), "{hard:?}");
    assert!(alice.write_file("MEMORY.md", b"x").is_err());
    assert_eq!(std::fs::read_to_string(&bobs).unwrap(), "bob's");
    let folder = alice.read_file("NOTES.md", 100).unwrap_err();
    assert_eq!(
        folder.to_string(),
        "friends/alice/NOTES.md is a folder, not a file"
    );
    // A pipe neither hangs the read nor is read.
    let pipe = alice.read_file("HEARTBEAT.md", 100).unwrap_err();
    assert!(matches!(pipe, Refusal::Kind(_, "a pipe", _)), "{pipe:?}");
    assert!(alice.write_file("HEARTBEAT.md", b"x").is_err());
}

#[test]
fn a_new_folder_is_created_and_names_stay_plain() {
    let (_dir, root_path, root) = setup();
    let friends = root.child("friends", false).unwrap().unwrap();
    assert!(friends.child("erin", false).unwrap().is_none());
    let erin = friends.child("erin", true).unwrap().unwrap();
    erin.write_file("profile.json", b"{}").unwrap();
    assert!(root_path.join("friends/erin/profile.json").is_file());
    for bad in ["..", ".", "", "a/b"] {
        assert!(friends.child(bad, true).is_err(), "{bad:?}");
        assert!(erin.read_file(bad, 1).is_err(), "{bad:?}");
    }
}

#[test]
fn only_plain_files_are_counted_and_links_move_as_links() {
    let (dir, root_path, root) = setup();
    let alice_dir = root_path.join("friends/alice");
    std::fs::write(alice_dir.join("a.log"), "a").unwrap();
    std::fs::write(alice_dir.join("b.log"), "b").unwrap();
    symlink(dir.path().join("secret.txt"), alice_dir.join("c.log")).unwrap();
    std::fs::create_dir(alice_dir.join("d")).unwrap();
    assert_eq!(alice(&root).count_files().unwrap(), 2);

    let friends = root.child("friends", false).unwrap().unwrap();
    symlink(dir.path(), root_path.join("friends/zed")).unwrap();
    let archive = friends.child(".deleted", true).unwrap().unwrap();
    friends.move_to("zed", &archive, "zed-1").unwrap();
    assert!(
        std::fs::symlink_metadata(root_path.join("friends/.deleted/zed-1"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("secret.txt")).unwrap(),
        "outside"
    );
}
