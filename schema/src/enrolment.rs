//! The machine enrolment file: what a server administrator exports so an offline field kit can be onboarded without a network.
