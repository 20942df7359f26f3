//! The sneakernet bundle: a folder a machine writes (`enrol export`) with its approved packets
//! for the server (`enrol-sync import`), which writes its receipts back into the same folder
//! (`enrol import-receipts`). Layout: `bundle.json` ([`SignedBundle`]), `packets/<packetId>.zip`
//! (the sealed files, byte for byte), and `receipts.json` ([`BundleReceipts`]) once imported.

use serde::{Deserialize, Serialize};

use crate::packet::SignedManifest;
use crate::sync::Receipt;

/// The format version this crate writes and reads.
pub const BUNDLE_FORMAT: u32 = 1;
/// The bundle's listing.
pub const BUNDLE_FILE: &str = "bundle.json";
/// The folder of packet files inside a bundle.
pub const PACKETS_DIR: &str = "packets";
/// The server's receipts for a bundle.
pub const RECEIPTS_FILE: &str = "receipts.json";
/// Largest `bundle.json` or `receipts.json` read.
pub const MAX_LISTING_BYTES: u64 = 64 << 20;

/// What a bundle holds: one machine's packets, each with its machine-signed manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    pub format: u32,
    pub machine_id: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub packets: Vec<SignedManifest>,
}

impl Bundle {
    /// The exact bytes the machine signs: the listing as compact JSON.
    pub fn signing_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The file of a listed packet, relative to the bundle folder.
    pub fn packet_file(packet_id: &str) -> String {
        format!("{PACKETS_DIR}/{packet_id}.zip")
    }
}

/// `bundle.json`: the listing and the machine's signature over [`Bundle::signing_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedBundle {
    pub bundle: Bundle,
    /// URL-safe base64 (no padding) SHA256withRSA signature by the machine key.
    pub signature: String,
}

/// `receipts.json`: the server's signed receipts for the packets of a bundle it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleReceipts {
    pub format: u32,
    pub machine_id: String,
    pub receipts: Vec<Receipt>,
}
