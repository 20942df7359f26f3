//! Store benchmarks (printed figures, not timed tests):
//! 1. store open + offline login with the production Argon2id cost (target < 300 ms);
//! 2. SQLCipher vs plain SQLite on the same packet-metadata workload (target overhead < 30 %);
//! 3. one page of the packet list with 100,000 packets stored (target < 50 ms);
//! 4. a sealed 3 MB packet kept in the database vs as a file referenced by hash.
//!
//! Run: `cargo bench -p enrol-client --bench store`.

use std::path::Path;
use std::time::{Duration, Instant};

use enrol_client::fsio::Disk;
use enrol_client::machine::{InitRequest, init};
use enrol_client::packet_store::{PageCursor, query_page};
use enrol_client::seal::{KdfParams, derive_key, hex, random_bytes};
use enrol_client::store::{STORE_PRAGMAS, migrate};
use enrol_client::{Client, Options};
use enrol_schema::settings::RegistrationSettings;
use rusqlite::{Connection, params};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn open_db(path: &Path, key: Option<&[u8; 32]>) -> Connection {
    let conn = Connection::open(path).expect("open database");
    if let Some(key) = key {
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex(key)))
            .expect("key");
    }
    conn.execute_batch(STORE_PRAGMAS).expect("pragmas");
    migrate(&conn).expect("migrate");
    conn
}

fn rid(n: u64) -> String {
    format!(
        "{:05}{:05}{:05}{:014}",
        10001,
        10011 + n / 100_000,
        n % 100_000,
        20261128120000u64
    )
}

/// Inserts `rows` packet rows in transactions of `batch` rows.
fn insert_packets(conn: &mut Connection, first: u64, rows: u64, batch: u64) {
    let mut n = first;
    while n < first + rows {
        let tx = conn.transaction().expect("transaction");
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO packets (rid, registration_id, file_name, sha256, size, created_at, approval)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')",
                )
                .expect("prepare");
            for _ in 0..batch.min(first + rows - n) {
                let rid = rid(n);
                stmt.execute(params![
                    rid,
                    format!("reg-{n}"),
                    format!("{rid}.pkt"),
                    &[n as u8; 32][..],
                    2_000_000 + n,
                    1_790_000_000 + n as i64
                ])
                .expect("insert");
                n += 1;
            }
        }
        tx.commit().expect("commit");
    }
}

/// The metadata workload: single-row commits, batched inserts, then list pages.
fn metadata_workload(path: &Path, key: Option<&[u8; 32]>) -> (Duration, Duration, Duration) {
    let mut conn = open_db(path, key);
    let start = Instant::now();
    insert_packets(&mut conn, 0, 300, 1);
    let single = start.elapsed();
    let start = Instant::now();
    insert_packets(&mut conn, 300, 20_000, 500);
    let batched = start.elapsed();
    let start = Instant::now();
    let mut cursor: Option<PageCursor> = None;
    for _ in 0..400 {
        let page = query_page(&conn, cursor.as_ref(), 50).expect("page");
        cursor = page.last().map(|last| PageCursor {
            created_at: last.created_at,
            rid: last.rid.clone(),
        });
    }
    (single, batched, start.elapsed())
}

fn bench_open_and_login() {
    let dir = tempfile::tempdir().expect("tempdir");
    let request = InitRequest {
        machine_id: "10011".into(),
        centre_id: "10001".into(),
        centre_name: "Bench centre".into(),
        server_url: None,
        supervisor_id: "sup1".into(),
        supervisor_name: "Supervisor".into(),
        password: "bench-password".into(),
        settings: RegistrationSettings::default(),
        enrolment: None,
    };
    drop(init(dir.path(), &request, Options::default()).expect("init"));
    let salt = random_bytes::<16>().expect("salt");
    println!("Argon2id alone (candidate costs):");
    for (m_mib, t) in [(64, 3), (64, 2), (64, 1), (46, 1), (19, 2)] {
        let params = KdfParams {
            m_kib: m_mib * 1024,
            t,
            p: 1,
        };
        let samples: Vec<Duration> = (0..7)
            .map(|_| {
                let start = Instant::now();
                derive_key("bench-password", &salt, params).expect("derive");
                start.elapsed()
            })
            .collect();
        println!(
            "  m={m_mib:>2} MiB t={t} p=1     median {:8.1} ms",
            ms(median(samples))
        );
    }
    let login: Vec<Duration> = (0..7)
        .map(|_| {
            let start = Instant::now();
            let client = Client::open(dir.path(), Options::default()).expect("open");
            let session = client.login("sup1", "bench-password").expect("login");
            let elapsed = start.elapsed();
            drop(session);
            elapsed
        })
        .collect();
    let KdfParams { m_kib, t, p } = KdfParams::DEFAULT;
    println!(
        "store open + offline login (Argon2id m={} MiB t={t} p={p}):",
        m_kib / 1024
    );
    println!(
        "  open + login        median {:8.1} ms   (target < 300 ms)",
        ms(median(login))
    );
}

fn bench_cipher_overhead() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = random_bytes::<32>().expect("key");
    // Alternating rounds, medians per step: the machine is shared, so noise hits both sides.
    let (mut plain, mut cipher) = (Vec::new(), Vec::new());
    for round in 0..7 {
        plain.push(metadata_workload(
            &dir.path().join(format!("plain-{round}.db")),
            None,
        ));
        cipher.push(metadata_workload(
            &dir.path().join(format!("cipher-{round}.db")),
            Some(&key),
        ));
    }
    println!("metadata workload, SQLCipher vs plain SQLite (WAL, synchronous=FULL; median of 7):");
    let line = |what: &str, part: fn(&(Duration, Duration, Duration)) -> Duration| {
        let plain = median(plain.iter().map(part).collect());
        let cipher = median(cipher.iter().map(part).collect());
        let overhead = (cipher.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0;
        println!(
            "  {what:<32} plain {:9.1} ms  sqlcipher {:9.1} ms  overhead {overhead:+6.1} %",
            ms(plain),
            ms(cipher)
        );
    };
    line("300 single-row commits", |w| w.0);
    line("20,000 rows in 40 commits", |w| w.1);
    line("400 list pages of 50 rows", |w| w.2);
    line("total", |w| w.0 + w.1 + w.2);
}

fn bench_page_with_100k() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = random_bytes::<32>().expect("key");
    let path = dir.path().join("big.db");
    let mut conn = open_db(&path, Some(&key));
    insert_packets(&mut conn, 0, 100_000, 5_000);
    drop(conn);
    let conn = open_db(&path, Some(&key));
    let first: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            let page = query_page(&conn, None, 50).expect("page");
            assert_eq!(page.len(), 50);
            start.elapsed()
        })
        .collect();
    let deep_cursor = PageCursor {
        created_at: 1_790_000_000 + 1_000,
        rid: rid(1_000),
    };
    let deep: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            query_page(&conn, Some(&deep_cursor), 50).expect("page");
            start.elapsed()
        })
        .collect();
    println!("packet list page of 50 with 100,000 packets (SQLCipher, keyset on an index):");
    println!(
        "  first page          median {:8.3} ms   (target < 50 ms)",
        ms(median(first))
    );
    println!("  page near the end   median {:8.3} ms", ms(median(deep)));
}

fn bench_packet_placement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = random_bytes::<32>().expect("key");
    let packet: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let mut conn = open_db(&dir.path().join("blobs.db"), Some(&key));
    conn.execute_batch("CREATE TABLE blobs (rid TEXT PRIMARY KEY, bytes BLOB NOT NULL)")
        .expect("table");
    let in_db: Vec<Duration> = (0..10)
        .map(|n| {
            let start = Instant::now();
            let tx = conn.transaction().expect("tx");
            tx.execute("INSERT INTO blobs VALUES (?1, ?2)", params![rid(n), packet])
                .expect("insert");
            tx.commit().expect("commit");
            start.elapsed()
        })
        .collect();
    let disk = Disk::default();
    let mut meta = open_db(&dir.path().join("meta.db"), Some(&key));
    let as_file: Vec<Duration> = (0..10)
        .map(|n| {
            let start = Instant::now();
            disk.write_atomic(&dir.path().join(format!("{}.pkt", rid(n))), &packet)
                .expect("write");
            insert_packets(&mut meta, n, 1, 1);
            start.elapsed()
        })
        .collect();
    let mb = packet.len() as f64 / 1e6;
    let line = |what: &str, time: Duration| {
        println!(
            "  {what:<34} median {:8.1} ms  {:7.1} MB/s",
            ms(time),
            mb / time.as_secs_f64()
        );
    };
    println!("sealed 3 MB packet, committed durably:");
    line("inside SQLCipher (BLOB, WAL)", median(in_db));
    line("file (temp+fsync+rename) + row", median(as_file));
}

fn main() {
    bench_open_and_login();
    bench_cipher_overhead();
    bench_page_with_100k();
    bench_packet_placement();
}
