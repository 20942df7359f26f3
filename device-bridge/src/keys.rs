//! Device trust material: a device-provider CA and one RSA-2048 key pair + certificate per
//! device, created on first run in the bridge data directory (PEM files, written atomically) and
//! loaded on later runs. The CA certificate is what an administrator registers as trusted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use der::{DecodePem, EncodePem, pem::LineEnding};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

use crate::jws::JwsSigner;

/// Organisation named in every certificate subject (the CTK compares O= with the partner name).
pub const PROVIDER_ORGANISATION: &str = "Enrol Device Provider";

const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
const DEVICE_VALIDITY: Duration = Duration::from_secs(2 * 365 * 24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid {what}")]
    Corrupt { path: PathBuf, what: &'static str },
    #[error("cannot create {what}: {message}")]
    Create { what: &'static str, message: String },
}

impl KeyError {
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Io { .. } => "KEYS_IO",
            KeyError::Corrupt { .. } => "KEYS_CORRUPT",
            KeyError::Create { .. } => "KEYS_CREATE",
        }
    }
}

/// A private key with its certificate (DER) and the JWS signer prepared from both.
#[derive(Clone)]
pub struct SigningIdentity {
    pub key: RsaPrivateKey,
    pub certificate: Certificate,
    pub certificate_der: Vec<u8>,
    pub jws: Arc<JwsSigner>,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity")
            .field(
                "subject",
                &self.certificate.tbs_certificate.subject.to_string(),
            )
            .finish_non_exhaustive()
    }
}

/// The key store rooted in the bridge data directory.
#[derive(Debug)]
pub struct KeyStore {
    dir: PathBuf,
    ca: SigningIdentity,
}

impl KeyStore {
    /// Opens the store, creating the CA on first run.
    pub fn open(dir: &Path) -> Result<KeyStore, KeyError> {
        std::fs::create_dir_all(dir).map_err(|source| KeyError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let ca = load_or_create(dir, "ca", false, |key| {
            let subject = name(&format!(
                "CN=Enrol Device Provider CA,O={PROVIDER_ORGANISATION}"
            ))?;
            let signer = SigningKey::<Sha256>::new(key.clone());
            let spki = public_info(&key.to_public_key())?;
            let builder = CertificateBuilder::new(
                Profile::Root,
                serial(),
                validity(CA_VALIDITY)?,
                subject,
                spki,
                &signer,
            )
            .map_err(create_error("the CA certificate"))?;
            builder
                .build::<rsa::pkcs1v15::Signature>()
                .map_err(create_error("the CA certificate"))
        })?;
        Ok(KeyStore {
            dir: dir.to_path_buf(),
            ca,
        })
    }

    /// The CA certificate as PEM, for an administrator to register as trusted.
    pub fn ca_certificate_pem(&self) -> Result<String, KeyError> {
        self.ca
            .certificate
            .to_pem(LineEnding::LF)
            .map_err(create_error("the CA PEM"))
    }

    /// Loads or creates the identity of the device with this serial number.
    pub fn device(&self, serial_no: &str) -> Result<SigningIdentity, KeyError> {
        self.device_identity(serial_no, false)
    }

    /// Replaces the device's key pair and certificate (key rotation), keeping the CA.
    pub fn rotate_device(&self, serial_no: &str) -> Result<SigningIdentity, KeyError> {
        self.device_identity(serial_no, true)
    }

    fn device_identity(&self, serial_no: &str, fresh: bool) -> Result<SigningIdentity, KeyError> {
        let stem = format!(
            "device-{}",
            serial_no
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
        );
        let issuer = self.ca.certificate.tbs_certificate.subject.clone();
        load_or_create(&self.dir, &stem, fresh, |key| {
            let subject = name(&format!("CN={serial_no},O={PROVIDER_ORGANISATION}"))?;
            let signer = SigningKey::<Sha256>::new(self.ca.key.clone());
            let spki = public_info(&key.to_public_key())?;
            let profile = Profile::Leaf {
                issuer: issuer.clone(),
                enable_key_agreement: false,
                enable_key_encipherment: false,
            };
            let builder = CertificateBuilder::new(
                profile,
                serial(),
                validity(DEVICE_VALIDITY)?,
                subject,
                spki,
                &signer,
            )
            .map_err(create_error("a device certificate"))?;
            builder
                .build::<rsa::pkcs1v15::Signature>()
                .map_err(create_error("a device certificate"))
        })
    }
}

fn load_or_create(
    dir: &Path,
    stem: &str,
    fresh: bool,
    certify: impl Fn(&RsaPrivateKey) -> Result<Certificate, KeyError>,
) -> Result<SigningIdentity, KeyError> {
    let key_path = dir.join(format!("{stem}.key.pem"));
    let cert_path = dir.join(format!("{stem}.cert.pem"));
    // Two processes starting on a fresh data directory (say `serve` and `ca-cert`) must agree
    // on one key: creation is serialised by an exclusive lock held until this returns.
    let lock_path = dir.join("keys.lock");
    let io = |source| KeyError::Io {
        path: lock_path.clone(),
        source,
    };
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io)?;
    lock.lock().map_err(io)?;
    if !fresh && key_path.exists() && cert_path.exists() {
        let key_pem = read(&key_path)?;
        let key = RsaPrivateKey::from_pkcs8_pem(&key_pem).map_err(|_| KeyError::Corrupt {
            path: key_path.clone(),
            what: "PKCS#8 RSA key",
        })?;
        let cert_pem = read(&cert_path)?;
        let certificate =
            Certificate::from_pem(cert_pem.as_bytes()).map_err(|_| KeyError::Corrupt {
                path: cert_path.clone(),
                what: "PEM certificate",
            })?;
        // A crash between the two renames of a rotation could pair a key with another
        // key's certificate: refuse such a pair rather than sign unverifiable JWS.
        let certified = der::Encode::to_der(&certificate.tbs_certificate.subject_public_key_info)
            .ok()
            .and_then(|spki| RsaPublicKey::from_public_key_der(&spki).ok());
        if certified != Some(key.to_public_key()) {
            return Err(KeyError::Corrupt {
                path: cert_path,
                what: "certificate for this key",
            });
        }
        return identity(key, certificate, &key_path);
    }
    let key =
        RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(create_error("an RSA key"))?;
    let certificate = certify(&key)?;
    let key_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(create_error("the key PEM"))?;
    let cert_pem = certificate
        .to_pem(LineEnding::LF)
        .map_err(create_error("the certificate PEM"))?;
    write_atomically(&key_path, key_pem.as_bytes())?;
    write_atomically(&cert_path, cert_pem.as_bytes())?;
    identity(key, certificate, &key_path)
}

fn identity(
    key: RsaPrivateKey,
    certificate: Certificate,
    key_path: &Path,
) -> Result<SigningIdentity, KeyError> {
    let certificate_der =
        der::Encode::to_der(&certificate).map_err(create_error("the certificate DER"))?;
    let pkcs8 = key.to_pkcs8_der().map_err(create_error("the key DER"))?;
    let jws =
        JwsSigner::new(pkcs8.as_bytes(), &certificate_der).map_err(|_| KeyError::Corrupt {
            path: key_path.to_path_buf(),
            what: "RSA signing key (2048 to 4096 bits)",
        })?;
    Ok(SigningIdentity {
        key,
        certificate,
        certificate_der,
        jws: Arc::new(jws),
    })
}

fn read(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a file through a temporary sibling, fsync and rename (never a partial file).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let temp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .map_err(io)?;
    restrict_permissions(&file).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&temp, path).map_err(io)?;
    Ok(())
}

#[cfg(unix)]
fn restrict_permissions(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_permissions(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

fn name(text: &str) -> Result<Name, KeyError> {
    Name::from_str(text).map_err(create_error("a certificate name"))
}

fn public_info(key: &RsaPublicKey) -> Result<SubjectPublicKeyInfoOwned, KeyError> {
    SubjectPublicKeyInfoOwned::from_key(key.clone()).map_err(create_error("a public key info"))
}

fn validity(duration: Duration) -> Result<Validity, KeyError> {
    Validity::from_now(duration).map_err(create_error("a validity period"))
}

fn serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // no leading zero byte
    SerialNumber::new(&bytes).unwrap_or_else(|_| SerialNumber::from(1u32))
}

fn create_error<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> KeyError {
    move |error| KeyError::Create {
        what,
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::VerifyingKey;
    use rsa::signature::Verifier;

    #[test]
    fn concurrent_first_runs_agree_on_one_ca() {
        let dir = tempfile::tempdir().unwrap();
        let pems: Vec<String> = std::thread::scope(|scope| {
            let opens: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| KeyStore::open(dir.path()).unwrap()))
                .collect();
            opens
                .into_iter()
                .map(|open| open.join().unwrap().ca_certificate_pem().unwrap())
                .collect()
        });
        assert!(pems.windows(2).all(|pair| pair[0] == pair[1]));
        let on_disk = KeyStore::open(dir.path())
            .unwrap()
            .ca_certificate_pem()
            .unwrap();
        assert_eq!(on_disk, pems[0]);
    }

    #[test]
    fn identities_persist_and_chain_to_the_ca() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = KeyStore::open(dir.path()).expect("opens");
        let device = store.device("ENROLSIM0001").expect("device identity");
        let again = KeyStore::open(dir.path()).expect("reopens");
        assert_eq!(
            again.ca_certificate_pem().expect("pem"),
            store.ca_certificate_pem().expect("pem")
        );
        let reloaded = again.device("ENROLSIM0001").expect("reloads");
        assert_eq!(reloaded.certificate_der, device.certificate_der);
        let rotated = again.rotate_device("ENROLSIM0001").expect("rotates");
        assert_ne!(rotated.certificate_der, device.certificate_der);
        assert_eq!(
            again
                .device("ENROLSIM0001")
                .expect("reloads")
                .certificate_der,
            rotated.certificate_der
        );

        // The device certificate's signature verifies under the CA key.
        let tbs = der::Encode::to_der(&device.certificate.tbs_certificate).expect("tbs der");
        let signature =
            rsa::pkcs1v15::Signature::try_from(device.certificate.signature.raw_bytes())
                .expect("signature");
        let ca_key = VerifyingKey::<Sha256>::new(store.ca.key.to_public_key());
        ca_key.verify(&tbs, &signature).expect("chains to the CA");
        assert!(
            store
                .ca_certificate_pem()
                .expect("pem")
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
    }

    #[test]
    fn corrupt_files_are_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("ca.key.pem"), "garbage").expect("write");
        std::fs::write(dir.path().join("ca.cert.pem"), "garbage").expect("write");
        let error = KeyStore::open(dir.path()).expect_err("corrupt");
        assert_eq!(error.code(), "KEYS_CORRUPT");
        // A valid key paired with another key's certificate is refused too.
        let other = tempfile::tempdir().expect("temp dir");
        let store = KeyStore::open(other.path()).expect("opens");
        store.device("DEVICEA00001").expect("device a");
        store.device("DEVICEB00001").expect("device b");
        std::fs::copy(
            other.path().join("device-DEVICEB00001.cert.pem"),
            other.path().join("device-DEVICEA00001.cert.pem"),
        )
        .expect("copy");
        assert_eq!(
            store.device("DEVICEA00001").expect_err("mismatch").code(),
            "KEYS_CORRUPT"
        );
    }
}
