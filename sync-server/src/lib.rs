//! Enrol's sync server: machine onboarding, master data, packet intake with signed receipts, status, pipeline feed.
