//! `portal store export|import`: a portal's state as JSON lines, one record per line, to
//! move it from one backend to the other (a sled data dir into the cluster, and back).
//! Import reads the whole file before it writes anything and refuses a store that holds
//! anything: it never overwrites.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use portal_store::{Record, Store};

use crate::cluster::ClusterMode;
use crate::config::ServeConfig;
use crate::config::StoreMode;

#[derive(Args)]
pub struct StoreArgs {
    /// The store: `sled` (the data dir's) or `kube` (the portal's namespace in the cluster
    /// of the kubeconfig or the in-cluster service account).
    #[arg(long, env = "PORTAL_STORE", value_enum, default_value_t = StoreMode::Sled)]
    store: StoreMode,
    /// The portal's data dir (`--store sled`).
    #[arg(long, env = "PORTAL_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// The folder of cluster.toml, whose `portal_namespace` holds a kube store; default:
    /// the policies built into the binary.
    #[arg(long, env = "PORTAL_POLICIES_DIR")]
    policies_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Write every record of a store as JSON lines (tokens only as their hashes).
    Export {
        /// The file to write (must not exist). Default: standard output.
        #[arg(long)]
        file: Option<PathBuf>,
        #[command(flatten)]
        from: StoreArgs,
    },
    /// Write an export's records into a store that holds nothing yet.
    Import {
        /// The export to read. Default: standard input.
        #[arg(long)]
        file: Option<PathBuf>,
        #[command(flatten)]
        into: StoreArgs,
    },
}

pub async fn run(command: StoreCommand) -> anyhow::Result<()> {
    match command {
        StoreCommand::Export { file, from } => {
            if from.store == StoreMode::Sled {
                crate::cli_secrets::existing_data_dir(&from.data_dir)?;
            }
            let store = open(&from).await?;
            let records = store.records.export().await?;
            match &file {
                Some(path) => {
                    // 0600: kv values are whatever plugins keep, and a hash is still
                    // the friend's.
                    let out = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    let mut out = std::io::BufWriter::new(out);
                    write_records(&records, &mut out)?;
                    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                }
                None => write_records(&records, &mut std::io::stdout().lock())?,
            }
            eprintln!("Exported {}.", counts(&records));
        }
        StoreCommand::Import { file, into } => {
            // Every line is read and checked before the store is even opened.
            let records = match &file {
                Some(path) => read_records(std::io::BufReader::new(
                    std::fs::File::open(path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                )),
                None => read_records(std::io::stdin().lock()),
            }?;
            let store = open(&into).await?;
            if !store.records.is_empty().await? {
                anyhow::bail!(
                    "the {} store already holds records: import writes only into an empty one",
                    into.store.name()
                );
            }
            store.records.import(&records).await?;
            eprintln!("Imported {}.", counts(&records));
        }
    }
    Ok(())
}

/// The store `args` names, as `portal serve` would open it.
async fn open(args: &StoreArgs) -> anyhow::Result<Store> {
    let mut config = ServeConfig::new(([127, 0, 0, 1], 0).into(), args.data_dir.clone());
    config.store = args.store;
    if let Some(dir) = &args.policies_dir {
        config.policies = crate::policy::PolicySource::Dir(dir.clone());
    }
    let kube = match args.store {
        StoreMode::Sled => None,
        StoreMode::Kube => {
            config.cluster = ClusterMode::Kube;
            let requests = crate::cluster::counting::KubeRequests::default();
            Some(crate::cluster::kube_client(requests).await?)
        }
    };
    crate::server::open_store(&config, kube.as_ref())
        .await
        .map_err(|e| match args.store {
            StoreMode::Sled => {
                e.context("is `portal serve` running on this data dir? stop it first")
            }
            StoreMode::Kube => e,
        })
}

/// One JSON object per line, in the order given.
pub fn write_records(records: &[Record], out: &mut impl Write) -> anyhow::Result<()> {
    for record in records {
        serde_json::to_writer(&mut *out, record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Every line of an export, or the first line that is not a record (blank lines skipped).
pub fn read_records(input: impl BufRead) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    for (index, line) in input.lines().enumerate() {
        let line = line.context("cannot read the export")?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line)
            .with_context(|| format!("line {} is not a record of an export", index + 1))?;
        records.push(record);
    }
    Ok(records)
}

/// "3 friends, 1 agent, ..." (by kind, in a fixed order).
fn counts(records: &[Record]) -> String {
    let mut by_kind = BTreeMap::<&str, usize>::new();
    for record in records {
        *by_kind.entry(record.kind()).or_default() += 1;
    }
    if by_kind.is_empty() {
        return "no records".into();
    }
    by_kind
        .into_iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_line_is_named_and_nothing_is_returned() {
        let input = "\n{\"kind\":\"retired\",\"id\":\"ann\",\"retired\":{\"deleted_at\":\"2026-01-01T00:00:00Z\"}}\n{\"kind\":\"nope\"}\n";
        let error = read_records(input.as_bytes()).unwrap_err();
        assert!(format!("{error:#}").contains("line 3"), "{error:#}");
    }

    #[test]
    fn records_written_are_read_back() {
        let records = vec![Record::Kv {
            plugin: "notes".into(),
            friend: "ann".into(),
            key: "k".into(),
            value_base64: "dg==".into(),
        }];
        let mut out = Vec::new();
        write_records(&records, &mut out).unwrap();
        assert_eq!(read_records(out.as_slice()).unwrap(), records);
        assert_eq!(counts(&records), "1 kv");
    }
}
