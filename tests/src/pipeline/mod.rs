//! The reference pipeline consumer behind `enrol-pipeline`: takes packets from the sync server's
//! feed, opens and judges each with the pipeline's private key, and reports the verdict back.
//! It lives in the end-to-end package because the sync server must never hold the pipeline's
//! key and the client must not depend on server crates; this is the one place both meet.

pub mod api;
pub mod checks;
pub mod consumer;
pub mod cursor;
pub mod nats;
