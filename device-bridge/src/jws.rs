//! Compact JWS (RFC 7515) signing with RS256 and the signer's certificate in `x5c`, as SBI
//! 0.9.5 §3.2 requires for deviceInfo, digitalId and capture data.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde::Serialize;
use sha2::Sha256;

use crate::keys::SigningIdentity;

/// base64url without padding, the encoding of every JWS segment and of unsigned payloads.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The unsigned form: base64url of the JSON payload (discovery, Not Registered).
pub fn unsigned<T: Serialize>(payload: &T) -> String {
    b64url(&serde_json::to_vec(payload).unwrap_or_default())
}

/// Signs the JSON of `payload` as `header.payload.signature`.
pub fn sign<T: Serialize>(identity: &SigningIdentity, payload: &T) -> String {
    let header = serde_json::json!({
        "alg": "RS256",
        "typ": "JWT",
        "x5c": [STANDARD.encode(&identity.certificate_der)],
    });
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        unsigned(payload)
    );
    let key = SigningKey::<Sha256>::new(identity.key.clone());
    let signature = key.sign(signing_input.as_bytes()).to_vec();
    format!("{signing_input}.{}", b64url(&signature))
}
