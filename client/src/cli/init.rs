//! `enrol init`: create a data directory from flags or from a machine enrolment file.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use enrol_client::Options;
use enrol_client::machine::{InitRequest, init};
use enrol_client::seal::{hex, sha256_fields};
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
    #[arg(long, required_unless_present = "enrolment_file")]
    centre: Option<String>,
    /// Machine id (5 digits)
    #[arg(long, required_unless_present = "enrolment_file")]
    machine: Option<String>,
    /// Centre name
    #[arg(long)]
    centre_name: Option<String>,
    /// Sync server URL
    #[arg(long)]
    server_url: Option<String>,
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
    let machine = session.machine()?;
    let fingerprint = hex(&sha256_fields(&[&machine.public_key_spki]));
    // What the server's administrator registers for this machine.
    let public_key_pem = rsa::RsaPublicKey::from_public_key_der(&machine.public_key_spki)
        .ok()
        .and_then(|key| enrol_client::packet::public_key_pem(&key).ok())
        .context("the machine's public key is unreadable")?;
    context.print(
        &json!({
            "data_dir": context.data_dir(),
            "machine": machine,
            "public_key_fingerprint": fingerprint,
            "public_key_pem": public_key_pem,
            "supervisor": session.operator(),
        }),
        || {
            format!(
                "initialised {} for machine {} at centre {}\nmachine key fingerprint {fingerprint}\nfirst supervisor {}\n{public_key_pem}",
                context.data_dir().display(),
                machine.machine_id,
                machine.centre_id,
                session.operator().id
            )
        },
    )
}
