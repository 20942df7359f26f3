//! Enrol's shared schema crate: wire types shared by client, server and bridge, the MOSIP
//! identity-schema / UI-spec model with validation and rule evaluation, and the default data.
//! No I/O and no framework: callers pass bytes and strings in, get typed values out.

pub mod defaults;
pub mod identity_schema;
pub mod json;
pub mod master_data;
pub mod pattern;
pub mod record;
pub mod rules;
pub mod settings;
pub mod ui_spec;
pub mod validate;

// Wire types shared across parts (one module per contract).
pub mod bundle;
pub mod enrolment;
pub mod packet;
pub mod pipeline;
pub mod sbi;
pub mod sync;
