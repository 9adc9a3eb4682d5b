//! What a model reads of each tool: plain titles and descriptions of the plugins' routes
//! (the API document names them only `crons.list (plugin crons)`), and the two inputs the
//! document does not carry (a logs route's `?tail=`, `namespace.apply`'s manifests, which
//! are JSON or YAML and so not one schema). The host's own routes are described by their
//! summary in the route table. A test holds every agent tool of the default policy to
//! having words here, so a new plugin route cannot arrive undescribed.

use serde_json::{Value, json};

/// A plugin route's title and description, by route name.
pub fn plugin_route(route: &str) -> Option<(&'static str, &'static str)> {
    Some(match route {
        "crons.list" => (
            "List scheduled messages",
            "The friend's scheduled messages (cron jobs): each sends its message into one of the \
             friend's conversations with an agent on its schedule. Each job comes with its last run \
             (`delivered`, `queued`, `pending` or `failed`, with the error).",
        ),
        "crons.create" => (
            "Schedule a message",
            "Schedules a message into the friend's conversation with you. `session` must be one \
             of your own sessions with this friend (`agent:<your id>:...`, ending in the friend's \
             id or one of their platform ids); `cron` has five fields (minute hour day month \
             weekday); `tz` is an IANA zone (default UTC). At most 50 jobs per friend.",
        ),
        "crons.get" => (
            "Read a scheduled message",
            "One scheduled message of the friend, with its next and last run.",
        ),
        "crons.update" => (
            "Change a scheduled message",
            "Replaces a scheduled message's text, schedule, zone and session (all four required); \
             its name, on/off state and creation time stay.",
        ),
        "crons.delete" => (
            "Delete a scheduled message",
            "Deletes one of the friend's scheduled messages and its run history.",
        ),
        "crons.run" => (
            "Send a scheduled message now",
            "Sends a scheduled message once, now, outside its schedule; answers the pending run. \
             Repeated runs are limited per friend (429 with a time to wait).",
        ),
        "crons.toggle" => (
            "Pause or resume a scheduled message",
            "Turns a scheduled message on or off (`enabled`).",
        ),
        "crons.runs" => (
            "Read a scheduled message's runs",
            "The kept runs of one scheduled message, newest first, with how each delivery went.",
        ),
        "secrets.list" => (
            "List the friend's secrets",
            "The names and keys of the friend's secrets (never their values), with when each \
             was made and changed.",
        ),
        "namespace.overview" => (
            "See the friend's apps",
            "Everything running for the friend: apps (deployments, with ready/desired \
             replicas and the secrets they use), pods (status, readiness, restarts, their app), \
             services, resource quota (limit and used) and public addresses.",
        ),
        "namespace.pods" => (
            "List the friend's pods",
            "The friend's pods with status, readiness and restarts.",
        ),
        "namespace.provision" => (
            "Repair the friend's space",
            "Re-applies the standard set-up of the friend's space (quota, defaults, network \
             policy); says what it created, updated or left unchanged.",
        ),
        "namespace.apply" => (
            "Deploy or change apps",
            "Applies manifests in the friend's space: `body` is `{\"manifests\": [...]}` of \
             Deployment, Service, ConfigMap, Job or CronJob objects. Every document is checked \
             before any is applied (all or nothing); a broken rule is refused naming the \
             document and field.",
        ),
        "namespace.delete-deployment" => (
            "Remove an app",
            "Deletes one of the friend's apps (a deployment) and its pods.",
        ),
        "namespace.logs" => (
            "Read a pod's log",
            "The last lines of one pod's log (`tail`, 1-500, default 100).",
        ),
        "namespace.deployment-logs" => (
            "Read an app's log",
            "The last lines of the log of an app's newest pod (`tail`, 1-500, default 100); \
             `pod` is null while the app has none.",
        ),
        "namespace.restart-deployment" => (
            "Restart an app",
            "Restarts one of the friend's apps the way `kubectl rollout restart` does: every \
             pod is replaced.",
        ),
        "exposure.create" => (
            "Put an app on a public address",
            "Exposes a service of the friend's on `<name>-<friend>.<domain>` (a route and a DNS \
             record, all or nothing). Only the operator's domains are allowed.",
        ),
        "exposure.delete" => (
            "Take an app off its public address",
            "Removes a public address (its route and DNS record).",
        ),
        "workspace.notes-get" => (
            "Read your notes about the friend",
            "Your notes about the friend (NOTES.md): the friend can read them but not change them.",
        ),
        "workspace.notes-put" => (
            "Write your notes about the friend",
            "Replaces your notes about the friend (NOTES.md, Markdown, at most 256 KiB) with \
             `content`.",
        ),
        "workspace.memory-get" => (
            "Read the friend's MEMORY.md",
            "What the friend wants remembered (MEMORY.md). Only the friend writes it.",
        ),
        "workspace.heartbeat-get" => (
            "Read HEARTBEAT.md",
            "The friend's HEARTBEAT.md: the checklist you go through on each heartbeat.",
        ),
        "workspace.heartbeat-put" => (
            "Write HEARTBEAT.md",
            "Replaces the friend's HEARTBEAT.md (Markdown, at most 256 KiB) with `content`.",
        ),
        _ => return None,
    })
}

/// Query parameters a plugin route reads that the document does not list.
pub fn plugin_query(route: &str) -> Vec<(&'static str, Value)> {
    match route {
        "namespace.logs" | "namespace.deployment-logs" => vec![(
            "tail",
            json!({"type": "integer", "minimum": 1, "maximum": 500,
                   "description": "How many of the last lines (default 100)"}),
        )],
        _ => Vec::new(),
    }
}

/// The body of a plugin route the document leaves undescribed.
pub fn plugin_body(route: &str) -> Option<Value> {
    match route {
        "namespace.apply" => Some(json!({
            "type": "object",
            "properties": {"manifests": {
                "type": "array",
                "items": {"type": "object", "description": "A Kubernetes object: apiVersion, kind, metadata, spec"},
            }},
            "required": ["manifests"],
        })),
        _ => None,
    }
}

/// What a path parameter holds, for the model.
pub fn path_param(path: &str, name: &str) -> &'static str {
    match name {
        "id" if path.starts_with("/api/agents/") => "The agent's id",
        "id" => "The friend's id",
        "agent_id" => "The agent's id",
        "name" => "The name of the object (scheduled message, app, secret, address or plugin)",
        "pod" => "The pod's name",
        _ => "A path parameter",
    }
}
