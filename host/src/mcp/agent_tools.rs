//! Tools shaped for what an agent means rather than for one route: each is made of the
//! same REST requests (sent through [`dispatch`], so every rule and audit entry holds), and
//! the first request of each reads the friend's profile, so an agent without the friendship
//! is refused before anything else is read.

use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::catalog::Hints;
use super::dispatch::{self, Answer, Call, Forwarded};
use crate::state::AppState;
use portal_store::AuditQuery;

pub const SEND_PORTAL_LINK: &str = "send_portal_link";
pub const NEEDS_ATTENTION: &str = "needs_attention";

/// How far back `needs_attention` looks for the friend's own edits by default.
const DEFAULT_LOOKBACK_DAYS: i64 = 7;
/// Audit entries of one friend read for it: the newest, more than a week of edits.
const AUDIT_SCAN: usize = 500;
/// The files the friend writes, by the route that writes them.
const FRIEND_FILES: &[(&str, &str)] = &[
    ("PUT /api/portal/workspace/memory", "MEMORY.md"),
    ("PUT /api/portal/workspace/heartbeat", "HEARTBEAT.md"),
];

pub struct AgentTool {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub input_schema: Value,
    pub hints: Hints,
}

pub fn all() -> Vec<AgentTool> {
    let friend_id = json!({"type": "string", "description": "The friend's id"});
    vec![
        AgentTool {
            name: SEND_PORTAL_LINK,
            title: "Send a friend their portal link",
            description: "Makes a fresh sign-in link to the friend's portal and says where to send it: \
                the friend's preferred chat app and their address there. Pass the link on yourself, \
                in that app. The link works once (it signs in one browser) and expires; making \
                one counts against the friend's hourly limit of links.",
            input_schema: json!({
                "type": "object",
                "properties": {"friend_id": friend_id},
                "required": ["friend_id"],
                "additionalProperties": false,
            }),
            hints: Hints {
                read_only: false,
                destructive: false,
                idempotent: false,
            },
        },
        AgentTool {
            name: NEEDS_ATTENTION,
            title: "What needs my attention for this friend",
            description: "One look at what may need you for a friend: their apps that are not \
                running (with their pods' state), scheduled messages whose last delivery failed, \
                and the files the friend changed themselves (MEMORY.md, HEARTBEAT.md) since \
                `since` (RFC 3339; default a week ago). `all_clear` is true when nothing does.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "friend_id": friend_id,
                    "since": {"type": "string", "format": "date-time",
                              "description": "Report the friend's edits made after this time (default: 7 days ago)"},
                },
                "required": ["friend_id"],
                "additionalProperties": false,
            }),
            hints: Hints {
                read_only: true,
                destructive: false,
                idempotent: true,
            },
        },
    ]
}

/// What an agent tool answers: structured content and a line for the model, or a refusal.
pub enum Outcome {
    Done { structured: Value, text: String },
    Refused(Answer),
    BadArguments(String),
}

pub async fn call(
    name: &str,
    state: &AppState,
    app: &Router,
    forwarded: &Forwarded,
    arguments: &Map<String, Value>,
) -> Option<Outcome> {
    Some(match name {
        SEND_PORTAL_LINK => send_portal_link(app, forwarded, arguments).await,
        NEEDS_ATTENTION => needs_attention(state, app, forwarded, arguments).await,
        _ => return None,
    })
}

fn friend_id(arguments: &Map<String, Value>, allowed: &[&str]) -> Result<String, String> {
    if let Some(unknown) = arguments.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("unknown argument '{unknown}'"));
    }
    let id = arguments
        .get("friend_id")
        .and_then(Value::as_str)
        .ok_or("friend_id: is required, as a string")?;
    // The id goes into a path: the route checks the rest of its rules.
    if id.is_empty() || id.contains(['/', '?', '#', '%']) {
        return Err(format!("friend_id: '{id}' is not a friend id"));
    }
    Ok(id.to_owned())
}

async fn send_portal_link(
    app: &Router,
    forwarded: &Forwarded,
    arguments: &Map<String, Value>,
) -> Outcome {
    let id = match friend_id(arguments, &["friend_id"]) {
        Ok(id) => id,
        Err(e) => return Outcome::BadArguments(e),
    };
    let profile = dispatch::send(app, forwarded, Call::get(format!("/api/friends/{id}"))).await;
    let Some(profile) = profile.ok().then_some(profile.body.clone()).flatten() else {
        return Outcome::Refused(profile);
    };
    let link = dispatch::send(
        app,
        forwarded,
        Call::post("/api/auth/portal-session".into(), &json!({"friend_id": id})),
    )
    .await;
    let Some(link) = link.ok().then_some(link.body.clone()).flatten() else {
        return Outcome::Refused(link);
    };
    let name = profile["display_name"].as_str().unwrap_or(&id).to_owned();
    let channels: Map<String, Value> = [
        ("discord", "discord_id"),
        ("signal", "signal"),
        ("whatsapp", "whatsapp"),
    ]
    .into_iter()
    .filter_map(|(channel, field)| Some((channel.to_owned(), profile.get(field)?.as_str()?.into())))
    .collect();
    let preferred = profile["preferred_channel"].as_str().map(str::to_owned);
    let address = preferred.as_ref().and_then(|c| channels.get(c)).cloned();
    let url = link["portal_url"].as_str().unwrap_or_default();
    let expires = link["expires_at"].as_str().unwrap_or_default();
    let whereto = match (&preferred, &address) {
        (Some(channel), Some(Value::String(at))) => format!("on {} ({at})", channel_name(channel)),
        (Some(channel), _) => format!("on {}", channel_name(channel)),
        (None, _) => "where you usually talk (they have no preferred chat app set)".to_owned(),
    };
    let text = format!(
        "Send {name} this link {whereto}: {url}\nIt signs in one browser, once, and expires at {expires}."
    );
    Outcome::Done {
        structured: json!({
            "friend_id": id,
            "display_name": name,
            "portal_url": url,
            "expires_at": expires,
            "preferred_channel": preferred,
            "address": address,
            "channels": channels,
        }),
        text,
    }
}

fn channel_name(channel: &str) -> &str {
    match channel {
        "discord" => "Discord",
        "signal" => "Signal",
        "whatsapp" => "WhatsApp",
        other => other,
    }
}

async fn needs_attention(
    state: &AppState,
    app: &Router,
    forwarded: &Forwarded,
    arguments: &Map<String, Value>,
) -> Outcome {
    let id = match friend_id(arguments, &["friend_id", "since"]) {
        Ok(id) => id,
        Err(e) => return Outcome::BadArguments(e),
    };
    let since = match arguments.get("since") {
        None | Some(Value::Null) => state.clock.now() - Duration::days(DEFAULT_LOOKBACK_DAYS),
        Some(value) => match value.as_str().map(DateTime::parse_from_rfc3339) {
            Some(Ok(at)) => at.with_timezone(&Utc),
            _ => return Outcome::BadArguments("since: must be an RFC 3339 time".into()),
        },
    };
    let profile = dispatch::send(app, forwarded, Call::get(format!("/api/friends/{id}"))).await;
    if !profile.ok() {
        return Outcome::Refused(profile);
    }
    let mut unchecked = Vec::new();
    let status = format!("/api/friends/{id}/namespace/status");
    let apps = findings(
        app,
        forwarded,
        status,
        "apps",
        &mut unchecked,
        apps_not_running,
    )
    .await;
    let crons = format!("/api/friends/{id}/workspace/crons");
    let failed = findings(
        app,
        forwarded,
        crons,
        "scheduled messages",
        &mut unchecked,
        failed_deliveries,
    )
    .await;
    let edits = match friend_edits(state, &id, since).await {
        Ok(edits) => edits,
        Err(why) => {
            unchecked.push(json!({"what": "the friend's files", "why": why}));
            Vec::new()
        }
    };
    let all_clear =
        apps.is_empty() && failed.is_empty() && edits.is_empty() && unchecked.is_empty();
    let mut lines: Vec<String> = Vec::new();
    lines.extend(lines_of(&apps, ("app", "ready"), |app, ready| {
        format!("App {app} is not running ({ready} ready).")
    }));
    lines.extend(lines_of(&failed, ("name", "error"), |name, error| {
        format!("Scheduled message {name} failed to deliver: {error}.")
    }));
    lines.extend(lines_of(&edits, ("file", "changed_at"), |file, at| {
        format!("The friend changed {file} at {at}.")
    }));
    lines.extend(lines_of(&unchecked, ("what", "why"), |what, why| {
        format!("Could not check {what}: {why}")
    }));
    if all_clear {
        lines.push("Nothing needs your attention.".into());
    }
    Outcome::Done {
        structured: json!({
            "friend_id": id,
            "all_clear": all_clear,
            "apps_not_running": apps,
            "failed_deliveries": failed,
            "notes_changed_by_friend": edits,
            "since": since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "could_not_check": unchecked,
        }),
        text: lines.join("\n"),
    }
}

/// What `find` makes of the answer to `GET path`; a read that fails is noted in `unchecked`
/// (what could not be checked, and REST's words why) rather than failing the whole tool.
async fn findings(
    app: &Router,
    forwarded: &Forwarded,
    path: String,
    what: &str,
    unchecked: &mut Vec<Value>,
    find: fn(&Value) -> Vec<Value>,
) -> Vec<Value> {
    let answer = dispatch::send(app, forwarded, Call::get(path)).await;
    match (&answer.body, answer.ok()) {
        (Some(body), true) => find(body),
        _ => {
            unchecked.push(json!({"what": what, "why": answer.message()}));
            Vec::new()
        }
    }
}

/// One line of text per item, made of two of its fields.
fn lines_of<'a>(
    items: &'a [Value],
    (first, second): (&'a str, &'a str),
    words: impl Fn(&str, &str) -> String + 'a,
) -> impl Iterator<Item = String> + 'a {
    items.iter().map(move |item| {
        words(
            item[first].as_str().unwrap_or("?"),
            item[second].as_str().unwrap_or("no reason given"),
        )
    })
}

/// Apps with fewer ready pods than they want, with their pods' state.
fn apps_not_running(overview: &Value) -> Vec<Value> {
    let pods = overview["pods"].as_array().cloned().unwrap_or_default();
    overview["deployments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|deployment| {
            let name = deployment["name"].as_str()?;
            let replicas = deployment["replicas"].as_str()?;
            let (ready, wanted) = replicas.split_once('/')?;
            let (ready, wanted): (u32, u32) = (ready.parse().ok()?, wanted.parse().ok()?);
            (ready < wanted).then(|| {
                let pods: Vec<Value> = pods
                    .iter()
                    .filter(|pod| pod["app"] == name)
                    .map(|pod| json!({"pod": pod["name"], "status": pod["status"], "ready": pod["ready"], "restarts": pod["restarts"]}))
                    .collect();
                json!({"app": name, "ready": replicas, "pods": pods})
            })
        })
        .collect()
}

/// Scheduled messages whose last run failed.
fn failed_deliveries(jobs: &Value) -> Vec<Value> {
    jobs.as_array()
        .into_iter()
        .flatten()
        .filter(|job| job["last_run"]["status"] == "failed")
        .map(|job| {
            json!({
                "name": job["name"],
                "at": job["last_run"]["at"],
                "error": job["last_run"]["error"],
                "attempts": job["last_run"]["attempts"],
            })
        })
        .collect()
}

/// The friend's own writes of their files since `since`, the latest per file, from the
/// audit log (where every write is recorded with who made it).
async fn friend_edits(
    state: &AppState,
    friend: &str,
    since: DateTime<Utc>,
) -> Result<Vec<Value>, String> {
    let entries = state
        .store
        .audit
        .audit_entries(&AuditQuery {
            friend: Some(friend.to_owned()),
            limit: AUDIT_SCAN,
        })
        .await
        .map_err(|e| e.to_string())?;
    let by_friend = format!("friend:{friend}");
    let mut edits: Vec<Value> = Vec::new();
    for entry in entries
        .iter()
        .filter(|e| e.at > since && e.caller == by_friend && (200..300).contains(&e.status))
    {
        let Some((_, file)) = FRIEND_FILES
            .iter()
            .find(|(action, _)| *action == entry.action)
        else {
            continue;
        };
        // Newest first: the first entry of a file is its latest change.
        if !edits.iter().any(|e| e["file"] == *file) {
            edits.push(json!({
                "file": file,
                "changed_at": entry.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }));
        }
    }
    Ok(edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_short_of_ready_pods_are_reported_with_their_pods() {
        let overview = json!({
            "deployments": [{"name": "web", "replicas": "0/1"}, {"name": "api", "replicas": "2/2"}],
            "pods": [{"name": "web-1", "app": "web", "status": "Pending", "ready": "0/1", "restarts": 3},
                     {"name": "api-1", "app": "api", "status": "Running", "ready": "1/1", "restarts": 0}],
        });
        let apps = apps_not_running(&overview);
        assert_eq!(apps.len(), 1);
        assert_eq!(apps[0]["app"], "web");
        assert_eq!(apps[0]["pods"][0]["pod"], "web-1");
        assert_eq!(apps[0]["pods"][0]["restarts"], 3);
    }

    #[test]
    fn only_failed_last_runs_count() {
        let jobs = json!([
            {"name": "a", "last_run": {"status": "failed", "error": "gateway said 500", "at": "t", "attempts": 3}},
            {"name": "b", "last_run": {"status": "delivered"}},
            {"name": "c", "last_run": null},
        ]);
        let failed = failed_deliveries(&jobs);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0]["name"], "a");
        assert_eq!(failed[0]["error"], "gateway said 500");
    }
}
