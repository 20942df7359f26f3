//! The pure core of packet sync: the per-packet state machine, backoff with jitter, chunk sizing
//! from measured throughput, clock-skew detection and receipt verification. No I/O here.

use std::time::Duration;

use enrol_schema::packet::PacketManifest;
use enrol_schema::sync::{MAX_CLOCK_SKEW_SECS, PacketIntake, Receipt};

use super::SyncError;

/// Where one decided packet stands in its upload. A packet without a sync record is `Approved`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Nothing sent yet (or the server forgot the upload): announce the manifest first.
    Approved,
    /// The server accepted the manifest and handed out a single-use upload token.
    MetaSent { token: String },
    /// The tus upload exists; `offset` bytes are known to be on the server.
    Uploading { url: String, offset: u64 },
    /// The server's receipt, verified, is stored: nothing more to send.
    Received { receipt: Receipt },
}

/// What the server answered, as far as the state machine cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `POST /v1/packets` answered.
    Announced(PacketIntake),
    /// The tus upload was created at `url`.
    Created { url: String },
    /// The server holds `offset` bytes (a PATCH answer or a HEAD after a failure).
    Offset(u64),
    /// The upload's token or URL is no longer valid (used, expired, swept): start over.
    Forgotten,
    /// A verified receipt arrived.
    Receipted(Receipt),
}

impl Phase {
    /// The phase after `event`; events that do not apply to the phase leave it unchanged.
    pub fn after(self, event: Event) -> Phase {
        match (self, event) {
            (_, Event::Receipted(receipt)) => Phase::Received { receipt },
            (Phase::Received { receipt }, _) => Phase::Received { receipt },
            (_, Event::Forgotten) => Phase::Approved,
            (Phase::Approved, Event::Announced(intake)) => {
                match (intake.receipt, intake.upload_token) {
                    (Some(receipt), _) => Phase::Received { receipt },
                    (None, Some(token)) => Phase::MetaSent { token },
                    (None, None) => Phase::Approved,
                }
            }
            (Phase::MetaSent { .. }, Event::Created { url }) => Phase::Uploading { url, offset: 0 },
            (Phase::Uploading { url, .. }, Event::Offset(offset)) => {
                Phase::Uploading { url, offset }
            }
            (phase, _) => phase,
        }
    }

    /// The stable name stored and shown (`enrol status`).
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Approved => "APPROVED",
            Phase::MetaSent { .. } => "META_SENT",
            Phase::Uploading { .. } => "UPLOADING",
            Phase::Received { .. } => "RECEIVED",
        }
    }
}

/// First retry delay.
pub const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// Longest retry delay.
pub const BACKOFF_CAP: Duration = Duration::from_secs(60);

/// The delay before retry number `attempt` (0 for the first retry): exponential from
/// [`BACKOFF_BASE`] up to [`BACKOFF_CAP`], then "equal jitter": half fixed, half scaled by
/// `jitter` in `[0, 1)`, so machines that failed together do not retry together.
pub fn backoff_delay(attempt: u32, jitter: f64) -> Duration {
    let exponential = BACKOFF_BASE
        .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
        .min(BACKOFF_CAP);
    let half = exponential / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// Smallest PATCH body.
pub const MIN_CHUNK: usize = 16 * 1024;
/// Largest PATCH body.
pub const MAX_CHUNK: usize = 4 * 1024 * 1024;
/// The first PATCH body, before anything was measured.
pub const FIRST_CHUNK: usize = 256 * 1024;
/// How long one PATCH should take: long enough to amortise a request, short enough that a cut
/// connection loses little.
pub const CHUNK_TARGET: Duration = Duration::from_secs(2);

/// The next chunk size after `sent` bytes took `elapsed`: what the measured rate moves in
/// [`CHUNK_TARGET`], changed at most twofold per step and kept within [`MIN_CHUNK`, `MAX_CHUNK`].
pub fn next_chunk_size(current: usize, sent: usize, elapsed: Duration) -> usize {
    let seconds = elapsed.as_secs_f64().max(0.001);
    let ideal = (sent as f64 / seconds * CHUNK_TARGET.as_secs_f64()) as usize;
    ideal
        .clamp(current / 2, current.saturating_mul(2))
        .clamp(MIN_CHUNK, MAX_CHUNK)
}

/// How far the local clock is ahead of the server's (negative: behind), when the difference is
/// beyond what the server accepts; `None` when the clocks agree well enough or the server's time
/// is unreadable.
pub fn clock_skew(local_unix: i64, server_time: &str) -> Option<i64> {
    let server =
        time::OffsetDateTime::parse(server_time, &time::format_description::well_known::Rfc3339)
            .ok()?
            .unix_timestamp();
    let skew = local_unix - server;
    (skew.abs() > MAX_CLOCK_SKEW_SECS).then_some(skew)
}

/// Whether `signature` (URL-safe base64) is the server key's Ed25519 signature of `message`
/// (receipts, publications, operator lists).
pub fn server_signed(server_key: &[u8], message: &[u8], signature: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .is_ok_and(|signature| {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, server_key)
                .verify(message, &signature)
                .is_ok()
        })
}

/// Checks a receipt: signed by the server key (Ed25519, 32 raw bytes) and naming exactly the
/// packet of `manifest` (RID, packet id, machine, hash, size).
pub fn verify_receipt(
    receipt: &Receipt,
    server_key: &[u8],
    manifest: &PacketManifest,
) -> Result<(), SyncError> {
    if !server_signed(server_key, &receipt.signing_bytes(), &receipt.signature) {
        return Err(SyncError::ReceiptInvalid(
            "the server's signature does not verify".into(),
        ));
    }
    let mismatch = [
        ("rid", receipt.rid == manifest.rid),
        ("packet id", receipt.packet_id == manifest.packet_id),
        ("machine", receipt.machine_id == manifest.machine_id),
        (
            "hash",
            receipt
                .packet_hash
                .eq_ignore_ascii_case(&manifest.packet_hash),
        ),
        ("size", receipt.size == manifest.size),
    ]
    .into_iter()
    .find(|(_, same)| !same);
    match mismatch {
        Some((what, _)) => Err(SyncError::ReceiptInvalid(format!(
            "the receipt's {what} differs from the packet's"
        ))),
        None => Ok(()),
    }
}

/// The raw Ed25519 key from the server's PEM (SubjectPublicKeyInfo) as the enrolment file
/// carries it.
pub fn ed25519_key_from_pem(pem: &str) -> Result<Vec<u8>, SyncError> {
    use base64::Engine as _;
    const SPKI_PREFIX: [u8; 12] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| SyncError::ServerKeyInvalid)?;
    match der.strip_prefix(&SPKI_PREFIX) {
        Some(key) if key.len() == 32 => Ok(key.to_vec()),
        _ => Err(SyncError::ServerKeyInvalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(rid: &str) -> Receipt {
        Receipt {
            rid: rid.into(),
            packet_id: format!("{rid}-1"),
            machine_id: "10011".into(),
            packet_hash: "AB".into(),
            size: 3,
            received_at: "2026-11-28T10:00:00Z".into(),
            sequence: 1,
            signature: String::new(),
        }
    }

    fn intake(token: Option<&str>, receipt: Option<Receipt>) -> Event {
        Event::Announced(PacketIntake {
            upload_token: token.map(str::to_owned),
            upload_endpoint: "/v1/uploads".into(),
            receipt,
        })
    }

    #[track_caller]
    fn check(from: Phase, event: Event, expected: Phase) {
        assert_eq!(from.after(event), expected);
    }

    #[test]
    fn transitions() {
        let uploading = |offset| Phase::Uploading {
            url: "/v1/uploads/x".into(),
            offset,
        };
        let token = Phase::MetaSent { token: "t".into() };
        let received = Phase::Received {
            receipt: receipt("1"),
        };
        check(Phase::Approved, intake(Some("t"), None), token.clone());
        check(
            Phase::Approved,
            intake(None, Some(receipt("1"))),
            received.clone(),
        );
        check(Phase::Approved, intake(None, None), Phase::Approved);
        check(
            token.clone(),
            Event::Created {
                url: "/v1/uploads/x".into(),
            },
            uploading(0),
        );
        check(uploading(0), Event::Offset(4096), uploading(4096));
        check(uploading(4096), Event::Offset(1024), uploading(1024));
        check(uploading(4096), Event::Forgotten, Phase::Approved);
        check(token.clone(), Event::Forgotten, Phase::Approved);
        check(
            uploading(7),
            Event::Receipted(receipt("1")),
            received.clone(),
        );
        // Nothing moves a received packet back.
        check(received.clone(), Event::Forgotten, received.clone());
        check(received.clone(), Event::Offset(0), received.clone());
        // Events out of order change nothing.
        check(Phase::Approved, Event::Offset(5), Phase::Approved);
        check(token.clone(), Event::Offset(5), token);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        assert_eq!(backoff_delay(0, 0.0), Duration::from_millis(100));
        assert_eq!(backoff_delay(0, 1.0), Duration::from_millis(200));
        assert_eq!(backoff_delay(3, 0.0), Duration::from_millis(800));
        assert_eq!(backoff_delay(30, 0.0), BACKOFF_CAP / 2);
        assert_eq!(backoff_delay(u32::MAX, 1.0), BACKOFF_CAP);
        assert!(backoff_delay(4, 0.3) < backoff_delay(4, 0.6));
    }

    #[test]
    fn chunk_size_follows_throughput_within_bounds() {
        // 32 KiB/s over a slow link: the target is 64 KiB, reached in halving steps.
        assert_eq!(
            next_chunk_size(256 * 1024, 32 * 1024, Duration::from_secs(1)),
            128 * 1024
        );
        assert_eq!(
            next_chunk_size(128 * 1024, 32 * 1024, Duration::from_secs(1)),
            64 * 1024
        );
        // A fast link doubles, up to the cap.
        assert_eq!(
            next_chunk_size(FIRST_CHUNK, FIRST_CHUNK, Duration::from_millis(5)),
            2 * FIRST_CHUNK
        );
        assert_eq!(
            next_chunk_size(MAX_CHUNK, MAX_CHUNK, Duration::ZERO),
            MAX_CHUNK
        );
        assert_eq!(
            next_chunk_size(MIN_CHUNK, 10, Duration::from_secs(60)),
            MIN_CHUNK
        );
    }

    #[test]
    fn clock_skew_beyond_the_window_is_reported() {
        let server = "2026-11-28T10:00:00Z";
        let at = 1_795_860_000; // 2026-11-28T10:00:00Z
        assert_eq!(clock_skew(at, server), None);
        assert_eq!(clock_skew(at + MAX_CLOCK_SKEW_SECS, server), None);
        assert_eq!(clock_skew(at + 3600, server), Some(3600));
        assert_eq!(clock_skew(at - 600, server), Some(-600));
        assert_eq!(clock_skew(at + 3600, "yesterday"), None);
    }

    #[test]
    fn server_key_pem_must_be_ed25519() {
        let key = [7u8; 32];
        use base64::Engine as _;
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(&key);
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        assert_eq!(ed25519_key_from_pem(&pem).unwrap(), key);
        assert!(matches!(
            ed25519_key_from_pem("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"),
            Err(SyncError::ServerKeyInvalid)
        ));
    }
}
