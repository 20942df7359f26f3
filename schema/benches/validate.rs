//! Validating one record against the default NEW spec (with master data), median time per
//! record, side by side with `serde_json` parsing of the same record in the same run.
//! Run with `cargo bench -p enrol-schema`; target: validation under 50 µs per record.

use std::hint::black_box;
use std::time::{Duration, Instant};

use enrol_schema::defaults;
use enrol_schema::packet::Process;
use enrol_schema::record::Record;
use enrol_schema::validate::{Context, Validator};
use time::{Date, Month};

const SAMPLES: usize = 201;
const BATCH: u32 = 200;

/// Median time per call of `work` over [`SAMPLES`] batches of [`BATCH`] calls.
fn median_per_call(mut work: impl FnMut()) -> Duration {
    for _ in 0..BATCH {
        work();
    }
    let mut samples: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..BATCH {
                work();
            }
            start.elapsed() / BATCH
        })
        .collect();
    samples.sort();
    samples[SAMPLES / 2]
}

fn main() {
    let bytes = defaults::EXAMPLE_RECORD_JSON.as_bytes();
    let schema = defaults::identity_schema();
    let spec = defaults::ui_spec(Process::New);
    let master = defaults::master_data();
    let settings = defaults::settings();
    let validator =
        Validator::new(&schema, Some(&spec), Some(&master), &settings).expect("defaults compile");
    let record = Record::parse("example", bytes).expect("example parses");
    let today = Date::from_calendar_date(2026, Month::November, 28).expect("a real date");
    let context = Context::new(today);
    assert!(
        validator.validate(&record.identity, &context).is_empty(),
        "the example record is valid"
    );

    let compile = median_per_call(|| {
        black_box(Validator::new(&schema, Some(&spec), Some(&master), &settings).is_ok());
    });
    let parse = median_per_call(|| {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(bytes)).is_ok());
    });
    let validate = median_per_call(|| {
        black_box(validator.validate(black_box(&record.identity), &context));
    });
    let both = median_per_call(|| {
        let record = Record::parse("example", black_box(bytes)).expect("example parses");
        black_box(validator.validate(&record.identity, &context));
    });
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "record: {} bytes, {} fields; NEW spec with master data",
        bytes.len(),
        record.identity.len()
    );
    println!("{:<44} {:>10}", "median per record", "µs");
    println!(
        "{:<44} {:>10.2}",
        "serde_json parse (baseline)",
        micros(parse)
    );
    println!(
        "{:<44} {:>10.2}",
        "validate (parsed record)",
        micros(validate)
    );
    println!("{:<44} {:>10.2}", "parse + validate", micros(both));
    println!(
        "{:<44} {:>10.2}",
        "compile validator (once per spec, for scale)",
        micros(compile)
    );
    let verdict = if micros(validate) < 50.0 {
        "meets"
    } else {
        "MISSES"
    };
    println!(
        "validation {verdict} the 50 µs target ({:.1}x the parse time)",
        micros(validate) / micros(parse)
    );
}
