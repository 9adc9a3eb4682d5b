//! The `portal` command line: `serve` runs the host; `agent` manages agent tokens.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::auth::admin_token::AdminToken;
use crate::cli_secrets::{existing_data_dir, token_from};
use crate::clock::SystemClock;
use crate::config::ServeConfig;

#[derive(Parser)]
#[command(
    name = "portal",
    version,
    about = "Friend Portal: a WebAssembly plugin host for an AI agent's friends"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal.
    Serve(Box<ServeArgs>),
    /// Manage the agents that may call the API.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Hot swap plugins of a running portal.
    #[command(subcommand)]
    Plugin(crate::plugin_cli::PluginCommand),
    /// Copy a portal's state out of a store, or into an empty one (sled and kube).
    #[command(subcommand)]
    Store(crate::store_cli::StoreCommand),
}

#[derive(Args)]
struct DataDirArg {
    /// The portal's data dir (store, plugins, embedded cluster, admin token).
    #[arg(long, env = "PORTAL_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
}

#[derive(Args)]
struct ServeArgs {
    /// The address and port to listen on.
    #[arg(long, env = "PORTAL_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    data: DataDirArg,
    /// The URL friends reach the portal at; magic links start with it. Default: http://<listen>.
    #[arg(long, env = "PORTAL_PUBLIC_URL")]
    public_url: Option<String>,
    /// The operator's token. Default: generated on first start and kept in <data-dir>/admin-token.
    /// Prefer --admin-token-file or the environment: a flag shows in the process list.
    #[arg(long, env = "PORTAL_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// A file holding the operator's token (instead of --admin-token).
    #[arg(long, env = "PORTAL_ADMIN_TOKEN_FILE")]
    admin_token_file: Option<PathBuf>,
    /// The folder shared with the agent. Default: <data-dir>/workspace.
    #[arg(long, env = "PORTAL_WORKSPACE_DIR")]
    workspace_dir: Option<PathBuf>,
    /// How the log is written to stderr: `text` or `json` (RUST_LOG filters it).
    #[arg(long, env = "PORTAL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Kubernetes: `embedded` (a simulated cluster kept in the data dir) or `kube` (the
    /// kubeconfig, or the in-cluster service account).
    #[arg(long, env = "PORTAL_CLUSTER", value_enum, default_value_t = crate::cluster::ClusterMode::Embedded)]
    cluster: crate::cluster::ClusterMode,
    /// Where the portal's state is kept: `sled` (one database in the data dir, one process)
    /// or `kube` (custom resources in the portal's namespace; needs --cluster kube).
    #[arg(long, env = "PORTAL_STORE", value_enum, default_value_t = crate::config::StoreMode::Sled)]
    store: crate::config::StoreMode,
    /// DNS records for exposed services: `local` (kept in the data dir) or `cloudflare`.
    #[arg(long, env = "PORTAL_DNS", value_enum, default_value_t = crate::dns::DnsMode::Local)]
    dns: crate::dns::DnsMode,
    /// Domains friends may expose services under (comma-separated); replaces exposure.toml's list.
    #[arg(long, env = "PORTAL_DOMAINS", value_delimiter = ',')]
    domains: Option<Vec<String>>,
    /// A file holding the Cloudflare API token (else PORTAL_CLOUDFLARE_TOKEN).
    #[arg(long, env = "PORTAL_CLOUDFLARE_TOKEN_FILE")]
    cloudflare_token_file: Option<PathBuf>,
    /// Cloudflare's API base URL.
    #[arg(
        long,
        env = "PORTAL_CLOUDFLARE_API",
        default_value = "https://api.cloudflare.com/client/v4"
    )]
    cloudflare_api: String,
    /// A folder with any of plugins.toml, cluster.toml (with namespace/), exposure.toml
    /// and crons.toml to use instead of the copies built into the binary.
    #[arg(long, env = "PORTAL_POLICIES_DIR")]
    policies_dir: Option<PathBuf>,
    /// Where cron runs go: the agent gateway's base URL (runs are POSTed to <URL>/hooks/agent).
    /// Default: none, runs go to the local outbox (GET /api/admin/outbox).
    #[arg(long, env = "PORTAL_AGENT_GATEWAY")]
    agent_gateway: Option<String>,
    /// sled's page cache in MiB: more keeps more of a large store in memory, less keeps
    /// the process smaller (what is not cached comes from the OS's file cache).
    #[arg(long, env = "PORTAL_STORE_CACHE_MIB", default_value_t = portal_store::DEFAULT_CACHE_BYTES >> 20,
          value_parser = clap::value_parser!(u64).range(8..=65_536))]
    store_cache_mib: u64,
    /// The bearer token sent to the agent gateway. Prefer the environment or
    /// --agent-gateway-token-file: a flag shows in the process list.
    #[arg(long, env = "PORTAL_AGENT_GATEWAY_TOKEN", hide_env_values = true)]
    agent_gateway_token: Option<String>,
    /// A file holding the agent gateway's token (instead of --agent-gateway-token).
    #[arg(long, env = "PORTAL_AGENT_GATEWAY_TOKEN_FILE")]
    agent_gateway_token_file: Option<PathBuf>,
    /// Where a plugin uploaded as a file is pushed (`oci://host[:port]/prefix`; each plugin
    /// becomes `<prefix>/<name>`), so that every replica can pull it (README, Plugins from
    /// a registry).
    #[arg(long, env = "PORTAL_PLUGIN_REGISTRY")]
    plugin_registry: Option<String>,
    /// Registries (`host[:port]`, comma-separated) spoken to over plain HTTP, e.g. one
    /// inside the cluster without TLS. Every other registry is HTTPS.
    #[arg(long, env = "PORTAL_PLUGIN_REGISTRY_PLAIN_HTTP", value_delimiter = ',')]
    plugin_registry_plain_http: Vec<String>,
    /// The plugin registry's user name (with PORTAL_PLUGIN_REGISTRY_PASSWORD).
    #[arg(long, env = "PORTAL_PLUGIN_REGISTRY_USERNAME")]
    plugin_registry_username: Option<String>,
    /// The plugin registry's password. Prefer the environment: a flag shows in the
    /// process list.
    #[arg(long, env = "PORTAL_PLUGIN_REGISTRY_PASSWORD", hide_env_values = true)]
    plugin_registry_password: Option<String>,
    /// This replica's name in logs, metrics, the leader lease and the runs it records.
    /// Default: the host's name (in a pod, the pod's name).
    #[arg(long, env = "PORTAL_REPLICA_ID")]
    replica_id: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Register an agent and print its token (shown once).
    Add {
        /// The agent's id (1-32 of a-z, 0-9 and '-').
        id: String,
        /// The agent's name as friends see it. Default: the id.
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// List the registered agents.
    List {
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Revoke an agent's token and end its friendships.
    Revoke {
        /// The agent's id.
        id: String,
        #[command(flatten)]
        data: DataDirArg,
    },
}

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Agent(cmd) => agent(cmd).await,
        Command::Plugin(cmd) => crate::plugin_cli::run(cmd).await,
        Command::Store(cmd) => crate::store_cli::run(cmd).await,
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,wasmtime=warn,cranelift=warn")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    let mut config = ServeConfig::new(args.listen, args.data.data_dir);
    if let Some(url) = args.public_url {
        config.public_url = Some(url.trim_end_matches('/').to_owned());
    }
    if let Some(dir) = args.workspace_dir {
        config.workspace_dir = dir;
    }
    config.admin_token = token_from(
        args.admin_token.as_deref(),
        args.admin_token_file.as_deref(),
        "admin token",
    )?;
    config.store_cache_bytes = args.store_cache_mib << 20;
    config.cluster = args.cluster;
    config.store = args.store;
    config.dns = args.dns;
    config.domains = args.domains;
    if args.dns == crate::dns::DnsMode::Cloudflare {
        config.cloudflare = Some(crate::dns::cloudflare_config(
            args.cloudflare_api,
            args.cloudflare_token_file.as_deref(),
        )?);
    }
    if let Some(dir) = args.policies_dir {
        config.policies = crate::policy::PolicySource::Dir(dir);
    }
    config.scheduler =
        crate::scheduler::policy::CronPolicy::load(&config.policies)?.scheduler_config();
    config.scheduler.gateway = args.agent_gateway.filter(|url| !url.trim().is_empty());
    config.registry = crate::releases::RegistrySettings {
        push_to: args.plugin_registry.filter(|r| !r.trim().is_empty()),
        plain_http: args.plugin_registry_plain_http,
        username: args.plugin_registry_username,
        password: args.plugin_registry_password,
    };
    if let Some(replica) = args.replica_id.filter(|r| !r.trim().is_empty()) {
        config.scheduler.replica = crate::config::replica_id(replica.trim())?;
    }
    config.scheduler.gateway_token = token_from(
        args.agent_gateway_token.as_deref(),
        args.agent_gateway_token_file.as_deref(),
        "agent gateway token",
    )?;
    let (state, admin) = crate::server::build_state(config, Arc::new(SystemClock)).await?;
    if let AdminToken::Generated { token, path } = &admin {
        // Printed once, on the terminal only: tokens never go to the log.
        eprintln!(
            "\nGenerated an admin token (kept in {}, mode 0600):\n\n    {token}\n",
            path.display()
        );
    }
    let server = crate::server::start(state).await?;
    tracing::info!(addr = %server.addr, url = %server.state.public_url(),
        store = server.state.store.backend, replica = %server.state.config.scheduler.replica,
        "portal listening");
    shutdown_signal().await;
    tracing::info!("shutting down: draining in-flight requests");
    server.shutdown().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Agent commands work on the data dir directly; the store allows one process at a time,
/// so with a running portal use `POST /api/agents` instead. They refuse a data dir that
/// does not exist: a mistyped path would otherwise become a new, empty portal.
async fn agent(cmd: AgentCommand) -> anyhow::Result<()> {
    async fn open(data: &DataDirArg) -> anyhow::Result<crate::state::SharedState> {
        existing_data_dir(&data.data_dir)?;
        let config = ServeConfig::new(([127, 0, 0, 1], 0).into(), data.data_dir.clone());
        crate::server::build_state(config, Arc::new(SystemClock))
            .await
            .map(|(state, _)| state)
            .map_err(|e| {
                anyhow::anyhow!(
                    "{e}\n(is `portal serve` running on this data dir? then use POST /api/agents)"
                )
            })
    }
    match cmd {
        AgentCommand::Add {
            id,
            display_name,
            data,
        } => {
            let state = open(&data).await?;
            let (agent, token) = crate::api::register_agent(&state, id, display_name)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            eprintln!("Agent '{}' added. Its token (shown once):", agent.id);
            println!("{token}");
        }
        AgentCommand::List { data } => {
            let state = open(&data).await?;
            for agent in state.store.directory.agents().await? {
                println!(
                    "{}\t{}\t{}",
                    agent.id,
                    agent.display_name,
                    agent.created_at.to_rfc3339()
                );
            }
        }
        AgentCommand::Revoke { id, data } => {
            let state = open(&data).await?;
            if !state.store.directory.revoke_agent(&id).await? {
                anyhow::bail!("no agent '{id}'");
            }
            eprintln!("Agent '{id}' revoked.");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every argument of every command says what it is for in `--help`.
    #[test]
    fn every_argument_has_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "portal", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:?}");
    }
}
