//! CBEFF (ISO/IEC 19785-3) biometric XML as MOSIP writes it: a root `BIR` holding one nested
//! `BIR` per attribute, each with its BDBInfo, the base64 ISO record (`BDB`) and `others`
//! entries; an exception is a nested BIR with `EXCEPTION=true` and no BDB.

use std::collections::BTreeMap;
use std::io;

use base64_simd::URL_SAFE_NO_PAD;
use quick_xml::Writer;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::reader::Reader;
use time::OffsetDateTime;

use super::crypto::base64_any;
use super::error::PacketError;
use super::input::{BioAttribute, BiometricField, Modality};

/// The CBEFF XML namespace.
pub const NAMESPACE: &str = "http://standards.iso.org/iso-iec/19785/-3/ed-2/";

/// The file stem of a biometrics field's CBEFF (`<field>_bio_CBEFF`).
pub fn file_stem(field: &str) -> String {
    format!("{field}_bio_CBEFF")
}

/// Writes the CBEFF XML of one biometrics field.
pub fn write(field: &BiometricField) -> Result<Vec<u8>, PacketError> {
    let mut out = Vec::with_capacity(xml_len_estimate(field));
    write_into(field, &mut out)?;
    Ok(out)
}

/// About how long a field's CBEFF XML is (for buffer capacity).
pub fn xml_len_estimate(field: &BiometricField) -> usize {
    let bdbs: usize = field
        .captures
        .iter()
        .map(|c| c.iso.len().div_ceil(3) * 4)
        .sum();
    bdbs + 4096 + 2048 * (field.captures.len() + field.exceptions.len())
}

/// Appends the CBEFF XML of one biometrics field to `out`, each BDB base64-encoded (SIMD)
/// straight into it.
pub fn write_into(field: &BiometricField, out: &mut Vec<u8>) -> Result<(), PacketError> {
    let mut w = Writer::new_with_indent(out, b' ', 3);
    write_document(&mut w, field).map_err(|e| PacketError::Cbeff(e.to_string()))
}

fn write_document(w: &mut Writer<&mut Vec<u8>>, field: &BiometricField) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("BIR")
        .with_attribute(("xmlns", NAMESPACE))
        .write_inner_content(|w| {
            integrity(w)?;
            for capture in &field.captures {
                let others = [
                    ("EXCEPTION", "false".to_owned()),
                    ("RETRIES", capture.retries.to_string()),
                    ("SDK_SCORE", format!("{:?}", capture.sdk_score)),
                    ("FORCE_CAPTURED", capture.force_captured.to_string()),
                    ("PAYLOAD", capture.payload.clone().unwrap_or_default()),
                    ("SPEC_VERSION", capture.spec_version.clone()),
                ];
                bir(
                    w,
                    capture.attribute,
                    capture.captured_at,
                    capture.quality,
                    Some(&capture.iso),
                    &others,
                )?;
            }
            for exception in &field.exceptions {
                let others = [
                    ("EXCEPTION", "true".to_owned()),
                    ("RETRIES", "0".to_owned()),
                    ("SDK_SCORE", "0.0".to_owned()),
                    ("FORCE_CAPTURED", "false".to_owned()),
                    ("PAYLOAD", String::new()),
                    ("SPEC_VERSION", String::new()),
                ];
                bir(
                    w,
                    exception.attribute,
                    OffsetDateTime::UNIX_EPOCH,
                    0,
                    None,
                    &others,
                )?;
            }
            let configured: Vec<&str> = field
                .captures
                .iter()
                .map(|c| c.attribute)
                .chain(field.exceptions.iter().map(|e| e.attribute))
                .map(BioAttribute::as_str)
                .collect();
            w.create_element("Others").write_inner_content(|w| {
                text(w, "Key", "CONFIGURED")?;
                text(w, "Value", &configured.join(", "))
            })?;
            Ok(())
        })?;
    Ok(())
}

/// One nested BIR; `bdb` is its ISO record, absent for an exception.
fn bir(
    w: &mut Writer<&mut Vec<u8>>,
    attribute: BioAttribute,
    created: OffsetDateTime,
    quality: u32,
    bdb: Option<&[u8]>,
    others: &[(&str, String)],
) -> io::Result<()> {
    let modality = attribute.modality();
    w.create_element("BIR").write_inner_content(|w| {
        for version in ["Version", "CBEFFVersion"] {
            w.create_element(version).write_inner_content(|w| {
                text(w, "Major", "1")?;
                text(w, "Minor", "1")
            })?;
        }
        integrity(w)?;
        w.create_element("BDBInfo").write_inner_content(|w| {
            w.create_element("Format").write_inner_content(|w| {
                text(w, "Organization", "Mosip")?;
                text(w, "Type", &modality.format_type().to_string())
            })?;
            text(w, "CreationDate", &iso_millis(created))?;
            text(w, "Type", modality.as_str())?;
            text(w, "Subtype", attribute.subtype())?;
            text(w, "Level", "Raw")?;
            text(w, "Purpose", "Enroll")?;
            w.create_element("Quality").write_inner_content(|w| {
                w.create_element("Algorithm").write_inner_content(|w| {
                    text(w, "Organization", "HMAC")?;
                    text(w, "Type", "SHA-256")
                })?;
                text(w, "Score", &quality.to_string())
            })?;
            Ok(())
        })?;
        if let Some(iso) = bdb {
            // As `write_text_content` would write it (base64 never needs escaping); the empty
            // text event keeps the end tag on the same line.
            w.write_event(Event::Start(BytesStart::new("BDB")))?;
            URL_SAFE_NO_PAD.encode_append(iso, &mut **w.get_mut());
            w.write_event(Event::Text(BytesText::from_escaped("")))?;
            w.write_event(Event::End(BytesEnd::new("BDB")))?;
        }
        w.create_element("others").write_inner_content(|w| {
            for (key, value) in others {
                w.create_element("entry")
                    .with_attribute(("key", *key))
                    .write_text_content(BytesText::new(value))?;
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

fn integrity(w: &mut Writer<&mut Vec<u8>>) -> io::Result<()> {
    w.create_element("BIRInfo")
        .write_inner_content(|w| text(w, "Integrity", "false"))?;
    Ok(())
}

fn text(w: &mut Writer<&mut Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    if value.is_empty() {
        w.create_element(name).write_empty()?;
    } else {
        w.create_element(name)
            .write_text_content(BytesText::new(value))?;
    }
    Ok(())
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC, MOSIP's ISO date form.
pub fn iso_millis(at: OffsetDateTime) -> String {
    let t = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// One nested BIR read back from CBEFF XML.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BirRecord {
    /// BDBInfo `Type` (`Finger`, `Iris`, `Face`).
    pub modality: String,
    /// BDBInfo `Subtype` (`Right IndexFinger`, `Left`, empty for face).
    pub subtype: String,
    /// BDBInfo Format `Type` (7, 8, 9).
    pub format_type: String,
    pub quality: Option<u32>,
    pub level: String,
    pub purpose: String,
    /// The decoded ISO record; absent for exceptions.
    pub bdb: Option<Vec<u8>>,
    /// The `others` entries.
    pub others: BTreeMap<String, String>,
}

impl BirRecord {
    pub fn attribute(&self) -> Option<BioAttribute> {
        BioAttribute::from_cbeff(&self.modality, &self.subtype)
    }

    pub fn is_exception(&self) -> bool {
        self.others
            .get("EXCEPTION")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    pub fn modality_kind(&self) -> Option<Modality> {
        self.attribute().map(BioAttribute::modality)
    }
}

/// Parses CBEFF XML into its nested BIRs.
pub fn parse(xml: &[u8]) -> Result<Vec<BirRecord>, PacketError> {
    let bad = |e: &dyn std::fmt::Display| PacketError::Cbeff(e.to_string());
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut records = Vec::new();
    let mut current = BirRecord::default();
    let mut text_buf = String::new();
    let mut entry_key: Option<String> = None;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| bad(&e))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().into_inner().to_owned();
                if name == "entry" {
                    entry_key = e
                        .try_get_attribute("key")
                        .map_err(|e| bad(&e))?
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map(|v| v.into_owned())
                        })
                        .transpose()
                        .map_err(|e| bad(&e))?;
                }
                if name == "BIR" && path.len() == 1 {
                    current = BirRecord::default();
                }
                path.push(name);
                text_buf.clear();
            }
            Event::Empty(e) => {
                let name = e.local_name().into_inner().to_owned();
                path.push(name);
                text_buf.clear();
                store(&path, &mut current, "", entry_key.take())?;
                path.pop();
            }
            Event::Text(t) => text_buf.push_str(&t.xml10_content()),
            Event::CData(t) => text_buf.push_str(&t),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| bad(&e))? {
                    text_buf.push(c);
                } else {
                    let name = r.xml10_content();
                    let resolved = resolve_predefined_entity(&name)
                        .ok_or_else(|| PacketError::Cbeff(format!("unknown entity &{name};")))?;
                    text_buf.push_str(resolved);
                }
            }
            Event::End(_) => {
                let text = std::mem::take(&mut text_buf);
                store(&path, &mut current, &text, entry_key.take())?;
                if path.len() == 2 && path[1] == "BIR" {
                    records.push(std::mem::take(&mut current));
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if records.is_empty() {
        return Err(PacketError::Cbeff("no nested BIR".into()));
    }
    Ok(records)
}

fn store(
    path: &[String],
    record: &mut BirRecord,
    text: &str,
    entry_key: Option<String>,
) -> Result<(), PacketError> {
    if path.len() < 3 || path[0] != "BIR" || path[1] != "BIR" {
        return Ok(());
    }
    let rel: Vec<&str> = path[2..].iter().map(String::as_str).collect();
    match rel.as_slice() {
        ["BDBInfo", "Type"] => record.modality = text.to_owned(),
        ["BDBInfo", "Subtype"] => record.subtype = text.to_owned(),
        ["BDBInfo", "Format", "Type"] => record.format_type = text.to_owned(),
        ["BDBInfo", "Level"] => record.level = text.to_owned(),
        ["BDBInfo", "Purpose"] => record.purpose = text.to_owned(),
        ["BDBInfo", "Quality", "Score"] => record.quality = text.trim().parse().ok(),
        ["BDB"] => {
            let bytes =
                base64_any(text).ok_or_else(|| PacketError::Cbeff("BDB is not base64".into()))?;
            record.bdb = Some(bytes);
        }
        ["others", "entry"] => {
            if let Some(key) = entry_key {
                record.others.insert(key, text.to_owned());
            }
        }
        _ => {}
    }
    Ok(())
}
