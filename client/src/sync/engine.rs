//! The imperative shell of packet sync: for each approved packet, the manifest first, then a
//! resumable tus upload (HEAD for the server's offset after any failure), retries with backoff,
//! receipts verified before they are stored; then batch status polling and retention.

use std::time::{Duration, Instant};

use base64::Engine as _;
use enrol_schema::packet::SignedManifest;
use enrol_schema::sync::{
    HEADER_RECEIPT, MAX_STATUS_BATCH, PacketIntake, Receipt, StatusQuery, StatusReport,
};
use ring::rand::SystemRandom;
use serde::Serialize;

use super::SyncError;
use super::plan::{
    Event, FIRST_CHUNK, MAX_CHUNK, MIN_CHUNK, Phase, backoff_delay, next_chunk_size, verify_receipt,
};
use super::transport::{Answer, Transport, jitter, upload_checksum, upload_metadata};
use crate::roles::Action;
use crate::session::Session;

/// How to sync.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The server's base URL (`http://host:port`); the enrolled one when `None`.
    pub server: Option<String>,
    /// Longest time one request may take.
    pub request_timeout: Duration,
    /// Transient failures in a row (without progress) before a packet is left for the next run.
    pub max_retries: u32,
    /// The first PATCH body size; later ones follow the measured throughput.
    pub first_chunk: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            server: None,
            request_timeout: Duration::from_secs(60),
            max_retries: 8,
            first_chunk: FIRST_CHUNK,
        }
    }
}

/// Answered requests in a row that move no byte forward (announce, create, HEAD, refused
/// PATCH) before a packet is left for the next run: a normal upload needs three.
const MAX_STALLED_STEPS: u32 = 16;

/// What happened to one packet in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacketOutcome {
    pub rid: String,
    /// The phase it ended in (`RECEIVED` when done).
    pub phase: &'static str,
    /// Offsets the server reported when the upload resumed after a failure or a restart.
    pub resumed_from: Vec<u64>,
    /// Packet bytes sent in PATCH bodies during this run.
    pub bytes_sent: u64,
    /// Stable code and message when the packet was left for a later run.
    pub error: Option<(String, String)>,
}

/// What a whole run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub packets: Vec<PacketOutcome>,
    /// Server statuses that changed.
    pub statuses_changed: usize,
    /// Packets whose local files were removed (receipt held, retention passed).
    pub deleted: Vec<String>,
    /// Audit entries removed under the retention rule.
    pub audit_entries_removed: u64,
}

/// Progress of one packet, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub rid: &'a str,
    pub phase: &'static str,
    pub offset: u64,
    pub size: u64,
}

impl Session {
    /// Sends every approved packet that has no receipt yet, polls the statuses of received ones
    /// and applies the retention rule. A clock difference beyond the server's window stops the
    /// run with [`SyncError::ClockSkew`]; other per-packet failures are reported in the outcome
    /// and retried by the next run, which resumes where this one stopped.
    pub fn sync_packets(
        &mut self,
        options: &SyncOptions,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<SyncReport, SyncError> {
        self.authorize(Action::Sync)?;
        let server_key = self.server_key()?;
        let (transport, _) = self.transport(options)?;
        let mut report = SyncReport::default();
        for (signed, phase) in self.packets_to_send()? {
            let mut run = PacketRun {
                transport: &transport,
                server_key: &server_key,
                signed: &signed,
                chunk: options.first_chunk.clamp(MIN_CHUNK, MAX_CHUNK),
                check_offset: matches!(phase, Phase::Uploading { .. }),
                outcome: PacketOutcome {
                    rid: signed.manifest.rid.clone(),
                    phase: phase.name(),
                    resumed_from: Vec::new(),
                    bytes_sent: 0,
                    error: None,
                },
            };
            match run.drive(self, phase, options.max_retries, progress) {
                Ok(()) => {}
                Err(error @ SyncError::ClockSkew { .. }) => return Err(error),
                Err(error) => {
                    run.outcome.error = Some((error.code().to_owned(), error.to_string()));
                }
            }
            report.packets.push(run.outcome);
        }
        let now = self.client().now();
        for batch in self.packets_to_poll()?.chunks(MAX_STATUS_BATCH) {
            let query = StatusQuery {
                rids: batch.to_vec(),
            };
            let body = serde_json::to_vec(&query)
                .map_err(|error| SyncError::Protocol(error.to_string()))?;
            let answer = transport.send_repeatable(
                "POST",
                "/v1/packets/status",
                &[("content-type", "application/json".into())],
                &body,
                now,
            )?;
            if !answer.is_success() {
                return Err(answer.failure(now));
            }
            let statuses: StatusReport = serde_json::from_slice(&answer.body)
                .map_err(|error| SyncError::Protocol(format!("status report: {error}")))?;
            report.statuses_changed += self.record_statuses(&statuses.statuses)?;
        }
        report.deleted = self.prune_delivered()?;
        self.record_sync_run(&report)?;
        report.audit_entries_removed = self.prune_audit()?;
        Ok(report)
    }
}

/// One packet's way through the phases within a run.
struct PacketRun<'a> {
    transport: &'a Transport,
    server_key: &'a [u8],
    signed: &'a SignedManifest,
    chunk: usize,
    /// Ask the server for its offset before the next PATCH (after a failure or a restart).
    check_offset: bool,
    outcome: PacketOutcome,
}

impl PacketRun<'_> {
    fn drive(
        &mut self,
        session: &mut Session,
        mut phase: Phase,
        max_retries: u32,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<(), SyncError> {
        let rid = self.signed.manifest.rid.clone();
        let bytes = session.packet_bytes(&rid)?;
        let size = bytes.len() as u64;
        let random = SystemRandom::new();
        let mut failures = 0u32;
        let mut best_offset = 0u64;
        let mut stalled = 0u32;
        loop {
            let now = session.client().now();
            match self.step(&phase, &bytes, now) {
                Ok(event) => {
                    phase = phase.after(event);
                    self.outcome.phase = phase.name();
                    if let Phase::Received { receipt } = &phase {
                        session.record_receipt(receipt)?;
                        progress(Progress {
                            rid: &rid,
                            phase: phase.name(),
                            offset: size,
                            size,
                        });
                        return Ok(());
                    }
                    session.save_phase(&rid, &phase, None)?;
                    let offset = match &phase {
                        Phase::Uploading { offset, .. } => *offset,
                        _ => 0,
                    };
                    if offset > best_offset {
                        best_offset = offset;
                        failures = 0;
                        stalled = 0;
                    } else {
                        stalled += 1;
                        if stalled > MAX_STALLED_STEPS {
                            return Err(SyncError::Protocol(
                                "the upload makes no progress (the server keeps refusing or forgetting it)".into(),
                            ));
                        }
                    }
                    progress(Progress {
                        rid: &rid,
                        phase: phase.name(),
                        offset,
                        size,
                    });
                }
                Err(error) if error.is_transient() && failures < max_retries => {
                    session.save_phase(&rid, &phase, Some(&error.to_string()))?;
                    self.check_offset = true;
                    std::thread::sleep(backoff_delay(failures, jitter(&random)));
                    failures += 1;
                }
                Err(error) => {
                    session.save_phase(&rid, &phase, Some(&error.to_string()))?;
                    return Err(error);
                }
            }
        }
    }

    /// One request for the current phase, turned into the event it produced.
    fn step(&mut self, phase: &Phase, bytes: &[u8], now: i64) -> Result<Event, SyncError> {
        let manifest = &self.signed.manifest;
        let tus = ("tus-resumable", "1.0.0".to_owned());
        match phase {
            Phase::Approved => {
                let body = serde_json::to_vec(self.signed)
                    .map_err(|error| SyncError::Protocol(error.to_string()))?;
                let answer = self.transport.send(
                    "POST",
                    "/v1/packets",
                    &[("content-type", "application/json".into())],
                    &body,
                    now,
                )?;
                if !answer.is_success() {
                    return Err(answer.failure(now));
                }
                let intake: PacketIntake = serde_json::from_slice(&answer.body)
                    .map_err(|error| SyncError::Protocol(format!("packet intake: {error}")))?;
                match intake.receipt {
                    Some(receipt) => self.verified(receipt),
                    None if intake.upload_token.is_some() => Ok(Event::Announced(intake)),
                    None => Err(SyncError::Protocol(
                        "the intake has neither an upload token nor a receipt".into(),
                    )),
                }
            }
            Phase::MetaSent { token } => {
                let answer = self.transport.send(
                    "POST",
                    "/v1/uploads",
                    &[
                        tus,
                        ("upload-length", bytes.len().to_string()),
                        (
                            "upload-metadata",
                            upload_metadata(&[
                                ("rid", &manifest.rid),
                                ("packetId", &manifest.packet_id),
                            ]),
                        ),
                        ("authorization", format!("Bearer {token}")),
                    ],
                    &[],
                    now,
                )?;
                match answer.status {
                    201 => {
                        let url = answer.header("location").ok_or_else(|| {
                            SyncError::Protocol("the created upload has no Location".into())
                        })?;
                        Ok(Event::Created {
                            url: upload_path(url),
                        })
                    }
                    401 | 403 | 404 | 410 if !is_skew(&answer, now) => Ok(Event::Forgotten),
                    _ => Err(answer.failure(now)),
                }
            }
            Phase::Uploading { url, offset } => {
                if self.check_offset {
                    return self.server_offset(url, bytes.len() as u64, now);
                }
                let start = usize::try_from(*offset)
                    .ok()
                    .filter(|start| *start <= bytes.len())
                    .ok_or_else(|| {
                        SyncError::Protocol("the server's offset is past the end".into())
                    })?;
                if start == bytes.len() {
                    return self.fetch_receipt(now);
                }
                let end = bytes.len().min(start + self.chunk);
                let body = &bytes[start..end];
                let began = Instant::now();
                let answer = self.transport.send(
                    "PATCH",
                    url,
                    &[
                        tus,
                        ("upload-offset", offset.to_string()),
                        ("content-type", "application/offset+octet-stream".into()),
                        ("upload-checksum", upload_checksum(body)),
                    ],
                    body,
                    now,
                )?;
                self.outcome.bytes_sent += body.len() as u64;
                self.chunk = next_chunk_size(self.chunk, body.len(), began.elapsed());
                match answer.status {
                    200 | 204 => {
                        if let Some(receipt) = receipt_header(&answer)? {
                            return self.verified(receipt);
                        }
                        Ok(Event::Offset(header_offset(&answer)?))
                    }
                    409 => {
                        self.check_offset = true;
                        Ok(Event::Offset(*offset))
                    }
                    404 | 410 => Ok(Event::Forgotten),
                    460 => Err(SyncError::Network("a chunk arrived damaged".into())),
                    _ => Err(answer.failure(now)),
                }
            }
            Phase::Received { receipt } => Ok(Event::Receipted(receipt.clone())),
        }
    }

    /// HEAD of the upload: where to resume, or the receipt when the server has everything.
    fn server_offset(&mut self, url: &str, size: u64, now: i64) -> Result<Event, SyncError> {
        let answer = self.transport.send(
            "HEAD",
            url,
            &[("tus-resumable", "1.0.0".to_owned())],
            &[],
            now,
        )?;
        match answer.status {
            200 | 204 => {
                self.check_offset = false;
                if let Some(receipt) = receipt_header(&answer)? {
                    return self.verified(receipt);
                }
                let offset = header_offset(&answer)?;
                if offset > size {
                    return Err(SyncError::Protocol(
                        "the server holds more bytes than the packet has".into(),
                    ));
                }
                self.outcome.resumed_from.push(offset);
                Ok(Event::Offset(offset))
            }
            404 | 410 => Ok(Event::Forgotten),
            _ => Err(answer.failure(now)),
        }
    }

    /// `GET /v1/packets/{rid}/receipt`, for an upload the server already finished.
    fn fetch_receipt(&mut self, now: i64) -> Result<Event, SyncError> {
        let path = format!("/v1/packets/{}/receipt", self.signed.manifest.rid);
        let answer = self
            .transport
            .send_repeatable("GET", &path, &[], &[], now)?;
        match answer.status {
            200 => {
                let receipt: Receipt = serde_json::from_slice(&answer.body)
                    .map_err(|error| SyncError::Protocol(format!("receipt: {error}")))?;
                self.verified(receipt)
            }
            404 => Ok(Event::Forgotten),
            _ => Err(answer.failure(now)),
        }
    }

    fn verified(&self, receipt: Receipt) -> Result<Event, SyncError> {
        verify_receipt(&receipt, self.server_key, &self.signed.manifest)?;
        Ok(Event::Receipted(receipt))
    }
}

fn is_skew(answer: &Answer, now: i64) -> bool {
    matches!(answer.failure(now), SyncError::ClockSkew { .. })
}

/// The request target of an upload URL (the server answers with a path; a full URL is cut to
/// its path so that the signature covers what is sent).
fn upload_path(location: &str) -> String {
    match location.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map_or_else(|| "/".to_owned(), |at| rest[at..].to_owned()),
        None => location.to_owned(),
    }
}

fn header_offset(answer: &Answer) -> Result<u64, SyncError> {
    answer
        .header("upload-offset")
        .and_then(|value| value.trim().parse().ok())
        .ok_or_else(|| SyncError::Protocol("no Upload-Offset in the answer".into()))
}

fn receipt_header(answer: &Answer) -> Result<Option<Receipt>, SyncError> {
    let Some(value) = answer.header(HEADER_RECEIPT) else {
        return Ok(None);
    };
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.trim().trim_end_matches('='))
        .map_err(|_| SyncError::ReceiptInvalid("the receipt header is not base64".into()))?;
    serde_json::from_slice(&json)
        .map(Some)
        .map_err(|error| SyncError::ReceiptInvalid(format!("the receipt is malformed: {error}")))
}
