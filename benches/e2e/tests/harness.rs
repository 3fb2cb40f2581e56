//! The harness itself, in its quick mode: every figure is measured for a direct connection and
//! for `portcullis run`, and a proxy that fails or refuses is reported, not fatal.
//!
//! Needs the workspace's binaries (`cargo build --workspace --bins`, as the README's test
//! command does): the harness finds `portcullis` and `bench-echo-server` beside itself.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn bench(dir: &Path, extra: &[&str]) -> (Value, String) {
    let json = dir.join("figures.json");
    let output = Command::new(env!("CARGO_BIN_EXE_portcullis-bench"))
        .args(["--quick", "--json"])
        .arg(&json)
        .args(extra)
        .output()
        .expect("the harness runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let figures = std::fs::read_to_string(&json).expect("the JSON is written");
    (serde_json::from_str(&figures).expect("valid JSON"), stdout)
}

fn row<'a>(figures: &'a Value, metric: &str) -> &'a Value {
    figures["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row {metric:?} in {figures:#}"))
}

#[test]
fn every_figure_is_measured_for_direct_and_portcullis() {
    let dir = tempfile::tempdir().unwrap();
    let (figures, table) = bench(dir.path(), &[]);
    let rows = figures["rows"].as_array().unwrap();
    // Start-up, idle memory, four latency percentiles, throughput, and rate and peak of 1 MiB.
    assert_eq!(rows.len(), 9, "{figures:#}");
    for row in rows {
        for target in ["direct", "portcullis"] {
            let value = row["values"][target].as_f64();
            assert!(value.is_some_and(|v| v > 0.0), "{target} in {row:#}");
        }
    }
    assert_eq!(figures["failures"]["portcullis"], serde_json::json!([]));
    let added = row(&figures, "small call, p50")["added"]["portcullis"].as_f64();
    assert!(added.is_some(), "{figures:#}");
    let ratio = row(&figures, "1 MiB response")["ratio"]["portcullis"].as_f64();
    assert!(ratio.is_some_and(|r| r > 0.0), "{figures:#}");
    assert!(
        table.contains("start-up to first answer, median"),
        "{table}"
    );
    assert!(
        table.lines().next().unwrap().contains("portcullis"),
        "{table}"
    );
}

#[test]
fn a_proxy_that_refuses_or_breaks_is_reported_and_the_others_measured() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny.yaml");
    std::fs::write(&tiny, "max_message_bytes: 65536\n").unwrap();
    let portcullis = Path::new(env!("CARGO_BIN_EXE_portcullis-bench")).with_file_name("portcullis");
    let refusing = format!(
        "tiny=env PORTCULLIS_CONFIG={} {} run --name tiny --",
        tiny.display(),
        portcullis.display()
    );
    let (figures, table) = bench(
        dir.path(),
        &[
            "--without-portcullis",
            "--proxy",
            &refusing,
            "--proxy",
            "gone=false",
        ],
    );
    let large = row(&figures, "1 MiB response");
    assert!(large["values"]["direct"].as_f64().is_some(), "{figures:#}");
    assert!(large["values"]["tiny"].is_null(), "{figures:#}");
    // Small messages pass the tiny limit; the large one is refused with the wrapper's error.
    assert!(
        row(&figures, "small call, p50")["values"]["tiny"]
            .as_f64()
            .is_some()
    );
    let tiny_failures = figures["failures"]["tiny"].to_string();
    assert!(
        tiny_failures.contains("1 MiB") && tiny_failures.contains("refused"),
        "{tiny_failures}"
    );
    let gone = figures["failures"]["gone"].to_string();
    assert!(gone.contains("closed its output"), "{gone}");
    assert!(row(&figures, "small call, p50")["values"]["gone"].is_null());
    assert!(table.contains("failed"), "{table}");
}
