//! Compact JWS (RFC 7515) signing with RS256 and the signer's certificate in `x5c`, as SBI
//! 0.9.5 §3.2 requires for deviceInfo, digitalId and capture data.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum JwsError {
    #[error("the RSA key cannot sign: {0}")]
    KeyRejected(String),
    #[error("the payload cannot be serialised: {0}")]
    Payload(#[from] serde_json::Error),
    #[error("the RSA signature operation failed")]
    Signature,
}

/// base64url without padding, the encoding of every JWS segment and of unsigned payloads.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The unsigned form: base64url of the JSON payload (discovery, Not Registered).
pub fn unsigned<T: Serialize>(payload: &T) -> String {
    b64url(&serde_json::to_vec(payload).unwrap_or_default())
}

/// An RS256 signer prepared once per key: the key pair with its CRT and Montgomery values
/// precomputed (ring), and the encoded protected header carrying the certificate in `x5c`.
pub struct JwsSigner {
    key_pair: RsaKeyPair,
    header: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for JwsSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwsSigner").finish_non_exhaustive()
    }
}

impl JwsSigner {
    /// From the PKCS#8 DER of the private key and the DER of its certificate.
    pub fn new(pkcs8_der: &[u8], certificate_der: &[u8]) -> Result<JwsSigner, JwsError> {
        let key_pair = RsaKeyPair::from_pkcs8(pkcs8_der)
            .map_err(|rejected| JwsError::KeyRejected(rejected.to_string()))?;
        let header = serde_json::json!({
            "alg": "RS256",
            "typ": "JWT",
            "x5c": [STANDARD.encode(certificate_der)],
        });
        Ok(JwsSigner {
            key_pair,
            header: b64url(header.to_string().as_bytes()),
            rng: SystemRandom::new(),
        })
    }

    /// Signs the JSON of `payload` as `header.payload.signature`, built in one buffer.
    pub fn sign<T: Serialize>(&self, payload: &T) -> Result<String, JwsError> {
        let json = serde_json::to_vec(payload)?;
        let mut signature = vec![0; self.key_pair.public().modulus_len()];
        let mut jws = String::with_capacity(
            self.header.len() + json.len() * 4 / 3 + signature.len() * 4 / 3 + 8,
        );
        jws.push_str(&self.header);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(&json, &mut jws);
        self.key_pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, jws.as_bytes(), &mut signature)
            .map_err(|_| JwsError::Signature)?;
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut jws);
        Ok(jws)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::EncodePrivateKey;
    use rsa::signature::Verifier;
    use sha2::Sha256;

    #[test]
    fn signatures_verify_as_rs256_with_the_certificate_in_x5c() {
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("key");
        let der = key.to_pkcs8_der().expect("pkcs8");
        let signer = JwsSigner::new(der.as_bytes(), b"certificate").expect("signer");
        let jws = signer.sign(&serde_json::json!({"a": "b"})).expect("signs");
        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["x5c"][0], STANDARD.encode(b"certificate"));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(parts[1]).expect("b64"),
            br#"{"a":"b"}"#
        );
        let signature =
            Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).expect("b64").as_slice())
                .expect("signature");
        VerifyingKey::<Sha256>::new(key.to_public_key())
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("verifies");
        assert!(matches!(
            JwsSigner::new(b"not a key", b""),
            Err(JwsError::KeyRejected(_))
        ));
    }
}
