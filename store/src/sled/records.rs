//! [`Records`]: every record of the data dir in the form both backends share, and back.
//! Import writes into an empty store only, keeping hashes, ids and times; the secondary
//! indexes (platform ids, agent friends, session index, claim counts, kv totals) are built
//! as the records go in.

use std::collections::HashMap;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sled::Transactional;

use super::table::{decode, encode};
use super::{SledStore, crons, pair_key, platform_ids, sessions};
use crate::{Record, Records, Run, StoreError, StoreResult, TokenHash};

fn hash_from_hex(hex_text: &str) -> StoreResult<TokenHash> {
    hex::decode(hex_text)
        .ok()
        .and_then(|bytes| TokenHash::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| StoreError::Conflict(format!("'{hex_text}' is not a SHA-256 in hex")))
}

impl SledStore {
    fn export_directory(&self, out: &mut Vec<Record>) -> StoreResult<()> {
        for friend in self.friends.values() {
            out.push(Record::Friend { friend: friend? });
        }
        for item in self.retired.tree.iter() {
            let (id, value) = item?;
            out.push(Record::Retired {
                id: String::from_utf8_lossy(&id).into_owned(),
                retired: decode(&value)?,
            });
        }
        for friendship in self.friendships.values() {
            out.push(Record::Friendship {
                friendship: friendship?,
            });
        }
        let mut tokens: HashMap<Vec<u8>, String> = HashMap::new();
        for item in self.agent_tokens.iter() {
            let (hash, agent) = item?;
            tokens.insert(agent.to_vec(), hex::encode(hash));
        }
        for agent in self.agents.values() {
            let agent = agent?;
            match tokens.remove(agent.id.as_bytes()) {
                Some(token_sha256) => out.push(Record::Agent {
                    agent,
                    token_sha256,
                }),
                None => tracing::warn!(agent = %agent.id, "agent without a token left out"),
            }
        }
        Ok(())
    }

    fn export_state(&self, out: &mut Vec<Record>) -> StoreResult<()> {
        for item in self.sessions.tree.iter() {
            let (hash, value) = item?;
            out.push(Record::Session {
                token_sha256: hex::encode(hash),
                session: decode(&value)?,
            });
        }
        for (hostname, claim) in self.hostnames.all()? {
            out.push(Record::HostnameClaim { hostname, claim });
        }
        out.extend(self.kv.records()?);
        for job in self.crons.jobs.iter().values() {
            out.push(Record::Job {
                job: decode(&job?)?,
            });
        }
        for item in self.crons.runs.iter() {
            let (key, value) = item?;
            if let Some(id) = crons::run_id_of(&key) {
                out.push(Record::Run {
                    friend: id.friend,
                    job: id.job,
                    run: decode::<Run>(&value)?,
                });
            }
        }
        for entry in self.outbox.iter().values() {
            out.push(Record::Outbox {
                entry: decode(&entry?)?,
            });
        }
        for entry in self.audit.values() {
            out.push(Record::Audit { entry: entry? });
        }
        Ok(())
    }

    fn import_one(&self, record: &Record) -> StoreResult<()> {
        match record {
            Record::Friend { friend } => {
                let bytes = encode(friend)?;
                (&self.friends.tree, &self.platform_ids).transaction(|(friends, index)| {
                    platform_ids::claim(index, None, friend)?;
                    friends.insert(friend.id.as_bytes(), bytes.as_slice())?;
                    Ok(())
                })?;
            }
            Record::Retired { id, retired } => {
                self.retired.tree.insert(id.as_bytes(), encode(retired)?)?;
            }
            Record::Friendship { friendship: f } => {
                self.friendships
                    .tree
                    .insert(pair_key(&f.friend_id, f.agent_id.as_bytes()), encode(f)?)?;
                self.agent_friends
                    .insert(pair_key(&f.agent_id, f.friend_id.as_bytes()), &[])?;
            }
            Record::Agent {
                agent,
                token_sha256,
            } => {
                let hash = hash_from_hex(token_sha256)?;
                self.agents
                    .tree
                    .insert(agent.id.as_bytes(), encode(agent)?)?;
                self.agent_tokens
                    .insert(hash.as_slice(), agent.id.as_bytes())?;
            }
            Record::Session {
                token_sha256,
                session,
            } => {
                let hash = hash_from_hex(token_sha256)?;
                self.sessions
                    .tree
                    .insert(hash.as_slice(), encode(session)?)?;
                self.friend_sessions
                    .insert(sessions::index_key(session, &hash), &[])?;
            }
            Record::HostnameClaim { hostname, claim } => self.hostnames.restore(hostname, claim)?,
            Record::Kv {
                plugin,
                friend,
                key,
                value_base64,
            } => {
                let value = BASE64.decode(value_base64).map_err(|e| {
                    StoreError::Conflict(format!("kv value of '{key}' is not base64: {e}"))
                })?;
                self.kv.restore(plugin, friend, key, &value)?;
            }
            Record::Job { job } => {
                self.crons.jobs.insert(
                    [job.friend.as_bytes(), b"\0", job.name.as_bytes()].concat(),
                    encode(job)?,
                )?;
            }
            Record::Run { friend, job, run } => {
                let seq = self.generate_id()?;
                self.crons.append_run(friend, job, seq, run, usize::MAX)?;
            }
            Record::Outbox { entry } => self.put_outbox(entry)?,
            Record::Audit { entry } => {
                let seq = self.generate_id()?.to_be_bytes();
                let friend = entry.subject.clone().unwrap_or_default();
                self.audit.tree.insert(seq, encode(entry)?)?;
                self.audit_by_friend.insert(pair_key(&friend, &seq), &[])?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Records for SledStore {
    async fn is_empty(&self) -> StoreResult<bool> {
        Ok(self.friends.is_empty()
            && self.retired.is_empty()
            && self.friendships.is_empty()
            && self.agents.is_empty()
            && self.agent_tokens.is_empty()
            && self.sessions.is_empty()
            && self.hostnames.is_empty()
            && self.kv.data.is_empty()
            && self.crons.jobs.is_empty()
            && self.crons.runs.is_empty()
            && self.outbox.is_empty()
            && self.audit.is_empty())
    }

    async fn export(&self) -> StoreResult<Vec<Record>> {
        let mut out = Vec::new();
        self.export_directory(&mut out)?;
        self.export_state(&mut out)?;
        Ok(out)
    }

    async fn import(&self, records: &[Record]) -> StoreResult<()> {
        if !self.is_empty().await? {
            return Err(StoreError::Conflict(
                "the store already holds records; import only into an empty one".into(),
            ));
        }
        for record in records {
            self.import_one(record)?;
        }
        self.count_audit()?;
        self.flush().await
    }
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
