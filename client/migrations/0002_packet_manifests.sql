-- The machine-signed manifest of each packet (JSON `SignedManifest`, no personal data), written
-- with the packet's row and re-signed when a supervisor approves or rejects it.
CREATE TABLE packet_manifests (
    rid TEXT PRIMARY KEY REFERENCES packets (rid),
    manifest TEXT NOT NULL
) STRICT;
