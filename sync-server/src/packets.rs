//! Packet intake around the tus uploads: the signed manifest sent first (`POST /v1/packets`),
//! the verification and durable storage of finished uploads, signed receipts, and status.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use enrol_schema::packet::SignedManifest;
use enrol_schema::sync::{
    ErrorBody, MAX_STATUS_BATCH, PacketIntake, PacketState, PacketStatus, Receipt,
    ServerKey as ServerKeyBody, StatusQuery, StatusReport,
};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::auth::SignedRequest;
use crate::crypto::MachineKey;
use crate::crypto::{hex, random_token, sha256_hex};
use crate::error::{AppError, PathParam};
use crate::intake::{IntakeError, check_bytes, check_manifest};
use crate::store::{Machine, ManifestRecord, PacketRecord, UploadRecord};
use crate::{AppState, clock};

/// The receipt of a stored packet, signed by the server key (deterministic: Ed25519).
pub fn receipt(state: &AppState, p: &PacketRecord) -> Receipt {
    let mut receipt = Receipt {
        rid: p.rid.clone(),
        packet_id: p.packet_id.clone(),
        machine_id: p.machine_id.clone(),
        packet_hash: p.packet_hash.clone(),
        size: p.size,
        received_at: p.received_at.clone(),
        sequence: u64::try_from(p.seq).unwrap_or_default(),
        signature: String::new(),
    };
    receipt.signature = state.key.sign(&receipt.signing_bytes());
    receipt
}

fn refused(state: &AppState, err: &IntakeError) -> AppError {
    state.metrics.verification_failure(err.code());
    let status = match err {
        IntakeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    AppError::new(status, err.code(), err.to_string())
}

fn rid_conflict(state: &AppState) -> AppError {
    state.metrics.verification_failure("RID_CONFLICT");
    AppError::conflict(
        "RID_CONFLICT",
        "a different packet was already received under this rid",
    )
}

fn sequence_reused(state: &AppState) -> AppError {
    state.metrics.verification_failure("SEQUENCE_REUSED");
    AppError::conflict(
        "SEQUENCE_REUSED",
        "this machine already sent a packet with this sequence under another rid",
    )
}

/// `POST /v1/packets`: a machine announces a packet with its signed manifest.
#[utoipa::path(post, path = "/v1/packets", tag = "machine",
    request_body = crate::openapi::SignedManifestDoc,
    responses(
        (status = 201, description = "manifest accepted: create the upload with the token", body = PacketIntake),
        (status = 200, description = "this packet was already received: its receipt", body = PacketIntake),
        (status = 409, description = "RID_CONFLICT or SEQUENCE_REUSED", body = ErrorBody),
        (status = 422, description = "the manifest fails a check (RID_INVALID, MANIFEST_SIGNATURE_INVALID, ...)", body = ErrorBody)))]
pub async fn announce(
    State(state): State<AppState>,
    req: SignedRequest,
) -> Result<Response, AppError> {
    let signed: SignedManifest = req.json()?;
    let (status, body) = match accept_manifest(&state, &signed, &req.machine, &req.key).await? {
        Announced::Held(receipt) => (
            StatusCode::OK,
            PacketIntake {
                upload_token: None,
                upload_endpoint: "/v1/uploads".into(),
                receipt: Some(receipt),
            },
        ),
        Announced::Upload(token) => (
            StatusCode::CREATED,
            PacketIntake {
                upload_token: Some(token),
                upload_endpoint: "/v1/uploads".into(),
                receipt: None,
            },
        ),
    };
    Ok((status, axum::Json(body)).into_response())
}

/// What the server makes of an announced manifest.
pub enum Announced {
    /// The packet is already held: its receipt.
    Held(Receipt),
    /// The bytes are wanted: the upload token (its digest is stored with the manifest).
    Upload(String),
}

/// The intake of a signed manifest from `machine`, online (`POST /v1/packets`) or from a
/// sneakernet bundle: the manifest's rules and signature; the same packet again has its receipt,
/// other bytes under a held RID are refused, as is a sequence the machine used for another RID;
/// a packet under RESEND (the pipeline asked for the bytes again) gets a new upload.
pub async fn accept_manifest(
    state: &AppState,
    signed: &SignedManifest,
    machine: &Machine,
    key: &MachineKey,
) -> Result<Announced, AppError> {
    check_manifest(signed, machine, key, state.config.max_packet_size)
        .map_err(|err| refused(state, &err))?;
    let m = &signed.manifest;
    if let Some(existing) = state.store.packet(&m.rid).await? {
        if existing.packet_hash != m.packet_hash {
            return Err(rid_conflict(state));
        }
        if existing.state != PacketState::Resend {
            state.metrics.packet_duplicate();
            return Ok(Announced::Held(receipt(state, &existing)));
        }
    }
    if let Some(other) = state
        .store
        .packet_by_sequence(&m.machine_id, i64::from(m.sequence))
        .await?
        && other.rid != m.rid
    {
        return Err(sequence_reused(state));
    }
    let token = random_token();
    let record = ManifestRecord {
        rid: m.rid.clone(),
        machine_id: m.machine_id.clone(),
        token_sha256: sha256_hex(token.as_bytes()),
        signed: signed.clone(),
    };
    state.store.put_manifest(&record, clock::unix_now()).await?;
    Ok(Announced::Upload(token))
}

/// Size and upper-case hex SHA-256 of a file.
async fn digest_file(path: &std::path::Path) -> std::io::Result<(u64, String)> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize(), true)))
}

/// Verifies a complete upload against its manifest, stores it durably and records it; returns
/// the receipt. Idempotent: a finished upload, or the same packet again, gets the same receipt.
/// The caller holds the upload's lock; `digest` is the bytes' upper-case hex SHA-256 when the
/// caller hashed all of them on their way in.
pub async fn finish_upload(
    state: &AppState,
    upload: &UploadRecord,
    digest: Option<String>,
) -> Result<Receipt, AppError> {
    let _rid_guard = state.rid_locks.lock(&upload.rid).await;
    if upload.finished {
        let stored = state.store.packet(&upload.rid).await?;
        return stored.map(|p| receipt(state, &p)).ok_or_else(|| {
            AppError::not_found("PACKET_NOT_RECEIVED", "the packet of this upload is gone")
        });
    }
    let keep_until =
        clock::unix_now() + i64::try_from(state.config.upload_expiry_secs).unwrap_or(i64::MAX / 4);
    let discard = |err: AppError| async move {
        state.blobs.remove_upload(&upload.id).await?;
        state.store.delete_upload(&upload.id).await?;
        Err::<Receipt, AppError>(err)
    };
    let Some(manifest) = state.store.manifest(&upload.rid).await? else {
        return discard(AppError::not_found(
            "MANIFEST_UNKNOWN",
            "the packet's manifest is gone",
        ))
        .await;
    };
    let signed = manifest.signed;
    let (size, hash) = match digest {
        Some(hash) => (upload.length, hash),
        None => digest_file(&state.blobs.upload_path(&upload.id)).await?,
    };
    if let Err(err) = check_bytes(&signed, size, &hash) {
        return discard(refused(state, &err)).await;
    }
    let m = &signed.manifest;
    if let Some(existing) = state.store.packet(&m.rid).await? {
        if existing.packet_hash != hash {
            return discard(rid_conflict(state)).await;
        }
        if existing.state == PacketState::Resend {
            // The same bytes again, as the pipeline asked: stored anew and fed again.
            let dest = state
                .blobs
                .packet_path(&m.centre_id, &m.machine_id, &m.packet_id, &hash);
            state.blobs.commit_upload(&upload.id, &dest).await?;
            state
                .store
                .requeue_packet(&m.rid, &clock::rfc3339_now())
                .await?;
            state.outbox_ready.notify_one();
            state.store.finish_upload(&upload.id, keep_until).await?;
            state.metrics.packet_received();
            return Ok(receipt(state, &existing));
        }
        state.blobs.remove_upload(&upload.id).await?;
        state.store.finish_upload(&upload.id, keep_until).await?;
        state.metrics.packet_duplicate();
        return Ok(receipt(state, &existing));
    }
    let dest = state
        .blobs
        .packet_path(&m.centre_id, &m.machine_id, &m.packet_id, &hash);
    state.blobs.commit_upload(&upload.id, &dest).await?;
    let now = clock::rfc3339_now();
    let mut record = PacketRecord {
        seq: 0,
        rid: m.rid.clone(),
        packet_id: m.packet_id.clone(),
        machine_id: m.machine_id.clone(),
        centre_id: m.centre_id.clone(),
        sequence: i64::from(m.sequence),
        packet_hash: hash,
        size,
        received_at: now.clone(),
        state: PacketState::Received,
        state_updated_at: now,
    };
    match state
        .store
        .insert_packet(&record, m.process.as_str())
        .await?
    {
        Some(seq) => record.seq = seq,
        None => {
            // Another server instance, or another rid with this sequence, came first.
            let winner = state.store.packet(&m.rid).await?;
            state.store.delete_upload(&upload.id).await?;
            return match winner {
                Some(w) if w.packet_hash == record.packet_hash => Ok(receipt(state, &w)),
                Some(_) => {
                    state.blobs.remove_packet(&dest).await?;
                    Err(rid_conflict(state))
                }
                None => {
                    state.blobs.remove_packet(&dest).await?;
                    Err(sequence_reused(state))
                }
            };
        }
    }
    state.store.finish_upload(&upload.id, keep_until).await?;
    state.outbox_ready.notify_one();
    state.metrics.packet_received();
    tracing::info!(seq = record.seq, size, "packet received");
    Ok(receipt(state, &record))
}

/// `GET /v1/packets/{rid}/receipt`.
#[utoipa::path(get, path = "/v1/packets/{rid}/receipt", tag = "machine",
    params(("rid" = String, Path, description = "registration id")),
    responses(
        (status = 200, description = "the packet's signed receipt", body = Receipt),
        (status = 404, description = "PACKET_NOT_RECEIVED", body = ErrorBody)))]
pub async fn get_receipt(
    State(state): State<AppState>,
    PathParam(rid): PathParam,
    req: SignedRequest,
) -> Result<axum::Json<Receipt>, AppError> {
    match state.store.packet(&rid).await? {
        Some(p) if p.machine_id == req.machine.id => Ok(axum::Json(receipt(&state, &p))),
        _ => Err(AppError::not_found(
            "PACKET_NOT_RECEIVED",
            "no packet from this machine was received under this rid",
        )),
    }
}

/// `POST /v1/packets/status`: the state of each RID, in the order asked.
#[utoipa::path(post, path = "/v1/packets/status", tag = "machine",
    request_body = StatusQuery,
    responses((status = 200, description = "one status per rid, in order", body = StatusReport)))]
pub async fn status(
    State(state): State<AppState>,
    req: SignedRequest,
) -> Result<axum::Json<StatusReport>, AppError> {
    let query: StatusQuery = req.json()?;
    if query.rids.len() > MAX_STATUS_BATCH {
        return Err(AppError::bad_request(
            "BATCH_TOO_LARGE",
            format!("at most {MAX_STATUS_BATCH} rids per query"),
        ));
    }
    let mine = |machine: &str| machine == req.machine.id;
    let packets = state.store.packets(&query.rids).await?;
    let pending = state.store.pending_rids(&query.rids).await?;
    let statuses = query
        .rids
        .iter()
        .map(|rid| {
            if let Some(p) = packets
                .iter()
                .find(|p| &p.rid == rid && mine(&p.machine_id))
            {
                PacketStatus {
                    rid: rid.clone(),
                    state: p.state,
                    updated_at: Some(p.state_updated_at.clone()),
                }
            } else if pending.iter().any(|(r, m)| r == rid && mine(m)) {
                PacketStatus {
                    rid: rid.clone(),
                    state: PacketState::UploadPending,
                    updated_at: None,
                }
            } else {
                PacketStatus {
                    rid: rid.clone(),
                    state: PacketState::Unknown,
                    updated_at: None,
                }
            }
        })
        .collect();
    Ok(axum::Json(StatusReport { statuses }))
}

/// `GET /v1/server-key`: the key that signs receipts and publications.
#[utoipa::path(get, path = "/v1/server-key", tag = "service",
    responses((status = 200, description = "the key that signs receipts and publications", body = ServerKeyBody)))]
pub async fn server_key(State(state): State<AppState>) -> axum::Json<ServerKeyBody> {
    axum::Json(ServerKeyBody {
        algorithm: "Ed25519".into(),
        public_key: state.key.public_key_b64(),
    })
}
