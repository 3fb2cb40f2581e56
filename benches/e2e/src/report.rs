//! The figures as rows: printed as a table with each proxy compared to direct, and written as
//! JSON from the same rows.

use std::time::Duration;

use serde_json::{Value, json};

use crate::measure::{Large, Measured, Plan};
use crate::memory::Resident;
use crate::peer::Target;
use crate::stats::{Percentiles, median};

/// How a proxy's figure compares with direct.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Compare {
    /// Costs that add up (time): show the difference.
    Added,
    /// Rates: show the ratio.
    Ratio,
    /// Memory: the direct column is the server's own, so there is nothing to subtract.
    Alone,
}

struct Row {
    metric: String,
    unit: &'static str,
    compare: Compare,
    /// One value per target, in target order; `None` where it could not be measured.
    values: Vec<Option<f64>>,
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn rows(plan: &Plan, measured: &[Measured]) -> Vec<Row> {
    let per = |f: &dyn Fn(&Measured) -> Option<f64>| measured.iter().map(f).collect::<Vec<_>>();
    let non_empty = |v: &[Duration]| (!v.is_empty()).then(|| Percentiles::new(v.to_vec()));
    let mut rows = vec![Row {
        metric: "start-up to first answer, median".to_owned(),
        unit: "ms",
        compare: Compare::Added,
        values: per(&|m| non_empty(&m.startup).map(|p| micros(p.at(50.0)) / 1000.0)),
    }];
    rows.push(Row {
        metric: "idle memory (RSS)".to_owned(),
        unit: "MiB",
        compare: Compare::Alone,
        values: per(&|m| m.idle.map(|r: Resident| mib(r.rss_kib))),
    });
    for (label, four_kb) in [("small call", false), ("4 KB call", true)] {
        let samples = |m: &Measured| {
            if four_kb {
                m.four_kb.clone()
            } else {
                m.small.clone()
            }
        };
        for p in [50.0, 99.0] {
            rows.push(Row {
                metric: format!("{label}, p{p}"),
                unit: "µs",
                compare: Compare::Added,
                values: per(&|m| non_empty(&samples(m)).map(|s| micros(s.at(p)))),
            });
        }
    }
    rows.push(Row {
        metric: format!("throughput, {} in flight", plan.window),
        unit: "k msg/s",
        compare: Compare::Ratio,
        values: per(&|m| (!m.throughput.is_empty()).then(|| median(m.throughput.clone()) / 1e3)),
    });
    for (i, size) in plan.sizes.iter().enumerate() {
        rows.push(Row {
            metric: format!("{size} MiB response"),
            unit: "MiB/s",
            compare: Compare::Ratio,
            values: per(&|m| completed(m, i).map(|l| median(l.rates.clone()))),
        });
        rows.push(Row {
            metric: format!("{size} MiB response, peak RSS"),
            unit: "MiB",
            compare: Compare::Alone,
            values: per(&|m| {
                completed(m, i)
                    .and_then(|l| l.peak)
                    .map(|r| mib(r.peak_kib))
            }),
        });
    }
    rows
}

/// The `i`th large-response measurement, if it completed.
fn completed(m: &Measured, i: usize) -> Option<&Large> {
    m.large.get(i).filter(|l| l.failure.is_none())
}

fn number(value: f64) -> String {
    match value.abs() {
        v if v >= 100.0 => format!("{value:.0}"),
        v if v >= 10.0 => format!("{value:.1}"),
        _ => format!("{value:.2}"),
    }
}

fn cell(row: &Row, value: Option<f64>, direct: Option<f64>) -> String {
    let Some(value) = value else {
        return "failed".to_owned();
    };
    let shown = format!("{} {}", number(value), row.unit);
    match (row.compare, direct) {
        (Compare::Added, Some(d)) => {
            let sign = if value >= d { "+" } else { "−" };
            format!("{shown} ({sign}{})", number((value - d).abs()))
        }
        (Compare::Ratio, Some(d)) if d > 0.0 => format!("{shown} ({:.2}×)", value / d),
        _ => shown,
    }
}

/// The table: a row per figure, a column per target, proxies compared with direct (the first).
pub fn table(targets: &[Target], plan: &Plan, measured: &[Measured]) -> String {
    let rows = rows(plan, measured);
    let mut lines = vec![
        std::iter::once("".to_owned())
            .chain(targets.iter().map(|t| t.name.clone()))
            .collect::<Vec<_>>(),
    ];
    for row in &rows {
        let direct = row.values[0];
        let cells = row.values.iter().enumerate().map(|(i, v)| match i {
            0 => cell(row, *v, None),
            _ => cell(row, *v, direct),
        });
        lines.push(std::iter::once(row.metric.clone()).chain(cells).collect());
    }
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &lines {
        let padded: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (text, w))| match c {
                0 => format!("{text:<w$}"),
                _ => format!("{text:>w$}"),
            })
            .collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    }
    for (target, m) in targets.iter().zip(measured) {
        for failure in &m.failures {
            out.push_str(&format!("{}: {failure}\n", target.name));
        }
        for large in m
            .large
            .iter()
            .filter_map(|l| l.failure.as_ref().map(|f| (l.mib, f)))
        {
            out.push_str(&format!("{} ({} MiB): {}\n", target.name, large.0, large.1));
        }
    }
    out
}

/// The same figures as JSON, with each proxy's difference or ratio to direct.
pub fn json(targets: &[Target], plan: &Plan, measured: &[Measured], machine: Value) -> Value {
    let rows = rows(plan, measured);
    let rows: Vec<Value> = rows
        .iter()
        .map(|row| {
            let direct = row.values[0];
            let by_target = |f: &dyn Fn(f64, f64) -> f64| {
                let pairs = targets.iter().zip(&row.values).skip(1);
                let compared = pairs.map(|(t, v)| {
                    let c = v.zip(direct).map(|(v, d)| f(v, d));
                    (t.name.clone(), json!(c))
                });
                Value::Object(compared.collect())
            };
            let values = targets.iter().zip(&row.values);
            let mut out = json!({
                "metric": row.metric,
                "unit": row.unit,
                "values": Value::Object(values.map(|(t, v)| (t.name.clone(), json!(v))).collect()),
            });
            match row.compare {
                Compare::Added => out["added"] = by_target(&|v, d| v - d),
                Compare::Ratio => out["ratio"] = by_target(&|v, d| v / d),
                Compare::Alone => {}
            }
            out
        })
        .collect();
    let failures = targets.iter().zip(measured).map(|(t, m)| {
        let large = m
            .large
            .iter()
            .filter_map(|l| l.failure.as_ref().map(|f| format!("{} MiB: {f}", l.mib)));
        let all: Vec<String> = m.failures.iter().cloned().chain(large).collect();
        (t.name.clone(), json!(all))
    });
    json!({
        "machine": machine,
        "targets": targets.iter().map(|t| json!({"name": t.name, "prefix": t.prefix})).collect::<Vec<_>>(),
        "plan": {
            "startups": plan.startups, "calls": plan.calls, "messages": plan.messages,
            "window": plan.window, "rounds": plan.rounds, "sizes_mib": plan.sizes,
        },
        "rows": rows,
        "failures": Value::Object(failures.collect()),
    })
}
