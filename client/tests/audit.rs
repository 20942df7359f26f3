//! The audit chain: any edit, deletion, reordering, gap or truncated tail is found; a log kept
//! from a recorded base (after retention) verifies, and no other removal does.

use enrol_client::audit::{AuditEntry, AuditHead, verify};

fn chain(length: u64) -> Vec<AuditEntry> {
    let mut entries: Vec<AuditEntry> = Vec::new();
    for n in 0..length {
        let head = entries.last().map(AuditEntry::head);
        let action = if n % 2 == 0 {
            "login"
        } else {
            "packet.created"
        };
        entries.push(AuditEntry::next(
            head.as_ref(),
            1_000 + n as i64,
            "op1",
            action,
            "",
        ));
    }
    entries
}

/// What is recorded outside the database.
struct Anchors {
    base: Option<AuditHead>,
    head: Option<AuditHead>,
}

#[track_caller]
fn check(tamper: impl FnOnce(&mut Vec<AuditEntry>, &mut Anchors), expected: Result<u64, &str>) {
    let mut entries = chain(10);
    let mut anchors = Anchors {
        base: None,
        head: entries.last().map(AuditEntry::head),
    };
    tamper(&mut entries, &mut anchors);
    let outcome = verify(entries, anchors.base.as_ref(), anchors.head.as_ref())
        .map(|report| report.entries)
        .map_err(|broken| broken.code());
    assert_eq!(outcome, expected);
}

#[test]
fn tampering_is_detected() {
    check(|_, _| {}, Ok(10));
    check(
        |e, _| e[3].subject = "someone-else".into(),
        Err("AUDIT_ALTERED"),
    );
    check(|e, _| e[4].at += 1, Err("AUDIT_ALTERED"));
    check(|e, _| e[9].action = "logout".into(), Err("AUDIT_ALTERED"));
    check(
        |e, _| {
            e.remove(5);
        },
        Err("AUDIT_GAP"),
    );
    check(|e, _| e.swap(2, 3), Err("AUDIT_GAP"));
    // Swapping contents but keeping the numbering breaks the links.
    check(
        |e, _| {
            let (a, b) = (e[2].seq, e[3].seq);
            e.swap(2, 3);
            e[2].seq = a;
            e[3].seq = b;
        },
        Err("AUDIT_UNLINKED"),
    );
    // Deleting an entry and renumbering the rest breaks the links too.
    check(
        |e, _| {
            e.remove(5);
            for entry in &mut e[5..] {
                entry.seq -= 1;
            }
        },
        Err("AUDIT_UNLINKED"),
    );
    check(|e, _| e.truncate(7), Err("AUDIT_TRUNCATED"));
    check(|e, _| e.clear(), Err("AUDIT_TRUNCATED"));
    // A rewritten tail (recomputed hashes) no longer matches the recorded head.
    check(
        |e, _| {
            e.truncate(8);
            let head = e.last().map(AuditEntry::head);
            e.push(AuditEntry::next(head.as_ref(), 5_000, "op1", "login", ""));
            let head = e.last().map(AuditEntry::head);
            e.push(AuditEntry::next(head.as_ref(), 5_001, "op1", "login", ""));
        },
        Err("AUDIT_HEAD_MISMATCH"),
    );
    check(|e, _| e[0].prev_hash = [1; 32], Err("AUDIT_UNLINKED"));
    // A head recorded one entry behind (crash between commit and head update) is accepted.
    check(|e, anchors| anchors.head = Some(e[8].head()), Ok(10));
}

#[test]
fn retention_keeps_a_verifiable_log_from_its_base() {
    // Entries 1-4 removed behind base 4.
    let prune = |e: &mut Vec<AuditEntry>, a: &mut Anchors| {
        a.base = Some(e[3].head());
        e.drain(..4);
    };
    check(prune, Ok(6));
    // A crash after the base was recorded and before the removal: the entries are still there.
    check(|e, a| a.base = Some(e[3].head()), Ok(6));
    // Removing more than the base says, or a base that is not in the chain.
    check(
        |e, a| {
            prune(e, a);
            e.remove(0);
        },
        Err("AUDIT_GAP"),
    );
    check(
        |e, a| {
            a.base = Some(AuditHead {
                seq: 4,
                hash: [9; 32],
            });
            e.drain(..4);
        },
        Err("AUDIT_UNLINKED"),
    );
    check(
        |_, a| {
            a.base = Some(AuditHead {
                seq: 4,
                hash: [9; 32],
            })
        },
        Err("AUDIT_BASE_MISMATCH"),
    );
    // Without the base, a removed start is a gap.
    check(|e, _| drop(e.drain(..4)), Err("AUDIT_GAP"));
}
