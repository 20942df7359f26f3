//! The pipeline API (`/v1/pipeline`, pipeline bearer token): the pull feed of the outbox, packet
//! downloads, the machine and operator histories and identity schemas the pipeline judges
//! packets by, and the status reports it sends back. The server never opens a packet here.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enrol_schema::pipeline::{
    FeedItem, FeedPage, MAX_FEED_PAGE, MachineRecord, OperatorRecord, StatusAck, StatusUpdate,
};
use enrol_schema::sync::{ErrorBody, PacketState};

use crate::auth::Pipeline;
use crate::error::{AppError, Json, PathParam};
use crate::store::OutboxEntry;
use crate::{AppState, clock};

/// The feed's view of an outbox entry.
pub fn feed_item(entry: OutboxEntry) -> FeedItem {
    let p = entry.packet;
    FeedItem {
        cursor: entry.feed_seq,
        download: format!("/v1/pipeline/packets/{}", p.rid),
        rid: p.rid,
        packet_id: p.packet_id,
        process: entry.process,
        machine_id: p.machine_id,
        centre_id: p.centre_id,
        packet_hash: p.packet_hash,
        size: p.size,
        received_at: p.received_at,
    }
}

/// `after` and `limit` from the query string (defaults 0 and 100).
fn feed_query(query: Option<&str>) -> Result<(i64, i64), AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|_| AppError::bad_request("QUERY_INVALID", "unreadable query string"))?;
    let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let after = match value("after") {
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            AppError::bad_request("CURSOR_INVALID", "after must be a feed cursor (≥ 0)")
        })?,
        None => 0,
    };
    let limit = match value("limit") {
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_FEED_PAGE).contains(n))
            .ok_or_else(|| {
                AppError::bad_request("LIMIT_INVALID", format!("limit must be 1–{MAX_FEED_PAGE}"))
            })?,
        None => 100,
    };
    Ok((after, i64::from(limit)))
}

/// `GET /v1/pipeline/feed?after=CURSOR&limit=N`: accepted packets after the cursor, in order.
#[utoipa::path(get, path = "/v1/pipeline/feed", tag = "pipeline",
    params(("after" = Option<i64>, Query, description = "the last cursor seen (default 0)"),
        ("limit" = Option<u32>, Query, description = "at most this many (1–500, default 100)")),
    responses((status = 200, description = "the next page of the feed", body = FeedPage),
        (status = 401, description = "PIPELINE_UNAUTHORIZED", body = ErrorBody)))]
pub async fn feed(
    State(state): State<AppState>,
    _pipeline: Pipeline,
    RawQuery(query): RawQuery,
) -> Result<axum::Json<FeedPage>, AppError> {
    let (after, limit) = feed_query(query.as_deref())?;
    let items: Vec<FeedItem> = state
        .store
        .feed(after, limit)
        .await?
        .into_iter()
        .map(feed_item)
        .collect();
    let next = items.last().map_or(after, |item| item.cursor);
    Ok(axum::Json(FeedPage { items, next }))
}

/// `GET /v1/pipeline/packets/{rid}`: the packet's bytes as received (still encrypted).
#[utoipa::path(get, path = "/v1/pipeline/packets/{rid}", tag = "pipeline",
    params(("rid" = String, Path, description = "registration id")),
    responses((status = 200, description = "the encrypted packet file", content_type = "application/zip"),
        (status = 404, description = "PACKET_UNKNOWN", body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    _pipeline: Pipeline,
    PathParam(rid): PathParam,
) -> Result<Response, AppError> {
    let packet = state.store.packet(&rid).await?.ok_or_else(unknown_packet)?;
    let path = state.blobs.packet_path(
        &packet.centre_id,
        &packet.machine_id,
        &packet.packet_id,
        &packet.packet_hash,
    );
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(crate::store::StoreError::from)?;
    let hash = HeaderValue::from_str(&packet.packet_hash)
        .map_err(|_| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "STORE", "bad hash"))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::ETAG, hash),
        ],
        bytes,
    )
        .into_response())
}

fn unknown_packet() -> AppError {
    AppError::not_found("PACKET_UNKNOWN", "no packet was received under this rid")
}

/// `GET /v1/pipeline/machines/{id}`: the machine's key and when it was active.
#[utoipa::path(get, path = "/v1/pipeline/machines/{id}", tag = "pipeline",
    params(("id" = String, Path, description = "machine id")),
    responses((status = 200, description = "the machine's key and history", body = MachineRecord),
        (status = 404, description = "MACHINE_UNKNOWN", body = ErrorBody)))]
pub async fn machine(
    State(state): State<AppState>,
    _pipeline: Pipeline,
    PathParam(id): PathParam,
) -> Result<axum::Json<MachineRecord>, AppError> {
    let machine = state
        .store
        .machine(&id)
        .await?
        .ok_or_else(|| AppError::not_found("MACHINE_UNKNOWN", "no such machine"))?;
    Ok(axum::Json(MachineRecord {
        history: state.store.standing_history("machine", &id).await?,
        id: machine.id,
        centre_id: machine.centre_id,
        public_key_pem: machine.public_key_pem,
    }))
}

/// `GET /v1/pipeline/operators/{id}`: when the operator was active.
#[utoipa::path(get, path = "/v1/pipeline/operators/{id}", tag = "pipeline",
    params(("id" = String, Path, description = "operator user id")),
    responses((status = 200, description = "the operator's history", body = OperatorRecord),
        (status = 404, description = "OPERATOR_UNKNOWN", body = ErrorBody)))]
pub async fn operator(
    State(state): State<AppState>,
    _pipeline: Pipeline,
    PathParam(id): PathParam,
) -> Result<axum::Json<OperatorRecord>, AppError> {
    let history = state.store.standing_history("operator", &id).await?;
    if history.is_empty() {
        return Err(AppError::not_found("OPERATOR_UNKNOWN", "no such operator"));
    }
    Ok(axum::Json(OperatorRecord {
        user_id: id,
        history,
    }))
}

/// `GET /v1/pipeline/identity-schemas/{version}`: the identity schema of that published version.
#[utoipa::path(get, path = "/v1/pipeline/identity-schemas/{version}", tag = "pipeline",
    params(("version" = String, Path, description = "the IDSchemaVersion a packet names")),
    responses((status = 200, description = "the identity schema (MOSIP JSON)", body = Object),
        (status = 404, description = "SCHEMA_UNKNOWN", body = ErrorBody)))]
pub async fn identity_schema(
    State(state): State<AppState>,
    _pipeline: Pipeline,
    PathParam(version): PathParam,
) -> Result<Response, AppError> {
    let unknown = || AppError::not_found("SCHEMA_UNKNOWN", "no identity schema of this version");
    // ID.json writes the version as a number (`1.0`); publications count 1, 2, …
    let number = version
        .parse::<f64>()
        .ok()
        .filter(|v| v.fract() == 0.0 && *v >= 1.0 && *v < 1e9)
        .ok_or_else(unknown)?;
    let record = state
        .store
        .publication("identity-schema", "identity-schema", number as i64)
        .await?
        .ok_or_else(unknown)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        record.content,
    )
        .into_response())
}

/// What a status report does to a packet in state `current`: `Ok(None)` when it is already
/// there (a repeated report), `Ok(Some(reported))` to move it, or the refusal.
pub fn transition(
    current: PacketState,
    reported: PacketState,
) -> Result<Option<PacketState>, AppError> {
    use PacketState::*;
    if !matches!(
        reported,
        Processing | Processed | Rejected | Reregister | Resend
    ) {
        return Err(AppError::unprocessable(
            "STATUS_INVALID",
            "the pipeline reports PROCESSING, PROCESSED, REJECTED, REREGISTER or RESEND",
        ));
    }
    if current == reported {
        return Ok(None);
    }
    match current {
        Received | Accepted | Processing | Resend => Ok(Some(reported)),
        _ => Err(AppError::conflict(
            "STATUS_CONFLICT",
            format!(
                "the packet already ended {}",
                crate::store::packet_state_str(current)
            ),
        )),
    }
}

/// `POST /v1/pipeline/status`: the pipeline's verdict on a packet, shown to its machine at the
/// next status poll. A repeated report is accepted and ignored; a different verdict on a
/// finished packet is refused.
#[utoipa::path(post, path = "/v1/pipeline/status", tag = "pipeline",
    request_body = StatusUpdate,
    responses((status = 200, description = "recorded (or already so)", body = StatusAck),
        (status = 401, description = "PIPELINE_UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "PACKET_UNKNOWN", body = ErrorBody),
        (status = 409, description = "STATUS_CONFLICT: the packet already ended otherwise", body = ErrorBody),
        (status = 422, description = "STATUS_INVALID", body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    _pipeline: Pipeline,
    Json(update): Json<StatusUpdate>,
) -> Result<axum::Json<StatusAck>, AppError> {
    let _guard = state.rid_locks.lock(&update.rid).await;
    loop {
        let packet = state
            .store
            .packet(&update.rid)
            .await?
            .ok_or_else(unknown_packet)?;
        let Some(next) = transition(packet.state, update.status)? else {
            return Ok(axum::Json(StatusAck {
                rid: update.rid,
                status: update.status,
                changed: false,
            }));
        };
        // Conditional on the state read, so another server instance's report is not overwritten.
        if state
            .store
            .change_packet_state(
                &update.rid,
                packet.state,
                next,
                &update.comment,
                &clock::rfc3339_now(),
            )
            .await?
        {
            tracing::info!(status = ?next, "pipeline status recorded");
            return Ok(axum::Json(StatusAck {
                rid: update.rid,
                status: next,
                changed: true,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PacketState::*;

    #[track_caller]
    fn check(
        current: PacketState,
        reported: PacketState,
        expected: Result<Option<PacketState>, &str>,
    ) {
        let actual = transition(current, reported).map_err(|e| e.code);
        assert_eq!(actual, expected, "{current:?} + {reported:?}");
    }

    #[test]
    fn status_transitions() {
        check(Received, Processing, Ok(Some(Processing)));
        check(Processing, Processed, Ok(Some(Processed)));
        check(Received, Rejected, Ok(Some(Rejected)));
        check(Processing, Resend, Ok(Some(Resend)));
        check(Resend, Processed, Ok(Some(Processed)));
        check(Processed, Processed, Ok(None));
        check(Rejected, Rejected, Ok(None));
        check(Processed, Rejected, Err("STATUS_CONFLICT"));
        check(Reregister, Processed, Err("STATUS_CONFLICT"));
        check(Received, Received, Err("STATUS_INVALID"));
        check(Received, Unknown, Err("STATUS_INVALID"));
    }

    #[test]
    fn feed_queries_parse() {
        assert_eq!(feed_query(None).unwrap(), (0, 100));
        assert_eq!(feed_query(Some("after=7&limit=3")).unwrap(), (7, 3));
        for (query, code) in [
            ("after=-1", "CURSOR_INVALID"),
            ("after=x", "CURSOR_INVALID"),
            ("limit=0", "LIMIT_INVALID"),
            ("limit=501", "LIMIT_INVALID"),
        ] {
            assert_eq!(feed_query(Some(query)).unwrap_err().code, code, "{query}");
        }
    }
}
