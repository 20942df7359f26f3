//! Roles and the actions each may perform: the one table every core function checks.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An operator's role on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Registers residents (MOSIP `REGISTRATION_OFFICER`).
    Operator,
    /// Registers, approves, authenticates exceptions, manages operators
    /// (MOSIP `REGISTRATION_SUPERVISOR`).
    Supervisor,
    /// Manages the machine and its operators, including administrators; does not register.
    Administrator,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Operator, Role::Supervisor, Role::Administrator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
            Role::Administrator => "administrator",
        }
    }

    /// Whether this role may perform `action`.
    pub fn permits(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Operator => matches!(
                action,
                Register | ViewPackets | ExportPackets | Sync | ChangeOwnPassword
            ),
            Role::Supervisor => !matches!(action, ManageAdministrators),
            Role::Administrator => !matches!(action, Register | Approve | AuthoriseException),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("unknown role {text:?} (operator, supervisor, administrator)"))
    }
}

/// Whether any of `roles` permits `action`.
pub fn permits(roles: &[Role], action: Action) -> bool {
    roles.iter().any(|role| role.permits(action))
}

/// Everything the core checks a role for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ListOperators,
    ManageOperators,
    ManageAdministrators,
    ChangeOwnPassword,
    Register,
    ViewPackets,
    Approve,
    AuthoriseException,
    ExportPackets,
    Sync,
    VerifyAudit,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::ListOperators,
        Action::ManageOperators,
        Action::ManageAdministrators,
        Action::ChangeOwnPassword,
        Action::Register,
        Action::ViewPackets,
        Action::Approve,
        Action::AuthoriseException,
        Action::ExportPackets,
        Action::Sync,
        Action::VerifyAudit,
    ];
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::ListOperators => "list operators",
            Action::ManageOperators => "manage operators",
            Action::ManageAdministrators => "manage administrators",
            Action::ChangeOwnPassword => "change their password",
            Action::Register => "register residents",
            Action::ViewPackets => "view packets",
            Action::Approve => "approve or reject registrations",
            Action::AuthoriseException => "authorise biometric exceptions",
            Action::ExportPackets => "export packets",
            Action::Sync => "sync",
            Action::VerifyAudit => "verify the audit log",
        })
    }
}

/// Parses a comma-separated role list such as `operator,supervisor`.
pub fn parse_roles(text: &str) -> Result<Vec<Role>, String> {
    let mut roles = text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(Role::from_str)
        .collect::<Result<Vec<_>, _>>()?;
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err("at least one role is needed".into());
    }
    Ok(roles)
}

/// The comma-separated form stored in the database.
pub fn format_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
