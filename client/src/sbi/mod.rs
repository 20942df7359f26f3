//! SBI 0.9.5 client: finds biometric devices on 127.0.0.1, checks their signatures and trust,
//! captures with RCAPTURE, reads STREAM previews and turns verified captures into packet input.
//!
//! Everything a device returns is untrusted input: every JWS is verified against its `x5c`
//! certificate, which must chain to a trusted device-provider CA, before any of it is used.

pub mod capture;
pub mod discovery;
pub mod error;
mod http;
pub mod jws;
pub mod packet;
pub mod stream;
pub mod trust;

pub use capture::{Capture, CaptureSpec, CapturedBiometric, capture};
pub use discovery::{Discovery, DiscoveryOptions, FoundDevice, PortProblem, Verdict, discover};
pub use error::SbiError;
pub use stream::{Frames, stream};
pub use trust::TrustedCas;
