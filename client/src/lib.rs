//! Enrol's client core: everything an operator or supervisor does, offline first. The `enrol`
//! CLI and the desktop app are thin shells over this library.

pub mod packet;
