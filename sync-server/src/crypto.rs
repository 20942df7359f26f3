//! Cryptography used by the server: digests, the server's Ed25519 signing key (receipts and
//! publications), machine RSA signature checks (SHA256withRSA, PKCS#1 v1.5) and Argon2id
//! operator password hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 (request bodies, publication contents).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes), false)
}

/// Hex encoding, upper or lower case.
pub fn hex(bytes: &[u8], upper: bool) -> String {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(digits[usize::from(b >> 4)] as char);
        out.push(digits[usize::from(b & 15)] as char);
    }
    out
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes URL-safe base64, with or without padding.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// Equality of two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A random URL-safe token with 256 bits of entropy.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    b64url(&bytes)
}

/// The server's Ed25519 key, which signs receipts and publications.
pub struct ServerKey {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerKey({})", self.public_key_b64())
    }
}

impl ServerKey {
    /// A fresh key as PKCS#8 DER.
    pub fn generate_pkcs8() -> Vec<u8> {
        // Generation fails only when the OS random source does, which leaves nothing to run.
        Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .map(|doc| doc.as_ref().to_vec())
            .unwrap_or_default()
    }

    pub fn from_pkcs8(der: &[u8]) -> Option<ServerKey> {
        Ed25519KeyPair::from_pkcs8(der)
            .ok()
            .map(|pair| ServerKey { pair })
    }

    /// URL-safe base64 (no padding) signature over `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        b64url(self.pair.sign(message).as_ref())
    }

    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    pub fn public_key_b64(&self) -> String {
        b64url(self.public_key())
    }

    /// The public key as a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_key_pem(&self) -> String {
        use base64::engine::general_purpose::STANDARD;
        // SEQUENCE { SEQUENCE { OID 1.3.101.112 (Ed25519) }, BIT STRING (32 bytes) }
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(self.public_key());
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der)
        )
    }
}

/// Checks a server signature (as a client would, offline) against the raw Ed25519 public key.
pub fn verify_server_signature(public_key: &[u8], message: &[u8], signature_b64: &str) -> bool {
    b64url_decode(signature_b64).is_some_and(|sig| {
        UnparsedPublicKey::new(&ED25519, public_key)
            .verify(message, &sig)
            .is_ok()
    })
}

/// A machine's registered RSA public key.
#[derive(Debug, Clone)]
pub struct MachineKey(VerifyingKey<Sha256>);

/// Why a machine public key was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MachineKeyError {
    #[error("not a PEM RSA public key (SPKI or PKCS#1)")]
    NotRsaPem,
    #[error("RSA key of {0} bits; 2048 to 4096 bits are accepted")]
    BadSize(usize),
}

impl MachineKey {
    pub fn from_pem(pem: &str) -> Result<MachineKey, MachineKeyError> {
        let key = RsaPublicKey::from_public_key_pem(pem.trim())
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem.trim()))
            .map_err(|_| MachineKeyError::NotRsaPem)?;
        let bits = key.n().bits();
        if !(2048..=4096).contains(&bits) {
            return Err(MachineKeyError::BadSize(bits));
        }
        Ok(MachineKey(VerifyingKey::new(key)))
    }

    /// Whether `signature_b64` (URL-safe base64) is this key's SHA256withRSA signature of `message`.
    pub fn verifies(&self, message: &[u8], signature_b64: &str) -> bool {
        b64url_decode(signature_b64)
            .and_then(|raw| Signature::try_from(raw.as_slice()).ok())
            .is_some_and(|sig| self.0.verify(message, &sig).is_ok())
    }
}

/// Argon2id cost of operator password verifiers: the client's key-slot cost (64 MiB, one pass,
/// one lane), because a machine wraps an operator's first-login key slot under the verifier's
/// salt and cost; a lower cost here would make that slot cheaper to guess than the others.
pub const PASSWORD_COST_KIB: u32 = 64 * 1024;

/// An Argon2id hash (PHC string) of an operator password.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let params = argon2::Params::new(PASSWORD_COST_KIB, 1, 1, None)?;
    Ok(
        Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)?
            .to_string(),
    )
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_signatures_verify_and_detect_changes() {
        let key = ServerKey::from_pkcs8(&ServerKey::generate_pkcs8()).unwrap();
        let sig = key.sign(b"receipt");
        assert!(verify_server_signature(key.public_key(), b"receipt", &sig));
        assert!(!verify_server_signature(
            key.public_key(),
            b"receipt!",
            &sig
        ));
        assert!(!verify_server_signature(
            key.public_key(),
            b"receipt",
            "garbage"
        ));
    }

    #[test]
    fn server_key_pem_is_ed25519_spki() {
        use base64::engine::general_purpose::STANDARD;
        let key = ServerKey::from_pkcs8(&ServerKey::generate_pkcs8()).unwrap();
        let pem = key.public_key_pem();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = STANDARD.decode(b64).unwrap();
        assert_eq!(der.len(), 44);
        assert_eq!(&der[12..], key.public_key());
    }

    #[test]
    fn passwords_hash_with_argon2id() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=65536,t=1,p=1$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn hex_and_secret_comparison() {
        assert_eq!(hex(&[0xab, 0x01], true), "AB01");
        assert_eq!(sha256_hex(b"").len(), 64);
        assert!(constant_time_eq(b"token", b"token"));
        assert!(!constant_time_eq(b"token", b"tokem"));
        assert!(!constant_time_eq(b"token", b"token2"));
    }

    #[test]
    fn machine_keys_must_be_rsa_pem() {
        assert_eq!(
            MachineKey::from_pem("hello").unwrap_err(),
            MachineKeyError::NotRsaPem
        );
    }
}
