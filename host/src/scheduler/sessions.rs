//! The session keys a friend may choose for a job with one of their agents, with labels a
//! person reads, so that no one types a key. Each passes [`super::session_rules::check`]
//! for the friend, an agent it has a friendship with, and that agent acting.

use schemars::JsonSchema;
use serde::Serialize;

use portal_store::Friend;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SessionChoice {
    /// The key a job's `session` takes.
    pub session: String,
    /// What the friend sees, e.g. "Direct chat with Main" or "Signal (+49 151 2345678)".
    pub label: String,
}

/// The portal's direct chat with the agent first, then one per platform id the friend has.
pub fn session_choices(friend: &Friend, agent_id: &str, agent_name: &str) -> Vec<SessionChoice> {
    let choice = |session: String, label: String| SessionChoice { session, label };
    let mut choices = vec![choice(
        format!("agent:{agent_id}:direct:channel:{}", friend.id),
        format!("Direct chat with {agent_name}"),
    )];
    if let Some(discord) = &friend.discord_id {
        choices.push(choice(
            format!("agent:{agent_id}:discord:direct:{discord}"),
            "Discord".into(),
        ));
    }
    // Session keys hold no spaces: the number as `session_rules` compares it.
    let phone = crate::validate::phone_key;
    if let Some(number) = &friend.signal {
        choices.push(choice(
            format!("agent:{agent_id}:signal:direct:{}", phone(number)),
            format!("Signal ({number})"),
        ));
    }
    if let Some(number) = &friend.whatsapp {
        choices.push(choice(
            format!("agent:{agent_id}:whatsapp:direct:{}", phone(number)),
            format!("WhatsApp ({number})"),
        ));
    }
    choices
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::session_rules;
    use crate::scheduler::validate::{NewJob, check};
    use chrono::{TimeZone, Utc};

    #[test]
    fn every_choice_is_the_friends_and_the_agents_and_valid() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        let friend = Friend {
            id: "alice".into(),
            display_name: "Alice".into(),
            discord_id: Some("123456789012345678".into()),
            signal: Some("+49 151 2345678".into()),
            whatsapp: Some("+1-555-0100".into()),
            preferred_channel: None,
            created_at: now,
            updated_at: now,
        };
        let choices = session_choices(&friend, "ops", "Ops");
        let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Direct chat with Ops",
                "Discord",
                "Signal (+49 151 2345678)",
                "WhatsApp (+1-555-0100)"
            ]
        );
        for c in &choices {
            let agents = ["ops".to_owned()];
            let own = session_rules::check(&friend, &agents, Some("ops"), &c.session);
            assert_eq!(own, Ok(()), "{c:?}");
            let job = NewJob {
                name: "j".into(),
                message: "m".into(),
                cron: "0 9 * * *".into(),
                session: c.session.clone(),
                tz: None,
                enabled: None,
            };
            assert!(check(&job, now).is_ok(), "{c:?}");
        }
        let bare = Friend {
            discord_id: None,
            signal: None,
            whatsapp: None,
            ..friend
        };
        assert_eq!(session_choices(&bare, "ops", "Ops").len(), 1);
    }
}
