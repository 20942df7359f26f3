//! Device-provider trust: a device certificate is trusted when it is within its validity period
//! and signed (SHA256withRSA) by one of the trusted device-provider CA certificates.

use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::der::pem;
use x509_cert::der::{Decode, Encode};

use super::error::SbiError;
use super::jws::certificate_key;

/// sha256WithRSAEncryption.
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";

/// The device-provider CA certificates this client trusts.
#[derive(Debug, Clone, Default)]
pub struct TrustedCas {
    cas: Vec<Certificate>,
}

impl TrustedCas {
    /// Trusts nothing: every device is listed as untrusted.
    pub fn none() -> TrustedCas {
        TrustedCas::default()
    }

    /// Adds every `CERTIFICATE` block of a PEM text.
    pub fn add_pem(&mut self, text: &str) -> Result<usize, SbiError> {
        let bad = |reason: String| SbiError::Untrusted(format!("bad trusted CA: {reason}"));
        let mut added = 0;
        for block in text.split_inclusive("-----END CERTIFICATE-----") {
            let Some(start) = block.find("-----BEGIN CERTIFICATE-----") else {
                continue;
            };
            let (_, der) =
                pem::decode_vec(&block.as_bytes()[start..]).map_err(|e| bad(e.to_string()))?;
            self.cas
                .push(Certificate::from_der(&der).map_err(|e| bad(e.to_string()))?);
            added += 1;
        }
        if added == 0 {
            return Err(bad("no CERTIFICATE block".into()));
        }
        Ok(added)
    }

    /// Checks that the DER certificate `leaf` chains to a trusted CA and is valid at `now`.
    pub fn check(&self, leaf: &[u8], now: std::time::SystemTime) -> Result<(), SbiError> {
        let untrusted = |reason: &str| SbiError::Untrusted(reason.to_owned());
        let leaf = Certificate::from_der(leaf).map_err(|_| untrusted("unreadable certificate"))?;
        if !valid_at(&leaf, now) {
            return Err(untrusted(
                "the device certificate is outside its validity period",
            ));
        }
        if self.cas.is_empty() {
            return Err(untrusted("no trusted device-provider CA is configured"));
        }
        let issuer = &leaf.tbs_certificate.issuer;
        let signed_by = |ca: &Certificate| -> bool {
            if ca.tbs_certificate.subject != *issuer
                || leaf.signature_algorithm.oid.to_string() != SHA256_WITH_RSA
            {
                return false;
            }
            let (Ok(ca_der), Ok(tbs)) = (ca.to_der(), leaf.tbs_certificate.to_der()) else {
                return false;
            };
            let Some(key) = certificate_key(&ca_der) else {
                return false;
            };
            let Some(signature) = leaf
                .signature
                .as_bytes()
                .and_then(|bytes| Signature::try_from(bytes).ok())
            else {
                return false;
            };
            VerifyingKey::<Sha256>::new(key)
                .verify(&tbs, &signature)
                .is_ok()
        };
        match self.cas.iter().find(|ca| signed_by(ca)) {
            Some(ca) if valid_at(ca, now) => Ok(()),
            Some(_) => Err(untrusted(
                "the device-provider CA is outside its validity period",
            )),
            None => Err(untrusted(&format!(
                "issuer {issuer} is not a trusted device-provider CA"
            ))),
        }
    }
}

fn valid_at(certificate: &Certificate, now: std::time::SystemTime) -> bool {
    let validity = &certificate.tbs_certificate.validity;
    validity.not_before.to_system_time() <= now && now <= validity.not_after.to_system_time()
}
