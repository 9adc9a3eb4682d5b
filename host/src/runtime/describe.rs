//! The `describe` export: what a plugin version says its routes take and answer, for the
//! API document. Asked once per version, on first need (or at install, where a version
//! whose answer is unusable is refused), never on the request path.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::Runtime;
use super::bindings::friend::portal::types::RouteDoc as WitRouteDoc;
use super::plugin::{Plugin, Version};
use super::store_data::Scope;
use crate::auth::Caller;

/// All schema text one version may return: far above what real routes need, low enough
/// that a plugin cannot bloat the document.
const MAX_DESCRIBE_BYTES: usize = 1 << 20;
/// Characters of what a failing `describe` wrote to stderr that its refusal quotes.
const MAX_GUEST_WORDS: usize = 300;

/// One route's bodies, as the plugin documents them.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteDoc {
    /// The JSON body it takes, if any.
    pub request: Option<Value>,
    /// Success statuses, each with its body's schema (`None`: no body).
    pub responses: Vec<(u16, Option<Value>)>,
}

/// A version's documented routes, by route name. Routes it leaves out are documented by
/// the host as taking and answering any JSON.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PluginDocs {
    routes: HashMap<String, RouteDoc>,
}

impl PluginDocs {
    pub fn route(&self, name: &str) -> Option<&RouteDoc> {
        self.routes.get(name)
    }

    /// Checks and parses what `describe` returned; `Err` says what is wrong.
    pub fn parse(docs: Vec<WitRouteDoc>) -> Result<Self, String> {
        let size: usize = docs
            .iter()
            .flat_map(|d| {
                d.request
                    .iter()
                    .chain(d.responses.iter().flat_map(|r| &r.1))
            })
            .map(String::len)
            .sum();
        if size > MAX_DESCRIBE_BYTES {
            return Err(format!(
                "describe returned {size} bytes of schemas, above {MAX_DESCRIBE_BYTES}"
            ));
        }
        let mut routes = HashMap::new();
        for doc in docs {
            let route = doc.route;
            let schema = |text: &str, what: &str| -> Result<Value, String> {
                match serde_json::from_str::<Value>(text) {
                    Ok(v @ Value::Object(_)) => Ok(v),
                    Ok(_) => Err(format!(
                        "route '{route}': the {what} schema is not a JSON object"
                    )),
                    Err(e) => Err(format!(
                        "route '{route}': the {what} schema is not JSON: {e}"
                    )),
                }
            };
            let request = doc
                .request
                .as_deref()
                .map(|t| schema(t, "request"))
                .transpose()?;
            let mut responses: Vec<(u16, Option<Value>)> = Vec::new();
            for (status, body) in &doc.responses {
                if !(200..=299).contains(status) {
                    return Err(format!(
                        "route '{route}': {status} is not a success status (errors are the host's to document)"
                    ));
                }
                if responses.iter().any(|(s, _)| s == status) {
                    return Err(format!("route '{route}': status {status} appears twice"));
                }
                let body = body
                    .as_deref()
                    .map(|t| schema(t, &format!("{status} response")))
                    .transpose()?;
                responses.push((*status, body));
            }
            if routes
                .insert(route.clone(), RouteDoc { request, responses })
                .is_some()
            {
                return Err(format!("route '{route}' is described twice"));
            }
        }
        Ok(Self { routes })
    }
}

impl Runtime {
    /// The current version's route documentation, asked for once per version. `None`
    /// when the plugin could not answer (logged once).
    pub async fn docs(&self, plugin: &Plugin) -> Option<Arc<PluginDocs>> {
        let version = plugin.current();
        let docs = version.docs.get_or_init(|| async {
            match self.describe(plugin, &version).await {
                Ok(docs) => Some(Arc::new(docs)),
                Err(error) => {
                    tracing::warn!(plugin = plugin.name(), version = %version.sha256, %error,
                        "plugin could not describe its routes; they are documented as any JSON");
                    None
                }
            }
        });
        docs.await.clone()
    }

    /// Calls `describe` on a fresh instance of `version`, under the plugin's limits.
    pub(crate) async fn describe(
        &self,
        plugin: &Plugin,
        version: &Version,
    ) -> Result<PluginDocs, String> {
        // No friend in scope: every capability that touches a friend's data refuses
        // (NO_SUBJECT), so describe can read or change nothing, whoever the caller.
        let scope = Scope {
            plugin: plugin.name().to_owned(),
            caller: Caller::Admin,
            friend: None,
            request_id: "describe".into(),
        };
        let mut store = self.store_for(plugin, scope);
        let outcome = match version.pre.instantiate_async(&mut store).await {
            Ok(instance) => {
                instance
                    .friend_portal_handler()
                    .call_describe(&mut store)
                    .await
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(docs) => PluginDocs::parse(docs),
            Err(e) => {
                // The wasm backtrace goes to the log; the operator's answer gets the cause
                // and what the guest said (a panic's message).
                tracing::warn!(
                    plugin = plugin.name(),
                    error = format!("{e:#}"),
                    "describe failed"
                );
                let (_, stderr) = store.data().output();
                let said = String::from_utf8_lossy(&stderr)
                    .lines()
                    .filter(|l| !l.starts_with("note: "))
                    .flat_map(str::split_whitespace)
                    .collect::<Vec<_>>()
                    .join(" ");
                let said: String = said.chars().take(MAX_GUEST_WORDS).collect();
                Err(match said.is_empty() {
                    true => format!("describe failed: {}", e.root_cause()),
                    false => format!("describe failed: {} (it wrote: {said})", e.root_cause()),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(route: &str, request: Option<&str>, responses: &[(u16, Option<&str>)]) -> WitRouteDoc {
        WitRouteDoc {
            route: route.into(),
            request: request.map(Into::into),
            responses: responses
                .iter()
                .map(|(s, b)| (*s, b.map(Into::into)))
                .collect(),
        }
    }

    #[test]
    fn documented_routes_are_parsed() {
        let docs = PluginDocs::parse(vec![doc(
            "things.create",
            Some(r#"{"type":"object"}"#),
            &[(201, Some(r#"{"type":"object"}"#)), (204, None)],
        )])
        .unwrap();
        let route = docs.route("things.create").unwrap();
        assert_eq!(route.request, Some(serde_json::json!({"type": "object"})));
        assert_eq!(route.responses.len(), 2);
        assert_eq!(docs.route("things.list"), None);
    }

    #[test]
    fn unusable_answers_are_refused_saying_why() {
        for (bad, why) in [
            (
                doc("r", Some("not json"), &[]),
                "the request schema is not JSON",
            ),
            (doc("r", Some("[]"), &[]), "not a JSON object"),
            (
                doc("r", None, &[(404, None)]),
                "404 is not a success status",
            ),
            (
                doc("r", None, &[(200, None), (200, None)]),
                "status 200 appears twice",
            ),
        ] {
            let error = PluginDocs::parse(vec![bad]).unwrap_err();
            assert!(error.contains(why), "{error}");
        }
        let twice = PluginDocs::parse(vec![doc("r", None, &[]), doc("r", None, &[])]);
        assert!(twice.unwrap_err().contains("described twice"));
        let huge = "x".repeat(MAX_DESCRIBE_BYTES + 1);
        let error = PluginDocs::parse(vec![doc("r", Some(&huge), &[])]).unwrap_err();
        assert!(error.contains("bytes of schemas"), "{error}");
    }
}
