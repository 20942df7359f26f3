//! `enrol operator add|list|activate|passwd|deactivate`, run in the current session; the core
//! checks the session's role for each.

use clap::{Args, Subcommand};
use enrol_client::clock::rfc3339;
use enrol_client::operators::NewOperator;
use enrol_client::roles::parse_roles;
use serde_json::json;

use super::{Context, Passwords};

#[derive(Subcommand)]
pub enum OperatorCommand {
    /// Add an operator (supervisors and administrators)
    Add(AddArgs),
    /// List operators
    List,
    /// Activate an operator listed by the enrolment file, checking their password
    Activate(UserPassword),
    /// Change your password (old then new), or with --user reset another operator's (new only)
    Passwd(PasswdArgs),
    /// Deactivate an operator
    Deactivate(UserArg),
}

#[derive(Args)]
pub struct AddArgs {
    /// Operator id
    #[arg(long)]
    user: String,
    /// Full name
    #[arg(long)]
    name: String,
    /// Comma-separated roles: operator, supervisor, administrator
    #[arg(long, default_value = "operator")]
    roles: String,
    /// Read the new operator's password from standard input (else ENROL_NEW_PASSWORD)
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct UserPassword {
    #[arg(long)]
    user: String,
    /// Read the operator's password from standard input (else ENROL_PASSWORD)
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct PasswdArgs {
    /// Reset this operator's password instead of your own
    #[arg(long)]
    user: Option<String>,
    /// Read the passwords from standard input, one per line (else ENROL_PASSWORD and
    /// ENROL_NEW_PASSWORD)
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct UserArg {
    #[arg(long)]
    user: String,
}

pub fn run(context: &Context, command: OperatorCommand) -> anyhow::Result<()> {
    let mut session = context.session()?;
    match command {
        OperatorCommand::Add(args) => {
            let roles = parse_roles(&args.roles).map_err(anyhow::Error::msg)?;
            let password = Passwords::read(args.password_stdin, 1)?.get(
                0,
                "ENROL_NEW_PASSWORD",
                "new password",
            )?;
            session.add_operator(&NewOperator {
                id: args.user.clone(),
                name: args.name,
                roles,
                password,
            })?;
            context.print(&json!({ "added": args.user }), || {
                format!("added operator {}", args.user)
            })
        }
        OperatorCommand::List => {
            let list = session.list_operators()?;
            context.print(&list, || {
                list.iter()
                    .map(|entry| {
                        let roles: Vec<_> =
                            entry.operator.roles.iter().map(|r| r.as_str()).collect();
                        let lock = entry
                            .locked_until
                            .map(|until| format!(", locked until {}", rfc3339(until)))
                            .unwrap_or_default();
                        format!(
                            "{}\t{}\t{}\t{}{lock}",
                            entry.operator.id,
                            entry.operator.name,
                            roles.join(","),
                            entry.operator.status
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        OperatorCommand::Activate(args) => {
            let password =
                Passwords::read(args.password_stdin, 1)?.get(0, "ENROL_PASSWORD", "password")?;
            session.activate_operator(&args.user, &password)?;
            context.print(&json!({ "activated": args.user }), || {
                format!("activated operator {}", args.user)
            })
        }
        OperatorCommand::Passwd(args) => {
            let changed = match &args.user {
                Some(user) => {
                    let new = Passwords::read(args.password_stdin, 1)?.get(
                        0,
                        "ENROL_NEW_PASSWORD",
                        "new password",
                    )?;
                    session.reset_password(user, &new)?;
                    user.clone()
                }
                None => {
                    let passwords = Passwords::read(args.password_stdin, 2)?;
                    let old = passwords.get(0, "ENROL_PASSWORD", "current password")?;
                    let new = passwords.get(1, "ENROL_NEW_PASSWORD", "new password")?;
                    session.change_password(&old, &new)?;
                    session.operator().id.clone()
                }
            };
            context.print(&json!({ "password_changed": changed }), || {
                format!("password changed for {changed}")
            })
        }
        OperatorCommand::Deactivate(args) => {
            session.deactivate_operator(&args.user)?;
            context.print(&json!({ "deactivated": args.user }), || {
                format!("deactivated operator {}", args.user)
            })
        }
    }
}
