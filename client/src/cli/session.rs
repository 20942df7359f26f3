//! `enrol login`, `logout` and `whoami`. A login prints a session token and also keeps it, mode
//! 0600, in a runtime folder outside the data directory (`$XDG_RUNTIME_DIR/enrol`, else
//! `/tmp/enrol-<uid>`), so later commands find it; `ENROL_SESSION` overrides that file.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use enrol_client::clock::rfc3339;
use enrol_client::seal::{hex, sha256_fields};
use enrol_client::token::SessionToken;
use serde_json::json;

use super::{Context, Passwords, parse_token};

#[derive(Args)]
pub struct LoginArgs {
    /// Operator id
    #[arg(long)]
    user: String,
    /// Read the password from the first line of standard input (else ENROL_PASSWORD)
    #[arg(long)]
    password_stdin: bool,
}

pub fn login(context: &Context, args: LoginArgs) -> anyhow::Result<()> {
    let password = Passwords::read(args.password_stdin, 1)?.get(0, "ENROL_PASSWORD", "password")?;
    let client = context.client()?;
    let mut session = client.login(&args.user, &password)?;
    let token = session.create_token()?;
    let runtime_file = save_token(context, &token)?;
    let operator = session.operator().clone();
    let timeout = session.settings().idle.timeout_secs;
    context.print(
        &json!({
            "operator": operator,
            "token": token.as_str(),
            "token_file": runtime_file,
            "idle_timeout_secs": timeout,
        }),
        || {
            format!(
                "logged in as {} ({}); session expires after {timeout} s idle\nexport ENROL_SESSION={}",
                operator.id,
                operator.name,
                token.as_str()
            )
        },
    )
}

pub fn logout(context: &Context) -> anyhow::Result<()> {
    let session = context.session()?;
    let operator = session.operator().id.clone();
    session.logout()?;
    if let Ok(path) = token_file(context) {
        let _ = fs::remove_file(path);
    }
    context.print(&json!({ "logged_out": operator }), || {
        format!("logged out {operator}")
    })
}

pub fn whoami(context: &Context) -> anyhow::Result<()> {
    let session = context.session()?;
    let machine = session.machine()?;
    let operator = session.operator().clone();
    context.print(&json!({ "operator": operator, "machine": machine }), || {
        let roles: Vec<_> = operator.roles.iter().map(|role| role.as_str()).collect();
        format!(
            "{} ({}), roles {}, on machine {} at centre {} ({}), initialised {}",
            operator.id,
            operator.name,
            roles.join(","),
            machine.machine_id,
            machine.centre_id,
            machine.centre_name,
            rfc3339(machine.created_at)
        )
    })
}

/// The token of the current session: `ENROL_SESSION`, else the runtime file.
pub fn find_token(context: &Context) -> anyhow::Result<SessionToken> {
    if let Ok(text) = std::env::var("ENROL_SESSION") {
        return parse_token(&text);
    }
    let path = token_file(context)?;
    match fs::read_to_string(&path) {
        Ok(text) => parse_token(&text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(enrol_client::Error::NoSession.into())
        }
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn save_token(context: &Context, token: &SessionToken) -> anyhow::Result<PathBuf> {
    let path = token_file(context)?;
    let _ = fs::remove_file(&path);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(token.as_str().as_bytes())?;
    file.sync_all()?;
    Ok(path)
}

/// The runtime file for this data directory's token, in a folder only this user can read.
fn token_file(context: &Context) -> anyhow::Result<PathBuf> {
    let uid = fs::metadata("/proc/self")
        .context("cannot find the current user id")?
        .uid();
    let folder = match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(runtime) if !runtime.is_empty() => PathBuf::from(runtime).join("enrol"),
        _ => PathBuf::from(format!("/tmp/enrol-{uid}")),
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let metadata = fs::metadata(&folder)?;
    if metadata.uid() != uid || metadata.permissions().mode() & 0o077 != 0 {
        bail!(
            "{} must belong to you and be private (mode 700) to hold session tokens",
            folder.display()
        );
    }
    let data_dir =
        fs::canonicalize(context.data_dir()).unwrap_or_else(|_| context.data_dir().to_owned());
    let id = hex(&sha256_fields(&[data_dir.as_os_str().as_encoded_bytes()])[..12]);
    Ok(folder.join(format!("{id}.token")))
}
