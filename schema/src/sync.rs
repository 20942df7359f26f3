//! Sync API wire types (client ⇄ server under `/v1`): machine request signing, onboarding, master
//! data, packet intake, receipts and status.
//!
//! Every machine request carries four headers; the signature covers a canonical string built by
//! [`signing_string`], so client and server cannot disagree on what was signed.

use serde::{Deserialize, Serialize};

/// Header naming the machine (5-digit MOSIP machine id).
pub const HEADER_MACHINE: &str = "x-enrol-machine";
/// Header with the request time, RFC 3339 UTC; the server accepts ±5 minutes.
pub const HEADER_TIMESTAMP: &str = "x-enrol-timestamp";
/// Header with a random, single-use value (replay protection within the time window).
pub const HEADER_NONCE: &str = "x-enrol-nonce";
/// Header with the URL-safe base64 (no padding) SHA256withRSA signature by the machine key.
pub const HEADER_SIGNATURE: &str = "x-enrol-signature";

/// Accepted clock difference between a machine and the server, in seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// The canonical string a machine signs for one request. `path_and_query` is the request target
/// exactly as sent; `body_sha256_hex` is the lowercase hex SHA-256 of the body (of the empty
/// string when there is none).
pub fn signing_string(
    method: &str,
    path_and_query: &str,
    body_sha256_hex: &str,
    timestamp: &str,
    nonce: &str,
    machine_id: &str,
) -> String {
    format!(
        "ENROL-REQUEST-V1\n{}\n{path_and_query}\n{body_sha256_hex}\n{timestamp}\n{nonce}\n{machine_id}",
        method.to_ascii_uppercase()
    )
}

/// Header carrying a completed packet's receipt on tus responses (URL-safe base64 of the
/// receipt's JSON).
pub const HEADER_RECEIPT: &str = "x-enrol-receipt";

/// The error body of every failed request: a stable machine-readable code and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Stable upper-case code, e.g. `SIGNATURE_INVALID`.
    pub code: String,
    pub message: String,
    /// The server's clock (RFC 3339 UTC) on time-window errors, so a client can detect skew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time: Option<String>,
}

/// Answer to `POST /v1/packets` (the signed manifest, sent before the bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PacketIntake {
    /// Single-use credential for creating the tus upload of this packet (`Authorization:
    /// Bearer <token>` or Upload-Metadata `token`); absent when the packet is already received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_token: Option<String>,
    /// Where to create the upload (`/v1/uploads`).
    pub upload_endpoint: String,
    /// Present when the same packet was already received: nothing more to upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
}

/// Version tag of the receipt's canonical signing form.
pub const RECEIPT_VERSION: &str = "enrol-receipt-1";

/// The server's signed statement that a packet's bytes are durably stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub rid: String,
    pub packet_id: String,
    pub machine_id: String,
    /// Uppercase hex SHA-256 of the stored packet file.
    pub packet_hash: String,
    pub size: u64,
    /// RFC 3339 UTC.
    pub received_at: String,
    /// The server's intake sequence number (strictly increasing per server database).
    pub sequence: u64,
    /// URL-safe base64 (no padding) Ed25519 signature by the server key over [`Receipt::signing_bytes`].
    pub signature: String,
}

impl Receipt {
    /// The exact bytes the server signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        format!(
            "{RECEIPT_VERSION}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.rid,
            self.packet_id,
            self.machine_id,
            self.packet_hash,
            self.size,
            self.received_at,
            self.sequence
        )
        .into_bytes()
    }
}

/// Where a packet stands, as the server knows it (MOSIP's external status codes where they exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PacketState {
    /// The server knows nothing of this RID (from this machine).
    Unknown,
    /// The manifest was accepted; the bytes have not arrived yet.
    UploadPending,
    /// The bytes are stored and a receipt was issued.
    Received,
    /// The pipeline accepted the packet.
    Accepted,
    /// The pipeline is processing the packet.
    Processing,
    /// The pipeline finished processing the packet.
    Processed,
    /// The pipeline asks for the packet to be uploaded again.
    Resend,
    /// The pipeline asks for the resident to be registered again.
    Reregister,
    /// The pipeline rejected the packet.
    Rejected,
}

/// Body of `POST /v1/packets/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusQuery {
    /// At most [`MAX_STATUS_BATCH`] RIDs.
    pub rids: Vec<String>,
}

/// Most RIDs accepted in one status query.
pub const MAX_STATUS_BATCH: usize = 500;

/// One RID's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PacketStatus {
    pub rid: String,
    pub state: PacketState,
    /// When the state last changed (RFC 3339 UTC), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// Answer to `POST /v1/packets/status`, in the order asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub statuses: Vec<PacketStatus>,
}

/// Body of `POST /v1/operators/login` (first, online login on a machine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub user_id: String,
    pub password: String,
}

/// An operator as a centre's machines see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Operator {
    pub user_id: String,
    pub name: String,
    pub centre_id: String,
    /// `operator`, `supervisor`, `administrator`.
    pub roles: Vec<String>,
    pub active: bool,
    /// Argon2id PHC verifier of the operator's password, for active operators in the centre's
    /// list only (a machine prepares the operator's first login from it); never in a login answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_verifier: Option<String>,
}

/// Version tag of the operator list's canonical signing form.
pub const OPERATOR_LIST_VERSION: &str = "enrol-operators-1";

/// Answer to `GET /v1/operators`: every operator of the calling machine's centre, signed by the
/// server for that machine at `issued_at`, so the machine can refuse a forged or replayed list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OperatorList {
    /// The machine the list was issued to.
    pub machine_id: String,
    pub centre_id: String,
    /// RFC 3339 UTC; a machine refuses a list issued before the last one it applied.
    pub issued_at: String,
    pub operators: Vec<Operator>,
    /// URL-safe base64 (no padding) Ed25519 signature by the server key over
    /// [`OperatorList::signing_bytes`].
    pub signature: String,
}

impl OperatorList {
    /// The exact bytes the server signs: a header, then one JSON array per operator (JSON
    /// strings escape line breaks, so no field can forge a line).
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut text = format!(
            "{OPERATOR_LIST_VERSION}\n{}\n{}\n{}\n",
            self.machine_id, self.centre_id, self.issued_at
        );
        for op in &self.operators {
            let fields = (
                &op.user_id,
                &op.name,
                &op.centre_id,
                &op.roles,
                op.active,
                &op.password_verifier,
            );
            text.push_str(&serde_json::to_string(&fields).unwrap_or_default());
            text.push('\n');
        }
        text.into_bytes()
    }
}

/// Body of `POST /v1/machines/onboard`: a machine created by an administrator presents the
/// one-time onboarding code it was given, its new public key and its first supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OnboardRequest {
    /// 5-digit machine id.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{5}$"))]
    pub machine_id: String,
    /// The onboarding code (case and dashes are ignored).
    #[cfg_attr(feature = "openapi", schema(pattern = "\\S"))]
    pub code: String,
    /// The machine's RSA public key, PEM (SPKI or PKCS#1), 2048 to 4096 bits.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "-----BEGIN (RSA )?PUBLIC KEY-----")
    )]
    pub public_key_pem: String,
    /// The supervisor or administrator installing the machine.
    pub supervisor: LoginRequest,
}

/// Version tag of a publication's canonical signing form.
pub const PUBLICATION_VERSION: &str = "enrol-publication-1";

/// One published, versioned document (identity schema, UI spec, master data, pipeline
/// certificate, trusted device CA), signed by the server so a machine can verify it offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Publication {
    /// Position in the server's publication log; deltas are asked with `since=<cursor>`.
    pub cursor: u64,
    /// `identity-schema`, `ui-spec`, `master-data`, `pipeline-certificate`, `device-ca`.
    pub kind: String,
    /// Name within the kind (e.g. the UI spec's process, the master-data table).
    pub name: String,
    /// Version of this (kind, name), starting at 1.
    pub version: u64,
    /// RFC 3339 UTC.
    pub published_at: String,
    /// The document exactly as published (JSON text, or PEM for certificates).
    pub content: String,
    /// URL-safe base64 (no padding) Ed25519 signature by the server key over [`Publication::signing_bytes`].
    pub signature: String,
}

impl Publication {
    /// The exact bytes the server signs; the content enters through its SHA-256, which the caller
    /// computes over `content`'s UTF-8 bytes and passes as lowercase hex.
    pub fn signing_bytes_for(&self, content_sha256_hex: &str) -> Vec<u8> {
        format!(
            "{PUBLICATION_VERSION}\n{}\n{}\n{}\n{}\n{}\n{content_sha256_hex}\n",
            self.cursor, self.kind, self.name, self.version, self.published_at
        )
        .into_bytes()
    }
}

/// Answer to `GET /v1/publications?since=<cursor>`: everything published after the cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PublicationDelta {
    pub publications: Vec<Publication>,
    /// Pass this as `since` next time.
    pub cursor: u64,
}

/// The server's public signing key (receipts, publications), `GET /v1/server-key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServerKey {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// URL-safe base64 (no padding) of the 32-byte public key.
    pub public_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_string_binds_every_part() {
        let base = signing_string("post", "/v1/packets", "ab", "t", "n", "10077");
        assert_eq!(base, "ENROL-REQUEST-V1\nPOST\n/v1/packets\nab\nt\nn\n10077");
        for other in [
            signing_string("GET", "/v1/packets", "ab", "t", "n", "10077"),
            signing_string("POST", "/v1/packets?x=1", "ab", "t", "n", "10077"),
            signing_string("POST", "/v1/packets", "ac", "t", "n", "10077"),
            signing_string("POST", "/v1/packets", "ab", "u", "n", "10077"),
            signing_string("POST", "/v1/packets", "ab", "t", "m", "10077"),
            signing_string("POST", "/v1/packets", "ab", "t", "n", "10078"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn operator_list_signing_bytes_bind_every_field() {
        let operator = Operator {
            user_id: "asha".into(),
            name: "Asha\nbob".into(),
            centre_id: "10001".into(),
            roles: vec!["operator".into()],
            active: true,
            password_verifier: Some("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA".into()),
        };
        let list = OperatorList {
            machine_id: "10011".into(),
            centre_id: "10001".into(),
            issued_at: "2026-11-28T12:00:00Z".into(),
            operators: vec![operator],
            signature: String::new(),
        };
        let base = list.signing_bytes();
        let text = String::from_utf8(base.clone()).unwrap();
        assert_eq!(
            text.lines().count(),
            5,
            "a line break in a name stays escaped"
        );
        let changes: [fn(&mut OperatorList); 7] = [
            |l| l.machine_id = "10012".into(),
            |l| l.issued_at = "2026-11-28T12:00:01Z".into(),
            |l| l.operators[0].user_id = "asha2".into(),
            |l| l.operators[0].roles.push("supervisor".into()),
            |l| l.operators[0].active = false,
            |l| l.operators[0].password_verifier = None,
            |l| l.operators.clear(),
        ];
        for change in changes {
            let mut other = list.clone();
            change(&mut other);
            assert_ne!(other.signing_bytes(), base);
        }
    }
}
