//! `plugins.toml`: per plugin, its component, grants, limits and routes.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use super::{ComponentSource, PolicyError};
use crate::auth::CallerKind;
use crate::runtime::grants::Grant;

#[derive(Debug, Clone)]
pub struct PluginsPolicy {
    pub file: String,
    pub plugins: BTreeMap<String, PluginPolicy>,
    /// Each friend's newest audit entries kept (`audit_entries_per_friend`).
    pub audit_entries_per_friend: usize,
    /// Serve the host's native echo (`/api/portal/echo`), the benchmarks' baseline: only
    /// the tests' policy sets it (`native_echo = true`).
    pub native_echo: bool,
}

#[derive(Debug, Clone)]
pub struct PluginPolicy {
    pub name: String,
    pub component: ComponentSource,
    pub grants: Vec<Grant>,
    pub memory_mib: u64,
    pub deadline_ms: u64,
    pub concurrency: usize,
    /// Of those, how many one friend may hold at once; past it the friend's request waits
    /// `queue_wait_ms` for one of their own, then gets 429.
    pub concurrency_per_friend: usize,
    pub queue_wait_ms: u64,
    /// Bytes of kv (keys as the plugin names them, plus values) the plugin may keep per
    /// friend; writes past it are refused with the kv interface's error.
    pub kv_bytes_per_friend: u64,
    pub routes: Vec<RoutePolicy>,
}

#[derive(Debug, Clone)]
pub struct RoutePolicy {
    pub method: axum::http::Method,
    /// As written in the policy: `/api/portal/secrets/:name`.
    pub path: String,
    pub name: String,
    pub callers: Vec<CallerKind>,
}

impl RoutePolicy {
    /// The path in axum's syntax: `/api/portal/secrets/{name}`.
    pub fn axum_path(&self) -> String {
        self.path
            .split('/')
            .map(|seg| match seg.strip_prefix(':') {
                Some(param) => format!("{{{param}}}"),
                None => seg.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    plugins: BTreeMap<String, RawPlugin>,
    #[serde(default = "defaults::audit_entries_per_friend")]
    audit_entries_per_friend: usize,
    #[serde(default)]
    native_echo: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    component: String,
    #[serde(default)]
    grants: Vec<String>,
    #[serde(default = "defaults::memory_mib")]
    memory_mib: u64,
    #[serde(default = "defaults::deadline_ms")]
    deadline_ms: u64,
    #[serde(default = "defaults::concurrency")]
    concurrency: usize,
    /// Unset: a quarter of `concurrency` (at least 1).
    concurrency_per_friend: Option<usize>,
    #[serde(default = "defaults::queue_wait_ms")]
    queue_wait_ms: u64,
    #[serde(default = "defaults::kv_bytes_per_friend")]
    kv_bytes_per_friend: u64,
    #[serde(default)]
    routes: Vec<RawRoute>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    method: String,
    path: String,
    name: String,
    callers: Vec<String>,
}

mod defaults {
    pub fn memory_mib() -> u64 {
        64
    }
    pub fn deadline_ms() -> u64 {
        2_000
    }
    pub fn concurrency() -> usize {
        32
    }
    pub fn queue_wait_ms() -> u64 {
        1_000
    }
    pub fn kv_bytes_per_friend() -> u64 {
        super::DEFAULT_KV_BYTES_PER_FRIEND
    }
    pub fn audit_entries_per_friend() -> usize {
        portal_store::AuditBounds::default().kept_per_friend
    }
}

/// The most `audit_entries_per_friend` may be.
pub const MAX_AUDIT_ENTRIES_PER_FRIEND: usize = 1_000_000;

/// A plugin's kv per friend unless its policy says otherwise: room for a few of the
/// largest values (256 KiB), plenty for plugin state.
pub const DEFAULT_KV_BYTES_PER_FRIEND: u64 = 1 << 20;
pub const MAX_KV_BYTES_PER_FRIEND: u64 = 1 << 30;

/// Upper bounds that keep one plugin from starving the host.
pub const MAX_MEMORY_MIB: u64 = 1024;
pub const MAX_DEADLINE_MS: u64 = 60_000;
pub const MAX_CONCURRENCY: usize = 256;

impl PluginsPolicy {
    /// Each plugin's kv bytes per friend, by plugin name.
    pub fn kv_limits(&self) -> std::collections::HashMap<String, u64> {
        self.plugins
            .iter()
            .map(|(name, p)| (name.clone(), p.kv_bytes_per_friend))
            .collect()
    }
}

/// Why a plugin route may not be routed beside the host's own, if it may not: the policy
/// does not know the host's routes (they live above it, in `api`), so whoever loads it
/// passes the check (`api::native_route_clash`).
pub type RouteClash<'a> = &'a dyn Fn(&str) -> Option<String>;

impl PluginsPolicy {
    pub fn parse(
        text: &str,
        file: &str,
        base: Option<&Path>,
        clash: RouteClash,
    ) -> Result<Self, PolicyError> {
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| PolicyError::new(file, "toml", e.to_string().trim().to_owned()))?;
        let mut plugins = BTreeMap::new();
        let mut seen_routes = HashSet::new();
        for (name, raw) in raw.plugins {
            let plugin = check_plugin(file, &name, raw, base, &mut seen_routes, clash)?;
            plugins.insert(name, plugin);
        }
        if !(1..=MAX_AUDIT_ENTRIES_PER_FRIEND).contains(&raw.audit_entries_per_friend) {
            return Err(PolicyError::new(
                file,
                "audit_entries_per_friend",
                format!("must be 1-{MAX_AUDIT_ENTRIES_PER_FRIEND}"),
            ));
        }
        Ok(Self {
            file: file.to_owned(),
            plugins,
            audit_entries_per_friend: raw.audit_entries_per_friend,
            native_echo: raw.native_echo,
        })
    }
}

fn check_plugin(
    file: &str,
    name: &str,
    raw: RawPlugin,
    base: Option<&Path>,
    seen_routes: &mut HashSet<(String, String)>,
    clash: RouteClash,
) -> Result<PluginPolicy, PolicyError> {
    let entry = format!("plugins.{name}");
    let fail =
        |field: &str, problem: String| PolicyError::new(file, format!("{entry}.{field}"), problem);
    crate::validate::dns_label(name)
        .map_err(|r| PolicyError::new(file, &entry, format!("plugin name {r}")))?;
    let grants = raw
        .grants
        .iter()
        .map(|g| {
            Grant::from_name(g).ok_or_else(|| {
                fail(
                    "grants",
                    format!("unknown grant '{g}' (known: {})", Grant::names().join(", ")),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !(1..=MAX_MEMORY_MIB).contains(&raw.memory_mib) {
        return Err(fail("memory_mib", format!("must be 1-{MAX_MEMORY_MIB}")));
    }
    if !(1..=MAX_DEADLINE_MS).contains(&raw.deadline_ms) {
        return Err(fail("deadline_ms", format!("must be 1-{MAX_DEADLINE_MS}")));
    }
    if !(1..=MAX_CONCURRENCY).contains(&raw.concurrency) {
        return Err(fail("concurrency", format!("must be 1-{MAX_CONCURRENCY}")));
    }
    let concurrency_per_friend = raw
        .concurrency_per_friend
        .unwrap_or((raw.concurrency / 4).max(1));
    if !(1..=raw.concurrency).contains(&concurrency_per_friend) {
        return Err(fail(
            "concurrency_per_friend",
            format!("must be 1-{} (the plugin's concurrency)", raw.concurrency),
        ));
    }
    if raw.kv_bytes_per_friend > MAX_KV_BYTES_PER_FRIEND {
        return Err(fail(
            "kv_bytes_per_friend",
            format!("must be at most {MAX_KV_BYTES_PER_FRIEND}"),
        ));
    }
    if raw.queue_wait_ms > MAX_DEADLINE_MS {
        return Err(fail(
            "queue_wait_ms",
            format!("must be at most {MAX_DEADLINE_MS}"),
        ));
    }
    let mut routes = Vec::new();
    for (i, route) in raw.routes.into_iter().enumerate() {
        let route_entry = format!("{entry}.routes[{i}]");
        let route = check_route(file, &route_entry, route, clash)?;
        if !seen_routes.insert((route.method.to_string(), route.axum_path())) {
            return Err(PolicyError::new(
                file,
                route_entry,
                format!("{} {} is routed twice", route.method, route.path),
            ));
        }
        routes.push(route);
    }
    Ok(PluginPolicy {
        name: name.to_owned(),
        component: ComponentSource::parse(&raw.component, base),
        grants,
        memory_mib: raw.memory_mib,
        deadline_ms: raw.deadline_ms,
        concurrency: raw.concurrency,
        concurrency_per_friend,
        queue_wait_ms: raw.queue_wait_ms,
        kv_bytes_per_friend: raw.kv_bytes_per_friend,
        routes,
    })
}

fn check_route(
    file: &str,
    entry: &str,
    raw: RawRoute,
    clash: RouteClash,
) -> Result<RoutePolicy, PolicyError> {
    let fail = |problem: String| PolicyError::new(file, entry, problem);
    let method = match raw.method.to_ascii_uppercase().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE") => {
            m.parse().map_err(|_| fail(format!("bad method '{m}'")))?
        }
        other => {
            return Err(fail(format!(
                "method '{other}' is not one of GET, POST, PUT, PATCH, DELETE"
            )));
        }
    };
    let path_ok = raw.path.starts_with("/api/")
        && raw.path.split('/').skip(1).all(|seg| {
            let seg = seg.strip_prefix(':').unwrap_or(seg);
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !path_ok {
        return Err(fail(format!(
            "path '{}' must start with /api/ and hold only plain segments and :params",
            raw.path
        )));
    }
    // The host's own routes are not for a plugin to take over.
    if let Some(problem) = clash(&raw.path) {
        return Err(fail(problem));
    }
    let callers = raw
        .callers
        .iter()
        .map(|c| match c.as_str() {
            "admin" => Ok(CallerKind::Admin),
            "agent" => Ok(CallerKind::Agent),
            "friend" => Ok(CallerKind::Friend),
            other => Err(fail(format!(
                "caller '{other}' is not one of admin, agent, friend"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if callers.is_empty() {
        return Err(fail(
            "callers is empty: nobody could call this route".into(),
        ));
    }
    // The subject friend comes from the path, so the path decides who may call.
    let portal = raw.path.starts_with("/api/portal/");
    if portal && callers != [CallerKind::Friend] {
        return Err(fail(
            "/api/portal/* routes are for friends only (callers = [\"friend\"])".into(),
        ));
    }
    if !portal && callers.contains(&CallerKind::Friend) {
        return Err(fail("friends may only call /api/portal/* routes".into()));
    }
    let friend_scoped = raw.path.starts_with("/api/friends/:id/");
    if !portal && !friend_scoped && callers.contains(&CallerKind::Agent) {
        return Err(fail(
            "agents may only call routes under /api/friends/:id/".into(),
        ));
    }
    if raw.name.is_empty() || raw.name.len() > 64 {
        return Err(fail("name must be 1-64 characters".into()));
    }
    Ok(RoutePolicy {
        method,
        path: raw.path,
        name: raw.name,
        callers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PluginsPolicy, PolicyError> {
        PluginsPolicy::parse(text, "plugins.toml", None, &crate::api::native_route_clash)
    }

    #[test]
    fn the_embedded_policy_is_valid() {
        let policy = parse(crate::policy::EMBEDDED_PLUGINS_TOML).unwrap();
        assert!(!policy.plugins.is_empty());
    }

    /// The default serves every real plugin, on its own component, and no test fixture:
    /// those are routed by tests/policies/plugins.toml only.
    #[test]
    fn the_embedded_policy_serves_the_real_plugins_and_no_fixture() {
        let policy = parse(crate::policy::EMBEDDED_PLUGINS_TOML).unwrap();
        let names: Vec<&str> = policy.plugins.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["crons", "exposure", "namespace", "secrets", "workspace"]
        );
        for (name, plugin) in &policy.plugins {
            assert_eq!(plugin.component, ComponentSource::Builtin(name.clone()));
            assert!(!plugin.routes.is_empty(), "{name} has routes");
        }
        let text = crate::policy::EMBEDDED_PLUGINS_TOML;
        for fixture in ["hello", "spin", "hog", "crash", "greedy"] {
            assert!(
                !text.contains(&format!("builtin:{fixture}")),
                "{fixture} is not in the default policy"
            );
        }
    }

    #[test]
    fn kv_bytes_per_friend_has_a_default_and_a_bound() {
        let policy = parse("[plugins.x]\ncomponent = \"builtin:x\"\n").unwrap();
        assert_eq!(
            policy.kv_limits()["x"],
            DEFAULT_KV_BYTES_PER_FRIEND,
            "1 MiB unless set"
        );
        let set = parse("[plugins.x]\ncomponent = \"builtin:x\"\nkv_bytes_per_friend = 10\n");
        assert_eq!(set.unwrap().kv_limits()["x"], 10);
        let huge =
            parse("[plugins.x]\ncomponent = \"builtin:x\"\nkv_bytes_per_friend = 2000000000\n")
                .unwrap_err();
        assert_eq!(huge.entry, "plugins.x.kv_bytes_per_friend");
    }

    #[test]
    fn a_friends_share_of_the_slots_has_a_default_and_a_bound() {
        let plugin = |extra: &str| {
            parse(&format!(
                "[plugins.x]\ncomponent = \"builtin:x\"\nconcurrency = 32\n{extra}"
            ))
        };
        assert_eq!(plugin("").unwrap().plugins["x"].concurrency_per_friend, 8);
        let set = plugin("concurrency_per_friend = 3\n").unwrap();
        assert_eq!(set.plugins["x"].concurrency_per_friend, 3);
        for bad in ["0", "33"] {
            let e = plugin(&format!("concurrency_per_friend = {bad}\n")).unwrap_err();
            assert_eq!(e.entry, "plugins.x.concurrency_per_friend");
        }
        let one = parse("[plugins.x]\ncomponent = \"builtin:x\"\nconcurrency = 1\n").unwrap();
        assert_eq!(one.plugins["x"].concurrency_per_friend, 1);
    }

    #[test]
    fn the_audit_share_and_the_echo_switch_have_defaults() {
        let policy = parse(crate::policy::EMBEDDED_PLUGINS_TOML).unwrap();
        assert_eq!(
            policy.audit_entries_per_friend,
            portal_store::AuditBounds::default().kept_per_friend
        );
        assert!(!policy.native_echo, "production does not serve the echo");
        let set = parse("audit_entries_per_friend = 5\nnative_echo = true\n").unwrap();
        assert_eq!((set.audit_entries_per_friend, set.native_echo), (5, true));
        let zero = parse("audit_entries_per_friend = 0\n").unwrap_err();
        assert_eq!(zero.entry, "audit_entries_per_friend");
    }

    #[test]
    fn errors_name_file_entry_and_problem() {
        let bad_grant =
            parse("[plugins.x]\ncomponent = \"builtin:x\"\ngrants = [\"root\"]\n").unwrap_err();
        assert_eq!(
            bad_grant
                .to_string()
                .split(": ")
                .take(2)
                .collect::<Vec<_>>(),
            ["plugins.toml", "plugins.x.grants"]
        );
        assert!(bad_grant.problem.contains("unknown grant 'root'"));

        let route = "[plugins.x]\ncomponent = \"builtin:x\"\n[[plugins.x.routes]]\nmethod = \"GET\"\npath = \"/api/portal/x\"\nname = \"x\"\n";
        let wrong_caller = parse(&format!("{route}callers = [\"admin\"]\n")).unwrap_err();
        assert_eq!(wrong_caller.entry, "plugins.x.routes[0]");
        assert!(parse(&format!("{route}callers = [\"friend\"]\n")).is_ok());

        let limits = parse("[plugins.x]\ncomponent = \"builtin:x\"\nmemory_mib = 0\n").unwrap_err();
        assert_eq!(limits.entry, "plugins.x.memory_mib");
        let unknown =
            parse("[plugins.x]\ncomponent = \"builtin:x\"\nmemroy_mib = 3\n").unwrap_err();
        assert!(unknown.problem.contains("memroy_mib"), "{unknown}");
    }

    #[test]
    fn host_paths_are_refused() {
        let route = |path: &str| {
            format!(
                "[plugins.x]\ncomponent = \"builtin:x\"\n[[plugins.x.routes]]\nmethod = \"POST\"\npath = \"{path}\"\nname = \"x\"\ncallers = [\"admin\"]\n"
            )
        };
        let same = parse(&route("/api/admin/audit")).unwrap_err();
        assert!(same.problem.contains("served by the host itself"), "{same}");
        let renamed = parse(&route("/api/admin/plugins/:plugin/rollback")).unwrap_err();
        assert!(
            renamed.problem.contains("served by the host itself"),
            "{renamed}"
        );
        let clash = parse(&route("/api/admin/plugins/:plugin/logs")).unwrap_err();
        assert!(clash.problem.contains("':name'"), "{clash}");
        assert!(parse(&route("/api/admin/plugins/:name/logs")).is_ok());
        assert!(parse(&route("/api/admin/other")).is_ok());
    }

    #[test]
    fn paths_convert_to_axum_syntax() {
        let route = RoutePolicy {
            method: axum::http::Method::GET,
            path: "/api/friends/:id/secrets/:name".into(),
            name: "n".into(),
            callers: vec![],
        };
        assert_eq!(route.axum_path(), "/api/friends/{id}/secrets/{name}");
    }
}
