//! Small authenticated-encryption helpers: AES-256-GCM sealing of keys, Argon2id key derivation
//! and random bytes. Every secret the client keeps outside the database goes through here.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Error;

/// A 256-bit secret that is wiped from memory when dropped.
pub type Secret = Zeroizing<[u8; 32]>;

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Crypto("the system random generator failed"))?;
    Ok(bytes)
}

/// A fresh random 256-bit secret.
pub fn random_secret() -> Result<Secret, Error> {
    Ok(Zeroizing::new(random_bytes::<32>()?))
}

/// Encrypts `plaintext` under `key`; the output is `nonce || ciphertext || tag` and `aad` is bound
/// to it, so a sealed value cannot be moved to another context.
pub fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let nonce = random_bytes::<NONCE_LEN>()?;
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
    out.extend_from_slice(&nonce);
    let mut body = plaintext.to_vec();
    aes_key(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut body,
        )
        .map_err(|_| Error::Crypto("encryption failed"))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens a value made by [`seal`]; `None` when the key, the context or the bytes are wrong.
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut body = Zeroizing::new(body.to_vec());
    let plain_len = aes_key(key)
        .ok()?
        .open_in_place(nonce, Aad::from(aad), &mut body)
        .ok()?
        .len();
    body.truncate(plain_len);
    Some(body)
}

/// Opens a sealed 256-bit secret.
pub fn open_secret(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Secret> {
    let plain = open(key, aad, sealed)?;
    let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
    Some(Zeroizing::new(bytes))
}

fn aes_key(key: &[u8; 32]) -> Result<LessSafeKey, Error> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| Error::Crypto("bad AES key"))
}

/// Argon2id cost parameters, stored next to every value derived with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The production cost: 64 MiB, 1 pass, 1 lane — above OWASP's Argon2id baseline (46 MiB,
    /// t=1) and within the 300 ms login budget on a loaded 2-core machine, where t=3 took
    /// 360 ms and t=2 270 ms of Argon2id alone (`benches/store.rs`). Each slot records its own
    /// cost, so raising it later only affects new and re-wrapped slots.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 1,
        p: 1,
    };
    /// The smallest cost a slot may declare; anything cheaper is refused as tampered.
    pub const FLOOR: KdfParams = KdfParams {
        m_kib: 8 * 1024,
        t: 1,
        p: 1,
    };

    /// Whether a key may be derived at this cost: at least [`KdfParams::FLOOR`], at most 4 GiB
    /// and 64 passes.
    pub fn is_usable(&self) -> bool {
        self.m_kib >= Self::FLOOR.m_kib
            && self.t >= Self::FLOOR.t
            && self.p >= Self::FLOOR.p
            && self.m_kib <= 4 * 1024 * 1024
            && self.t <= 64
    }
}

/// Derives a 256-bit key from a password with Argon2id.
pub fn derive_key(password: &str, salt: &[u8], params: KdfParams) -> Result<Secret, Error> {
    if !params.is_usable() {
        return Err(Error::KeyringMalformed(
            "key-derivation parameters out of range".into(),
        ));
    }
    let argon_params = argon2::Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|_| Error::KeyringMalformed("key-derivation parameters invalid".into()))?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(password.as_bytes(), salt, out.as_mut())
        .map_err(|_| Error::Crypto("key derivation failed"))?;
    Ok(out)
}

/// What a key can be derived from in an Argon2id PHC password verifier
/// (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`): its cost, its salt, and its 32-byte hash, which
/// equals `derive_key(password, salt, kdf)` for the right password.
pub struct Argon2idVerifier {
    pub kdf: KdfParams,
    pub salt: Vec<u8>,
    pub hash: Secret,
}

impl Argon2idVerifier {
    /// The parts of `phc`; `None` unless it is Argon2id version 19 with a 32-byte hash and a
    /// usable cost.
    pub fn parse(phc: &str) -> Option<Argon2idVerifier> {
        let hash = argon2::PasswordHash::new(phc).ok()?;
        if hash.algorithm != argon2::Algorithm::Argon2id.ident()
            || hash.version != Some(argon2::Version::V0x13.into())
        {
            return None;
        }
        let params = argon2::Params::try_from(&hash).ok()?;
        let kdf = KdfParams {
            m_kib: params.m_cost(),
            t: params.t_cost(),
            p: params.p_cost(),
        };
        let mut buffer = [0u8; 64];
        let salt = hash.salt?.decode_b64(&mut buffer).ok()?.to_vec();
        let bytes: [u8; 32] = hash.hash?.as_bytes().try_into().ok()?;
        kdf.is_usable().then(|| Argon2idVerifier {
            kdf,
            salt,
            hash: Zeroizing::new(bytes),
        })
    }
}

/// SHA-256 of `parts`, each length-prefixed so that field boundaries cannot shift.
pub fn sha256_fields(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses lower- or upper-case hexadecimal.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let key = random_secret().unwrap();
        let other = random_secret().unwrap();
        let sealed = seal(&key, b"slot:alice", b"secret").unwrap();
        assert_eq!(
            open(&key, b"slot:alice", &sealed).unwrap().as_slice(),
            b"secret"
        );
        assert!(open(&other, b"slot:alice", &sealed).is_none());
        assert!(open(&key, b"slot:bob", &sealed).is_none());
        assert!(open(&key, b"slot:alice", &sealed[..10]).is_none());
    }

    /// A verifier made by the `argon2` crate (as the server makes them) yields the key
    /// `derive_key` derives from the same password, salt and cost.
    #[test]
    fn verifier_hash_is_the_derived_key() {
        use argon2::PasswordHasher;
        let salt = argon2::password_hash::SaltString::generate(&mut rand_core::OsRng);
        let params = argon2::Params::new(8 * 1024, 2, 1, None).unwrap();
        let phc = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        let verifier = Argon2idVerifier::parse(&phc).unwrap();
        assert_eq!(
            verifier.kdf,
            KdfParams {
                m_kib: 8 * 1024,
                t: 2,
                p: 1
            }
        );
        let derived = derive_key("correct horse", &verifier.salt, verifier.kdf).unwrap();
        assert_eq!(*derived, *verifier.hash);
        let wrong = derive_key("wrong horse", &verifier.salt, verifier.kdf).unwrap();
        assert_ne!(*wrong, *verifier.hash);
        let cheap = phc.replace("m=8192", "m=1024");
        assert!(Argon2idVerifier::parse(&cheap).is_none(), "below the floor");
        assert!(Argon2idVerifier::parse(&phc.replace("argon2id", "argon2i")).is_none());
        assert!(Argon2idVerifier::parse("not a verifier").is_none());
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(unhex("000fff"), Some(vec![0, 15, 255]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
    }
}
