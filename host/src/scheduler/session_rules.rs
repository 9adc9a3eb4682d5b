//! Which session keys a friend's job may send into. A key names an agent and one of the
//! friend's chats, in one of the four forms [`super::sessions::session_choices`] offers:
//!
//! | key | the last part must be the friend's |
//! |---|---|
//! | `agent:<agent>:direct:channel:<id>` | portal id |
//! | `agent:<agent>:discord:direct:<id>` | `discord_id` |
//! | `agent:<agent>:signal:direct:<number>` | `signal` (compared without spaces and dashes) |
//! | `agent:<agent>:whatsapp:direct:<number>` | `whatsapp` (the same) |
//!
//! and `<agent>` must be one the friend has a friendship with (and, when an agent acts,
//! that agent itself). Every part is checked, whoever asks, on create, on edit and again
//! at every run: a friendship ended or a platform id given up stops the job's runs.

use crate::validate::phone_key;
use portal_store::Friend;

/// The chat a key names, by channel: a Discord id never matches a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chat<'a> {
    Portal(&'a str),
    Discord(&'a str),
    Signal(&'a str),
    WhatsApp(&'a str),
}

/// `agent:<agent>:<chat>` in one of the forms above; anything else is no key of ours.
fn parse(key: &str) -> Option<(&str, Chat<'_>)> {
    let parts: Vec<&str> = key.split(':').collect();
    let (agent, chat) = match parts.as_slice() {
        ["agent", agent, "direct", "channel", id] => (*agent, Chat::Portal(id)),
        ["agent", agent, "discord", "direct", id] => (*agent, Chat::Discord(id)),
        ["agent", agent, "signal", "direct", number] => (*agent, Chat::Signal(number)),
        ["agent", agent, "whatsapp", "direct", number] => (*agent, Chat::WhatsApp(number)),
        _ => return None,
    };
    let last = match chat {
        Chat::Portal(s) | Chat::Discord(s) | Chat::Signal(s) | Chat::WhatsApp(s) => s,
    };
    (!agent.is_empty() && !last.is_empty()).then_some((agent, chat))
}

fn is_friends(friend: &Friend, chat: Chat<'_>) -> bool {
    let same_number = |own: &Option<String>, number: &str| {
        own.as_deref()
            .is_some_and(|own| phone_key(own) == phone_key(number))
    };
    match chat {
        Chat::Portal(id) => id == friend.id,
        Chat::Discord(id) => friend.discord_id.as_deref() == Some(id),
        Chat::Signal(number) => same_number(&friend.signal, number),
        Chat::WhatsApp(number) => same_number(&friend.whatsapp, number),
    }
}

/// Why a key is not one the friend's job may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a key of the forms above, or its chat is not the friend's.
    NotTheirChat,
    /// Its agent is not one the friend has a friendship with.
    NotTheirAgent(String),
    /// An agent acting for the friend named another agent.
    NotTheActingAgent(String),
}

impl Refusal {
    /// For the caller who sent the key (403).
    pub fn explain(&self, key: &str) -> String {
        match self {
            Refusal::NotTheirChat => format!(
                "session '{key}' is not one of your conversations: it must name one of your \
                 agents and one of your own chats (GET /api/portal/agents lists them)"
            ),
            Refusal::NotTheirAgent(agent) => format!(
                "session '{key}' names the agent '{agent}', which is not one of your agents"
            ),
            Refusal::NotTheActingAgent(agent) => format!(
                "session '{key}' is not one of this agent's: an agent may only name \
                 sessions that start with 'agent:{agent}:'"
            ),
        }
    }

    /// For a run that was not sent because of it, in words the friend reads.
    pub fn run_error(&self) -> &'static str {
        match self {
            Refusal::NotTheirAgent(_) => super::AGENT_NOT_FRIENDS,
            Refusal::NotTheirChat | Refusal::NotTheActingAgent(_) => super::SESSION_NOT_OWNED,
        }
    }
}

/// Whether `friend`, whose agents are `agents`, may send into `key`; `acting`: the agent
/// making the request, if one is.
pub fn check(
    friend: &Friend,
    agents: &[String],
    acting: Option<&str>,
    key: &str,
) -> Result<(), Refusal> {
    let (agent, chat) = parse(key).ok_or(Refusal::NotTheirChat)?;
    if !is_friends(friend, chat) {
        return Err(Refusal::NotTheirChat);
    }
    if let Some(acting) = acting
        && acting != agent
    {
        return Err(Refusal::NotTheActingAgent(acting.to_owned()));
    }
    if !agents.iter().any(|a| a == agent) {
        return Err(Refusal::NotTheirAgent(agent.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn alice() -> Friend {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        Friend {
            id: "alice".into(),
            display_name: "Alice".into(),
            discord_id: Some("123456789012345678".into()),
            signal: Some("+49 151 2345678".into()),
            whatsapp: None,
            preferred_channel: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn each_part_is_the_friends_own_and_each_id_only_on_its_channel() {
        let f = alice();
        let agents = ["main".to_owned()];
        for own in [
            "agent:main:direct:channel:alice",
            "agent:main:discord:direct:123456789012345678",
            "agent:main:signal:direct:+491512345678",
            "agent:main:signal:direct:+49-151-2345678",
        ] {
            assert_eq!(check(&f, &agents, None, own), Ok(()), "{own}");
            assert_eq!(check(&f, &agents, Some("main"), own), Ok(()), "{own}");
        }
        for foreign in [
            "alice",
            "",
            "agent:main:direct:channel:bob",
            "agent:main:direct:channel:alice:bob",
            "agent:main:direct:alice:",
            "agent:main:alice",
            "agent::direct:channel:alice",
            "agent:main:direct:channel:ALICE",
            // The Discord id on another channel, the number on Discord or WhatsApp.
            "agent:main:signal:direct:123456789012345678",
            "agent:main:direct:channel:123456789012345678",
            "agent:main:discord:direct:+491512345678",
            "agent:main:whatsapp:direct:+491512345678",
        ] {
            assert_eq!(
                check(&f, &agents, None, foreign),
                Err(Refusal::NotTheirChat),
                "{foreign}"
            );
        }
        assert_eq!(
            check(&f, &agents, None, "agent:ops:direct:channel:alice"),
            Err(Refusal::NotTheirAgent("ops".into()))
        );
        assert_eq!(
            check(&f, &agents, Some("ops"), "agent:main:direct:channel:alice"),
            Err(Refusal::NotTheActingAgent("ops".into()))
        );
        assert_eq!(
            check(&f, &[], None, "agent:main:direct:channel:alice"),
            Err(Refusal::NotTheirAgent("main".into()))
        );
    }
}
