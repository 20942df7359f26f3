//! Operators and roles through the core: passwords, lockout with an injected clock,
//! deactivation, every action checked against every role, password changes re-wrapping the slot,
//! idle timeout and session tokens.

mod support;

use enrol_client::Session;
use enrol_client::audit::AuditAction;
use enrol_client::operators::NewOperator;
use enrol_client::roles::{Action, Role};
use enrol_client::token::SessionToken;
use support::{Fixture, SUPERVISOR, SUPERVISOR_PASSWORD};

#[track_caller]
fn check_login(fixture: &Fixture, user: &str, password: &str, expected: Result<(), &str>) {
    let outcome = fixture
        .client()
        .login(user, password)
        .map(|_| ())
        .map_err(|e| e.code());
    assert_eq!(outcome, expected, "login {user}");
}

#[test]
fn wrong_passwords_and_unknown_users_are_refused_alike() {
    let fixture = Fixture::new();
    check_login(
        &fixture,
        SUPERVISOR,
        "not-the-password",
        Err("AUTH_WRONG_PASSWORD"),
    );
    check_login(
        &fixture,
        "nobody",
        "whatever-password",
        Err("AUTH_WRONG_PASSWORD"),
    );
    check_login(
        &fixture,
        "bad id!",
        "whatever-password",
        Err("INVALID_INPUT"),
    );
    check_login(&fixture, SUPERVISOR, SUPERVISOR_PASSWORD, Ok(()));
}

#[test]
fn lockout_after_max_failures_then_success_after_the_lockout_period() {
    let fixture = Fixture::new();
    fixture.add("op1", &[Role::Operator]);
    for _ in 0..4 {
        check_login(
            &fixture,
            "op1",
            "wrong-password",
            Err("AUTH_WRONG_PASSWORD"),
        );
    }
    check_login(&fixture, "op1", "wrong-password", Err("AUTH_LOCKED"));
    check_login(&fixture, "op1", "op1-password", Err("AUTH_LOCKED"));
    fixture.clock.advance(29 * 60);
    check_login(&fixture, "op1", "op1-password", Err("AUTH_LOCKED"));
    fixture.clock.advance(60);
    check_login(&fixture, "op1", "op1-password", Ok(()));
    // A success resets the counter: four more failures do not lock.
    for _ in 0..4 {
        check_login(
            &fixture,
            "op1",
            "wrong-password",
            Err("AUTH_WRONG_PASSWORD"),
        );
    }
    check_login(&fixture, "op1", "op1-password", Ok(()));
    // The failures reached the audit chain at the next unlock.
    let mut supervisor = fixture.supervisor();
    let report = supervisor.verify_audit().unwrap().unwrap();
    assert!(report.entries > 12, "{report:?}");
}

#[test]
fn a_deactivated_operator_cannot_log_in_or_resume() {
    let fixture = Fixture::new();
    fixture.add("op1", &[Role::Operator]);
    let mut op_session = fixture.login("op1");
    let token = op_session.create_token().unwrap();
    fixture.supervisor().deactivate_operator("op1").unwrap();
    check_login(&fixture, "op1", "op1-password", Err("AUTH_DEACTIVATED"));
    assert_eq!(
        fixture.client().resume(&token).unwrap_err().code(),
        "AUTH_DEACTIVATED"
    );
    let own = fixture
        .supervisor()
        .deactivate_operator(SUPERVISOR)
        .unwrap_err();
    assert_eq!(own.code(), "INVALID_INPUT");
}

/// Runs one core function that needs `action`.
fn attempt(session: &mut Session, action: Action) -> Result<(), enrol_client::Error> {
    let new = |id: &str, role| NewOperator {
        id: id.into(),
        name: "Someone".into(),
        roles: vec![role],
        password: "a-long-password".into(),
    };
    let who = session.operator().id.clone();
    match action {
        Action::ListOperators => session.list_operators().map(drop),
        Action::ManageOperators => {
            session.add_operator(&new(&format!("op-by-{who}"), Role::Operator))
        }
        Action::ManageAdministrators => {
            session.add_operator(&new(&format!("admin-by-{who}"), Role::Administrator))
        }
        Action::ChangeOwnPassword => {
            session.change_password(&format!("{who}-password"), &format!("{who}-password"))
        }
        Action::Register => session.save_draft("d1", "NEW", b"{}"),
        Action::ViewPackets => session.packet_page(None, 10).map(drop),
        Action::Sync | Action::Approve | Action::AuthoriseException | Action::ExportPackets => {
            session.authorize(action)
        }
        Action::VerifyAudit => session.verify_audit().map(drop),
    }
}

#[track_caller]
fn check_role(session: &mut Session, action: Action) {
    let allowed = enrol_client::roles::permits(&session.operator().roles, action);
    let outcome = attempt(session, action).map_err(|e| e.code());
    let who = session.operator().id.clone();
    if allowed {
        assert_eq!(outcome, Ok(()), "{who} {action}");
    } else {
        assert_eq!(outcome, Err("AUTH_FORBIDDEN"), "{who} {action}");
    }
}

#[test]
fn every_action_is_checked_against_the_role_in_the_core() {
    let fixture = Fixture::from_enrolment();
    let mut admin = fixture.login("adm");
    assert_eq!(admin.operator().roles, [Role::Administrator]);
    for id in [SUPERVISOR, "op1"] {
        admin
            .activate_operator(id, &format!("{id}-password"))
            .unwrap();
    }
    for id in ["op1", SUPERVISOR, "adm"] {
        let mut session = fixture.login(id);
        for action in Action::ALL {
            check_role(&mut session, action);
        }
    }
    let expected = [
        (Role::Operator, Action::Register, true),
        (Role::Operator, Action::ManageOperators, false),
        (Role::Operator, Action::Approve, false),
        (Role::Operator, Action::VerifyAudit, false),
        (Role::Supervisor, Action::Approve, true),
        (Role::Supervisor, Action::ManageOperators, true),
        (Role::Supervisor, Action::ManageAdministrators, false),
        (Role::Administrator, Action::ManageAdministrators, true),
        (Role::Administrator, Action::Register, false),
        (Role::Administrator, Action::Approve, false),
    ];
    for (role, action, allowed) in expected {
        assert_eq!(role.permits(action), allowed, "{role} {action}");
    }
}

#[test]
fn changing_a_password_rewraps_the_slot() {
    let fixture = Fixture::new();
    fixture.add("op1", &[Role::Operator]);
    let mut session = fixture.login("op1");
    let wrong_old = session
        .change_password("not-my-password", "brand-new-password")
        .unwrap_err();
    assert_eq!(wrong_old.code(), "AUTH_WRONG_PASSWORD");
    let short = session
        .change_password("op1-password", "short")
        .unwrap_err();
    assert_eq!(short.code(), "INVALID_INPUT");
    session
        .change_password("op1-password", "brand-new-password")
        .unwrap();
    check_login(&fixture, "op1", "op1-password", Err("AUTH_WRONG_PASSWORD"));
    check_login(&fixture, "op1", "brand-new-password", Ok(()));
    fixture
        .supervisor()
        .reset_password("op1", "reset-by-supervisor")
        .unwrap();
    check_login(
        &fixture,
        "op1",
        "brand-new-password",
        Err("AUTH_WRONG_PASSWORD"),
    );
    check_login(&fixture, "op1", "reset-by-supervisor", Ok(()));
}

#[test]
fn a_slot_copied_under_another_operator_does_not_open() {
    let fixture = Fixture::new();
    fixture.add("op1", &[Role::Operator]);
    let path = fixture.path().join("keyring.json");
    let mut keyring: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    keyring["slots"][SUPERVISOR] = keyring["slots"]["op1"].clone();
    std::fs::write(&path, serde_json::to_vec(&keyring).unwrap()).unwrap();
    check_login(
        &fixture,
        SUPERVISOR,
        "op1-password",
        Err("AUTH_WRONG_PASSWORD"),
    );
}

#[test]
fn an_idle_session_expires() {
    let fixture = Fixture::new();
    let mut session = fixture.supervisor();
    fixture.clock.advance(899);
    session.list_operators().unwrap();
    fixture.clock.advance(899);
    session.list_operators().unwrap();
    fixture.clock.advance(901);
    assert_eq!(
        session.list_operators().unwrap_err().code(),
        "AUTH_SESSION_EXPIRED"
    );
    let capture = session.audit(AuditAction::Capture, "").unwrap_err();
    assert_eq!(capture.code(), "AUTH_SESSION_EXPIRED");
    session.logout().unwrap();
    let mut supervisor = fixture.supervisor();
    let last = supervisor.audit_entries_after(0, 1000).unwrap();
    let actions: Vec<&str> = last
        .iter()
        .rev()
        .take(2)
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, ["login", "session.expired"]);
}

#[test]
fn session_tokens_resume_expire_and_end_at_logout() {
    let fixture = Fixture::new();
    let mut session = fixture.supervisor();
    let token = session.create_token().unwrap();
    let text = token.as_str().to_owned();
    drop(session);
    fixture.clock.advance(600);
    let resumed = fixture
        .client()
        .resume(&SessionToken::parse(&text).unwrap())
        .unwrap();
    assert_eq!(resumed.operator().id, SUPERVISOR);
    drop(resumed);
    let forged = SessionToken::parse(&"ab".repeat(32)).unwrap();
    assert_eq!(
        fixture.client().resume(&forged).unwrap_err().code(),
        "AUTH_NO_SESSION"
    );
    assert_eq!(
        SessionToken::parse("nonsense").unwrap_err().code(),
        "AUTH_NO_SESSION"
    );
    fixture.clock.advance(901);
    let expired = fixture
        .client()
        .resume(&SessionToken::parse(&text).unwrap());
    assert_eq!(expired.unwrap_err().code(), "AUTH_SESSION_EXPIRED");
    let again = fixture
        .client()
        .resume(&SessionToken::parse(&text).unwrap());
    assert_eq!(again.unwrap_err().code(), "AUTH_NO_SESSION");

    let mut session = fixture.supervisor();
    let token = session.create_token().unwrap();
    let resumed = fixture.client().resume(&token).unwrap();
    resumed.logout().unwrap();
    assert_eq!(
        fixture.client().resume(&token).unwrap_err().code(),
        "AUTH_NO_SESSION"
    );
}
