//! `enrol packets list | show | verify | trust-pipeline`: the stored packets, their status
//! history and manifest, opening one with the pipeline key, and installing the pipeline's
//! certificate.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use enrol_client::clock::rfc3339;
use enrol_client::machine::PIPELINE_CERTIFICATE;
use enrol_client::packet::PipelineCertificate;
use enrol_client::packet_store::{PacketSummary, PageCursor};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use serde_json::json;

use super::Context;

/// Packets per page of `enrol packets list`.
const PAGE_SIZE: u32 = 20;

#[derive(Subcommand)]
pub enum PacketsCommand {
    /// List packets, newest first
    List {
        /// Only packets in this approval state: pending, approved or rejected
        #[arg(long)]
        status: Option<String>,
        /// Page number, from 1
        #[arg(long, default_value_t = 1)]
        page: u32,
    },
    /// Show one packet: metadata, status history and (once decided) its signed manifest
    Show { rid: String },
    /// Open a packet with the pipeline's private key and verify it (hashes, signatures)
    Verify {
        rid: String,
        /// The pipeline's RSA private key (PKCS#8 PEM)
        #[arg(long)]
        pipeline_key: PathBuf,
    },
    /// Install the pipeline's encryption certificate (PEM) that new packets are sealed to
    TrustPipeline { certificate: PathBuf },
}

pub fn run(context: &Context, command: PacketsCommand) -> anyhow::Result<()> {
    let mut session = context.session()?;
    match command {
        PacketsCommand::List { status, page } => {
            let mut cursor: Option<PageCursor> = None;
            let mut shown: Vec<PacketSummary> = Vec::new();
            let mut skip = u64::from(page.max(1) - 1) * u64::from(PAGE_SIZE);
            'pages: loop {
                let batch = session.packet_page(cursor.as_ref(), 200)?;
                let Some(last) = batch.last() else { break };
                cursor = Some(PageCursor {
                    created_at: last.created_at,
                    rid: last.rid.clone(),
                });
                for packet in batch {
                    if status.as_deref().is_some_and(|s| s != packet.approval) {
                        continue;
                    }
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    shown.push(packet);
                    if shown.len() == PAGE_SIZE as usize {
                        break 'pages;
                    }
                }
            }
            context.print(&json!({ "page": page, "packets": shown }), || {
                shown
                    .iter()
                    .map(|p| {
                        format!(
                            "{}  {:>9}  {:>9} bytes  {}",
                            p.rid,
                            p.approval,
                            p.size,
                            rfc3339(p.created_at)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        PacketsCommand::Show { rid } => {
            let packet = session.packet_summary(&rid)?;
            let history = session.status_history(&rid)?;
            let manifest = session.packet_manifest(&rid).ok();
            let packet = packet.ok_or_else(|| enrol_client::Error::from(unknown(&rid)))?;
            let history_json: Vec<_> = history
                .iter()
                .map(|change| {
                    json!({
                        "status": change.status,
                        "actor": change.actor,
                        "reason": change.reason,
                        "at": rfc3339(change.at),
                    })
                })
                .collect();
            context.print(
                &json!({ "packet": packet, "history": history_json, "manifest": manifest }),
                || {
                    let mut text = format!(
                        "{} ({} bytes, {})",
                        packet.rid, packet.size, packet.approval
                    );
                    for change in &history {
                        text.push_str(&format!(
                            "\n  {} {} by {}{}",
                            rfc3339(change.at),
                            change.status,
                            change.actor,
                            change
                                .reason
                                .as_ref()
                                .map(|r| format!(": {r}"))
                                .unwrap_or_default()
                        ));
                    }
                    text
                },
            )
        }
        PacketsCommand::Verify { rid, pipeline_key } => {
            let pem = std::fs::read_to_string(&pipeline_key)
                .with_context(|| format!("cannot read {}", pipeline_key.display()))?;
            let private = RsaPrivateKey::from_pkcs8_pem(&pem)
                .with_context(|| format!("{} is not a PKCS#8 RSA key", pipeline_key.display()))?;
            let certificate = session
                .trusted_key(PIPELINE_CERTIFICATE)?
                .context("no pipeline certificate is installed")?;
            let key = PipelineCertificate::from_pem(&certificate)?.key(private)?;
            let opened = session.open_packet(&rid, &key)?;
            let fields: Vec<&String> = opened.identity.keys().collect();
            context.print(
                &json!({
                    "rid": opened.rid.as_str(),
                    "packet_id": opened.packet_id,
                    "process": opened.process,
                    "verified": true,
                    "identity": opened.identity,
                    "documents": opened.documents.iter().map(|d| &d.file_name).collect::<Vec<_>>(),
                    "biometrics": opened.biometrics.iter().map(|b| json!({"field": b.field, "records": b.records.len()})).collect::<Vec<_>>(),
                }),
                || {
                    format!(
                        "{} verified: {} fields, {} documents, {} biometrics files",
                        opened.packet_id,
                        fields.len(),
                        opened.documents.len(),
                        opened.biometrics.len()
                    )
                },
            )
        }
        PacketsCommand::TrustPipeline { certificate } => {
            let pem = std::fs::read_to_string(&certificate)
                .with_context(|| format!("cannot read {}", certificate.display()))?;
            session.trust_pipeline_certificate(&pem)?;
            context.print(&json!({ "installed": PIPELINE_CERTIFICATE }), || {
                "pipeline certificate installed".into()
            })
        }
    }
}

fn unknown(rid: &str) -> enrol_client::registration::RegistrationError {
    enrol_client::registration::RegistrationError::UnknownPacket(rid.chars().take(40).collect())
}
