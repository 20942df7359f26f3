//! `enrol register`: a whole registration from files, non-interactively — record, documents,
//! ISO biometric records, exceptions — through the same workflow the desktop app drives, then
//! sign-off with the operator's password (and a supervisor's for exceptions). Prints the RID.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use enrol_client::Session;
use enrol_client::registration::{
    DeviceCapture, Form, GroupOutcome, Registration, RegistrationError, SignOff,
};
use enrol_schema::json::MAX_RECORD_BYTES;
use enrol_schema::packet::Process;
use enrol_schema::record::Record;
use serde_json::json;

use super::{Context, Passwords, devices};

/// Largest ISO biometric record read from a file.
const MAX_ISO_BYTES: u64 = 8 << 20;

#[derive(Args)]
pub struct RegisterArgs {
    /// NEW, UPDATE, LOST or BIOMETRIC_CORRECTION
    #[arg(long, value_parser = parse_process)]
    process: Process,
    /// The resident's record: a JSON `{"identity": {...}}` of the identity schema
    #[arg(long)]
    record: PathBuf,
    /// A document: FIELD=PATH[:TYPE]; the format comes from the extension (pdf, jpg, png) and
    /// must match the file; TYPE is a document type code (default: the category's first)
    #[arg(long = "document", value_name = "FIELD=PATH[:TYPE]")]
    documents: Vec<String>,
    /// A biometric: ATTRIBUTE=PATH.iso[:QUALITY[:ATTEMPTS]] (ISO 19794-4/5/6 record)
    #[arg(long = "biometric", value_name = "ATTR=PATH[:QUALITY[:ATTEMPTS]]")]
    biometrics: Vec<String>,
    /// A biometric exception: ATTRIBUTE=REASON
    #[arg(long = "exception", value_name = "ATTR=REASON")]
    exceptions: Vec<String>,
    /// Proof-of-exception photo or document (pdf, jpg, png)
    #[arg(long)]
    proof_of_exception: Option<PathBuf>,
    /// UPDATE: a field group being updated (repeatable)
    #[arg(long = "group")]
    groups: Vec<String>,
    /// Centre coordinates: LAT,LON
    #[arg(long, value_parser = parse_gps)]
    gps: Option<(f64, f64)>,
    /// Supervisor authorising biometric exceptions (their password is the second stdin line,
    /// else ENROL_SUPERVISOR_PASSWORD)
    #[arg(long)]
    supervisor: Option<String>,
    /// Read the sign-off password (and the supervisor's) from standard input (else ENROL_PASSWORD)
    #[arg(long)]
    password_stdin: bool,
    /// Capture every biometric of the form that is neither given as a file nor an exception
    /// from the SBI devices found on 127.0.0.1
    #[arg(long)]
    capture: bool,
    /// A device-provider CA certificate (PEM) trusted for --capture, besides those received by
    /// sync; repeatable
    #[arg(long = "trusted-ca", value_name = "PEM")]
    trusted_ca: Vec<PathBuf>,
    /// Ports scanned for devices with --capture, FIRST-LAST
    #[arg(long, default_value = "4501-4600", value_parser = devices::parse_ports)]
    ports: (u16, u16),
    /// Seconds one device capture may take
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    capture_timeout: u64,
}

pub fn run(context: &Context, args: RegisterArgs) -> anyhow::Result<()> {
    let count = if args.supervisor.is_some() { 2 } else { 1 };
    let passwords = Passwords::read(args.password_stdin, count)?;
    let password = passwords.get(0, "ENROL_PASSWORD", "sign-off password")?;
    let supervisor_password = match &args.supervisor {
        Some(_) => Some(passwords.get(1, "ENROL_SUPERVISOR_PASSWORD", "supervisor's password")?),
        None => None,
    };
    let mut session = context.session()?;
    let form = session.form(args.process)?;
    let mut registration = session.start_registration(args.process)?;
    let outcome = capture(&mut session, &form, &mut registration, &args).and_then(|captured| {
        let supervisor = args
            .supervisor
            .as_deref()
            .zip(supervisor_password.as_deref());
        let committed = session.sign_off(
            &registration,
            &form,
            SignOff {
                password: &password,
                supervisor,
            },
        )?;
        Ok((committed, captured))
    });
    let (committed, captured) = match outcome {
        Ok(done) => done,
        Err(error) => {
            session.discard_registration(&registration)?;
            return Err(error);
        }
    };
    context.print(
        &json!({
            "rid": committed.rid,
            "packet_id": committed.packet_id,
            "size": committed.packet.size,
            "approval": committed.packet.approval,
            "device_captures": captured,
        }),
        || committed.rid.clone(),
    )
}

/// Every capture step, in the workflow's order; returns what the devices captured.
fn capture(
    session: &mut Session,
    form: &Form,
    registration: &mut Registration,
    args: &RegisterArgs,
) -> anyhow::Result<Vec<GroupOutcome>> {
    let bytes = read_bounded(&args.record, MAX_RECORD_BYTES as u64)?;
    let record = Record::parse(&args.record.display().to_string(), &bytes)
        .map_err(|error| enrol_client::Error::from(RegistrationError::from(error)))?;
    session.enter_demographics(registration, form, record.identity, args.groups.clone())?;
    registration.gps = args.gps;
    let limit = form.settings.max_document_size_bytes;
    let mut documents = Vec::new();
    for spec in &args.documents {
        let (field, rest) = split_pair(spec, "--document FIELD=PATH[:TYPE]")?;
        let (path, type_code) = match rest.rsplit_once(':') {
            Some((path, code)) if !code.contains('/') => (path, Some(code)),
            _ => (rest, None),
        };
        documents.push(read_document(
            field.to_owned(),
            Path::new(path),
            type_code,
            limit,
        )?);
    }
    if let Some(path) = &args.proof_of_exception {
        let field = form
            .spec
            .fields()
            .find(|field| field.sub_type.as_deref() == Some("POE"))
            .map(|field| field.id.clone())
            .ok_or_else(|| {
                anyhow!(
                    "the {} form has no proof-of-exception field",
                    form.process.as_str()
                )
            })?;
        documents.push(read_document(field, path, None, limit)?);
    }
    if !documents.is_empty() {
        session.update_registration(registration, "documents", |r| {
            for document in documents {
                r.add_document(
                    form,
                    &document.field,
                    &document.declared,
                    document.type_code.as_deref(),
                    document.bytes,
                )?;
            }
            Ok(())
        })?;
    }
    let mut captures = Vec::new();
    for spec in &args.biometrics {
        let (attribute, rest) = split_pair(spec, "--biometric ATTR=PATH[:QUALITY[:ATTEMPTS]]")?;
        let mut parts = rest.split(':');
        let path = parts.next().unwrap_or_default();
        let number = |text: Option<&str>, default: u32| -> anyhow::Result<u32> {
            text.map_or(Ok(default), |t| {
                t.parse()
                    .map_err(|_| anyhow!("{t:?} is not a number in {spec:?}"))
            })
        };
        let quality = number(parts.next(), 100)?;
        let attempts = number(parts.next(), 1)?;
        let iso = read_bounded(Path::new(path), MAX_ISO_BYTES)?;
        captures.push((attribute, iso, quality, attempts));
    }
    let mut exceptions = Vec::new();
    for spec in &args.exceptions {
        exceptions.push(split_pair(spec, "--exception ATTR=REASON")?);
    }
    let field = || {
        form.applicant_biometrics_field().ok_or_else(|| {
            anyhow!(
                "the {} form has no applicant biometrics",
                form.process.as_str()
            )
        })
    };
    if !captures.is_empty() || !exceptions.is_empty() {
        let field = field()?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        session.update_registration(registration, "biometrics", |r| {
            for (attribute, iso, quality, attempts) in captures {
                r.add_biometric(form, field, attribute, iso, quality, attempts, now)?;
            }
            for (attribute, reason) in exceptions {
                r.add_exception(form, field, attribute, reason)?;
            }
            Ok(())
        })?;
    }
    let mut captured = Vec::new();
    if args.capture {
        let mut trusted = session.trusted_device_providers()?;
        devices::add_trusted_cas(&mut trusted, &args.trusted_ca)?;
        let found = devices::discover(args.ports, &trusted);
        captured = session.capture_from_devices(
            registration,
            form,
            field()?,
            DeviceCapture {
                devices: &found.devices,
                trusted: &trusted,
                timeout: Duration::from_secs(args.capture_timeout),
            },
        )?;
    }
    session.preview_registration(registration, form)?;
    Ok(captured)
}

/// A document file read for the workflow, its format declared by the extension.
struct DocumentFile {
    field: String,
    declared: String,
    type_code: Option<String>,
    bytes: Vec<u8>,
}

fn read_document(
    field: String,
    path: &Path,
    type_code: Option<&str>,
    limit: u64,
) -> anyhow::Result<DocumentFile> {
    let declared = path
        .extension()
        .map(|ext| ext.to_string_lossy().into_owned())
        .unwrap_or_default();
    // One byte past the limit is enough for the workflow to refuse the size.
    let bytes = read_bounded(path, limit.saturating_add(1))?;
    Ok(DocumentFile {
        field,
        declared,
        type_code: type_code.map(str::to_owned),
        bytes,
    })
}

/// Reads at most `limit` bytes; a larger file is cut at `limit` (callers pass one past their
/// own limit so that the size check still sees it is too large).
fn read_bounded(path: &Path, limit: u64) -> anyhow::Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(bytes)
}

fn split_pair<'a>(spec: &'a str, usage: &str) -> anyhow::Result<(&'a str, &'a str)> {
    match spec.split_once('=') {
        Some((key, value)) if !key.is_empty() && !value.is_empty() => Ok((key, value)),
        _ => bail!("{spec:?}: use {usage}"),
    }
}

fn parse_process(text: &str) -> Result<Process, String> {
    Process::parse(text)
        .ok_or_else(|| format!("{text:?}: use NEW, UPDATE, LOST or BIOMETRIC_CORRECTION"))
}

fn parse_gps(text: &str) -> Result<(f64, f64), String> {
    let (lat, lon) = text.split_once(',').ok_or("use LAT,LON")?;
    let lat: f64 = lat.trim().parse().map_err(|_| "bad latitude")?;
    let lon: f64 = lon.trim().parse().map_err(|_| "bad longitude")?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err("coordinates out of range".into());
    }
    Ok((lat, lon))
}
