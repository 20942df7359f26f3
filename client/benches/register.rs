//! Benchmark: a reference registration (demographics, 10 fingerprints, 2 irises, face, 2
//! documents) through the real workflow and store, timing separately (a) the sign-off's
//! password re-check (Argon2id at the default cost), (b) create + seal + commit (RID sequence,
//! build + seal, atomic commit of file, row, manifest and draft removal) and (c) the whole
//! sign-off, each side by side with the floor measured in the same run: AES-256-GCM of the same
//! number of bytes plus one fsync'd write of the same size. Prints figures, and (b) also against
//! a stricter floor whose file is written in 1 MiB pieces, as the store writes its files (on some
//! file systems much faster than one large `write`).

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use enrol_client::machine::{InitRequest, init};
use enrol_client::operators::NewOperator;
use enrol_client::packet::{PipelineCertificate, reference::PayloadSizes};
use enrol_client::registration::SignOff;
use enrol_client::roles::Role;
use enrol_client::{Client, Options};
use enrol_schema::packet::Process;
use enrol_schema::record::Record;
use enrol_schema::settings::RegistrationSettings;
use rand_core::{OsRng, RngCore};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use rsa::RsaPrivateKey;

const RUNS: usize = 15;
const ATTRIBUTES: [&str; 13] = [
    "leftThumb",
    "leftIndex",
    "leftMiddle",
    "leftRing",
    "leftLittle",
    "rightThumb",
    "rightIndex",
    "rightMiddle",
    "rightRing",
    "rightLittle",
    "leftEye",
    "rightEye",
    "face",
];

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mb_per_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn payload(magic: &[u8], len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    OsRng.fill_bytes(&mut bytes);
    bytes[..magic.len()].copy_from_slice(magic);
    bytes
}

/// AES-256-GCM of `data` in place plus one fsync'd write of the result, in one `write` or in
/// pieces of `piece` bytes.
fn floor(data: &mut Vec<u8>, dir: &Path, piece: usize) -> Duration {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap());
    let start = Instant::now();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key([1u8; 12]), Aad::empty(), data)
        .unwrap();
    let mut file = File::create(dir.join("floor.bin")).unwrap();
    for piece in data.chunks(piece) {
        file.write_all(piece).unwrap();
    }
    file.sync_all().unwrap();
    let elapsed = start.elapsed();
    data.truncate(data.len() - 16);
    elapsed
}

fn main() {
    let base = std::env::var_os("ENROL_BENCH_DIR").unwrap_or_else(|| ".".into());
    let dir = tempfile::tempdir_in(&base).unwrap();
    let data = dir.path().join("data");
    // The default Argon2id cost, as in the field: the re-check is timed on its own.
    let options = Options::default();
    let mut settings = RegistrationSettings::default();
    settings.freeze.max_pending_approval_packets = 10_000;
    let request = InitRequest {
        machine_id: "10011".into(),
        centre_id: "10001".into(),
        centre_name: "Bench centre".into(),
        server_url: None,
        supervisor_id: "sup1".into(),
        supervisor_name: "Supervisor".into(),
        password: "supervisor-pass".into(),
        settings,
        enrolment: None,
    };
    let mut supervisor = init(&data, &request, options.clone()).unwrap();
    let pipeline_key = RsaPrivateKey::new(&mut OsRng, 2048).unwrap();
    let year = Duration::from_secs(365 * 86_400);
    let pipeline = PipelineCertificate::self_signed(&pipeline_key, "pipeline", year).unwrap();
    supervisor
        .trust_pipeline_certificate(&pipeline.to_pem().unwrap())
        .unwrap();
    supervisor
        .add_operator(&NewOperator {
            id: "op1".into(),
            name: "Operator".into(),
            roles: vec![Role::Operator],
            password: "op1-password".into(),
        })
        .unwrap();
    drop(supervisor);
    let mut session = Client::open(&data, options)
        .unwrap()
        .login("op1", "op1-password")
        .unwrap();
    let form = session.form(Process::New).unwrap();
    let field = form.applicant_biometrics_field().unwrap().to_owned();
    let record = Record::parse(
        "example",
        enrol_schema::defaults::EXAMPLE_RECORD_JSON.as_bytes(),
    )
    .unwrap();
    let sizes = PayloadSizes::default();
    let captures: Vec<(&str, Vec<u8>)> = ATTRIBUTES
        .iter()
        .map(|attribute| {
            let (magic, len): (&[u8], usize) = match *attribute {
                "leftEye" | "rightEye" => (b"IIR\0", sizes.iris),
                "face" => (b"FAC\0", sizes.face),
                _ => (b"FIR\0", sizes.finger),
            };
            (*attribute, payload(magic, len))
        })
        .collect();
    let poa = payload(b"%PDF-1.7\n", sizes.document / 2);
    let poi = payload(b"\xff\xd8\xff\xe0", sizes.document / 2);
    let raw: usize = captures.iter().map(|(_, b)| b.len()).sum::<usize>() + poa.len() + poi.len();

    let (mut workflow, mut recheck, mut create, mut sign_off, mut floors, mut piecewise) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut size = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let mut registration = session.start_registration(Process::New).unwrap();
        session
            .enter_demographics(
                &mut registration,
                &form,
                record.identity.clone(),
                Vec::new(),
            )
            .unwrap();
        session
            .update_registration(&mut registration, "documents", |r| {
                r.add_document(&form, "proofOfAddress", "pdf", None, poa.clone())?;
                r.add_document(&form, "proofOfIdentity", "jpg", None, poi.clone())
            })
            .unwrap();
        session
            .update_registration(&mut registration, "biometrics", |r| {
                for (attribute, iso) in &captures {
                    r.add_biometric(&form, &field, attribute, iso.clone(), 95, 1, 0)?;
                }
                Ok(())
            })
            .unwrap();
        session
            .preview_registration(&mut registration, &form)
            .unwrap();
        // What `Session::sign_off` does, timed in its two halves.
        let signing = Instant::now();
        let verified = session
            .verify_sign_off(
                &registration,
                SignOff {
                    password: "op1-password",
                    supervisor: None,
                },
            )
            .unwrap();
        let creating = Instant::now();
        let committed = session
            .commit_sign_off(&registration, &form, verified)
            .unwrap();
        let done = Instant::now();
        recheck.push(creating - signing);
        create.push(done - creating);
        sign_off.push(done - signing);
        workflow.push(done - start);
        size = committed.packet.size;
        let mut same_size = vec![0u8; size as usize];
        OsRng.fill_bytes(&mut same_size);
        floors.push(floor(&mut same_size, dir.path(), usize::MAX));
        piecewise.push(floor(&mut same_size, dir.path(), 1 << 20));
    }
    let floor = median(floors);
    let piecewise = median(piecewise);
    println!(
        "reference registration through the workflow and store: 13 biometric records, 2 documents"
    );
    println!(
        "  payload (ISO records + documents) {:.2} MB, packet file {:.2} MB, {RUNS} runs, medians",
        raw as f64 / 1e6,
        size as f64 / 1e6
    );
    let line = |name: &str, samples: Vec<Duration>| {
        let median = median(samples);
        println!(
            "  {name:<58} {:8.2} ms {:7.1} MB/s {:6.2}x floor",
            ms(median),
            mb_per_s(size, median),
            median.as_secs_f64() / floor.as_secs_f64()
        );
    };
    line(
        &format!(
            "floor (AES-256-GCM + fsync'd write of {:.2} MB)",
            size as f64 / 1e6
        ),
        vec![floor],
    );
    line("(a) password re-check (Argon2id, default cost)", recheck);
    let create_median = median(create.clone());
    line("(b) create + seal + commit (the target: within 3x)", create);
    line("(c) whole sign-off (a + b)", sign_off);
    line(
        "whole workflow (drafts, steps, preview, sign-off)",
        workflow,
    );
    println!(
        "  stricter floor, the file written in 1 MiB pieces: {:.2} ms; (b) is {:.2}x it",
        ms(piecewise),
        create_median.as_secs_f64() / piecewise.as_secs_f64()
    );
}
