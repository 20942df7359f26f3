//! tus 1.0 resumable uploads at `/v1/uploads`: core (HEAD, PATCH), creation, checksum (sha256),
//! termination and expiration. The offset of an upload is the durable length of its staging
//! file: every PATCH is fsynced before it is answered, so offsets survive a crash.
//!
//! Creating an upload needs the single-use token returned by `POST /v1/packets` (as
//! `Authorization: Bearer <token>` or Upload-Metadata `token`); after that the upload URL itself,
//! 256 random bits, is the credential, so any tus client can resume it.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use enrol_schema::sync::{ErrorBody, HEADER_RECEIPT, Receipt};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::crypto::{b64url, random_token, sha256_hex};
use crate::error::{AppError, PathParam};
use crate::store::UploadRecord;
use crate::{AppState, clock, packets};

pub const TUS_VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,checksum,termination,expiration";
/// How long a PATCH may stall between two chunks before it is cut (releasing the upload).
const CHUNK_IDLE: Duration = Duration::from_secs(30);
/// Bytes gathered before each write to the staging file.
const WRITE_BUFFER: usize = 256 * 1024;

/// tus's status for a checksum mismatch.
fn checksum_mismatch() -> StatusCode {
    StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST)
}

fn tus_headers(headers: &mut HeaderMap) {
    headers.insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn set(headers: &mut HeaderMap, name: &'static str, value: impl ToString) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// A tus response: status, tus headers and any extras.
fn tus_response(status: StatusCode, extra: impl FnOnce(&mut HeaderMap)) -> Response {
    let mut response = status.into_response();
    tus_headers(response.headers_mut());
    extra(response.headers_mut());
    response
}

/// Adds the tus headers to an error as well, so tus clients recognise the server.
fn tus_error(err: AppError) -> Response {
    let mut response = err.into_response();
    tus_headers(response.headers_mut());
    response
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Tus-Resumable`: 1.0.0 goes on; another version is 412 (tus 1.0), and a missing or
/// malformed header is a bad request.
fn check_version(headers: &HeaderMap) -> Result<(), AppError> {
    let is_version = |v: &str| {
        let parts: Vec<&str> = v.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    match header_str(headers, "tus-resumable") {
        Some(TUS_VERSION) => Ok(()),
        Some(other) if is_version(other) => Err(AppError::new(
            StatusCode::PRECONDITION_FAILED,
            "TUS_VERSION_UNSUPPORTED",
            "this server speaks tus 1.0.0 only",
        )),
        _ => Err(AppError::bad_request(
            "TUS_VERSION_REQUIRED",
            "Tus-Resumable: 1.0.0 is required",
        )),
    }
}

/// Parses `Upload-Metadata` (`key base64value` pairs separated by commas).
fn parse_metadata(raw: &str) -> Result<Vec<(String, String)>, AppError> {
    let invalid =
        || AppError::bad_request("UPLOAD_METADATA_INVALID", "Upload-Metadata is malformed");
    raw.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, ' ');
            let key = parts.next().filter(|k| !k.is_empty()).ok_or_else(invalid)?;
            let value = match parts.next() {
                Some(encoded) => STANDARD
                    .decode(encoded.trim())
                    .ok()
                    .and_then(|v| String::from_utf8(v).ok())
                    .ok_or_else(invalid)?,
                None => String::new(),
            };
            Ok((key.to_owned(), value))
        })
        .collect()
}

/// Upload ids are the URL-safe base64 of 32 random bytes; anything else is not ours.
fn valid_id(id: &str) -> bool {
    id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn not_found() -> AppError {
    AppError::not_found(
        "UPLOAD_NOT_FOUND",
        "no such upload (unknown, terminated or expired)",
    )
}

/// The live (unexpired) upload with this id.
async fn live_upload(state: &AppState, id: &str) -> Result<UploadRecord, AppError> {
    if !valid_id(id) {
        return Err(not_found());
    }
    match state.store.upload(id).await? {
        Some(upload) if upload.expires_at >= clock::unix_now() => Ok(upload),
        _ => Err(not_found()),
    }
}

/// `OPTIONS /v1/uploads[/{id}]`: what this server supports.
#[utoipa::path(options, path = "/v1/uploads", tag = "tus",
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm headers")))]
pub async fn options(State(state): State<AppState>) -> Response {
    tus_response(StatusCode::NO_CONTENT, |h| {
        set(h, "tus-version", TUS_VERSION);
        set(h, "tus-extension", EXTENSIONS);
        set(h, "tus-max-size", state.config.max_packet_size);
        set(h, "tus-checksum-algorithm", "sha256");
    })
}

/// `POST /v1/uploads` (creation).
#[utoipa::path(post, path = "/v1/uploads", tag = "tus",
    params(
        ("Tus-Resumable" = crate::openapi::TusResumable, Header, description = "the tus version: 1.0.0"),
        ("Upload-Length" = u64, Header, description = "the packet size declared in its manifest"),
        ("Upload-Metadata" = String, Header, description = "rid, packetId and (or Authorization: Bearer) token, base64"),
        ("Authorization" = Option<String>, Header, description = "Bearer <upload token>")),
    responses(
        (status = 201, description = "created: Location, Upload-Expires"),
        (status = 400, description = "TUS_VERSION_REQUIRED, UPLOAD_LENGTH_REQUIRED, UPLOAD_METADATA_INVALID, PACKET_SIZE_MISMATCH, PACKET_ID_MISMATCH", body = ErrorBody),
        (status = 403, description = "UPLOAD_TOKEN_INVALID", body = ErrorBody),
        (status = 404, description = "MANIFEST_UNKNOWN", body = ErrorBody),
        (status = 412, description = "TUS_VERSION_UNSUPPORTED", body = ErrorBody),
        (status = 413, description = "PACKET_TOO_LARGE", body = ErrorBody)))]
pub async fn create(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match create_inner(&state, &headers).await {
        Ok(response) => response,
        Err(err) => tus_error(err),
    }
}

async fn create_inner(state: &AppState, headers: &HeaderMap) -> Result<Response, AppError> {
    check_version(headers)?;
    if headers.contains_key("upload-defer-length") {
        return Err(AppError::bad_request(
            "UPLOAD_LENGTH_REQUIRED",
            "deferred lengths are not supported: send Upload-Length",
        ));
    }
    let length: u64 = header_str(headers, "upload-length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            AppError::bad_request(
                "UPLOAD_LENGTH_REQUIRED",
                "Upload-Length must be a byte count",
            )
        })?;
    if length > state.config.max_packet_size {
        return Err(too_large(state));
    }
    let raw_metadata = header_str(headers, "upload-metadata").unwrap_or_default();
    let metadata = parse_metadata(raw_metadata)?;
    let meta = |key: &str| {
        metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let rid = meta("rid").ok_or_else(|| {
        AppError::bad_request(
            "UPLOAD_METADATA_INVALID",
            "Upload-Metadata must carry the rid",
        )
    })?;
    let token = header_str(headers, "authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| meta("token"))
        .unwrap_or_default();
    let manifest = state.store.manifest(rid).await?.ok_or_else(|| {
        AppError::not_found(
            "MANIFEST_UNKNOWN",
            "send the packet manifest (POST /v1/packets) first",
        )
    })?;
    if !crate::crypto::constant_time_eq(
        sha256_hex(token.as_bytes()).as_bytes(),
        manifest.token_sha256.as_bytes(),
    ) {
        state.metrics.verification_failure("UPLOAD_TOKEN_INVALID");
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "UPLOAD_TOKEN_INVALID",
            "the upload token does not match the packet's latest manifest",
        ));
    }
    let declared = &manifest.signed.manifest;
    if meta("packetId").is_some_and(|id| id != declared.packet_id) {
        return Err(AppError::bad_request(
            "PACKET_ID_MISMATCH",
            "packetId differs from the manifest's",
        ));
    }
    if length != declared.size {
        return Err(AppError::bad_request(
            "PACKET_SIZE_MISMATCH",
            format!(
                "Upload-Length must be the manifest's size ({})",
                declared.size
            ),
        ));
    }
    let id = random_token();
    let expires_at = clock::unix_now() + expiry_secs(state);
    state.blobs.create_upload(&id).await?;
    state
        .store
        .insert_upload(&UploadRecord {
            id: id.clone(),
            rid: rid.to_owned(),
            length,
            metadata: raw_metadata.to_owned(),
            expires_at,
            finished: false,
        })
        .await?;
    Ok(tus_response(StatusCode::CREATED, |h| {
        set(h, "location", format!("/v1/uploads/{id}"));
        set(h, "upload-expires", clock::http_date(expires_at));
        set(h, "upload-offset", 0);
    }))
}

fn expiry_secs(state: &AppState) -> i64 {
    i64::try_from(state.config.upload_expiry_secs).unwrap_or(i64::MAX / 4)
}

fn too_large(state: &AppState) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PACKET_TOO_LARGE",
        format!(
            "packets are limited to {} bytes",
            state.config.max_packet_size
        ),
    )
}

/// The current offset: the length for a finished upload, else the staging file's length.
async fn offset_of(state: &AppState, upload: &UploadRecord) -> Result<u64, AppError> {
    if upload.finished {
        return Ok(upload.length);
    }
    state
        .blobs
        .upload_len(&upload.id)
        .await?
        .ok_or_else(not_found)
}

fn receipt_header(h: &mut HeaderMap, receipt: &Receipt) {
    if let Ok(json) = serde_json::to_vec(receipt) {
        set(h, HEADER_RECEIPT, b64url(&json));
    }
}

/// `HEAD /v1/uploads/{id}`: the offset to resume from; the receipt once finished.
#[utoipa::path(head, path = "/v1/uploads/{id}", tag = "tus",
    params(("id" = String, Path, description = "upload id")),
    responses(
        (status = 200, description = "Upload-Offset, Upload-Length, Upload-Expires; x-enrol-receipt once finished"),
        (status = 404, description = "no such upload"),
        (status = 409, description = "the finished upload's packet conflicts with a received one"),
        (status = 422, description = "the finished upload failed verification and was discarded")))]
pub async fn head(State(state): State<AppState>, PathParam(id): PathParam) -> Response {
    match head_inner(&state, &id).await {
        Ok(response) => response,
        // HEAD answers carry no body: status and headers only.
        Err(err) => tus_response(err.status, |h| set(h, "x-enrol-error", err.code)),
    }
}

async fn head_inner(state: &AppState, id: &str) -> Result<Response, AppError> {
    let (upload, offset, receipt) = progress(state, id).await?;
    Ok(tus_response(StatusCode::OK, |h| {
        set(h, "upload-offset", offset);
        set(h, "upload-length", upload.length);
        set(h, "upload-expires", clock::http_date(upload.expires_at));
        if !upload.metadata.is_empty() {
            set(h, "upload-metadata", &upload.metadata);
        }
        if let Some(receipt) = &receipt {
            receipt_header(h, receipt);
        }
    }))
}

/// An upload's state once no PATCH is writing it, finishing it first when all its bytes are
/// there (after a crash between the last fsync and the move, or a lost answer).
async fn progress(
    state: &AppState,
    id: &str,
) -> Result<(UploadRecord, u64, Option<Receipt>), AppError> {
    live_upload(state, id).await?;
    // Waiting for a PATCH in flight means the offset told is always a durable (fsynced) one.
    let _guard = state.upload_locks.lock(id).await;
    let upload = live_upload(state, id).await?;
    let offset = offset_of(state, &upload).await?;
    if offset < upload.length {
        return Ok((upload, offset, None));
    }
    let receipt = packets::finish_upload(state, &upload, None).await?;
    Ok((upload, offset, Some(receipt)))
}

/// An upload's progress as `GET /v1/uploads/{id}` shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct UploadProgress {
    pub offset: u64,
    pub length: u64,
    /// Present once the packet is verified and stored.
    pub receipt: Option<Receipt>,
}

/// `GET /v1/uploads/{id}`: the upload's progress as JSON, with the receipt once finished.
#[utoipa::path(get, path = "/v1/uploads/{id}", tag = "tus",
    params(("id" = String, Path, description = "upload id")),
    responses(
        (status = 200, description = "offset, length and the receipt once finished", body = UploadProgress),
        (status = 404, description = "UPLOAD_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "RID_CONFLICT, SEQUENCE_REUSED", body = ErrorBody),
        (status = 422, description = "the finished upload failed verification and was discarded", body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, PathParam(id): PathParam) -> Response {
    match progress(&state, &id).await {
        Ok((upload, offset, receipt)) => {
            let body = UploadProgress {
                offset,
                length: upload.length,
                receipt,
            };
            let mut response = axum::Json(body).into_response();
            tus_headers(response.headers_mut());
            response
        }
        Err(err) => tus_error(err),
    }
}

/// `DELETE /v1/uploads/{id}` (termination).
#[utoipa::path(delete, path = "/v1/uploads/{id}", tag = "tus",
    params(("id" = String, Path, description = "upload id"), ("Tus-Resumable" = crate::openapi::TusResumable, Header, description = "the tus version: 1.0.0")),
    responses(
        (status = 204, description = "terminated"),
        (status = 404, description = "UPLOAD_NOT_FOUND", body = ErrorBody),
        (status = 400, description = "TUS_VERSION_REQUIRED", body = ErrorBody),
        (status = 412, description = "TUS_VERSION_UNSUPPORTED", body = ErrorBody),
        (status = 423, description = "UPLOAD_LOCKED", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    PathParam(id): PathParam,
    headers: HeaderMap,
) -> Response {
    let result = async {
        check_version(&headers)?;
        let upload = live_upload(&state, &id).await?;
        let _guard = state.upload_locks.try_lock(&id).ok_or_else(locked)?;
        if !upload.finished {
            state.blobs.remove_upload(&id).await?;
        }
        state.store.delete_upload(&id).await?;
        Ok::<_, AppError>(tus_response(StatusCode::NO_CONTENT, |_| {}))
    }
    .await;
    result.unwrap_or_else(tus_error)
}

fn locked() -> AppError {
    AppError::new(
        StatusCode::LOCKED,
        "UPLOAD_LOCKED",
        "another request is writing this upload; retry shortly",
    )
}

/// The expected digest of a PATCH body (`Upload-Checksum: sha256 <base64>`).
fn parse_checksum(headers: &HeaderMap) -> Result<Option<Vec<u8>>, AppError> {
    let Some(raw) = header_str(headers, "upload-checksum") else {
        return Ok(None);
    };
    let (algorithm, digest) = raw.trim().split_once(' ').unwrap_or((raw, ""));
    if !algorithm.eq_ignore_ascii_case("sha256") {
        return Err(AppError::bad_request(
            "CHECKSUM_ALGORITHM_UNSUPPORTED",
            "only sha256 checksums are supported",
        ));
    }
    STANDARD
        .decode(digest.trim())
        .ok()
        .filter(|d| d.len() == 32)
        .map(Some)
        .ok_or_else(|| {
            AppError::bad_request(
                "CHECKSUM_INVALID",
                "Upload-Checksum must be sha256 <base64 digest>",
            )
        })
}

/// `PATCH /v1/uploads/{id}`: appends bytes at the current offset.
#[utoipa::path(patch, path = "/v1/uploads/{id}", tag = "tus",
    params(
        ("id" = String, Path, description = "upload id"),
        ("Tus-Resumable" = crate::openapi::TusResumable, Header, description = "the tus version: 1.0.0"),
        ("Upload-Offset" = u64, Header, description = "the current offset (from HEAD)"),
        ("Upload-Checksum" = Option<String>, Header, description = "sha256 <base64 digest of this body>")),
    request_body(content = crate::openapi::PacketBytes, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "appended: Upload-Offset; x-enrol-receipt when the packet is complete"),
        (status = 400, description = "TUS_VERSION_REQUIRED, UPLOAD_OFFSET_REQUIRED, CHECKSUM_INVALID, CHECKSUM_ALGORITHM_UNSUPPORTED, BODY_INTERRUPTED", body = ErrorBody),
        (status = 404, description = "UPLOAD_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "UPLOAD_OFFSET_MISMATCH, RID_CONFLICT, SEQUENCE_REUSED", body = ErrorBody),
        (status = 412, description = "TUS_VERSION_UNSUPPORTED", body = ErrorBody),
        (status = 413, description = "UPLOAD_TOO_LARGE", body = ErrorBody),
        (status = 415, description = "CONTENT_TYPE_INVALID", body = ErrorBody),
        (status = 422, description = "the complete packet failed verification (PACKET_HASH_MISMATCH, ...)", body = ErrorBody),
        (status = 423, description = "UPLOAD_LOCKED", body = ErrorBody),
        (status = 460, description = "CHECKSUM_MISMATCH", body = ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    PathParam(id): PathParam,
    request: Request,
) -> Response {
    // The append runs in its own task: hyper drops a handler whose client hung up, and the
    // bytes that arrived before the cut must still be flushed and fsynced for the resume.
    let task = tokio::spawn(async move { patch_inner(&state, &id, request).await });
    match task.await {
        Ok(Ok(response)) => response,
        Ok(Err(err)) => tus_error(err),
        Err(join) => {
            tracing::error!(error = %join, "upload append task failed");
            tus_error(AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "the upload could not be processed; retry from HEAD's offset",
            ))
        }
    }
}

async fn patch_inner(state: &AppState, id: &str, request: Request) -> Result<Response, AppError> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    check_version(headers)?;
    if header_str(headers, "content-type") != Some("application/offset+octet-stream") {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "CONTENT_TYPE_INVALID",
            "PATCH bodies must be application/offset+octet-stream",
        ));
    }
    let claimed: u64 = header_str(headers, "upload-offset")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            AppError::bad_request(
                "UPLOAD_OFFSET_REQUIRED",
                "Upload-Offset must be a byte count",
            )
        })?;
    let expected = parse_checksum(headers)?;
    let upload = live_upload(state, id).await?;
    let guard = state.upload_locks.try_lock(id).ok_or_else(locked)?;
    let upload = state
        .store
        .upload(&upload.id)
        .await?
        .ok_or_else(not_found)?;
    let offset = offset_of(state, &upload).await?;
    if claimed != offset {
        return Err(AppError::conflict(
            "UPLOAD_OFFSET_MISMATCH",
            format!("the upload is at offset {offset}"),
        ));
    }
    let (written, digest) = if upload.finished {
        (0, None)
    } else {
        let (written, digest) = append(state, &upload, offset, body, expected).await?;
        (written, Some(digest))
    };
    let new_offset = offset + written;
    // A packet sent whole in this request was hashed on the way in: no need to read it back.
    let whole = digest.filter(|_| offset == 0 && new_offset == upload.length);
    let expires_at = clock::unix_now() + expiry_secs(state);
    let receipt = if new_offset == upload.length {
        let receipt = packets::finish_upload(state, &upload, whole).await?;
        Some(receipt)
    } else {
        state.store.extend_upload(id, expires_at).await?;
        None
    };
    drop(guard);
    Ok(tus_response(StatusCode::NO_CONTENT, |h| {
        set(h, "upload-offset", new_offset);
        set(h, "upload-expires", clock::http_date(expires_at));
        if let Some(receipt) = &receipt {
            receipt_header(h, receipt);
        }
    }))
}

/// Streams `body` onto the staging file at `offset`, fsyncs, and returns the bytes appended
/// and their upper-case hex SHA-256. With a checksum, a mismatch or an interruption rolls the
/// file back to `offset`; without one, the bytes that arrived before an interruption are kept
/// (and fsynced) for the resume.
async fn append(
    state: &AppState,
    upload: &UploadRecord,
    offset: u64,
    body: Body,
    expected: Option<Vec<u8>>,
) -> Result<(u64, String), AppError> {
    let path = state.blobs.upload_path(&upload.id);
    let file = tokio::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .await?;
    let mut file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
    let room = upload.length - offset;
    let mut hasher = Sha256::new();
    let mut written: u64 = 0;
    let mut body = body;
    let outcome: Result<(), AppError> = loop {
        let frame = match tokio::time::timeout(CHUNK_IDLE, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            Ok(None) => break Ok(()),
            Ok(Some(Err(_))) | Err(_) => {
                break Err(AppError::bad_request(
                    "BODY_INTERRUPTED",
                    "the request body was cut off",
                ));
            }
        };
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        let len = chunk.len() as u64;
        if written + len > room {
            break Err(AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "UPLOAD_TOO_LARGE",
                format!("the body goes past Upload-Length ({})", upload.length),
            ));
        }
        if let Err(err) = file.write_all(&chunk).await {
            break Err(err.into());
        }
        hasher.update(&chunk);
        written += len;
    };
    // Without a checksum, a cut-off body still moved the upload forward.
    let keep_partial =
        expected.is_none() && matches!(&outcome, Err(err) if err.code == "BODY_INTERRUPTED");
    let digest = hasher.finalize();
    let mismatch = expected.is_some_and(|want| want.as_slice() != digest.as_slice());
    let outcome = outcome.and_then(|()| {
        if mismatch {
            state.metrics.verification_failure("CHECKSUM_MISMATCH");
            Err(AppError::new(
                checksum_mismatch(),
                "CHECKSUM_MISMATCH",
                "the body's sha256 differs from Upload-Checksum",
            ))
        } else {
            Ok(())
        }
    });
    if outcome.is_ok() || keep_partial {
        file.flush().await?;
        file.get_ref().sync_data().await?;
        if offset == 0 && written > 0 && written < upload.length {
            // The staging file's name must outlive a crash once it holds bytes to resume from.
            state.blobs.sync_uploads_dir().await?;
        }
        state.metrics.upload_bytes(written);
    } else {
        // Unflushed bytes die with the buffer; flushed ones are cut off.
        file.get_ref().set_len(offset).await?;
        file.get_ref().sync_data().await?;
    }
    outcome.map(|()| (written, crate::crypto::hex(&digest, true)))
}
