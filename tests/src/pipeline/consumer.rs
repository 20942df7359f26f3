//! One packet's way through the reference pipeline (download, open, judge, report) and the loop
//! over the HTTP feed. A verdict depends only on the packet and on history the server never
//! rewrites, so judging a packet again (after a crash, or a duplicate delivery) gives the same
//! verdict, and the server ignores a repeated report.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use enrol_client::packet::{Limits, OpenedPacket, PipelineKey};
use enrol_schema::identity_schema::IdentitySchema;
use enrol_schema::pipeline::{FeedItem, StatusAck, StatusUpdate};
use enrol_schema::settings::RegistrationSettings;
use enrol_schema::sync::PacketState;
use enrol_schema::validate::{Context, Validator};
use rsa::pkcs8::DecodePublicKey;
use serde_json::{Value, json};

use super::api::{Api, ApiError};
use super::checks::{Refusal, check_bytes, check_iso_record, check_standing, parse_time};
use super::cursor::Cursor;

/// A packet's verdict: PROCESSED, or REJECTED with the refusal; the decrypted identity when the
/// packet could be opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: PacketState,
    pub refusal: Option<Refusal>,
    pub identity: Option<serde_json::Map<String, Value>>,
}

/// What became of one packet: its verdict and the server's acknowledgement, or the failed call.
pub type Outcome = Result<(Verdict, StatusAck), ApiError>;

/// The consumer: the server's pipeline API and the pipeline's private key.
pub struct Consumer {
    api: Api,
    key: PipelineKey,
    limits: Limits,
    /// Where each verdict is written as `<rid>.json` (with the decrypted identity), if anywhere.
    out: Option<PathBuf>,
    schemas: HashMap<String, IdentitySchema>,
}

/// Whether a failed call is worth retrying (the network or the server's own trouble).
pub fn is_transient(error: &ApiError) -> bool {
    error.status == 0 || error.status >= 500
}

impl Consumer {
    pub fn new(api: Api, key: PipelineKey, out: Option<PathBuf>) -> Consumer {
        Consumer {
            api,
            key,
            limits: Limits::default(),
            out,
            schemas: HashMap::new(),
        }
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Downloads and judges one packet. Errors are calls that failed (retry them); every
    /// verdict about the packet itself is in the `Ok`.
    pub fn judge(&mut self, item: &FeedItem) -> Result<Verdict, ApiError> {
        let bytes = self.api.download(&item.download)?;
        self.judge_bytes(item, &bytes)
    }

    /// Judges a packet's bytes (the benchmark calls this directly).
    pub fn judge_bytes(&mut self, item: &FeedItem, bytes: &[u8]) -> Result<Verdict, ApiError> {
        let mut identity = None;
        let refusal = match self.check(item, bytes, &mut identity) {
            Ok(Ok(())) => None,
            Ok(Err(refusal)) => Some(refusal),
            Err(error) => return Err(error),
        };
        Ok(Verdict {
            status: if refusal.is_some() {
                PacketState::Rejected
            } else {
                PacketState::Processed
            },
            refusal,
            identity,
        })
    }

    fn check(
        &mut self,
        item: &FeedItem,
        bytes: &[u8],
        identity: &mut Option<serde_json::Map<String, Value>>,
    ) -> Result<Result<(), Refusal>, ApiError> {
        if let Err(refusal) = check_bytes(bytes, item.size, &item.packet_hash) {
            return Ok(Err(refusal));
        }
        let machine = match self.api.machine(&item.machine_id) {
            Ok(machine) => machine,
            Err(e) if e.code == "MACHINE_UNKNOWN" => {
                return Ok(Err(Refusal::new("MACHINE_UNKNOWN", e.message)));
            }
            Err(e) => return Err(e),
        };
        let Ok(machine_key) = rsa::RsaPublicKey::from_public_key_pem(&machine.public_key_pem)
        else {
            return Ok(Err(Refusal::new(
                "MACHINE_KEY_INVALID",
                "the machine's public key is unreadable",
            )));
        };
        let opened = match enrol_client::packet::open(bytes, &self.key, &machine_key, &self.limits)
        {
            Ok(opened) => opened,
            Err(e) => return Ok(Err(Refusal::new(e.code(), e.to_string()))),
        };
        *identity = Some(opened.identity.clone());
        if opened.rid.as_str() != item.rid || opened.packet_id != item.packet_id {
            return Ok(Err(Refusal::new(
                "PACKET_MISMATCH",
                "the packet inside is not the one announced",
            )));
        }
        let Some(created_at) = creation_time(&opened) else {
            return Ok(Err(Refusal::new(
                "PACKET_LAYOUT",
                "the packet has no readable creationDate",
            )));
        };
        if let Err(refusal) = check_standing(
            "MACHINE_INACTIVE",
            &format!("machine {}", item.machine_id),
            &machine.history,
            created_at,
        ) {
            return Ok(Err(refusal));
        }
        for operator in operators(&opened) {
            let record = match self.api.operator(&operator) {
                Ok(record) => record,
                Err(e) if e.code == "OPERATOR_UNKNOWN" => {
                    return Ok(Err(Refusal::new(
                        "OPERATOR_UNKNOWN",
                        format!("operator {operator} is unknown"),
                    )));
                }
                Err(e) => return Err(e),
            };
            if let Err(refusal) = check_standing(
                "OPERATOR_INACTIVE",
                &format!("operator {operator}"),
                &record.history,
                created_at,
            ) {
                return Ok(Err(refusal));
            }
        }
        if let Err(refusal) = self.check_identity(&opened, created_at)? {
            return Ok(Err(refusal));
        }
        for field in &opened.biometrics {
            for record in field.records.iter().filter(|r| !r.is_exception()) {
                let name = format!("{} {} {}", field.field, record.modality, record.subtype);
                let Some(bdb) = &record.bdb else {
                    return Ok(Err(Refusal::new(
                        "BIOMETRIC_INVALID",
                        format!("{name}: no ISO record"),
                    )));
                };
                if let Err(refusal) = check_iso_record(&name, bdb) {
                    return Ok(Err(refusal));
                }
            }
        }
        Ok(Ok(()))
    }

    /// Validates the identity against the schema version the packet names.
    fn check_identity(
        &mut self,
        opened: &OpenedPacket,
        created_at: i64,
    ) -> Result<Result<(), Refusal>, ApiError> {
        let Some(version) = opened.identity.get("IDSchemaVersion").map(Value::to_string) else {
            return Ok(Err(Refusal::new(
                "SCHEMA_UNKNOWN",
                "ID.json names no IDSchemaVersion",
            )));
        };
        if !self.schemas.contains_key(&version) {
            let text = match self.api.identity_schema(&version) {
                Ok(text) => text,
                Err(e) if e.code == "SCHEMA_UNKNOWN" => {
                    return Ok(Err(Refusal::new(
                        "SCHEMA_UNKNOWN",
                        format!("identity schema version {version} is not published"),
                    )));
                }
                Err(e) => return Err(e),
            };
            let schema = match IdentitySchema::parse("identity schema", &text) {
                Ok(schema) => schema,
                Err(e) => return Ok(Err(Refusal::new("SCHEMA_INVALID", e.to_string()))),
            };
            self.schemas.insert(version.clone(), schema);
        }
        let schema = &self.schemas[&version];
        let validator = match Validator::new(schema, None, None, &RegistrationSettings::default()) {
            Ok(validator) => validator,
            Err(e) => return Ok(Err(Refusal::new("SCHEMA_INVALID", e.to_string()))),
        };
        let today = time::OffsetDateTime::from_unix_timestamp(created_at)
            .map(time::OffsetDateTime::date)
            .unwrap_or(time::Date::MIN);
        let errors = validator.validate(&opened.identity, &Context::new(today));
        if errors.is_empty() {
            return Ok(Ok(()));
        }
        let listed: Vec<String> = errors
            .iter()
            .take(5)
            .map(|e| format!("{} {:?}", e.field, e.code))
            .collect();
        Ok(Err(Refusal::new(
            "ID_INVALID",
            format!("ID.json fails its schema: {}", listed.join(", ")),
        )))
    }

    /// Reports PROCESSING, judges the packet and reports the verdict; a packet that already ended otherwise
    /// (`STATUS_CONFLICT`) or a RID the server does not know comes back as an error.
    pub fn handle(&mut self, item: &FeedItem) -> Outcome {
        // PROCESSING first, as MOSIP's pipeline does; a packet that already ended (a repeat
        // delivery) keeps its status, and its verdict is reported below all the same.
        match self.api.report(&StatusUpdate {
            rid: item.rid.clone(),
            status: PacketState::Processing,
            comment: String::new(),
        }) {
            Err(e) if e.code != "STATUS_CONFLICT" => return Err(e),
            _ => {}
        }
        let verdict = self.judge(item)?;
        let update = StatusUpdate {
            rid: item.rid.clone(),
            status: verdict.status,
            comment: verdict
                .refusal
                .as_ref()
                .map(Refusal::comment)
                .unwrap_or_default(),
        };
        self.write_out(item, &verdict, &update);
        let ack = self.api.report(&update)?;
        Ok((verdict, ack))
    }

    fn write_out(&self, item: &FeedItem, verdict: &Verdict, update: &StatusUpdate) {
        let Some(folder) = &self.out else { return };
        let text = json!({
            "rid": item.rid,
            "status": update.status,
            "comment": update.comment,
            "identity": verdict.identity,
        })
        .to_string();
        let path = folder.join(format!("{}.json", item.rid));
        let tmp = folder.join(format!("{}.json.tmp", item.rid));
        if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path)) {
            eprintln!("warning: cannot write {}: {e}", path.display());
        }
    }

    /// Follows the HTTP feed from the cursor file: each packet is judged and reported, then
    /// the cursor moves past it. Failed calls are retried with backoff; a refused report is
    /// printed and skipped. With `once`, returns when the feed is drained.
    pub fn follow_feed(
        &mut self,
        cursor: &Cursor,
        batch: u32,
        poll: Duration,
        once: bool,
        on_done: &mut dyn FnMut(&FeedItem, &Outcome),
    ) -> anyhow::Result<()> {
        let mut after = cursor.load()?;
        let mut failures = 0u32;
        loop {
            let page = match self.api.feed(after, batch) {
                Ok(page) => page,
                Err(e) if is_transient(&e) => {
                    failures += 1;
                    eprintln!("feed unavailable ({e}); retrying");
                    std::thread::sleep(backoff(failures));
                    continue;
                }
                Err(e) => anyhow::bail!("the feed refused the consumer: {e}"),
            };
            failures = 0;
            if page.items.is_empty() {
                if once {
                    return Ok(());
                }
                std::thread::sleep(poll);
                continue;
            }
            for item in &page.items {
                let outcome = loop {
                    match self.handle(item) {
                        Err(e) if is_transient(&e) => {
                            failures += 1;
                            eprintln!("{}: {e}; retrying", item.rid);
                            std::thread::sleep(backoff(failures));
                        }
                        outcome => break outcome,
                    }
                };
                failures = 0;
                on_done(item, &outcome);
                cursor.save(item.cursor)?;
                after = item.cursor;
            }
        }
    }
}

/// 100 ms doubling up to 5 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(100u64 << failures.min(6)).min(Duration::from_secs(5))
}

/// The packet's creation time (`creationDate` of its meta info), unix seconds.
fn creation_time(opened: &OpenedPacket) -> Option<i64> {
    opened
        .subpackets
        .iter()
        .find_map(|s| s.meta_info.get("creationDate").and_then(Value::as_str))
        .and_then(parse_time)
}

/// The officer and supervisor named in the packet's operations data.
fn operators(opened: &OpenedPacket) -> Vec<String> {
    let mut ids: Vec<String> = opened
        .subpackets
        .iter()
        .filter_map(|s| s.meta_info.get("operationsData").and_then(Value::as_array))
        .flatten()
        .filter(|entry| {
            matches!(
                entry.get("label").and_then(Value::as_str),
                Some("officerId" | "supervisorId")
            )
        })
        .filter_map(|entry| entry.get("value").and_then(Value::as_str))
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}
