//! `enrol-sync`: command line entry point (`serve`, `admin …`).

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use enrol_sync::admin::{self, MachineRegistration, OperatorUpdate, PublicationRequest};
use enrol_sync::store::{Centre, MachineStatus};
use enrol_sync::{App, Config};

#[derive(Parser)]
#[command(name = "enrol-sync", version, about = "Enrol's sync server")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

/// Configuration: defaults < TOML file < ENROL_SYNC_* environment < these flags.
#[derive(Args)]
struct Settings {
    /// TOML configuration file.
    #[arg(long, global = true, env = "ENROL_SYNC_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, global = true)]
    listen: Option<String>,
    /// Data directory (SQLite database, packets, uploads).
    #[arg(long, global = true)]
    data_dir: Option<String>,
    /// postgres://… to use PostgreSQL instead of SQLite.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Any other setting as key=value (e.g. max_packet_size=10485760).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    set: Vec<String>,
}

impl Settings {
    fn load(&self) -> anyhow::Result<Config> {
        let mut overrides = Vec::new();
        for (key, value) in [
            ("listen", &self.listen),
            ("data_dir", &self.data_dir),
            ("database_url", &self.database_url),
        ] {
            if let Some(value) = value {
                overrides.push((key.to_owned(), value.clone()));
            }
        }
        for pair in &self.set {
            let (key, value) = pair
                .split_once('=')
                .with_context(|| format!("--set {pair:?}: expected KEY=VALUE"))?;
            overrides.push((key.to_owned(), value.to_owned()));
        }
        Config::load(self.config.as_deref(), std::env::vars(), &overrides)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Import a machine's sneakernet bundle (from `enrol export`) and write its receipts into
    /// the folder for `enrol import-receipts`.
    Import {
        /// The bundle folder.
        folder: PathBuf,
    },
    /// Administer centres, machines, operators and publications (works on the store directly).
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create or update a centre.
    Centre {
        id: String,
        name: String,
        #[arg(long)]
        inactive: bool,
    },
    /// Register a machine with its RSA public key (PEM file), or without one for a machine that
    /// will onboard online with an onboarding code.
    RegisterMachine {
        id: String,
        #[arg(long)]
        centre: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// Approve at once (needs --public-key).
        #[arg(long)]
        approve: bool,
    },
    /// Make a single-use onboarding code for a registered machine (printed once; replaces any
    /// earlier code): `enrol init --onboarding-code` exchanges it for the machine's enrolment.
    OnboardingCode {
        machine_id: String,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 24)]
        valid_hours: u32,
    },
    /// Approve a pending machine.
    ApproveMachine { id: String },
    /// Deactivate a machine: its requests are refused from now on.
    DeactivateMachine { id: String },
    /// List machines.
    Machines,
    /// Create or update an operator; the password is read from the first line of stdin.
    Operator {
        user_id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        centre: String,
        /// operator, supervisor or administrator (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Read a new password from stdin.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        inactive: bool,
    },
    /// Publish the next version of a document (identity-schema, ui-spec, master-data,
    /// pipeline-certificate, device-ca).
    Publish {
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        /// File holding the content (JSON, or PEM for certificates).
        file: PathBuf,
    },
    /// Make a new pipeline bearer token (printed once; only its digest is kept, and it replaces
    /// the previous one made here).
    PipelineToken,
    /// Print the server's public signing key (Ed25519, URL-safe base64).
    ServerKey {
        /// Print it as PEM (SubjectPublicKeyInfo), as `enrol sync --trust-server-key` reads it.
        #[arg(long)]
        pem: bool,
    },
    /// Write a machine's enrolment file for an offline field kit.
    ExportEnrolment {
        machine_id: String,
        /// Where to write the file.
        #[arg(long)]
        out: PathBuf,
        /// Base URL of this server as the kit will reach it, if ever.
        #[arg(long)]
        server_url: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = cli.settings.load()?;
    init_logs(config.log_json);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(run(cli.command, config))
}

/// Writes `bytes` to `path` through a fsynced temporary file and a rename.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut file =
        std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let app = App::open(config).await?;
    match command {
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, "enrol-sync listening");
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            enrol_sync::serve(listener, app.clone(), shutdown).await?;
        }
        Command::Admin(admin) => run_admin(&app, admin).await?,
        Command::Import { folder } => {
            let report = enrol_sync::bundle::import(&app, &folder)
                .await
                .map_err(|err| anyhow::anyhow!("{}: {}", err.code, err.message))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if !report.refused.is_empty() {
                anyhow::bail!("{} packet(s) refused", report.refused.len());
            }
        }
    }
    app.store.close().await;
    Ok(())
}

async fn run_admin(app: &App, command: AdminCommand) -> anyhow::Result<()> {
    let store = &app.store;
    let fail = |err: admin::AdminError| anyhow::anyhow!("{}: {err}", err.code());
    match command {
        AdminCommand::Centre { id, name, inactive } => {
            let centre = Centre {
                id,
                name,
                active: !inactive,
            };
            admin::put_centre(store, &centre).await.map_err(fail)?;
        }
        AdminCommand::RegisterMachine {
            id,
            centre,
            name,
            public_key,
            approve,
        } => {
            let public_key_pem = public_key
                .map(|path| {
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))
                })
                .transpose()?;
            let reg = MachineRegistration {
                id,
                centre_id: centre,
                name,
                public_key_pem,
                approve,
            };
            admin::register_machine(store, &reg).await.map_err(fail)?;
        }
        AdminCommand::OnboardingCode {
            machine_id,
            valid_hours,
        } => {
            let issued = enrol_sync::onboarding::issue_code(
                store,
                &machine_id,
                i64::from(valid_hours) * 3600,
            )
            .await
            .map_err(fail)?;
            eprintln!(
                "onboarding code for machine {} (single use, valid until {}):",
                issued.machine_id, issued.expires_at
            );
            println!("{}", issued.code);
        }
        AdminCommand::ApproveMachine { id } => {
            admin::set_machine_status(store, &id, MachineStatus::Active)
                .await
                .map_err(fail)?;
        }
        AdminCommand::DeactivateMachine { id } => {
            admin::set_machine_status(store, &id, MachineStatus::Inactive)
                .await
                .map_err(fail)?;
        }
        AdminCommand::Machines => {
            for m in store.machines().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    m.id,
                    m.centre_id,
                    m.status.as_str(),
                    m.name
                );
            }
        }
        AdminCommand::Operator {
            user_id,
            name,
            centre,
            roles,
            password_stdin,
            inactive,
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let update = OperatorUpdate {
                name,
                centre_id: centre,
                roles,
                password,
                active: !inactive,
            };
            admin::put_operator(store, &user_id, &update)
                .await
                .map_err(fail)?;
        }
        AdminCommand::Publish { kind, name, file } => {
            let content = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let record = admin::publish(
                store,
                &PublicationRequest {
                    kind,
                    name,
                    content,
                },
            )
            .await
            .map_err(fail)?;
            println!(
                "published {} {} version {} (cursor {})",
                record.kind, record.name, record.version, record.seq
            );
        }
        AdminCommand::PipelineToken => {
            let token = enrol_sync::crypto::random_token();
            let digest = enrol_sync::crypto::sha256_hex(token.as_bytes());
            store
                .set_setting(enrol_sync::auth::PIPELINE_TOKEN_SETTING, &digest)
                .await?;
            println!("{token}");
        }
        AdminCommand::ServerKey { pem: true } => print!("{}", app.key.public_key_pem()),
        AdminCommand::ServerKey { pem: false } => println!("{}", app.key.public_key_b64()),
        AdminCommand::ExportEnrolment {
            machine_id,
            out,
            server_url,
        } => {
            let enrolment = admin::export_enrolment(store, &app.key, &machine_id, server_url)
                .await
                .map_err(fail)?;
            write_atomically(&out, enrolment.to_json().as_bytes())?;
            println!("wrote {}", out.display());
        }
    }
    Ok(())
}
