//! Enrol's device bridge: an SBI 0.9.5 service over simulated, serial and USB biometric devices.
//!
//! Layers, outermost first: `http` (axum, verbs, CORS, STREAM body) → `service` (SBI semantics,
//! signing, hash chain) → `device` (driver trait, registry, hot-plug) → drivers (`simulator`)
//! with `synth` images, `quality` estimates, `iso` records, `jp2` and `jws` encoders, and `keys`.

pub mod device;
pub mod http;
pub mod iso;
pub mod jp2;
pub mod jws;
pub mod keys;
pub mod quality;
pub mod r30x;
pub mod service;
pub mod simulator;
pub mod stream;
pub mod synth;
pub mod transport;
