//! `enrol init`: create a data directory from flags, from a machine enrolment file, or online
//! with a one-time onboarding code.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use enrol_client::Options;
use enrol_client::machine::{InitRequest, OnlineOnboarding, init, onboard_online};
use enrol_client::seal::{hex, sha256_fields};
use enrol_client::sync::SyncOptions;
use enrol_schema::enrolment::{MAX_ENROLMENT_FILE_BYTES, MachineEnrolment};
use enrol_schema::settings::RegistrationSettings;
use rsa::pkcs8::DecodePublicKey;
use serde_json::json;

use super::{Context, Passwords};

#[derive(Args)]
pub struct InitArgs {
    /// Machine enrolment file exported by the server (replaces --centre, --machine, ...)
    #[arg(long, conflicts_with_all = ["centre", "machine", "centre_name", "server_url"])]
    enrolment_file: Option<PathBuf>,
    /// Centre id (5 digits)
    #[arg(long, required_unless_present_any = ["enrolment_file", "onboarding_code"])]
    centre: Option<String>,
    /// Machine id (5 digits)
    #[arg(long, alias = "machine-id", required_unless_present = "enrolment_file")]
    machine: Option<String>,
    /// Centre name
    #[arg(long)]
    centre_name: Option<String>,
    /// Sync server URL
    #[arg(long, alias = "server")]
    server_url: Option<String>,
    /// Onboard online: the one-time code the server's administrator gave for --machine (needs
    /// --server-url; the server sends the centre, keys, settings and operators)
    #[arg(long, requires_all = ["machine", "server_url"], conflicts_with_all = ["enrolment_file", "centre", "centre_name", "supervisor_name"])]
    onboarding_code: Option<String>,
    /// The first supervisor's operator id
    #[arg(long)]
    supervisor: String,
    /// The first supervisor's name
    #[arg(long)]
    supervisor_name: Option<String>,
    /// Read the supervisor's password from the first line of standard input (else ENROL_PASSWORD)
    #[arg(long)]
    password_stdin: bool,
}

pub fn run(context: &Context, args: InitArgs) -> anyhow::Result<()> {
    let password = Passwords::read(args.password_stdin, 1)?.get(0, "ENROL_PASSWORD", "password")?;
    if let Some(code) = args.onboarding_code {
        return onboard(
            context,
            args.server_url,
            args.machine,
            code,
            args.supervisor,
            password,
        );
    }
    let request = match &args.enrolment_file {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            if bytes.len() > MAX_ENROLMENT_FILE_BYTES {
                bail!("{} is too large for an enrolment file", path.display());
            }
            let enrolment = MachineEnrolment::from_json(&bytes)
                .with_context(|| format!("{} is not a valid enrolment file", path.display()))?;
            InitRequest::from_enrolment(enrolment, &args.supervisor, password)?
        }
        None => InitRequest {
            machine_id: args.machine.unwrap_or_default(),
            centre_id: args.centre.clone().unwrap_or_default(),
            centre_name: args
                .centre_name
                .unwrap_or_else(|| format!("Centre {}", args.centre.unwrap_or_default())),
            server_url: args.server_url,
            supervisor_name: args
                .supervisor_name
                .unwrap_or_else(|| args.supervisor.clone()),
            supervisor_id: args.supervisor,
            password,
            settings: RegistrationSettings::default(),
            enrolment: None,
        },
    };
    let session = init(context.data_dir(), &request, Options::default())
        .with_context(|| format!("cannot initialise {}", context.data_dir().display()))?;
    report(context, &session, None)
}

/// `enrol init --onboarding-code`: onboards online, then syncs the published configuration and
/// the centre's operators with the new supervisor's session.
fn onboard(
    context: &Context,
    server_url: Option<String>,
    machine: Option<String>,
    code: String,
    supervisor: String,
    password: String,
) -> anyhow::Result<()> {
    let request = OnlineOnboarding {
        server_url: server_url.unwrap_or_default(),
        machine_id: machine.unwrap_or_default(),
        onboarding_code: code,
        supervisor_id: supervisor,
        password,
    };
    let mut session = onboard_online(context.data_dir(), &request, Options::default())
        .with_context(|| format!("cannot onboard {}", context.data_dir().display()))?;
    let options = SyncOptions::default();
    let publications = session.sync_publications(&options).context(
        "onboarded, but the first sync of the published configuration failed: run `enrol sync`",
    )?;
    let operators = session
        .sync_operators(&options)
        .context("onboarded, but the first sync of the operators failed: run `enrol sync`")?;
    let synced = json!({"publications": publications, "operators": operators});
    report(context, &session, Some(synced))
}

/// Prints what was initialised (and, after online onboarding, what the first sync brought).
fn report(
    context: &Context,
    session: &enrol_client::Session,
    synced: Option<serde_json::Value>,
) -> anyhow::Result<()> {
    let machine = session.machine()?;
    let fingerprint = hex(&sha256_fields(&[&machine.public_key_spki]));
    // What the server's administrator registers for this machine.
    let public_key_pem = rsa::RsaPublicKey::from_public_key_der(&machine.public_key_spki)
        .ok()
        .and_then(|key| enrol_client::packet::public_key_pem(&key).ok())
        .context("the machine's public key is unreadable")?;
    let mut summary = json!({
        "data_dir": context.data_dir(),
        "machine": machine,
        "public_key_fingerprint": fingerprint,
        "public_key_pem": public_key_pem,
        "supervisor": session.operator(),
    });
    if let Some(synced) = &synced {
        summary["sync"] = synced.clone();
    }
    context.print(&summary, || {
        let mut text = format!(
            "initialised {} for machine {} at centre {}\nmachine key fingerprint {fingerprint}\nfirst supervisor {}",
            context.data_dir().display(),
            machine.machine_id,
            machine.centre_id,
            session.operator().id
        );
        match &synced {
            Some(synced) => text.push_str(&format!(
                "\nonboarded online with {}: {} publication(s) applied, {} operator(s) added",
                machine.server_url.as_deref().unwrap_or_default(),
                synced["publications"]["changes"].as_array().map_or(0, Vec::len),
                synced["operators"]["added"].as_array().map_or(0, Vec::len),
            )),
            None => text.push_str(&format!("\n{public_key_pem}")),
        }
        text
    })
}
