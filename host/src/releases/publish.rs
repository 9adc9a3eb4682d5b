//! Publishing a release (from a registry reference, or a component uploaded as a file and
//! pushed to the configured registry) and rolling one back, each answered once every live
//! replica serves the outcome or [`ROLLOUT_WAIT`] has passed.

use chrono::TimeDelta;
use portal_store::{Release, RollbackRefusal};
use serde::Serialize;

use super::{REPLICA_GONE_AFTER, ROLLOUT_WAIT};
use crate::error::{ApiError, ApiResult};
use crate::runtime::{LoadError, Swap, sha256_hex};
use crate::state::AppState;

/// What a publish or rollback changed here, and where it stands across the replicas.
pub struct Released {
    pub swap: Swap,
    pub rollout: Rollout,
}

/// Where a release stands across the replicas.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Rollout {
    /// The release now current; `None`: the plugin's built-in version.
    pub release: Option<Release>,
    /// Whether every live replica serves it.
    pub complete: bool,
    /// The live replicas that serve it.
    pub serving: Vec<String>,
    /// The live replicas that do not (yet), with why when they said.
    pub pending: Vec<PendingReplica>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PendingReplica {
    pub replica: String,
    /// The version it serves.
    pub serving: Option<String>,
    pub error: Option<String>,
}

fn registry_error(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_GATEWAY,
        "registry",
        format!("{what}: {e}"),
    )
}

/// Makes the component at `reference` the plugin's current release: pulled, checked and
/// compiled here first (a bad one changes nothing), recorded, then followed by every replica.
pub async fn from_reference(
    state: &AppState,
    plugin: &str,
    reference: &str,
    by: &str,
) -> ApiResult<Released> {
    let reference: portal_oci::Reference = reference
        .trim()
        .parse()
        .map_err(|e| ApiError::bad_request(format!("reference: {e}")))?;
    let client = state
        .releases
        .client()
        .map_err(|e| registry_error("the registry client", e))?;
    let pulled = client
        .pull(&reference, None, crate::runtime::MAX_COMPONENT_BYTES as u64)
        .await
        .map_err(|e| registry_error("could not pull the component", e))?;
    let pinned = reference
        .with_digest(&pulled.manifest_digest)
        .map_err(|e| registry_error("the pulled manifest", e))?;
    let version = pulled
        .version
        .or_else(|| reference.tag().map(str::to_owned));
    publish(state, plugin, &pinned, pulled.bytes, version, by).await
}

/// Installs `bytes` (the component at `pinned`) here, a bad one changing nothing, records
/// the release, and waits for the other replicas.
async fn publish(
    state: &AppState,
    plugin: &str,
    pinned: &portal_oci::Reference,
    bytes: Vec<u8>,
    version: Option<String>,
    by: &str,
) -> ApiResult<Released> {
    let previous = state
        .runtime
        .serving(plugin)
        .ok_or_else(|| ApiError::from(LoadError::UnknownPlugin(plugin.to_owned())))?;
    let sha256 = sha256_hex(&bytes);
    let version = version.unwrap_or_else(|| sha256[..12].to_owned());
    let expected = current_sha(state, plugin).await?;
    state
        .runtime
        .install(plugin, bytes)
        .await
        .map_err(ApiError::from)?;
    let release = Release {
        plugin: plugin.to_owned(),
        reference: pinned.to_string(),
        sha256: sha256.clone(),
        version,
        by: by.to_owned(),
        at: state.clock.now(),
    };
    if !state
        .store
        .releases
        .publish(&release, expected.as_deref())
        .await?
    {
        return Err(ApiError::conflict(format!(
            "another release of '{plugin}' was published meanwhile; look at it, then try again"
        )));
    }
    state.releases.followed(plugin, &sha256);
    tracing::info!(plugin, version = %release.version, reference = %release.reference, by, "plugin release published");
    let rollout = wait_for_replicas(state, plugin, Some(release)).await?;
    Ok(Released {
        swap: Swap {
            name: plugin.to_owned(),
            version: sha256,
            previous,
        },
        rollout,
    })
}

/// Pushes an uploaded component to the configured registry (`<push_to>/<plugin>`, tagged
/// with the start of its SHA-256), then publishes it as [`from_reference`] does (from the
/// bytes in hand: the push already pinned them by digest).
pub async fn from_upload(
    state: &AppState,
    plugin: &str,
    bytes: Vec<u8>,
    by: &str,
) -> ApiResult<Released> {
    let Some(push_to) = &state.config.registry.push_to else {
        return Err(ApiError::conflict(
            "this portal runs as several replicas (--store kube): a plugin must reach all of \
             them through a registry. Set --plugin-registry (PORTAL_PLUGIN_REGISTRY) so that \
             uploads are pushed there, or install oci://REF",
        ));
    };
    let sha256 = sha256_hex(&bytes);
    let target = format!(
        "{}/{plugin}:sha256-{}",
        push_to.trim_end_matches('/'),
        &sha256[..16]
    );
    let reference: portal_oci::Reference = target
        .parse()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("--plugin-registry: {e}")))?;
    let annotations: std::collections::BTreeMap<String, String> = [(
        portal_oci::VERSION_ANNOTATION.to_owned(),
        format!("sha256-{}", &sha256[..12]),
    )]
    .into();
    let client = state
        .releases
        .client()
        .map_err(|e| registry_error("the registry client", e))?;
    let pushed = client
        .push(&reference, &bytes, &annotations)
        .await
        .map_err(|e| registry_error("could not push the component", e))?;
    let version = annotations.get(portal_oci::VERSION_ANNOTATION).cloned();
    publish(state, plugin, &pushed.reference, bytes, version, by).await
}

/// Drops the plugin's current release: the one before it (or the built-in version) is
/// current again, on every replica.
pub async fn roll_back(state: &AppState, plugin: &str) -> ApiResult<Released> {
    let previous = state
        .runtime
        .serving(plugin)
        .ok_or_else(|| ApiError::from(LoadError::UnknownPlugin(plugin.to_owned())))?;
    let Some(current) = current_sha(state, plugin).await? else {
        return Err(ApiError::from(LoadError::NothingToRollBack(
            plugin.to_owned(),
        )));
    };
    let now_current = match state.store.releases.roll_back(plugin, &current).await? {
        Ok(release) => release,
        Err(RollbackRefusal::NothingToRollBack) => {
            return Err(ApiError::from(LoadError::NothingToRollBack(
                plugin.to_owned(),
            )));
        }
        Err(RollbackRefusal::Moved) => {
            return Err(ApiError::conflict(format!(
                "another release of '{plugin}' was published or rolled back meanwhile"
            )));
        }
    };
    tracing::info!(plugin, to = ?now_current.as_ref().map(|r| &r.version), "plugin release rolled back");
    state.releases.sync(state).await;
    let rollout = wait_for_replicas(state, plugin, now_current).await?;
    Ok(Released {
        swap: Swap {
            name: plugin.to_owned(),
            version: state.runtime.serving(plugin).unwrap_or_default(),
            previous,
        },
        rollout,
    })
}

/// Whether the plugin has releases: installs and rollbacks then go through them.
pub async fn has_releases(state: &AppState, plugin: &str) -> ApiResult<bool> {
    Ok(current_sha(state, plugin).await?.is_some())
}

async fn current_sha(state: &AppState, plugin: &str) -> ApiResult<Option<String>> {
    Ok(state
        .store
        .releases
        .releases(plugin)
        .await?
        .first()
        .map(|r| r.sha256.clone()))
}

/// Waits until every replica that reported lately serves `release` (or the built-in
/// version), at most [`ROLLOUT_WAIT`].
async fn wait_for_replicas(
    state: &AppState,
    plugin: &str,
    release: Option<Release>,
) -> ApiResult<Rollout> {
    state.releases.report(state).await;
    let wanted = match &release {
        Some(release) => release.sha256.clone(),
        None => sha256_hex(&state.runtime.built_in(plugin).map_err(ApiError::from)?),
    };
    let started = std::time::Instant::now();
    loop {
        let now = state.clock.now();
        let gone = TimeDelta::from_std(REPLICA_GONE_AFTER).unwrap_or(TimeDelta::MAX);
        let (mut serving, mut pending) = (Vec::new(), Vec::new());
        for report in state.store.releases.reports().await? {
            if now - report.seen_at > gone {
                continue;
            }
            let theirs = report.serving.get(plugin).cloned();
            if theirs.as_deref() == Some(wanted.as_str()) {
                serving.push(report.replica);
            } else {
                pending.push(PendingReplica {
                    replica: report.replica,
                    serving: theirs,
                    error: report.failed.get(plugin).cloned(),
                });
            }
        }
        let complete = pending.is_empty();
        if complete || started.elapsed() >= ROLLOUT_WAIT {
            serving.sort();
            return Ok(Rollout {
                release,
                complete,
                serving,
                pending,
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
