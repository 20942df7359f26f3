//! Compact JWS (RFC 7515) as SBI signs deviceInfo, digitalId and capture data: RS256 with the
//! signer's certificate first in `x5c` (§3.2). Verification only; trust is [`super::trust`].

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde::Deserialize;
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

use super::error::SbiError;

/// A JWS whose signature verified against the certificate it carries.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The decoded payload bytes (JSON).
    pub payload: Vec<u8>,
    /// DER of the signer's certificate (`x5c[0]`).
    pub certificate_der: Vec<u8>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    x5c: Vec<String>,
}

/// Decodes base64url with or without padding.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()
}

/// Decodes an unsigned block: `b64url(payload)` with no dots (discovery, Not Registered).
pub fn unsigned_payload(text: &str, what: &'static str) -> Result<Vec<u8>, SbiError> {
    b64url_decode(text).ok_or_else(|| SbiError::Signature {
        what,
        reason: "not base64url".into(),
    })
}

/// Verifies `jws` (RS256, signer in `x5c`) and returns its payload and signer certificate.
pub fn verify(jws: &str, what: &'static str) -> Result<Verified, SbiError> {
    let fail = |reason: &str| SbiError::Signature {
        what,
        reason: reason.to_owned(),
    };
    let mut parts = jws.trim().split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(fail("not a compact JWS (header.payload.signature)"));
    };
    let header: Header = b64url_decode(header_b64)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| fail("unreadable header"))?;
    if header.alg != "RS256" {
        return Err(fail(&format!("algorithm {:?} is not RS256", header.alg)));
    }
    let certificate_der = header
        .x5c
        .first()
        .and_then(|cert| STANDARD.decode(cert.trim()).ok())
        .ok_or_else(|| fail("no readable certificate in x5c"))?;
    let key =
        certificate_key(&certificate_der).ok_or_else(|| fail("x5c is not an RSA certificate"))?;
    let signature = b64url_decode(signature_b64)
        .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| fail("unreadable signature"))?;
    let signing_input = &jws.trim()[..header_b64.len() + 1 + payload_b64.len()];
    VerifyingKey::<Sha256>::new(key)
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| fail("the signature does not match the x5c certificate"))?;
    let payload = b64url_decode(payload_b64).ok_or_else(|| fail("unreadable payload"))?;
    Ok(Verified {
        payload,
        certificate_der,
    })
}

/// The RSA public key of a DER certificate.
pub fn certificate_key(der: &[u8]) -> Option<RsaPublicKey> {
    let certificate = Certificate::from_der(der).ok()?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .ok()?;
    RsaPublicKey::from_public_key_der(&spki).ok()
}
