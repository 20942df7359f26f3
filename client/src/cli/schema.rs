//! `enrol schema …`: validate a demographic record (MOSIP `ID.json`) against an identity
//! schema and a process's UI spec.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use enrol_schema::identity_schema::IdentitySchema;
use enrol_schema::json::{MAX_DOCUMENT_BYTES, MAX_RECORD_BYTES, check_size};
use enrol_schema::master_data::MasterData;
use enrol_schema::packet::Process;
use enrol_schema::record::Record;
use enrol_schema::ui_spec::ProcessSpec;
use enrol_schema::validate::{Context, ValidationError, Validator, parse_date};
use enrol_schema::{defaults, settings::RegistrationSettings};

#[derive(Subcommand)]
pub enum SchemaCommand {
    /// Validate a record; exit 0 when valid, 1 when invalid, 2 when an input is unusable.
    Validate(ValidateArgs),
}

#[derive(Args)]
pub struct ValidateArgs {
    /// The record: MOSIP `ID.json` shape, `{"identity": {…}}` (at most 1 MiB).
    record: PathBuf,
    /// Identity schema JSON [default: the built-in schema].
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Process UI spec JSON [default: the built-in spec of --process].
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// Built-in process spec to use when --spec is not given.
    #[arg(long, default_value = "NEW", value_parser = parse_process)]
    process: Process,
    /// Master data JSON for dynamic-field, location and document-type checks
    /// [default: the built-in master data with the built-in spec, none with --spec].
    #[arg(long, value_name = "FILE")]
    master_data: Option<PathBuf>,
    /// The date ages are computed at, yyyy/MM/dd [default: today, UTC].
    #[arg(long, value_parser = parse_today)]
    today: Option<time::Date>,
    /// Languages each required multilingual value must carry, e.g. eng,fra,ara.
    #[arg(long, value_delimiter = ',')]
    languages: Vec<String>,
    /// UPDATE: the field groups being updated, e.g. Address,FullName.
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// Print the errors as a JSON array.
    #[arg(long)]
    json: bool,
}

impl SchemaCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            SchemaCommand::Validate(args) => validate(&args),
        }
    }
}

fn validate(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let schema = match &args.schema {
        Some(path) => IdentitySchema::parse(&name(path), &read_bounded(path, MAX_DOCUMENT_BYTES)?)?,
        None => defaults::identity_schema(),
    };
    let spec = match &args.spec {
        Some(path) => ProcessSpec::parse(&name(path), &read_bounded(path, MAX_DOCUMENT_BYTES)?)?,
        None => defaults::ui_spec(args.process),
    };
    let master = match (&args.master_data, &args.spec) {
        (Some(path), _) => Some(MasterData::parse(
            &name(path),
            &read_bounded(path, MAX_DOCUMENT_BYTES)?,
        )?),
        (None, None) => Some(defaults::master_data()),
        (None, Some(_)) => None,
    };
    let validator = Validator::new(
        &schema,
        Some(&spec),
        master.as_ref(),
        &RegistrationSettings::default(),
    )
    .with_context(|| format!("{}: cannot use this spec with this schema", spec_name(args)))?;
    let record = Record::parse(
        &name(&args.record),
        &read_bounded(&args.record, MAX_RECORD_BYTES)?,
    )?;
    let today = args
        .today
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let context = Context {
        selected_groups: &args.groups,
        languages: &args.languages,
        ..Context::new(today)
    };
    let errors = validator.validate(&record.identity, &context);
    print_errors(&name(&args.record), &errors, args.json)?;
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_errors(record: &str, errors: &[ValidationError], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(errors)?);
        return Ok(());
    }
    for error in errors {
        let language = error
            .language
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        println!(
            "{}{language}: {}: {}",
            error.field,
            error.code.as_str(),
            error.message
        );
    }
    match errors.len() {
        0 => println!("{record}: valid"),
        1 => println!("{record}: 1 error"),
        n => println!("{record}: {n} errors"),
    }
    Ok(())
}

/// Reads a file of at most `limit` bytes, checking its size before reading anything.
fn read_bounded(path: &Path, limit: usize) -> anyhow::Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let size = file
        .metadata()
        .with_context(|| format!("{}: cannot stat", path.display()))?
        .len();
    check_size(&name(path), size, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(limit).min(limit));
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    check_size(&name(path), bytes.len() as u64, limit)?;
    Ok(bytes)
}

fn name(path: &Path) -> String {
    path.display().to_string()
}

fn spec_name(args: &ValidateArgs) -> String {
    match &args.spec {
        Some(path) => name(path),
        None => format!("built-in {} spec", args.process.as_str()),
    }
}

fn parse_process(text: &str) -> anyhow::Result<Process> {
    match Process::parse(text) {
        Some(process) => Ok(process),
        None => bail!("expected NEW, UPDATE, LOST or BIOMETRIC_CORRECTION"),
    }
}

fn parse_today(text: &str) -> anyhow::Result<time::Date> {
    match parse_date(text) {
        Some(date) => Ok(date),
        None => bail!("expected a yyyy/MM/dd date"),
    }
}
