//! The registration workflow for NEW, UPDATE, LOST and BIOMETRIC_CORRECTION, driven by the
//! identity schema and UI specs: a draft moves through demographics, documents, biometrics and
//! preview to the operator's sign-off, which commits a sealed packet atomically.

mod biometrics;
mod commit;
mod devices;
mod documents;
mod draft;
mod error;
mod form;
mod steps;

pub use commit::{Committed, RID_SEQUENCE, SignOff, VerifiedSignOff};
pub use devices::{
    AttemptOutcome, AttributeQuality, CaptureAttempt, CaptureGroup, DeviceCapture, GroupOutcome,
    PlannedAttribute, PlannedGroup, capture_groups,
};
pub use documents::DocumentFormat;
pub use draft::{
    CapturedBiometric, CapturedDocument, DeviceSource, Exception, Preview, Registration, Step,
};
pub use error::RegistrationError;
pub use form::{Form, FormCheck};
