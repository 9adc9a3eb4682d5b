//! Export and import: every record the cluster holds, in the form both backends share.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::KubeStore;
use super::crons::run_of;
use super::names::hostname_name;
use super::{crds, directory::agent_of};
use crate::domain::{
    ClaimPart, ClaimRequest, CronStore, Directory, Friendship, HostnameClaims, KvStore,
    OutboxStore, Record, Records, Retired, Sessions,
};
use crate::{StoreError, StoreResult};

fn hash_of(hex_text: &str) -> StoreResult<[u8; 32]> {
    hex::decode(hex_text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| StoreError::Conflict(format!("'{hex_text}' is not a SHA-256 in hex")))
}

#[async_trait]
impl Records for KubeStore {
    async fn is_empty(&self) -> StoreResult<bool> {
        Ok(self.friends.len()
            + self.agents.len()
            + self.sessions.len()
            + self.hostnames.len()
            + self.kv.len()
            + self.jobs.len()
            + self.outbox.len()
            + self.audit.len()
            == 0)
    }

    async fn export(&self) -> StoreResult<Vec<Record>> {
        let mut out = Vec::new();
        for object in self.friends.all() {
            let id = object.metadata.name.clone().unwrap_or_default();
            match &object.spec.friend {
                Some(friend) => out.push(Record::Friend {
                    friend: friend.clone(),
                }),
                None => {
                    if let Some(deleted_at) = object.spec.retired_at {
                        out.push(Record::Retired {
                            id,
                            retired: Retired { deleted_at },
                        });
                    }
                }
            }
        }
        for object in self.agents.all() {
            out.push(Record::Agent {
                agent: agent_of(&object),
                token_sha256: object.spec.token_sha256.clone(),
            });
        }
        for object in self.friends.all() {
            let friend_id = object.metadata.name.clone().unwrap_or_default();
            for (agent, since) in &object.spec.friendships {
                out.push(Record::Friendship {
                    friendship: Friendship {
                        agent_id: agent.clone(),
                        friend_id: friend_id.clone(),
                        since: *since,
                    },
                });
            }
        }
        for object in self.sessions.all() {
            let hash = hash_of(object.metadata.name.as_deref().unwrap_or_default())?;
            if let Some(session) = self.session(&hash).await? {
                out.push(Record::Session {
                    token_sha256: hex::encode(hash),
                    session,
                });
            }
        }
        for object in self.hostnames.all() {
            let hostname = object.metadata.name.clone().unwrap_or_default();
            if let Some(claim) = self.owner(&hostname).await? {
                out.push(Record::HostnameClaim { hostname, claim });
            }
        }
        for object in self.kv.all() {
            out.push(Record::Kv {
                plugin: object.spec.plugin.clone(),
                friend: object.spec.friend.clone(),
                key: object.spec.key.clone(),
                value_base64: object.spec.value.clone(),
            });
        }
        for job in self.all_jobs().await? {
            let runs = self
                .jobs
                .cached(&super::names::job_name(&job.friend, &job.name))
                .map(|o| o.spec.runs.clone())
                .unwrap_or_default();
            let (friend, name) = (job.friend.clone(), job.name.clone());
            out.push(Record::Job { job });
            for run in &runs {
                out.push(Record::Run {
                    friend: friend.clone(),
                    job: name.clone(),
                    run: run_of(run),
                });
            }
        }
        let mut outbox = self.outbox(None, usize::MAX).await?;
        outbox.reverse();
        out.extend(outbox.into_iter().map(|entry| Record::Outbox { entry }));
        let mut audit = self.audit_newest_first(None);
        audit.reverse();
        out.extend(audit.into_iter().map(|entry| Record::Audit { entry }));
        Ok(out)
    }

    async fn import(&self, records: &[Record]) -> StoreResult<()> {
        if !self.is_empty().await? {
            return Err(StoreError::Conflict(
                "the cluster store already holds records; import writes only into an empty one"
                    .into(),
            ));
        }
        for record in records {
            match record {
                Record::Friend { friend } => self.create_friend(friend, None).await?,
                Record::Retired { id, retired } => {
                    let spec = crds::PortalFriendSpec {
                        friend: None,
                        friendships: Default::default(),
                        retired_at: Some(retired.deleted_at),
                        epoch: 0,
                    };
                    self.friends
                        .create(&crds::PortalFriend::new(id, spec))
                        .await?;
                }
                Record::Friendship { friendship } => {
                    self.add_friendship(friendship).await?;
                }
                Record::Agent {
                    agent,
                    token_sha256,
                } => self.create_agent(agent, &hash_of(token_sha256)?).await?,
                Record::Session {
                    token_sha256,
                    session,
                } => {
                    self.create_session(&hash_of(token_sha256)?, session)
                        .await?
                }
                Record::HostnameClaim { hostname, claim } => {
                    let request = ClaimRequest {
                        hostname,
                        friend: &claim.friend,
                        name: &claim.name,
                        zone: &claim.zone,
                    };
                    for (part, held) in [
                        (ClaimPart::Route, claim.route),
                        (ClaimPart::Record, claim.record),
                    ] {
                        if held {
                            self.claim(request, part, usize::MAX, claim.claimed_at)
                                .await
                                .map_err(|e| {
                                    StoreError::Conflict(format!(
                                        "{}: {e}",
                                        hostname_name(hostname)
                                    ))
                                })?;
                        }
                    }
                }
                Record::Kv {
                    plugin,
                    friend,
                    key,
                    value_base64,
                } => {
                    let value = STANDARD.decode(value_base64).map_err(StoreError::backend)?;
                    let _ = self
                        .set_within_budget(plugin, friend, key, &value, u64::MAX)
                        .await?;
                }
                Record::Job { job } => self.put_job(job).await?,
                Record::Run { friend, job, run } => {
                    self.add_run(friend, job, run, usize::MAX).await?;
                }
                Record::Outbox { entry } => {
                    self.put_outbox(entry).await?;
                }
                Record::Audit { entry } => self.keep_audit(entry).await?,
            }
        }
        Ok(())
    }
}
