//! Unit tests of `friends.rs`: the friends list body, spliced from stored records.

use super::*;
use chrono::TimeZone;

fn stored(friend: &Friend) -> StoredFriend {
    let json = serde_json::to_vec(friend).expect("a friend serialises");
    StoredFriend {
        id: friend.id.clone(),
        json: json.into(),
    }
}

#[test]
fn the_spliced_list_is_byte_for_byte_the_serialised_views() {
    let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    let full = Friend {
        id: "alice".into(),
        display_name: "Alice \"Al\" Ünïcode \\ <tab>\t".into(),
        discord_id: Some("123456789012345678".into()),
        signal: Some("+1-555-0100".into()),
        whatsapp: Some("+1-555-0100".into()),
        preferred_channel: Some("signal".into()),
        created_at: at,
        updated_at: at + chrono::Duration::nanoseconds(123_456_789),
    };
    let bare = Friend {
        id: "bob".into(),
        display_name: "Bob".into(),
        discord_id: None,
        signal: None,
        whatsapp: None,
        preferred_channel: None,
        created_at: at,
        updated_at: at,
    };
    for friends in [vec![], vec![bare.clone()], vec![full.clone(), bare.clone()]] {
        let records: Vec<StoredFriend> = friends.iter().map(stored).collect();
        let views: Vec<FriendView> = friends.into_iter().map(FriendView::of).collect();
        let expected = serde_json::to_vec(&views).expect("views serialise");
        let spliced = list_body(&records).expect("well-formed records");
        assert_eq!(
            String::from_utf8_lossy(&spliced),
            String::from_utf8_lossy(&expected)
        );
    }
}

#[test]
fn a_record_that_is_not_an_object_is_an_error_not_broken_json() {
    for json in [&b"[]"[..], b"{}", b"null", b""] {
        let record = StoredFriend {
            id: "x".into(),
            json: json.into(),
        };
        assert!(
            list_body(&[record]).is_err(),
            "{}",
            String::from_utf8_lossy(json)
        );
    }
}
