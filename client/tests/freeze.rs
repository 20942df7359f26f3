//! Freeze rules and retention: pure rules over counts and dates, and the store query behind
//! the check that guards a new registration.

mod support;

use enrol_client::freeze::{FreezeFacts, FreezeReason, check, packet_is_deletable};
use enrol_schema::settings::{FreezeLimits, RegistrationSettings, Retention};
use support::Fixture;

const DAY: i64 = 86_400;
const NOW: i64 = 1_800_000_000;

fn fresh() -> FreezeFacts {
    FreezeFacts {
        last_sync_at: NOW - DAY,
        pending_approval: 0,
        oldest_pending_at: None,
        unexported_approved: 0,
        last_export_at: None,
    }
}

#[track_caller]
fn check_rule(change: impl FnOnce(&mut FreezeFacts), expected: Result<(), &str>) {
    let mut facts = fresh();
    change(&mut facts);
    let codes =
        |reasons: Vec<FreezeReason>| -> Vec<&str> { reasons.iter().map(|r| r.code()).collect() };
    let outcome = check(&FreezeLimits::default(), &facts, NOW).map_err(codes);
    let expected = expected.map_err(|codes| codes.split(' ').collect::<Vec<_>>());
    assert_eq!(outcome, expected, "{facts:?}");
}

#[test]
fn mosip_default_limits() {
    check_rule(|_| {}, Ok(()));
    check_rule(|f| f.last_sync_at = NOW - 189 * DAY, Ok(()));
    check_rule(
        |f| f.last_sync_at = NOW - 190 * DAY,
        Err("FREEZE_SYNC_OVERDUE"),
    );
    check_rule(|f| f.pending_approval = 99, Ok(()));
    check_rule(
        |f| f.pending_approval = 100,
        Err("FREEZE_PENDING_APPROVAL_COUNT"),
    );
    check_rule(
        |f| {
            f.pending_approval = 1;
            f.oldest_pending_at = Some(NOW - 50 * DAY);
        },
        Err("FREEZE_PENDING_APPROVAL_AGE"),
    );
    check_rule(
        |f| f.unexported_approved = 70,
        Err("FREEZE_UNEXPORTED_COUNT"),
    );
    check_rule(
        |f| {
            f.unexported_approved = 1;
            f.last_export_at = Some(NOW - 100 * DAY);
        },
        Err("FREEZE_EXPORT_OVERDUE"),
    );
    // Nothing waiting for export: an old export date alone does not freeze.
    check_rule(|f| f.last_export_at = Some(NOW - 400 * DAY), Ok(()));
    // Every broken rule is named, in MOSIP's order.
    check_rule(
        |f| {
            f.last_sync_at = NOW - 200 * DAY;
            f.unexported_approved = 80;
            f.last_export_at = Some(NOW - 100 * DAY);
        },
        Err("FREEZE_SYNC_OVERDUE FREEZE_UNEXPORTED_COUNT FREEZE_EXPORT_OVERDUE"),
    );
}

#[test]
fn the_reason_is_readable() {
    let mut facts = fresh();
    facts.pending_approval = 120;
    let reasons = check(&FreezeLimits::default(), &facts, NOW).unwrap_err();
    assert_eq!(
        reasons[0].to_string(),
        "120 registrations await approval (limit 100): a supervisor must approve or reject them"
    );
}

#[track_caller]
fn check_retention(status: Option<&str>, days_ago: Option<i64>, deletable: bool) {
    let at = days_ago.map(|days| NOW - days * DAY);
    assert_eq!(
        packet_is_deletable(&Retention::default(), status, at, NOW),
        deletable
    );
}

#[test]
fn packets_are_deleted_only_after_final_status_and_retention() {
    check_retention(None, None, false);
    check_retention(Some("UPLOADED"), Some(30), false);
    check_retention(Some("REREGISTER"), Some(30), false);
    check_retention(Some("PROCESSED"), Some(0), false);
    check_retention(Some("PROCESSED"), Some(1), true);
    check_retention(Some("ACCEPTED"), Some(2), true);
}

#[test]
fn the_store_refuses_new_registrations_when_frozen() {
    let mut settings = RegistrationSettings::default();
    settings.freeze.max_pending_approval_packets = 3;
    let fixture = Fixture::with_settings(settings);
    let mut session = fixture.supervisor();
    session.check_not_frozen().unwrap();
    for n in 0..3 {
        let rid = format!("1000110011{n:05}{}", "20261128120000");
        session
            .store_packet(
                &rid,
                &format!("reg-{n}"),
                &format!("{rid}-1"),
                b"sealed bytes",
            )
            .unwrap();
    }
    let frozen = session.check_not_frozen().unwrap_err();
    assert_eq!(frozen.code(), "FREEZE_PENDING_APPROVAL_COUNT");
    assert!(
        frozen
            .to_string()
            .contains("3 registrations await approval"),
        "{frozen}"
    );

    let fixture = Fixture::new();
    fixture.clock.advance(190 * DAY);
    let mut session = fixture.supervisor();
    assert_eq!(
        session.check_not_frozen().unwrap_err().code(),
        "FREEZE_SYNC_OVERDUE"
    );
}
