//! Support for the end-to-end tests in `tests/tests/` (the shared conformance data beside the
//! project) and the reference pipeline consumer (`pipeline`, the `enrol-pipeline` binary).

use std::path::PathBuf;

/// The `shared/` folder beside the project (`../shared`), when it exists. Interop tests read
/// MOSIP and SBI conformance data from it and print a notice when it is absent.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    dir.is_dir().then_some(dir)
}

pub mod pipeline;
