//! Distribution of published documents (identity schema, UI specs, master data, pipeline
//! certificate, device CAs): a delta after a cursor, each document signed by the server key so
//! machines verify it offline.

use axum::extract::{RawQuery, State};
use enrol_schema::sync::{Publication, PublicationDelta};

use crate::AppState;
use crate::auth::SignedRequest;
use crate::crypto::sha256_hex;
use crate::error::AppError;
use crate::store::PublicationRecord;

/// Most publications in one answer; ask again with the returned cursor for more.
pub const PAGE: i64 = 200;

/// A stored publication, signed.
pub fn signed(state: &AppState, p: PublicationRecord) -> Publication {
    let mut publication = Publication {
        cursor: u64::try_from(p.seq).unwrap_or_default(),
        kind: p.kind,
        name: p.name,
        version: u64::try_from(p.version).unwrap_or_default(),
        published_at: p.published_at,
        content: p.content,
        signature: String::new(),
    };
    let digest = sha256_hex(publication.content.as_bytes());
    publication.signature = state.key.sign(&publication.signing_bytes_for(&digest));
    publication
}

/// Reads `since=<cursor>` from a query string (absent means from the start).
fn since(query: Option<&str>) -> Result<i64, AppError> {
    let value = query
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("since="));
    match value {
        None => Ok(0),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            AppError::bad_request("CURSOR_INVALID", "since must be a non-negative integer")
        }),
    }
}

/// `GET /v1/publications?since=<cursor>`.
#[utoipa::path(get, path = "/v1/publications", tag = "machine",
    params(("since" = Option<u64>, Query, description = "cursor of the last publication already held")),
    responses((status = 200, description = "publications after the cursor, signed", body = PublicationDelta)))]
pub async fn delta(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    _req: SignedRequest,
) -> Result<axum::Json<PublicationDelta>, AppError> {
    let since = since(query.as_deref())?;
    let records = state.store.publications_since(since, PAGE).await?;
    let cursor = records.last().map_or(since, |p| p.seq);
    Ok(axum::Json(PublicationDelta {
        publications: records.into_iter().map(|p| signed(&state, p)).collect(),
        cursor: u64::try_from(cursor).unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse() {
        assert_eq!(since(None).unwrap(), 0);
        assert_eq!(since(Some("since=42")).unwrap(), 42);
        assert_eq!(since(Some("a=1&since=7")).unwrap(), 7);
        assert_eq!(since(Some("since=-1")).unwrap_err().code, "CURSOR_INVALID");
        assert_eq!(since(Some("since=x")).unwrap_err().code, "CURSOR_INVALID");
    }
}
