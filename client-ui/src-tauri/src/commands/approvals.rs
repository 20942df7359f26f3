//! The supervisor's approval screen: the queue, the review of one registration, and a batch of
//! decisions recorded after one password check (all or none).

use enrol_client::approval::{Decision, PendingApproval};
use enrol_client::review::ApprovalReview;
use serde::Deserialize;
use tauri::State;

use super::with_session;
use crate::error::CommandError;
use crate::state::AppState;

/// Registrations awaiting a decision, oldest first.
#[tauri::command(async)]
pub fn pending_approvals(state: State<'_, AppState>) -> Result<Vec<PendingApproval>, CommandError> {
    with_session(&state, |session| session.pending_approvals())
}

/// What the supervisor reviews of one registration awaiting approval.
#[tauri::command(async)]
pub fn approval_review(
    state: State<'_, AppState>,
    rid: String,
) -> Result<ApprovalReview, CommandError> {
    with_session(&state, |session| session.approval_review(&rid))
}

/// One decision as the front end sends it: `{rid, decision: "approve"}` or
/// `{rid, decision: "reject", reason}`.
#[derive(Debug, Deserialize)]
#[serde(tag = "decision", rename_all = "lowercase")]
pub enum DecisionForm {
    Approve { rid: String },
    Reject { rid: String, reason: String },
}

impl From<DecisionForm> for (String, Decision) {
    fn from(form: DecisionForm) -> (String, Decision) {
        match form {
            DecisionForm::Approve { rid } => (rid, Decision::Approve),
            DecisionForm::Reject { rid, reason } => (rid, Decision::Reject { reason }),
        }
    }
}

/// Records every decision after one check of the supervisor's password; returns the RIDs.
#[tauri::command(async)]
pub fn decide(
    state: State<'_, AppState>,
    decisions: Vec<DecisionForm>,
    password: String,
) -> Result<Vec<String>, CommandError> {
    let decisions: Vec<(String, Decision)> = decisions.into_iter().map(Into::into).collect();
    with_session(&state, |session| session.decide_each(&decisions, &password))
}
