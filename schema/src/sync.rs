//! Sync API wire types (client ⇄ server under `/v1`): machine request signing, onboarding, master data, packet intake, receipts and status.
