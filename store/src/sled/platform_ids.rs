//! Platform ids (a Discord id, a phone number for Signal or WhatsApp) belong to one friend
//! each. A cron job's session names its friend by one of them, so two friends sharing one
//! would let either schedule messages into the other's chat.
//!
//! The `platform_ids` tree maps `discord:<id>` and `phone:<number without spaces and
//! dashes>` to the friend id. Signal and WhatsApp share the phone key: one number is one
//! person's, whichever app they use it with.

use sled::transaction::{ConflictableTransactionResult, TransactionalTree};

use super::abort;
use crate::{Friend, StoreError};

/// A number as one key, however it is typed: without spaces and dashes.
fn phone_key(number: &str) -> String {
    number.chars().filter(|c| *c != ' ' && *c != '-').collect()
}

/// Whether a number is in international form (E.164: '+', then 8-15 digits, spaces and
/// dashes allowed), as the host's validation has required since numbers had to be.
fn is_international(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|rest| {
        let digits = rest.bytes().filter(u8::is_ascii_digit).count();
        rest.bytes()
            .next()
            .is_some_and(|b| (b'1'..=b'9').contains(&b))
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
            && (8..=15).contains(&digits)
    })
}

/// The keys a friend's platform ids hold, with the field each comes from.
pub(crate) fn keys(friend: &Friend) -> Vec<(Vec<u8>, &'static str)> {
    let mut keys = Vec::new();
    if let Some(id) = &friend.discord_id {
        keys.push((format!("discord:{id}").into_bytes(), "discord_id"));
    }
    for (number, field) in [(&friend.signal, "signal"), (&friend.whatsapp, "whatsapp")] {
        if let Some(number) = number {
            let key = format!("phone:{}", phone_key(number)).into_bytes();
            if !keys.iter().any(|(k, _)| *k == key) {
                keys.push((key, field));
            }
        }
    }
    keys
}

/// Inside a transaction: makes the index hold `new`'s platform ids (and no longer `old`'s),
/// or aborts with a conflict naming the field when another friend holds one.
pub(crate) fn claim(
    index: &TransactionalTree,
    old: Option<&Friend>,
    new: &Friend,
) -> ConflictableTransactionResult<(), StoreError> {
    let wanted = keys(new);
    for (key, field) in &wanted {
        if let Some(owner) = index.get(key)?
            && owner.as_ref() != new.id.as_bytes()
        {
            return abort(StoreError::Conflict(format!(
                "{field}: another friend already uses this {}; each belongs to one friend",
                if *field == "discord_id" {
                    "Discord id"
                } else {
                    "phone number"
                }
            )));
        }
    }
    for (key, _) in old.map(keys).unwrap_or_default() {
        if !wanted.iter().any(|(k, _)| *k == key) {
            index.remove(key)?;
        }
    }
    for (key, _) in wanted {
        index.insert(key, new.id.as_bytes())?;
    }
    Ok(())
}

/// Inside a transaction: lets go of the friend's platform ids.
pub(crate) fn release(
    index: &TransactionalTree,
    friend: &Friend,
) -> ConflictableTransactionResult<(), StoreError> {
    for (key, _) in keys(friend) {
        if index.get(&key)?.as_deref() == Some(friend.id.as_bytes()) {
            index.remove(key)?;
        }
    }
    Ok(())
}

/// Builds the index from the friends on file (a data dir from before it existed). When two
/// friends already share an id, the first in id order keeps it and the other is logged:
/// that friend's sessions by that id stop matching until an operator corrects the record.
pub(crate) fn rebuild(friends: &sled::Tree, index: &sled::Tree) -> Result<(), StoreError> {
    for entry in friends.iter() {
        let (_, value) = entry?;
        let friend: Friend = serde_json::from_slice(&value)?;
        for (key, field) in keys(&friend) {
            let taken =
                index.compare_and_swap(&key, None as Option<&[u8]>, Some(friend.id.as_bytes()))?;
            if let Err(held) = taken {
                tracing::warn!(friend = %friend.id, field, holder = %String::from_utf8_lossy(held.current.as_deref().unwrap_or_default()),
                    "platform id shared by two friends; the first keeps it");
            }
        }
    }
    Ok(())
}

/// The phone numbers on file that are not in international form (E.164): stored before
/// numbers had to be, they stay as they are, readable and still matched for their own
/// channel (so they collide with no Discord id). Each is logged at open, by friend and
/// field (never the number), so that an operator can correct it with
/// `PUT /api/friends/:id`; a friend's other changes are not held up by it.
pub(crate) fn legacy_numbers(
    friends: &sled::Tree,
) -> Result<Vec<(String, &'static str)>, StoreError> {
    let mut legacy = Vec::new();
    for entry in friends.iter() {
        let (_, value) = entry?;
        let Ok(friend) = serde_json::from_slice::<Friend>(&value) else {
            continue;
        };
        for (number, field) in [(&friend.signal, "signal"), (&friend.whatsapp, "whatsapp")] {
            if number.as_deref().is_some_and(|n| !is_international(n)) {
                tracing::warn!(friend = %friend.id, field,
                    "stored phone number is not in international form (+ and 8-15 digits); kept as is, correct it with PUT /api/friends/:id");
                legacy.push((friend.id.clone(), field));
            }
        }
    }
    Ok(legacy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn open(dir: &std::path::Path) -> crate::sled::SledStore {
        crate::sled::SledStore::open(dir, crate::sled::DEFAULT_CACHE_BYTES).unwrap()
    }

    fn friend(id: &str) -> Friend {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        Friend {
            id: id.into(),
            display_name: id.into(),
            discord_id: None,
            signal: None,
            whatsapp: None,
            preferred_channel: None,
            created_at: at,
            updated_at: at,
        }
    }

    /// A data dir from schema 1 has friends but no index: opening it builds one, and the
    /// first friend in id order keeps an id two of them share.
    #[test]
    fn opening_a_schema_1_data_dir_builds_the_index() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(dir.path());
            let mut alice = friend("alice");
            alice.discord_id = Some("123456789012345678".into());
            let mut bob = friend("bob");
            bob.discord_id = alice.discord_id.clone();
            bob.signal = Some("+1 555 0100".into());
            for f in [&alice, &bob] {
                store.friends.put(&f.id, f).unwrap();
            }
            store
                .db
                .insert(super::super::SCHEMA_KEY, &1u64.to_be_bytes())
                .unwrap();
            store.db.flush().unwrap();
        }
        let store = open(dir.path());
        let owner = |key: &str| {
            store
                .platform_ids
                .get(key)
                .unwrap()
                .map(|v| String::from_utf8(v.to_vec()).unwrap())
        };
        assert_eq!(
            owner("discord:123456789012345678").as_deref(),
            Some("alice")
        );
        assert_eq!(owner("phone:+15550100").as_deref(), Some("bob"));
        assert_eq!(
            store.schema_version().unwrap(),
            super::super::SCHEMA_VERSION
        );
    }

    /// A number stored before numbers had to be international is kept, readable, and
    /// reported at open.
    #[test]
    fn a_stored_number_that_is_not_international_is_kept_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut bob = friend("bob");
        bob.signal = Some("555 0100".into());
        bob.whatsapp = Some("+1 555 0100".into());
        {
            let store = open(dir.path());
            store.friends.put(&bob.id, &bob).unwrap();
            store.db.flush().unwrap();
        }
        let store = open(dir.path());
        assert_eq!(store.friends.get("bob").unwrap(), Some(bob));
        assert_eq!(
            legacy_numbers(&store.friends.tree).unwrap(),
            [("bob".to_owned(), "signal")]
        );
    }

    #[test]
    fn one_number_is_one_key_however_it_is_typed() {
        let mut f = friend("alice");
        f.signal = Some("+49 151 2345678".into());
        f.whatsapp = Some("+49-151-2345678".into());
        f.discord_id = Some("123456789012345678".into());
        let keys: Vec<String> = keys(&f)
            .into_iter()
            .map(|(k, _)| String::from_utf8(k).unwrap())
            .collect();
        assert_eq!(keys, ["discord:123456789012345678", "phone:+491512345678"]);
    }
}
