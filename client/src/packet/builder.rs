//! The packet builder: a [`PacketInput`] becomes MOSIP's encrypted container and a signed
//! manifest. Pure: the clock is in the input and randomness comes from the caller's RNG.

use enrol_schema::identity_schema::Subpacket;
use enrol_schema::packet::{PacketManifest, Process, SignedManifest, SubpacketEntry};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRngCore, SeedableRng};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::archive::{Packing, ZipBuilder};
use super::cbeff;
use super::cert::PipelineCertificate;
use super::crypto::{
    BlobKey, MachineKey, base64_url, blob_key, hex_upper, seal_overhead, sha256, sign,
};
use super::error::PacketError;
use super::fork::{both, joined};
use super::input::{AuthMethod, PacketInput, SUBPACKETS};

/// MOSIP's source name for packets made by a registration client.
pub const SOURCE: &str = "REGISTRATION_CLIENT";
/// `providername` in sub-packet metadata.
pub const PROVIDER_NAME: &str = "PacketWriterImpl";
/// `providerversion` in sub-packet metadata.
pub const PROVIDER_VERSION: &str = "v1.0";

/// A sealed packet: the encrypted file's bytes and the machine-signed manifest.
#[derive(Debug, Clone)]
pub struct SealedPacket {
    pub packet_id: String,
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes` (the manifest's `packet_hash`).
    pub sha256: [u8; 32],
    pub signed_manifest: SignedManifest,
}

/// A packet encrypted but not yet described: the file's bytes and the manifest still waiting
/// for their hash. The store hashes and signs while the file is being written.
#[derive(Debug, Clone)]
pub struct EncryptedPacket {
    pub packet_id: String,
    pub bytes: Vec<u8>,
    pub manifest: PendingManifest,
}

impl EncryptedPacket {
    /// Hashes the bytes and signs the manifest.
    pub fn into_sealed(self, machine_key: &MachineKey) -> Result<SealedPacket, PacketError> {
        let (sha256, signed_manifest) = self.manifest.sign(&self.bytes, machine_key)?;
        Ok(SealedPacket {
            packet_id: self.packet_id,
            bytes: self.bytes,
            sha256,
            signed_manifest,
        })
    }
}

/// A packet manifest without the hash and size of the file it describes.
#[derive(Debug, Clone)]
pub struct PendingManifest(PacketManifest);

impl PendingManifest {
    /// The SHA-256 of `bytes` and the manifest naming them, signed with the machine key.
    pub fn sign(
        &self,
        bytes: &[u8],
        machine_key: &MachineKey,
    ) -> Result<([u8; 32], SignedManifest), PacketError> {
        let digest = sha256(bytes);
        let mut manifest = self.0.clone();
        manifest.packet_hash = hex_upper(&digest);
        manifest.size = bytes.len() as u64;
        let signature = base64_url(&sign(machine_key, &manifest.signing_bytes())?);
        Ok((
            digest,
            SignedManifest {
                manifest,
                signature,
            },
        ))
    }
}

/// Builds, signs and encrypts a packet, and signs its manifest.
pub fn build(
    input: &PacketInput,
    machine_key: &MachineKey,
    pipeline: &PipelineCertificate,
    rng: &mut impl CryptoRngCore,
) -> Result<SealedPacket, PacketError> {
    encrypt(input, machine_key, pipeline, rng)?.into_sealed(machine_key)
}

/// Builds, signs and encrypts a packet. Each byte is written once where the file needs it: the
/// CBEFF base64 straight into the sub-packet zip, each sub-packet copied once into its place in
/// the container and encrypted there, the container encrypted in place. The independent passes
/// run side by side on scoped threads: the `evidence` and `optional` sub-packets while `id` (where
/// the large files usually go) is written, and each signature while its sub-packet is encrypted
/// and hashed.
pub fn encrypt(
    input: &PacketInput,
    machine_key: &MachineKey,
    pipeline: &PipelineCertificate,
    rng: &mut impl CryptoRngCore,
) -> Result<EncryptedPacket, PacketError> {
    check_input(input)?;
    let packet_id = input.packet_id();
    let audit = serde_json::to_vec(&input.audit).map_err(json_error)?;
    let common_meta = common_meta(input);
    // Four blob keys (three sub-packets, then the outer file), each wrapped with a ChaCha20
    // generator seeded from `rng`; the wrapping runs on the helper thread, off the critical path.
    let seeds: [[u8; 32]; 4] = std::array::from_fn(|_| {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        seed
    });
    let [first, rest @ ..] = SUBPACKETS;
    let plain_signed = |sub: Subpacket| -> Result<(Vec<u8>, String), PacketError> {
        let plain = subpacket_zip(input, sub, &audit, &common_meta)?;
        let signature = base64_url(&sign(machine_key, &plain)?);
        Ok((plain, signature))
    };
    let (bytes, entries) = std::thread::scope(|scope| {
        let helper = scope.spawn(move || {
            let keys = seeds.map(|seed| blob_key(pipeline, &mut ChaCha20Rng::from_seed(seed)));
            (keys, rest.map(plain_signed))
        });
        let first_plain = subpacket_zip(input, first, &audit, &common_meta)?;
        let (keys, rest_signed) = joined(helper);
        let [first_key, rest_keys @ .., outer_key] = keys;
        // The first sub-packet is signed alongside its encryption.
        let (container, signature) = both(
            || -> Result<_, PacketError> {
                let capacity = first_plain.len()
                    + 64 * 1024
                    + (SUBPACKETS.len() + 1) * seal_overhead(pipeline);
                let mut outer = Vec::with_capacity(capacity);
                let outer_sealing = outer_key?.begin(&mut outer);
                let mut container = Container {
                    zip: ZipBuilder::after(outer, input.created_at),
                    input,
                    entries: Vec::with_capacity(SUBPACKETS.len()),
                };
                let encrypted_hash = container.add_sealed(first, &first_plain, first_key?)?;
                Ok((container, outer_sealing, encrypted_hash))
            },
            || sign(machine_key, &first_plain),
        );
        let (mut container, outer_sealing, encrypted_hash) = container?;
        container.add_metadata(first, &packet_id, base64_url(&signature?), encrypted_hash)?;
        for ((sub, signed), key) in rest.into_iter().zip(rest_signed).zip(rest_keys) {
            let (plain, signature) = signed?;
            let encrypted_hash = container.add_sealed(sub, &plain, key?)?;
            container.add_metadata(sub, &packet_id, signature, encrypted_hash)?;
        }
        let Container { zip, entries, .. } = container;
        let mut bytes = zip.finish()?;
        outer_sealing.finish(&mut bytes)?;
        Ok::<_, PacketError>((bytes, entries))
    })?;

    let manifest = PacketManifest {
        rid: input.rid.as_str().to_owned(),
        packet_id: packet_id.clone(),
        process: input.process,
        centre_id: input.rid.centre_id().to_owned(),
        machine_id: input.rid.machine_id().to_owned(),
        sequence: input.rid.sequence(),
        packet_hash: String::new(),
        size: bytes.len() as u64,
        supervisor_status: input.supervisor_status,
        created_at: rfc3339(input.created_at),
        audit_head: input.audit_head.clone(),
        subpackets: entries,
    };
    Ok(EncryptedPacket {
        packet_id,
        bytes,
        manifest: PendingManifest(manifest),
    })
}

/// The container zip being written after the outer blob's header.
struct Container<'a> {
    zip: ZipBuilder,
    input: &'a PacketInput,
    entries: Vec<SubpacketEntry>,
}

impl Container<'_> {
    /// `<source>/<process>/<RID>_<sub>` without extension.
    fn entry_stem(&self, sub: Subpacket) -> String {
        let input = self.input;
        format!(
            "{SOURCE}/{}/{}_{}",
            input.process.as_str(),
            input.rid.as_str(),
            sub.as_str()
        )
    }

    /// Adds the sub-packet encrypted in its place with `key`; returns its `encryptedhash`.
    fn add_sealed(
        &mut self,
        sub: Subpacket,
        plain: &[u8],
        key: BlobKey,
    ) -> Result<String, PacketError> {
        let name = format!("{}.zip", self.entry_stem(sub));
        let mut digest = Sha256::new();
        self.zip.add_stored_with(
            &name,
            |buf| {
                let sealing = key.begin(buf);
                buf.extend_from_slice(plain);
                sealing.finish(buf)
            },
            |chunk| digest.update(chunk),
        )?;
        Ok(base64_url(&digest.finalize()))
    }

    /// Adds the sub-packet's `<RID>_<sub>.json` metadata and its manifest entry.
    fn add_metadata(
        &mut self,
        sub: Subpacket,
        packet_id: &str,
        signature: String,
        encrypted_hash: String,
    ) -> Result<(), PacketError> {
        let input = self.input;
        let metadata = json!({
            "id": packet_id,
            "packetname": format!("{}_{}", input.rid.as_str(), sub.as_str()),
            "source": SOURCE,
            "process": input.process.as_str(),
            "schemaversion": input.schema_version,
            "signature": signature,
            "encryptedhash": encrypted_hash,
            "providername": PROVIDER_NAME,
            "providerversion": PROVIDER_VERSION,
            "creationdate": cbeff::iso_millis(input.created_at),
            "refid": input.rid.ref_id(),
        });
        self.zip.add(
            &format!("{}.json", self.entry_stem(sub)),
            &serde_json::to_vec(&metadata).map_err(json_error)?,
            Packing::Deflated,
        )?;
        self.entries.push(SubpacketEntry {
            name: sub.as_str().to_owned(),
            encrypted_hash,
            signature,
        });
        Ok(())
    }
}

/// The plaintext zip of one sub-packet, each CBEFF written straight into it. CBEFF XML is stored,
/// not deflated: it is mostly base64 of already-compressed ISO images (JPEG 2000, WSQ), and
/// deflating it cost a third of the build time for almost no gain.
fn subpacket_zip(
    input: &PacketInput,
    sub: Subpacket,
    audit: &[u8],
    common_meta: &Map<String, Value>,
) -> Result<Vec<u8>, PacketError> {
    let mut identity = Map::new();
    identity.insert("IDSchemaVersion".into(), json!(input.schema_version));
    for (field, value) in &input.demographics {
        if has_value(value) && input.routes(field, sub) {
            identity.insert(field.clone(), value.clone());
        }
    }
    let mut bio_fields = Vec::new();
    for field in &input.biometrics {
        if input.routes(&field.field, sub) {
            let stem = cbeff::file_stem(&field.field);
            identity.insert(
                field.field.clone(),
                json!({"format": "cbeff", "version": 1.0, "value": stem}),
            );
            bio_fields.push((stem, field));
        }
    }
    let mut docs = Vec::new();
    for doc in &input.documents {
        if input.routes(&doc.field, sub) {
            let mut value =
                json!({"format": doc.format, "type": doc.type_code, "value": doc.field});
            if let Some(number) = &doc.ref_number {
                value["refNumber"] = json!(number);
            }
            identity.insert(doc.field.clone(), value);
            docs.push(doc);
        }
    }
    let id_json = serde_json::to_vec(&json!({ "identity": identity })).map_err(json_error)?;

    let mut sequence1 = Vec::new();
    if !bio_fields.is_empty() {
        let names: Vec<&str> = bio_fields.iter().map(|(stem, _)| stem.as_str()).collect();
        sequence1.push(json!({"label": "biometricSequence", "value": names}));
    }
    let demographic: Vec<&str> = std::iter::once("ID")
        .chain(docs.iter().map(|d| d.field.as_str()))
        .collect();
    sequence1.push(json!({"label": "demographicSequence", "value": demographic}));
    let with_audit = sub == Subpacket::Id;
    let (sequence2, operations_hash) = if with_audit {
        (
            json!([{"label": "otherFiles", "value": ["audit"]}]),
            sha256(audit),
        )
    } else {
        (json!([]), sha256(b""))
    };
    let mut meta = common_meta.clone();
    meta.insert("hashSequence1".into(), Value::Array(sequence1));
    meta.insert("hashSequence2".into(), sequence2);
    let meta_json = serde_json::to_vec(&json!({ "identity": meta })).map_err(json_error)?;

    let capacity = id_json.len()
        + bio_fields
            .iter()
            .map(|(_, field)| cbeff::xml_len_estimate(field))
            .sum::<usize>()
        + docs.iter().map(|d| d.bytes.len()).sum::<usize>()
        + meta_json.len()
        + audit.len()
        + 4096;
    let mut zip = ZipBuilder::new(input.created_at, capacity);
    zip.add("ID.json", &id_json, Packing::Deflated)?;
    for doc in &docs {
        let name = format!("{}.{}", doc.field, doc.format);
        zip.add(&name, &doc.bytes, Packing::Stored)?;
    }
    // The data hash (MOSIP's order: CBEFF files, ID.json, documents) reads each CBEFF as it lands
    // in the zip, in the same pass as its CRC.
    let mut data_hash = Sha256::new();
    for (stem, field) in &bio_fields {
        zip.add_stored_with(
            &format!("{stem}.xml"),
            |buf| cbeff::write_into(field, buf),
            |chunk| data_hash.update(chunk),
        )?;
    }
    if with_audit {
        zip.add("audit.json", audit, Packing::Deflated)?;
    }
    zip.add("packet_meta_info.json", &meta_json, Packing::Deflated)?;
    data_hash.update(&id_json);
    for doc in &docs {
        data_hash.update(&doc.bytes);
    }
    zip.add(
        "packet_data_hash.txt",
        hex_upper(&data_hash.finalize()).as_bytes(),
        Packing::Stored,
    )?;
    zip.add(
        "packet_operations_hash.txt",
        hex_upper(&operations_hash).as_bytes(),
        Packing::Stored,
    )?;
    zip.finish()
}

/// The meta info shared by every sub-packet (all but the hash sequences).
fn common_meta(input: &PacketInput) -> Map<String, Value> {
    let rid = input.rid.as_str();
    let label = |label: &str, value: Value| json!({"label": label, "value": value});
    let auth = |method: Option<AuthMethod>, wanted: AuthMethod| {
        json!(method.map(|m| (m == wanted).to_string()))
    };
    let ops = &input.operators;
    let officer = Some(ops.officer_auth);
    let meta_data = vec![
        label("registrationId", json!(rid)),
        label("applicationId", json!(rid)),
        label(
            "creationDate",
            json!(super::rid::timestamp(input.created_at)),
        ),
        label(
            "Registration Client Version Number",
            json!(env!("CARGO_PKG_VERSION")),
        ),
        label("registrationType", json!(registration_type(input.process))),
        label("preRegistrationId", Value::Null),
        label("machineId", json!(input.rid.machine_id())),
        label("centerId", json!(input.rid.centre_id())),
        label("langCodes", json!(input.langs.join(","))),
        label(
            "consentOfApplicant",
            json!(if input.consent { "Yes" } else { "No" }),
        ),
        label("auditHead", json!(input.audit_head)),
    ];
    let operations = vec![
        label("officerId", json!(ops.officer_id)),
        label("officerBiometricFileName", Value::Null),
        label("supervisorId", json!(ops.supervisor_id)),
        label("supervisorBiometricFileName", Value::Null),
        label(
            "supervisorPassword",
            auth(ops.supervisor_auth, AuthMethod::Password),
        ),
        label("officerPassword", auth(officer, AuthMethod::Password)),
        label("supervisorPIN", pin(ops.supervisor_auth)),
        label("officerPIN", pin(officer)),
        label(
            "supervisorOTPAuthentication",
            auth(ops.supervisor_auth, AuthMethod::Otp),
        ),
        label("officerOTPAuthentication", auth(officer, AuthMethod::Otp)),
    ];
    let mut biometrics = Map::new();
    let mut exceptions = Map::new();
    for field in &input.biometrics {
        let captured: Map<String, Value> = field
            .captures
            .iter()
            .map(|c| {
                let entry = json!({
                    "numRetry": c.retries,
                    "forceCaptured": c.force_captured,
                    "BIRIndex": c.bir_index,
                });
                (c.attribute.as_str().to_owned(), entry)
            })
            .collect();
        let missing: Map<String, Value> = field
            .exceptions
            .iter()
            .map(|e| {
                let entry = json!({
                    "type": e.attribute.modality().as_str(),
                    "missingBiometric": e.attribute.as_str(),
                    "reason": e.reason,
                    "exceptionType": e.exception_type,
                    "individualType": field.subject,
                });
                (e.attribute.as_str().to_owned(), entry)
            })
            .collect();
        biometrics.insert(field.subject.clone(), Value::Object(captured));
        exceptions.insert(field.subject.clone(), Value::Object(missing));
    }
    let documents: Vec<Value> = input
        .documents
        .iter()
        .map(|d| {
            json!({
                "documentName": d.field,
                "documentCategory": d.category,
                "documentOwner": d.owner,
                "documentType": d.type_code,
                "refNumber": d.ref_number,
            })
        })
        .collect();

    let mut meta = Map::new();
    meta.insert("metaData".into(), Value::Array(meta_data));
    meta.insert("operationsData".into(), Value::Array(operations));
    meta.insert("biometrics".into(), Value::Object(biometrics));
    meta.insert("exceptionBiometrics".into(), Value::Object(exceptions));
    meta.insert("documents".into(), Value::Array(documents));
    meta.insert("capturedRegisteredDevices".into(), json!(input.devices));
    for doc in &input.documents {
        meta.insert(doc.field.clone(), json!(doc.type_code));
    }
    if let Some(gps) = input.gps {
        meta.insert("geoLocLatitude".into(), json!(gps.latitude.to_string()));
        meta.insert("geoLoclongitude".into(), json!(gps.longitude.to_string()));
    }
    meta.insert("registrationId".into(), json!(rid));
    meta.insert(
        "creationDate".into(),
        json!(cbeff::iso_millis(input.created_at)),
    );
    meta
}

fn pin(method: Option<AuthMethod>) -> Value {
    match method {
        Some(AuthMethod::Pin) => json!("true"),
        _ => Value::Null,
    }
}

/// MOSIP's flow category for `registrationType`.
fn registration_type(process: Process) -> &'static str {
    match process {
        Process::New => "New",
        Process::Update => "Update",
        Process::Lost => "Lost",
        Process::BiometricCorrection => "Correction",
    }
}

/// Whether a demographic value is worth writing (MOSIP writes only fields with values).
fn has_value(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Rejects input that would make a malformed packet.
fn check_input(input: &PacketInput) -> Result<(), PacketError> {
    let bad = |msg: String| Err(PacketError::Input(msg));
    if input.audit.is_empty() {
        return Err(PacketError::AuditsRequired);
    }
    if !input.schema_version.is_finite() {
        return bad("the schema version is not a number".into());
    }
    if input.operators.officer_id.trim().is_empty() {
        return bad("the officer id is empty".into());
    }
    let mut names = std::collections::BTreeSet::new();
    for doc in &input.documents {
        if !is_file_stem(&doc.field) || !is_file_stem(&doc.format) {
            return bad(format!(
                "document {:?}.{:?} is not a safe file name",
                doc.field, doc.format
            ));
        }
        if doc.bytes.is_empty() {
            return bad(format!("document {} is empty", doc.field));
        }
        if !names.insert(doc.field.to_ascii_lowercase()) {
            return bad(format!("field {} appears twice", doc.field));
        }
    }
    for field in &input.biometrics {
        if !is_file_stem(&field.field) {
            return bad(format!(
                "biometrics field {:?} is not a safe name",
                field.field
            ));
        }
        if !names.insert(cbeff::file_stem(&field.field).to_ascii_lowercase()) {
            return bad(format!("field {} appears twice", field.field));
        }
        let mut attributes = std::collections::BTreeSet::new();
        let all = field
            .captures
            .iter()
            .map(|c| c.attribute)
            .chain(field.exceptions.iter().map(|e| e.attribute));
        for attribute in all {
            if !attributes.insert(attribute) {
                return bad(format!(
                    "{} is given twice in {}",
                    attribute.as_str(),
                    field.field
                ));
            }
        }
        if let Some(c) = field.captures.iter().find(|c| c.iso.is_empty()) {
            return bad(format!("{} has no ISO record", c.attribute.as_str()));
        }
    }
    if names.contains("id") || names.contains("audit") {
        return bad("a field may not be named ID or audit".into());
    }
    if let Some(gps) = input.gps
        && !(gps.latitude.is_finite() && gps.longitude.is_finite())
    {
        return bad("GPS coordinates are not numbers".into());
    }
    Ok(())
}

fn is_file_stem(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn json_error(e: serde_json::Error) -> PacketError {
    PacketError::Input(format!("cannot encode JSON: {e}"))
}

/// RFC 3339 UTC with seconds, for the manifest.
pub fn rfc3339(at: OffsetDateTime) -> String {
    let t = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
