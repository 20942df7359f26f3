//! Sync API wire types (client ⇄ server under `/v1`): machine request signing, onboarding, master
//! data, packet intake, receipts and status.
//!
//! Every machine request carries four headers; the signature covers a canonical string built by
//! [`signing_string`], so client and server cannot disagree on what was signed.

/// Header naming the machine (5-digit MOSIP machine id).
pub const HEADER_MACHINE: &str = "x-enrol-machine";
/// Header with the request time, RFC 3339 UTC; the server accepts ±5 minutes.
pub const HEADER_TIMESTAMP: &str = "x-enrol-timestamp";
/// Header with a random, single-use value (replay protection within the time window).
pub const HEADER_NONCE: &str = "x-enrol-nonce";
/// Header with the URL-safe base64 (no padding) SHA256withRSA signature by the machine key.
pub const HEADER_SIGNATURE: &str = "x-enrol-signature";

/// Accepted clock difference between a machine and the server, in seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// The canonical string a machine signs for one request. `path_and_query` is the request target
/// exactly as sent; `body_sha256_hex` is the lowercase hex SHA-256 of the body (of the empty
/// string when there is none).
pub fn signing_string(
    method: &str,
    path_and_query: &str,
    body_sha256_hex: &str,
    timestamp: &str,
    nonce: &str,
    machine_id: &str,
) -> String {
    format!(
        "ENROL-REQUEST-V1\n{}\n{path_and_query}\n{body_sha256_hex}\n{timestamp}\n{nonce}\n{machine_id}",
        method.to_ascii_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_string_binds_every_part() {
        let base = signing_string("post", "/v1/packets", "ab", "t", "n", "10077");
        assert_eq!(base, "ENROL-REQUEST-V1\nPOST\n/v1/packets\nab\nt\nn\n10077");
        for other in [
            signing_string("GET", "/v1/packets", "ab", "t", "n", "10077"),
            signing_string("POST", "/v1/packets?x=1", "ab", "t", "n", "10077"),
            signing_string("POST", "/v1/packets", "ac", "t", "n", "10077"),
            signing_string("POST", "/v1/packets", "ab", "u", "n", "10077"),
            signing_string("POST", "/v1/packets", "ab", "t", "m", "10077"),
            signing_string("POST", "/v1/packets", "ab", "t", "n", "10078"),
        ] {
            assert_ne!(base, other);
        }
    }
}
