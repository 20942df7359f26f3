//! `enrol sync` (publications, operators, then send approved packets, poll statuses, apply
//! retention), `enrol status` (each packet's true state), and the sneakernet pair
//! `enrol export` / `enrol import-receipts`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use enrol_client::sync::{FullSyncReport, Progress, SyncOptions};

use super::Context;

#[derive(Args)]
pub struct SyncArgs {
    /// Server base URL (default: the one from the machine's enrolment)
    #[arg(long)]
    server: Option<String>,
    /// Trust this server receipt key (Ed25519 PEM) first, for machines set up without an
    /// enrolment file (supervisors)
    #[arg(long)]
    trust_server_key: Option<PathBuf>,
}

pub fn sync(context: &Context, args: SyncArgs) -> anyhow::Result<()> {
    let mut session = context.session()?;
    if let Some(path) = &args.trust_server_key {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        session.trust_server_key(&pem)?;
    }
    let options = SyncOptions {
        server: args.server,
        ..SyncOptions::default()
    };
    let quiet = context.is_json();
    let mut progress = |step: Progress<'_>| {
        if !quiet {
            let percent = (step.offset * 100).checked_div(step.size).unwrap_or(100);
            eprint!("\r{} {:<10} {percent:>3}%", step.rid, step.phase);
            if step.phase == "RECEIVED" {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        }
    };
    let full = session.sync(&options, &mut progress)?;
    let report = &full.packets;
    let failed = report.packets.iter().filter(|p| p.error.is_some()).count();
    context.print(&full, || {
        let mut lines: Vec<String> = changes(&full);
        lines.extend(report
            .packets
            .iter()
            .filter_map(|p| {
                p.error
                    .as_ref()
                    .map(|(code, message)| format!("{}: {message} [{code}]", p.rid))
            }));
        lines.push(format!(
            "{} packet(s) received, {failed} left for the next sync, {} status change(s), {} file(s) removed",
            report.packets.len() - failed,
            report.statuses_changed,
            report.deleted.len()
        ));
        lines.join("\n")
    })?;
    if failed > 0 {
        anyhow::bail!("{failed} packet(s) could not be sent");
    }
    Ok(())
}

/// What the publications and the operator list changed, one line each.
fn changes(full: &FullSyncReport) -> Vec<String> {
    let mut lines: Vec<String> = full
        .publications
        .changes
        .iter()
        .map(|change| match &change.skipped {
            None => format!(
                "applied {} {} version {}",
                change.kind, change.name, change.version
            ),
            Some(reason) => format!(
                "skipped {} {} version {}: {reason}",
                change.kind, change.name, change.version
            ),
        })
        .collect();
    let operators = &full.operators;
    for (what, ids) in [
        ("operator added (pending)", &operators.added),
        ("operator updated", &operators.updated),
        ("operator deactivated", &operators.deactivated),
        ("first login ready", &operators.first_login_ready),
    ] {
        lines.extend(ids.iter().map(|id| format!("{what}: {id}")));
    }
    lines.extend(
        operators
            .skipped
            .iter()
            .map(|(id, reason)| format!("operator skipped: {id}: {reason}")),
    );
    lines
}

pub fn status(context: &Context) -> anyhow::Result<()> {
    let mut session = context.session()?;
    let statuses = session.packet_sync_statuses()?;
    context.print(&statuses, || {
        let mut lines: Vec<String> = statuses
            .iter()
            .map(|s| {
                format!(
                    "{} {:<16} {:>9}/{:<9} {}{}",
                    s.rid,
                    s.phase,
                    s.uploaded_bytes,
                    s.size,
                    s.server_status.as_deref().unwrap_or("-"),
                    if s.deleted { " (file removed)" } else { "" }
                )
            })
            .collect();
        // What the supervisor must act on: the centre asks for these residents to come again.
        let again: Vec<&str> = statuses
            .iter()
            .filter(|s| s.server_status.as_deref() == Some("REREGISTER"))
            .map(|s| s.rid.as_str())
            .collect();
        if !again.is_empty() {
            lines.push(format!(
                "{} registration(s) to make again (REREGISTER from the centre): {}",
                again.len(),
                again.join(", ")
            ));
        }
        lines.join("\n")
    })
}

#[derive(Args)]
pub struct ExportArgs {
    /// The bundle folder (e.g. on a USB drive); created if needed
    #[arg(long)]
    to: PathBuf,
}

pub fn export(context: &Context, args: ExportArgs) -> anyhow::Result<()> {
    let mut session = context.session()?;
    let report = session.export_bundle(&args.to)?;
    context.print(&report, || {
        format!(
            "exported {} packet(s), {} bytes, to {}",
            report.rids.len(),
            report.bytes,
            report.folder.display()
        )
    })
}

#[derive(Args)]
pub struct ImportReceiptsArgs {
    /// The bundle folder the server imported (it holds receipts.json)
    folder: PathBuf,
}

pub fn import_receipts(context: &Context, args: ImportReceiptsArgs) -> anyhow::Result<()> {
    let mut session = context.session()?;
    let report = session.import_receipts(&args.folder)?;
    context.print(&report, || {
        let mut lines: Vec<String> = report
            .refused
            .iter()
            .map(|(rid, reason)| format!("{rid}: refused: {reason}"))
            .collect();
        lines.push(format!(
            "{} packet(s) marked received, {} already were, {} refused",
            report.received.len(),
            report.already,
            report.refused.len()
        ));
        lines.join("\n")
    })?;
    if !report.refused.is_empty() {
        anyhow::bail!("{} receipt(s) refused", report.refused.len());
    }
    Ok(())
}
