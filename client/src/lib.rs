//! Enrol's client core: everything an operator or supervisor does, offline first. The `enrol`
//! CLI and the desktop app are thin shells over this library.

pub mod approval;
pub mod audit;
pub mod client;
pub mod clock;
pub mod device_trust;
pub mod drafts;
pub mod error;
mod first_login;
pub mod freeze;
pub mod fsio;
pub mod machine;
pub mod operators;
pub mod packet;
pub mod packet_store;
pub mod reauth;
pub mod registration;
pub mod review;
pub mod roles;
pub mod sbi;
pub mod seal;
pub mod session;
pub mod store;
pub mod sync;
pub mod token;

pub use client::{Client, Options};
pub use error::Error;
pub use session::Session;
