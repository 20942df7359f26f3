//! The pipeline's encryption certificate (X.509, RSA): parsing from PEM or DER, the thumbprint
//! MOSIP prepends to wrapped keys, and a self-signed certificate for tests and demo runs.

use std::str::FromStr;
use std::time::Duration;

use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::{Decode, Encode, EncodePem, pem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use super::crypto::{PipelineKey, THUMBPRINT_LEN, sha256};
use super::error::PacketError;

/// A parsed pipeline certificate: its DER bytes, RSA public key and thumbprint.
#[derive(Debug, Clone)]
pub struct PipelineCertificate {
    der: Vec<u8>,
    public_key: RsaPublicKey,
    thumbprint: [u8; THUMBPRINT_LEN],
}

impl PipelineCertificate {
    /// Parses a DER certificate whose subject key is RSA.
    pub fn from_der(der: &[u8]) -> Result<PipelineCertificate, PacketError> {
        let cert = Certificate::from_der(der).map_err(bad)?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(bad)?;
        let public_key = RsaPublicKey::from_public_key_der(&spki).map_err(|e| {
            PacketError::Certificate(format!("the subject key is not an RSA key: {e}"))
        })?;
        Ok(PipelineCertificate {
            der: der.to_vec(),
            public_key,
            thumbprint: sha256(der),
        })
    }

    /// Parses a PEM `CERTIFICATE`.
    pub fn from_pem(pem_text: &str) -> Result<PipelineCertificate, PacketError> {
        let (label, der) = pem::decode_vec(pem_text.as_bytes()).map_err(bad)?;
        if label != "CERTIFICATE" {
            return Err(PacketError::Certificate(format!(
                "expected a CERTIFICATE, found {label}"
            )));
        }
        PipelineCertificate::from_der(&der)
    }

    /// A self-signed certificate for `key`, valid from now for `validity` (tests, demo runs).
    pub fn self_signed(
        key: &RsaPrivateKey,
        common_name: &str,
        validity: Duration,
    ) -> Result<PipelineCertificate, PacketError> {
        let signer = SigningKey::<Sha256>::new(key.clone());
        let spki = SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).map_err(bad)?;
        let subject = Name::from_str(&format!("CN={common_name},O=Enrol")).map_err(bad)?;
        let serial = SerialNumber::from(
            u32::from_be_bytes(
                sha256(common_name.as_bytes())[..4]
                    .try_into()
                    .map_err(bad)?,
            ) >> 1,
        );
        let builder = CertificateBuilder::new(
            Profile::Root,
            serial,
            Validity::from_now(validity).map_err(bad)?,
            subject,
            spki,
            &signer,
        )
        .map_err(bad)?;
        let cert = builder.build::<rsa::pkcs1v15::Signature>().map_err(bad)?;
        PipelineCertificate::from_der(&cert.to_der().map_err(bad)?)
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as PEM text.
    pub fn to_pem(&self) -> Result<String, PacketError> {
        Certificate::from_der(&self.der)
            .and_then(|c| c.to_pem(pem::LineEnding::LF))
            .map_err(bad)
    }

    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }

    /// SHA-256 of the DER certificate.
    pub fn thumbprint(&self) -> &[u8; THUMBPRINT_LEN] {
        &self.thumbprint
    }

    /// Pairs this certificate with its private key, checking that they match.
    pub fn key(&self, private_key: RsaPrivateKey) -> Result<PipelineKey, PacketError> {
        if RsaPublicKey::from(&private_key) != self.public_key {
            return Err(PacketError::Certificate(
                "the private key does not match the certificate".into(),
            ));
        }
        Ok(PipelineKey {
            private_key,
            thumbprint: self.thumbprint,
        })
    }
}

/// PEM of an RSA public key (SubjectPublicKeyInfo), e.g. the machine's signing key for verifiers.
pub fn public_key_pem(key: &RsaPublicKey) -> Result<String, PacketError> {
    key.to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(bad)
}

fn bad(e: impl std::fmt::Display) -> PacketError {
    PacketError::Certificate(e.to_string())
}
