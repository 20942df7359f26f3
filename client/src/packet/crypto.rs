//! MOSIP's packet cryptography: the encrypted-blob layout, SHA256withRSA signatures, digests and
//! the base64 flavours.
//!
//! Blob layout (keymanager with `prependThumbprint`, then `mergeEncryptedData`):
//! `nonce(12) ‖ aad(32) ‖ thumbprint(32) ‖ RSA-OAEP-SHA256/MGF1-SHA256(aes key) ‖
//! "#KEY_SPLITTER#" ‖ AES-256-GCM(ciphertext ‖ tag16)`.

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use rand_core::CryptoRngCore;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

use super::cert::PipelineCertificate;
use super::error::PacketError;

/// The separator between the wrapped key and the data (`mosip.kernel.data-key-splitter`).
pub const KEY_SPLITTER: &[u8] = b"#KEY_SPLITTER#";
/// Length of the additional authenticated data drawn per blob.
pub const AAD_LEN: usize = 32;
/// Length of the certificate thumbprint (SHA-256 of the DER certificate).
pub const THUMBPRINT_LEN: usize = 32;
/// Length of the AES-GCM tag.
pub const TAG_LEN: usize = 16;
const HEADER_LEN: usize = NONCE_LEN + AAD_LEN;

/// Encrypts `plaintext` to the pipeline certificate with a fresh AES-256 session key, in MOSIP's
/// byte layout.
pub fn seal(
    plaintext: &[u8],
    pipeline: &PipelineCertificate,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, PacketError> {
    let mut out = Vec::with_capacity(plaintext.len() + seal_overhead(pipeline));
    let sealing = begin_seal(&mut out, pipeline, rng)?;
    out.extend_from_slice(plaintext);
    sealing.finish(&mut out)?;
    Ok(out)
}

/// How many bytes sealing adds to a plaintext (header, wrapped key, splitter, tag).
pub fn seal_overhead(pipeline: &PipelineCertificate) -> usize {
    HEADER_LEN + THUMBPRINT_LEN + pipeline.public_key().size() + KEY_SPLITTER.len() + TAG_LEN
}

/// A blob being sealed in place: its header is in the buffer, and [`Sealing::finish`] encrypts
/// whatever was appended after it.
pub struct Sealing {
    key: LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: [u8; AAD_LEN],
    data_start: usize,
}

/// What a blob's header holds, made before the plaintext exists: a fresh AES-256 session key
/// wrapped to the pipeline (RSA-OAEP, the slow part), a nonce and the AAD.
pub struct BlobKey {
    key: LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: [u8; AAD_LEN],
    thumbprint: [u8; THUMBPRINT_LEN],
    wrapped: Vec<u8>,
}

/// Draws a blob's session key, nonce and AAD from `rng` and wraps the key to the pipeline.
pub fn blob_key(
    pipeline: &PipelineCertificate,
    rng: &mut impl CryptoRngCore,
) -> Result<BlobKey, PacketError> {
    let mut nonce = [0u8; NONCE_LEN];
    let mut aad = [0u8; AAD_LEN];
    let mut session_key = [0u8; 32];
    rng.fill_bytes(&mut nonce);
    rng.fill_bytes(&mut aad);
    rng.fill_bytes(&mut session_key);
    let wrapped = pipeline
        .public_key()
        .encrypt(rng, Oaep::new::<Sha256>(), &session_key)
        .map_err(|e| PacketError::Crypto(format!("wrapping the session key: {e}")))?;
    Ok(BlobKey {
        key: aes_key(&session_key)?,
        nonce,
        aad,
        thumbprint: *pipeline.thumbprint(),
        wrapped,
    })
}

/// Appends a blob's header to `out` with a fresh key (see [`blob_key`] and [`BlobKey::begin`]).
pub fn begin_seal(
    out: &mut Vec<u8>,
    pipeline: &PipelineCertificate,
    rng: &mut impl CryptoRngCore,
) -> Result<Sealing, PacketError> {
    Ok(blob_key(pipeline, rng)?.begin(out))
}

impl BlobKey {
    /// Appends the blob's header to `out` (nonce, AAD, certificate thumbprint, wrapped key, key
    /// splitter); the plaintext is then appended after it and encrypted in place by
    /// [`Sealing::finish`], so it is never copied.
    pub fn begin(self, out: &mut Vec<u8>) -> Sealing {
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.aad);
        out.extend_from_slice(&self.thumbprint);
        out.extend_from_slice(&self.wrapped);
        out.extend_from_slice(KEY_SPLITTER);
        Sealing {
            key: self.key,
            nonce: self.nonce,
            aad: self.aad,
            data_start: out.len(),
        }
    }
}

impl Sealing {
    /// Encrypts everything appended to `out` since the header, in place, and appends the tag.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(), PacketError> {
        let plaintext = out
            .get_mut(self.data_start..)
            .ok_or_else(|| PacketError::Crypto("the sealed buffer shrank".into()))?;
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(self.nonce),
                Aad::from(self.aad),
                plaintext,
            )
            .map_err(|_| PacketError::Crypto("AES-GCM encryption".into()))?;
        out.extend_from_slice(tag.as_ref());
        Ok(())
    }
}

/// The pipeline's private key with the thumbprint of its certificate, to open blobs.
#[derive(Debug, Clone)]
pub struct PipelineKey {
    pub private_key: RsaPrivateKey,
    pub thumbprint: [u8; THUMBPRINT_LEN],
}

/// Decrypts a blob in MOSIP's layout; `what` names it in errors.
pub fn open(blob: &[u8], key: &PipelineKey, what: &str) -> Result<Vec<u8>, PacketError> {
    let wrapped_len = key.private_key.size();
    let data_start = HEADER_LEN + THUMBPRINT_LEN + wrapped_len + KEY_SPLITTER.len();
    if blob.len() < data_start + TAG_LEN {
        return Err(PacketError::Layout(format!("{what} is too short")));
    }
    let (nonce, rest) = blob.split_at(NONCE_LEN);
    let (aad, rest) = rest.split_at(AAD_LEN);
    let (thumbprint, rest) = rest.split_at(THUMBPRINT_LEN);
    let (wrapped, rest) = rest.split_at(wrapped_len);
    let (splitter, data) = rest.split_at(KEY_SPLITTER.len());
    if splitter != KEY_SPLITTER {
        return Err(PacketError::Layout(format!(
            "{what} has no key splitter after a {wrapped_len}-byte wrapped key"
        )));
    }
    if thumbprint != key.thumbprint {
        return Err(PacketError::WrongKey(format!(
            "{what} names certificate {}",
            hex_upper(thumbprint)
        )));
    }
    let session_key = key
        .private_key
        .decrypt(Oaep::new::<Sha256>(), wrapped)
        .map_err(|_| PacketError::WrongKey(format!("cannot unwrap the session key of {what}")))?;
    let aes = aes_key(&session_key).map_err(|_| {
        PacketError::WrongKey(format!("the session key of {what} is not an AES-256 key"))
    })?;
    let nonce = Nonce::try_assume_unique_for_key(nonce)
        .map_err(|_| PacketError::Layout(format!("{what} has a bad nonce")))?;
    let mut aad_bytes = [0u8; AAD_LEN];
    aad_bytes.copy_from_slice(aad);
    let mut buf = data.to_vec();
    let plain_len = aes
        .open_in_place(nonce, Aad::from(aad_bytes), &mut buf)
        .map_err(|_| PacketError::AuthTag(what.to_owned()))?
        .len();
    buf.truncate(plain_len);
    Ok(buf)
}

fn aes_key(bytes: &[u8]) -> Result<LessSafeKey, PacketError> {
    UnboundKey::new(&AES_256_GCM, bytes)
        .map(LessSafeKey::new)
        .map_err(|_| PacketError::Crypto("bad AES-256 key".into()))
}

/// The machine's RSA signing key, loaded once: `rsa` holds it for key management, ring signs
/// (four times faster than `rsa` for RSA-2048, and blinded).
pub struct MachineKey {
    public_key: RsaPublicKey,
    signer: RsaKeyPair,
}

impl std::fmt::Debug for MachineKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MachineKey").finish_non_exhaustive()
    }
}

impl MachineKey {
    pub fn new(key: &RsaPrivateKey) -> Result<MachineKey, PacketError> {
        let der = key
            .to_pkcs1_der()
            .map_err(|e| PacketError::Crypto(format!("encoding the machine key: {e}")))?;
        let signer = RsaKeyPair::from_der(der.as_bytes())
            .map_err(|e| PacketError::Crypto(format!("loading the machine key: {e}")))?;
        Ok(MachineKey {
            public_key: key.to_public_key(),
            signer,
        })
    }

    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }
}

/// SHA256withRSA (PKCS#1 v1.5) signature with the machine key.
pub fn sign(key: &MachineKey, data: &[u8]) -> Result<Vec<u8>, PacketError> {
    let mut signature = vec![0u8; key.signer.public().modulus_len()];
    key.signer
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            data,
            &mut signature,
        )
        .map_err(|_| PacketError::Crypto("signing".into()))?;
    Ok(signature)
}

/// Verifies a SHA256withRSA (PKCS#1 v1.5) signature.
pub fn verify(key: &RsaPublicKey, data: &[u8], signature: &[u8]) -> bool {
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &sha256(data), signature)
        .is_ok()
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Uppercase hex, as MOSIP's `HMACUtils2.digestAsPlainText`.
pub fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// URL-safe base64 without padding, as MOSIP's `CryptoUtil.encodeToURLSafeBase64`.
pub fn base64_url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64 in any flavour MOSIP produced, as leniently as Java's decoders: URL-safe or
/// standard alphabet, padded or not, non-zero trailing bits allowed, line breaks ignored.
pub fn base64_any(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
    let text = text.trim();
    let compact;
    let text = if text.contains(['\r', '\n']) {
        compact = text.replace(['\r', '\n'], "");
        compact.as_str()
    } else {
        text
    };
    URL.decode(text).or_else(|_| STANDARD.decode(text)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_base64_flavours() {
        assert_eq!(hex_upper(&[0x00, 0xab, 0x7f]), "00AB7F");
        let bytes = [0xfb, 0xff, 0xfe, 0x01];
        assert_eq!(base64_url(&bytes), "-__-AQ");
        for text in ["-__-AQ", "-__-AQ==", "+//+AQ==", "+//+AQ"] {
            assert_eq!(base64_any(text).as_deref(), Some(&bytes[..]), "{text}");
        }
        assert_eq!(base64_any("not base64!"), None);
    }
}
