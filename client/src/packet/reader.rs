//! The packet reader: opens an encrypted packet with the pipeline's private key and verifies it
//! the way MOSIP's packet manager does (encrypted hash, machine signature, both hash files).

use enrol_schema::packet::Process;
use rsa::RsaPublicKey;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::archive::{Entries, Limits};
use super::cbeff::{self, BirRecord};
use super::crypto::{PipelineKey, base64_any, hex_upper, open as open_blob, sha256, verify};
use super::error::{PacketError, layout};
use super::rid::Rid;

/// One verified sub-packet.
#[derive(Debug, Clone)]
pub struct OpenedSubpacket {
    /// `id`, `evidence` or `optional`.
    pub name: String,
    /// Its `<RID>_<sub>.json` metadata.
    pub metadata: Map<String, Value>,
    /// `packet_meta_info.json`'s `identity` object.
    pub meta_info: Map<String, Value>,
    /// The plaintext zip's entries.
    pub entries: Entries,
}

/// A document read back from a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedDocument {
    pub field: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A biometrics field read back from a packet.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedBiometrics {
    pub field: String,
    pub records: Vec<BirRecord>,
}

/// A decrypted and verified packet.
#[derive(Debug, Clone)]
pub struct OpenedPacket {
    pub rid: Rid,
    pub packet_id: String,
    pub process: Process,
    /// The union of every sub-packet's `ID.json` identity.
    pub identity: Map<String, Value>,
    pub documents: Vec<OpenedDocument>,
    pub biometrics: Vec<OpenedBiometrics>,
    pub subpackets: Vec<OpenedSubpacket>,
}

/// Decrypts and verifies a packet file's bytes.
pub fn open(
    bytes: &[u8],
    pipeline: &PipelineKey,
    machine_key: &RsaPublicKey,
    limits: &Limits,
) -> Result<OpenedPacket, PacketError> {
    if bytes.len() as u64 > limits.max_packet_bytes {
        return Err(PacketError::Oversize {
            what: format!("packet of {} bytes", bytes.len()),
            limit: limits.max_packet_bytes,
        });
    }
    let container = Entries::read(
        &open_blob(bytes, pipeline, "the packet")?,
        limits,
        "the container",
    )?;
    let mut found: Option<(Rid, Process)> = None;
    let mut packet_id = None;
    let mut identity = Map::new();
    let mut documents = Vec::new();
    let mut biometrics = Vec::new();
    let mut subpackets = Vec::new();
    for (name, meta_bytes) in &container.0 {
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        let (rid, process, sub) = parse_entry_name(stem)?;
        match &found {
            Some((r, p)) if *r != rid || *p != process => {
                return Err(layout(format!("{name} belongs to another packet")));
            }
            _ => found = Some((rid.clone(), process)),
        }
        let metadata: Map<String, Value> = serde_json::from_slice(meta_bytes)
            .map_err(|e| layout(format!("{name} is not JSON: {e}")))?;
        let encrypted = container.require(&format!("{stem}.zip"), "the container")?;
        let field = |key: &str| {
            metadata
                .get(key)
                .and_then(Value::as_str)
                .ok_or_else(|| PacketError::MissingEntry(format!("{key} in {name}")))
        };
        let expected_hash = base64_any(field("encryptedhash")?)
            .ok_or_else(|| layout(format!("encryptedhash of {name} is not base64")))?;
        if expected_hash != sha256(encrypted) {
            return Err(PacketError::HashMismatch {
                subpacket: sub.clone(),
                what: "encryptedhash".into(),
            });
        }
        let signature = base64_any(field("signature")?)
            .ok_or_else(|| layout(format!("signature of {name} is not base64")))?;
        let packet_name = format!("{}_{sub}", rid.as_str());
        if field("packetname")? != packet_name || field("process")? != process.as_str() {
            return Err(layout(format!(
                "{name} does not describe its own sub-packet"
            )));
        }
        let id = field("id")?;
        let id_names_rid =
            id == rid.as_str() || Rid::from_packet_id(id).is_ok_and(|(id_rid, _)| id_rid == rid);
        if !id_names_rid {
            return Err(layout(format!("{name} has the id of another packet")));
        }
        packet_id.get_or_insert(id.to_owned());
        let plain = open_blob(encrypted, pipeline, &format!("the {sub} sub-packet"))?;
        if !verify(machine_key, &plain, &signature) {
            return Err(PacketError::Signature(sub));
        }
        let entries = Entries::read(&plain, limits, &format!("the {sub} sub-packet"))?;
        let meta_info = verify_hashes(&entries, &sub)?;
        let id_json: Value =
            serde_json::from_slice(entries.require("ID.json", &format!("the {sub} sub-packet"))?)
                .map_err(|e| layout(format!("ID.json of {sub} is not JSON: {e}")))?;
        let Some(Value::Object(fields)) = id_json.get("identity") else {
            return Err(layout(format!("ID.json of {sub} has no identity object")));
        };
        for (key, value) in fields {
            identity.entry(key.clone()).or_insert_with(|| value.clone());
        }
        collect_files(&entries, &meta_info, &mut documents, &mut biometrics)?;
        subpackets.push(OpenedSubpacket {
            name: sub,
            metadata,
            meta_info,
            entries,
        });
    }
    let (rid, process) = found.ok_or_else(|| layout("the container holds no sub-packet"))?;
    if !subpackets.iter().any(|s| s.name == "id") {
        return Err(PacketError::MissingEntry("the id sub-packet".into()));
    }
    Ok(OpenedPacket {
        rid,
        packet_id: packet_id.unwrap_or_default(),
        process,
        identity,
        documents,
        biometrics,
        subpackets,
    })
}

/// Splits `REGISTRATION_CLIENT/<PROCESS>/<RID>_<sub>`.
fn parse_entry_name(stem: &str) -> Result<(Rid, Process, String), PacketError> {
    let bad = || layout(format!("unexpected container entry {stem}"));
    let mut parts = stem.split('/');
    let (Some(_source), Some(process), Some(file), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let process = Process::parse(process).ok_or_else(bad)?;
    let (rid, sub) = file.split_once('_').ok_or_else(bad)?;
    if !matches!(sub, "id" | "evidence" | "optional") {
        return Err(bad());
    }
    Ok((Rid::parse(rid)?, process, sub.to_owned()))
}

/// Checks `packet_data_hash.txt` and `packet_operations_hash.txt` against the sequences in
/// `packet_meta_info.json`; returns the meta info's `identity` object.
fn verify_hashes(entries: &Entries, sub: &str) -> Result<Map<String, Value>, PacketError> {
    let what = format!("the {sub} sub-packet");
    let meta: Value = serde_json::from_slice(entries.require("packet_meta_info.json", &what)?)
        .map_err(|e| layout(format!("packet_meta_info.json of {sub} is not JSON: {e}")))?;
    let Some(Value::Object(meta)) = meta.get("identity") else {
        return Err(layout(format!(
            "packet_meta_info.json of {sub} has no identity object"
        )));
    };
    let sequence1 = meta
        .get("hashSequence1")
        .ok_or_else(|| PacketError::MissingEntry(format!("hashSequence1 in {what}")))?;
    let stored = entries.require("packet_data_hash.txt", &what)?;
    if !same_hash(stored, &sequence_hash(sequence1, entries)?) {
        return Err(PacketError::HashMismatch {
            subpacket: sub.to_owned(),
            what: "packet_data_hash.txt".into(),
        });
    }
    let sequence2 = meta.get("hashSequence2").cloned().unwrap_or(Value::Null);
    let operations = sequence_hash(&sequence2, entries)?;
    match entries.get("packet_operations_hash.txt") {
        Some(stored) if !same_hash(stored, &operations) => {
            return Err(PacketError::HashMismatch {
                subpacket: sub.to_owned(),
                what: "packet_operations_hash.txt".into(),
            });
        }
        None if sequence_names(&sequence2).next().is_some() => {
            return Err(PacketError::MissingEntry(format!(
                "packet_operations_hash.txt in {what}"
            )));
        }
        _ => {}
    }
    Ok(meta.clone())
}

fn same_hash(stored: &[u8], computed: &str) -> bool {
    std::str::from_utf8(stored).is_ok_and(|s| s.trim().eq_ignore_ascii_case(computed))
}

/// The names of a hash sequence (`[{label, value: [names]}, …]`), in order.
fn sequence_names(sequence: &Value) -> impl Iterator<Item = &str> {
    sequence
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|group| group.get("value").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
}

/// MOSIP's hash over a sequence: uppercase hex SHA-256 of the named entries' bytes, concatenated
/// in order; names match entries without extension, ignoring case.
pub fn sequence_hash(sequence: &Value, entries: &Entries) -> Result<String, PacketError> {
    let mut hasher = Sha256::new();
    for name in sequence_names(sequence) {
        let (_, bytes) = entries
            .by_stem(name)
            .ok_or_else(|| PacketError::MissingEntry(format!("{name} named in a hash sequence")))?;
        hasher.update(bytes);
    }
    Ok(hex_upper(&hasher.finalize()))
}

/// Collects the documents and CBEFF files a sub-packet's hash sequence names.
fn collect_files(
    entries: &Entries,
    meta: &Map<String, Value>,
    documents: &mut Vec<OpenedDocument>,
    biometrics: &mut Vec<OpenedBiometrics>,
) -> Result<(), PacketError> {
    let groups = meta.get("hashSequence1").and_then(Value::as_array);
    for group in groups.into_iter().flatten() {
        let label = group.get("label").and_then(Value::as_str).unwrap_or("");
        let names = group.get("value").and_then(Value::as_array);
        for name in names.into_iter().flatten().filter_map(Value::as_str) {
            let Some((file_name, bytes)) = entries.by_stem(name) else {
                return Err(PacketError::MissingEntry(name.to_owned()));
            };
            match label {
                "biometricSequence" => {
                    let field = name.strip_suffix("_bio_CBEFF").unwrap_or(name).to_owned();
                    if !biometrics.iter().any(|b| b.field == field) {
                        biometrics.push(OpenedBiometrics {
                            field,
                            records: cbeff::parse(bytes)?,
                        });
                    }
                }
                _ if name.eq_ignore_ascii_case("ID") => {}
                _ => {
                    if !documents.iter().any(|d| d.field == name) {
                        documents.push(OpenedDocument {
                            field: name.to_owned(),
                            file_name: file_name.to_owned(),
                            bytes: bytes.to_vec(),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}
