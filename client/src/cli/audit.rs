//! `enrol audit verify`: check the hash chain against the head recorded outside the database.

use anyhow::bail;
use clap::Subcommand;
use serde_json::json;

use super::Context;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify the audit chain: finds any edit, deletion, reordering, gap or truncation
    Verify,
}

pub fn run(context: &Context, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify => {
            let mut session = context.session()?;
            match session.verify_audit()? {
                Ok(report) => context.print(&json!({ "ok": true, "report": report }), || {
                    let head = report
                        .head
                        .map_or_else(|| "none".to_owned(), |head| head.to_string());
                    format!(
                        "audit log intact: {} entries, head {head}{}",
                        report.entries,
                        if report.unanchored > 0 {
                            format!(" ({} after the recorded head)", report.unanchored)
                        } else {
                            String::new()
                        }
                    )
                }),
                Err(broken) => {
                    if context.is_json() {
                        println!(
                            "{}",
                            json!({ "ok": false, "code": broken.code(), "message": broken.to_string() })
                        );
                    }
                    bail!("audit log broken: {broken} [{}]", broken.code())
                }
            }
        }
    }
}
