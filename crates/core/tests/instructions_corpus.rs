//! The instruction detectors against the corpora in `tests/corpus` (see its README): every
//! poisoned definition is found with its expected categories, no benign definition is flagged,
//! every injected result is found with the category its file name starts with, and the share of
//! benign results flagged stays under [`MAX_BENIGN_RESULT_RATE`]. Run with `--nocapture` to see
//! the rates and every flagged benign document.

use std::fs;
use std::path::{Path, PathBuf};

use portcullis_core::detect::instructions::injection::{self, InjectionCategory};
use portcullis_core::detect::instructions::poisoning::{self, PoisonCategory};
use serde_json::Value;

/// Highest share of benign results that may be flagged. Documents that quote attacks (articles
/// about prompt injection) are flagged by design and count here.
const MAX_BENIGN_RESULT_RATE: f64 = 0.05;

fn corpus(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(dir)
}

/// The files of `dir` ending in `extension`, sorted.
fn files(dir: &str, extension: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(corpus(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    found.sort();
    found
}

fn name(path: &Path) -> String {
    path.file_stem()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

fn json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The definitions of a listing file: its tools, prompts and resource templates.
fn definitions(listing: &Value) -> Vec<&Value> {
    ["tools", "prompts", "resourceTemplates"]
        .iter()
        .filter_map(|key| listing.get(key).and_then(Value::as_array))
        .flatten()
        .collect()
}

fn rate(part: usize, whole: usize) -> f64 {
    part as f64 / whole.max(1) as f64
}

#[test]
fn benign_definitions_are_clean() {
    let listings: Vec<(String, Value)> = files("tools", "json")
        .iter()
        .map(|path| (name(path), json(path)))
        .collect();
    // As if one client saw every server of the corpus at once: each definition is judged against
    // the names of all the other tools, its own server's included.
    let all_names: Vec<&str> = listings
        .iter()
        .flat_map(|(_, listing)| definitions(listing))
        .filter_map(|d| d.get("name").and_then(Value::as_str))
        .collect();
    let mut total = 0;
    let mut flagged = Vec::new();
    for (server, listing) in &listings {
        for definition in definitions(listing) {
            total += 1;
            let own = definition.get("name").and_then(Value::as_str).unwrap_or("");
            let others: Vec<&str> = all_names.iter().copied().filter(|n| *n != own).collect();
            let report = poisoning::inspect_definition(definition, &others);
            if report.is_poisoned() {
                flagged.push(format!("{server}/{own}: {}", report.summary()));
            }
        }
    }
    println!(
        "benign definitions: {} servers, {total} definitions, {} flagged ({:.1}%)",
        listings.len(),
        flagged.len(),
        100.0 * rate(flagged.len(), total)
    );
    assert!(
        total >= 150,
        "the benign definition corpus shrank to {total}"
    );
    assert!(
        flagged.is_empty(),
        "benign definitions flagged:\n{}",
        flagged.join("\n")
    );
}

#[test]
fn poisoned_definitions_are_found() {
    let cases = files("poisoned", "json");
    let mut missed = Vec::new();
    for path in &cases {
        let case = json(path);
        let others: Vec<&str> = case["otherTools"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let report = poisoning::inspect_definition(&case["definition"], &others);
        let expected: Vec<PoisonCategory> = case["expect"]
            .as_array()
            .expect("expect is a list")
            .iter()
            .map(|n| PoisonCategory::from_name(n.as_str().expect("name")).expect("known category"))
            .collect();
        let lacking: Vec<&str> = expected
            .iter()
            .filter(|c| !report.findings.iter().any(|f| f.category == **c))
            .map(|c| c.name())
            .collect();
        if !report.is_poisoned() || !lacking.is_empty() {
            missed.push(format!(
                "{}: poisoned={} lacking {lacking:?}; {}",
                name(path),
                report.is_poisoned(),
                report.summary()
            ));
        }
    }
    println!(
        "poisoned definitions: {} cases, {} found with every expected category ({:.1}%)",
        cases.len(),
        cases.len() - missed.len(),
        100.0 * rate(cases.len() - missed.len(), cases.len())
    );
    assert!(
        cases.len() >= 30,
        "the poisoned corpus shrank to {}",
        cases.len()
    );
    assert!(
        missed.is_empty(),
        "poisoned definitions missed:\n{}",
        missed.join("\n")
    );
}

#[test]
fn injected_results_are_found() {
    let cases = files("results/injected", "txt");
    let mut missed = Vec::new();
    for path in &cases {
        let file = name(path);
        let expected = InjectionCategory::ALL
            .into_iter()
            .filter(|c| file.starts_with(&format!("{}-", c.name())))
            .max_by_key(|c| c.name().len())
            .unwrap_or_else(|| panic!("{file}: the name must start with a category"));
        let text = fs::read_to_string(path).expect("readable");
        let findings = injection::scan(&text);
        if !findings.iter().any(|f| f.category == expected) {
            let got: Vec<&str> = findings.iter().map(|f| f.category.name()).collect();
            missed.push(format!("{file}: expected {}, got {got:?}", expected.name()));
        }
    }
    println!(
        "injected results: {} files, {} found with the expected category ({:.1}%)",
        cases.len(),
        cases.len() - missed.len(),
        100.0 * rate(cases.len() - missed.len(), cases.len())
    );
    assert!(
        cases.len() >= 25,
        "the injected corpus shrank to {}",
        cases.len()
    );
    assert!(
        missed.is_empty(),
        "injected results missed:\n{}",
        missed.join("\n")
    );
}

#[test]
fn benign_results_are_rarely_flagged() {
    let cases = files("results/benign", "txt");
    let mut flagged = Vec::new();
    for path in &cases {
        let text = fs::read_to_string(path).expect("readable");
        if let Some(first) = injection::scan(&text).first() {
            flagged.push(format!(
                "{}: {} {:?}",
                name(path),
                first.category.name(),
                first.evidence
            ));
        }
    }
    let share = rate(flagged.len(), cases.len());
    println!(
        "benign results: {} files, {} flagged: false-positive rate {:.1}% (bound {:.1}%)",
        cases.len(),
        flagged.len(),
        100.0 * share,
        100.0 * MAX_BENIGN_RESULT_RATE
    );
    for line in &flagged {
        println!("  flagged {line}");
    }
    assert!(
        cases.len() >= 40,
        "the benign result corpus shrank to {}",
        cases.len()
    );
    assert!(
        share <= MAX_BENIGN_RESULT_RATE,
        "too many benign results flagged:\n{}",
        flagged.join("\n")
    );
}

/// Throughput of [`injection::scan`] on ~10 MB of ordinary text (the benign results, repeated, or
/// the file named by `INSTRUCTIONS_BENCH_TEXT`) and on text made of nothing but anchor words.
/// Meaningful in release mode only:
/// `cargo test --release -p portcullis-core --test instructions_corpus -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement; run in release mode"]
fn injection_scan_throughput() {
    let sample: String = files("results/benign", "txt")
        .iter()
        .map(|path| fs::read_to_string(path).expect("readable"))
        .collect::<Vec<_>>()
        .join("\n");
    let ordinary = match std::env::var_os("INSTRUCTIONS_BENCH_TEXT") {
        Some(path) => String::from_utf8_lossy(&fs::read(path).expect("readable")).into_owned(),
        None => sample.repeat((10 << 20) / sample.len() + 1),
    };
    let anchors = "ignore tell error send before <| human: you are now ".repeat((10 << 20) / 52);
    injection::scan("compiles the phrases once, outside the measurement");
    for (label, text) in [
        ("ordinary text", &ordinary),
        ("anchor words only", &anchors),
    ] {
        let started = std::time::Instant::now();
        let rounds = 3;
        let mut found = 0;
        for _ in 0..rounds {
            found += injection::scan(text).len();
        }
        let seconds = started.elapsed().as_secs_f64() / f64::from(rounds);
        println!(
            "injection::scan on {:.1} MB of {label}: {:.0} MB/s ({} findings)",
            text.len() as f64 / 1e6,
            text.len() as f64 / 1e6 / seconds,
            found / rounds as usize
        );
    }
}
