-- What a supervisor reviews before deciding (the packet itself is encrypted to the pipeline):
-- the JSON `ReviewSummary` of demographic values, document types, biometric qualities with
-- their thresholds and exceptions — never biometric or document bytes. Written with the packet
-- at sign-off, removed when a supervisor approves or rejects the registration.
CREATE TABLE registration_reviews (
    registration_id TEXT PRIMARY KEY REFERENCES registrations (id),
    summary TEXT NOT NULL
) STRICT;
