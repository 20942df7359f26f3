//! Sealed packet files referenced from the store: atomic storage, hash check on read, keyset
//! pages, and the crash-safe sequence.

mod support;

use support::Fixture;

fn rid(n: u32) -> String {
    format!("1000110011{n:05}20261128120000")
}

fn packet_id(n: u32) -> String {
    format!("{}-10001_10011-20261128120000", rid(n))
}

#[test]
fn packets_are_stored_listed_and_read_back_verified() {
    let fixture = Fixture::new();
    let mut session = fixture.supervisor();
    for n in 0..25 {
        session
            .store_packet(
                &rid(n),
                &format!("reg-{n}"),
                &packet_id(n),
                format!("packet {n}").as_bytes(),
            )
            .unwrap();
        fixture.clock.advance(1);
    }
    let first = session.packet_page(None, 10).unwrap();
    assert_eq!(first.len(), 10);
    assert_eq!(first[0].rid, rid(24));
    let cursor = enrol_client::packet_store::PageCursor {
        created_at: first[9].created_at,
        rid: first[9].rid.clone(),
    };
    let second = session.packet_page(Some(&cursor), 10).unwrap();
    assert_eq!(second[0].rid, rid(14));
    assert_eq!(session.packet_bytes(&rid(3)).unwrap(), b"packet 3");

    let duplicate = session
        .store_packet(&rid(3), "again", &packet_id(3), b"other")
        .unwrap_err();
    assert_eq!(duplicate.code(), "INVALID_INPUT");
    let bad = session
        .store_packet("../../etc/passwd", "x", "../../etc/passwd", b"x")
        .unwrap_err();
    assert_eq!(bad.code(), "INVALID_INPUT");

    std::fs::write(
        fixture
            .path()
            .join("packets")
            .join(format!("{}.zip", packet_id(5))),
        b"swapped",
    )
    .unwrap();
    assert_eq!(
        session.packet_bytes(&rid(5)).unwrap_err().code(),
        "STORE_CORRUPT"
    );
}

#[test]
fn sequences_never_repeat() {
    let fixture = Fixture::new();
    let mut session = fixture.supervisor();
    let values: Vec<u64> = (0..5)
        .map(|_| session.next_sequence("rid").unwrap())
        .collect();
    assert_eq!(values, [1, 2, 3, 4, 5]);
    drop(session);
    let mut session = fixture.supervisor();
    assert_eq!(session.next_sequence("rid").unwrap(), 6);
    assert_eq!(session.next_sequence("other").unwrap(), 1);
}

#[test]
fn the_audit_head_and_recent_entries_are_exposed_for_packets() {
    let fixture = Fixture::new();
    let mut session = fixture.supervisor();
    let before = session.audit_head().unwrap().unwrap();
    session
        .store_packet(&rid(1), "reg-1", &packet_id(1), b"sealed")
        .unwrap();
    let head = session.audit_head().unwrap().unwrap();
    assert_eq!(head.seq, before.seq + 1);
    let entries = session.audit_entries_after(before.seq, 100).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "packet.created");
    assert_eq!(entries[0].subject, rid(1));
    assert_eq!(entries[0].head(), head);
    let all = session.audit_entries_after(0, 2).unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
}
