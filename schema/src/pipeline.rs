//! Pipeline API wire types (central pipeline ⇄ sync server under `/v1/pipeline`): the pull feed
//! of accepted packets, the machine and operator histories the pipeline judges packets by, and
//! the status reports it sends back. Every call carries the pipeline's bearer token.

use serde::{Deserialize, Serialize};

use crate::sync::PacketState;

/// Most entries in one feed page.
pub const MAX_FEED_PAGE: u32 = 500;

/// One accepted packet in the feed, at its position `cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FeedItem {
    /// Position in the feed: pass the last one seen as `after` to continue.
    pub cursor: i64,
    pub rid: String,
    pub packet_id: String,
    /// MOSIP process id (`NEW`, `UPDATE`, `LOST`, `BIOMETRIC_CORRECTION`).
    pub process: String,
    pub machine_id: String,
    pub centre_id: String,
    /// Upper-case hex SHA-256 of the encrypted packet file.
    pub packet_hash: String,
    pub size: u64,
    pub received_at: String,
    /// Path (under the server's base URL) where the packet's bytes are downloaded.
    pub download: String,
}

/// Answer to `GET /v1/pipeline/feed?after=&limit=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    /// The cursor to ask after next (the last item's, or `after` when the page is empty).
    pub next: i64,
}

/// Active or not since a time (RFC 3339 UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Standing {
    pub active: bool,
    pub since: String,
}

/// Answer to `GET /v1/pipeline/machines/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MachineRecord {
    pub id: String,
    pub centre_id: String,
    /// The machine's RSA public key (SubjectPublicKeyInfo PEM): it signs the packets.
    pub public_key_pem: String,
    /// Oldest first.
    pub history: Vec<Standing>,
}

/// Answer to `GET /v1/pipeline/operators/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OperatorRecord {
    pub user_id: String,
    /// Oldest first.
    pub history: Vec<Standing>,
}

/// Whether something with this history was active at unix time `at`: the latest entry not after
/// `at` decides; before the first entry it was not active. `since` values that do not parse
/// count as never.
pub fn active_at(history: &[Standing], at: i64, parse: impl Fn(&str) -> Option<i64>) -> bool {
    history
        .iter()
        .rev()
        .find(|s| parse(&s.since).is_some_and(|since| since <= at))
        .is_some_and(|s| s.active)
}

/// Body of `POST /v1/pipeline/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusUpdate {
    pub rid: String,
    /// `PROCESSING`, `PROCESSED`, `REJECTED`, `REREGISTER` or `RESEND`.
    pub status: PacketState,
    /// Why (a stable reason code first for rejections), shown to the centre.
    #[serde(default)]
    pub comment: String,
}

/// Answer to `POST /v1/pipeline/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusAck {
    pub rid: String,
    pub status: PacketState,
    /// False when the packet was already in this status (a repeated report, ignored).
    pub changed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_entry_not_after_the_time_decides() {
        let at = |active, since: &str| Standing {
            active,
            since: since.into(),
        };
        let parse = |s: &str| s.parse::<i64>().ok();
        let history = [at(true, "10"), at(false, "20"), at(true, "30")];
        for (time, expected) in [
            (5, false),
            (10, true),
            (19, true),
            (20, false),
            (29, false),
            (30, true),
        ] {
            assert_eq!(active_at(&history, time, parse), expected, "at {time}");
        }
        assert!(!active_at(&[], 100, parse));
    }
}
