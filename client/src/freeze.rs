//! Offline limits ("freeze" rules) and retention as pure functions over counts and dates, after
//! MOSIP's registration client: past a limit, new registrations are refused with the reason.

use std::fmt;

use enrol_schema::settings::{FreezeLimits, Retention};
use serde::Serialize;

const DAY: i64 = 86_400;

/// The facts the freeze rules look at, read from the store in one go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FreezeFacts {
    /// Last successful sync, or the machine's creation when it never synced.
    pub last_sync_at: i64,
    pub pending_approval: u32,
    pub oldest_pending_at: Option<i64>,
    pub unexported_approved: u32,
    /// Last export or upload, or the oldest unexported approval when there was none.
    pub last_export_at: Option<i64>,
}

/// Why new registrations are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum FreezeReason {
    SyncOverdue { days: i64, limit: u32 },
    TooManyPendingApproval { count: u32, limit: u32 },
    PendingApprovalTooOld { days: i64, limit: u32 },
    TooManyUnexported { count: u32, limit: u32 },
    ExportOverdue { days: i64, limit: u32 },
}

impl FreezeReason {
    pub fn code(&self) -> &'static str {
        match self {
            FreezeReason::SyncOverdue { .. } => "FREEZE_SYNC_OVERDUE",
            FreezeReason::TooManyPendingApproval { .. } => "FREEZE_PENDING_APPROVAL_COUNT",
            FreezeReason::PendingApprovalTooOld { .. } => "FREEZE_PENDING_APPROVAL_AGE",
            FreezeReason::TooManyUnexported { .. } => "FREEZE_UNEXPORTED_COUNT",
            FreezeReason::ExportOverdue { .. } => "FREEZE_EXPORT_OVERDUE",
        }
    }
}

impl fmt::Display for FreezeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FreezeReason::SyncOverdue { days, limit } => {
                write!(
                    f,
                    "last sync was {days} days ago (limit {limit}): sync first"
                )
            }
            FreezeReason::TooManyPendingApproval { count, limit } => write!(
                f,
                "{count} registrations await approval (limit {limit}): a supervisor must approve or reject them"
            ),
            FreezeReason::PendingApprovalTooOld { days, limit } => write!(
                f,
                "the oldest registration has awaited approval for {days} days (limit {limit})"
            ),
            FreezeReason::TooManyUnexported { count, limit } => write!(
                f,
                "{count} approved packets are not exported or uploaded (limit {limit}): sync or export them"
            ),
            FreezeReason::ExportOverdue { days, limit } => write!(
                f,
                "approved packets have waited {days} days for export or upload (limit {limit})"
            ),
        }
    }
}

/// Every freeze rule that `facts` break at `now`, in MOSIP's order of checks (the first one
/// names the refusal), so that the operator learns at once all that must be done.
pub fn check(
    limits: &FreezeLimits,
    facts: &FreezeFacts,
    now: i64,
) -> Result<(), Vec<FreezeReason>> {
    let days_since = |at: i64| (now - at).max(0) / DAY;
    let mut broken = Vec::new();
    let sync_days = days_since(facts.last_sync_at);
    if sync_days >= i64::from(limits.max_days_since_last_sync) {
        broken.push(FreezeReason::SyncOverdue {
            days: sync_days,
            limit: limits.max_days_since_last_sync,
        });
    }
    if facts.pending_approval >= limits.max_pending_approval_packets {
        broken.push(FreezeReason::TooManyPendingApproval {
            count: facts.pending_approval,
            limit: limits.max_pending_approval_packets,
        });
    }
    if let Some(oldest) = facts.oldest_pending_at
        && days_since(oldest) >= i64::from(limits.max_days_pending_approval)
    {
        broken.push(FreezeReason::PendingApprovalTooOld {
            days: days_since(oldest),
            limit: limits.max_days_pending_approval,
        });
    }
    if facts.unexported_approved >= limits.max_unexported_approved_packets {
        broken.push(FreezeReason::TooManyUnexported {
            count: facts.unexported_approved,
            limit: limits.max_unexported_approved_packets,
        });
    }
    if facts.unexported_approved > 0
        && let Some(last_export) = facts.last_export_at
        && days_since(last_export) >= i64::from(limits.max_days_since_export)
    {
        broken.push(FreezeReason::ExportOverdue {
            days: days_since(last_export),
            limit: limits.max_days_since_export,
        });
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken)
    }
}

/// Whether a packet may be deleted locally: only once the server reports it processed (or
/// accepted) and the retention period since then has passed. Nothing is deleted before that.
pub fn packet_is_deletable(
    retention: &Retention,
    server_status: Option<&str>,
    status_at: Option<i64>,
    now: i64,
) -> bool {
    let final_status = matches!(server_status, Some("PROCESSED" | "ACCEPTED"));
    match (final_status, status_at) {
        (true, Some(at)) => now - at >= i64::from(retention.processed_packet_days) * DAY,
        _ => false,
    }
}
