//! `enrol approve RID|--all` and `enrol reject RID --reason R`: a supervisor's decisions, with
//! one password re-check per command (MOSIP's end-of-day authentication).

use clap::Args;
use enrol_client::approval::Decision;
use serde_json::json;

use super::{Context, Passwords};

#[derive(Args)]
pub struct ApproveArgs {
    /// The registration to approve
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    rid: Option<String>,
    /// Approve every pending registration
    #[arg(long)]
    all: bool,
    /// Read the supervisor's password from standard input (else ENROL_PASSWORD)
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct RejectArgs {
    /// The registration to reject
    rid: String,
    /// Why (kept in the status history)
    #[arg(long)]
    reason: String,
    /// Read the supervisor's password from standard input (else ENROL_PASSWORD)
    #[arg(long)]
    password_stdin: bool,
}

pub fn approve(context: &Context, args: ApproveArgs) -> anyhow::Result<()> {
    let rids = args.rid.map(|rid| vec![rid]);
    decide(context, rids, &Decision::Approve, args.password_stdin)
}

pub fn reject(context: &Context, args: RejectArgs) -> anyhow::Result<()> {
    let decision = Decision::Reject {
        reason: args.reason,
    };
    decide(
        context,
        Some(vec![args.rid]),
        &decision,
        args.password_stdin,
    )
}

fn decide(
    context: &Context,
    rids: Option<Vec<String>>,
    decision: &Decision,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let password = Passwords::read(password_stdin, 1)?.get(0, "ENROL_PASSWORD", "password")?;
    let mut session = context.session()?;
    let decided = session.decide(rids.as_deref(), decision, &password)?;
    let verb = match decision {
        Decision::Approve => "approved",
        Decision::Reject { .. } => "rejected",
    };
    context.print(&json!({ verb: decided }), || {
        format!("{verb} {} registration(s)", decided.len())
    })
}
