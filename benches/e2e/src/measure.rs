//! The measurements, each run over every target in one pass and interleaved (the order rotates
//! every round), so a slow moment of the machine falls on all of them alike.

use std::time::Duration;

use crate::memory::Resident;
use crate::peer::{Session, Setup, Target, blob, echo};

/// How much of each measurement to do.
#[derive(Debug, Clone)]
pub struct Plan {
    pub startups: usize,
    /// Sequential calls per target for each latency figure, taken in blocks of `block`.
    pub calls: usize,
    pub block: usize,
    /// Pipelined throughput: `messages` calls with `window` in flight, `rounds` times.
    pub messages: usize,
    pub window: usize,
    pub rounds: usize,
    /// Large responses: sizes in MiB.
    pub sizes: Vec<usize>,
}

impl Plan {
    pub fn full() -> Self {
        Self {
            startups: 20,
            calls: 5000,
            block: 250,
            messages: 20_000,
            window: 256,
            rounds: 5,
            sizes: vec![1, 10, 100],
        }
    }

    /// Enough to see that everything works, in seconds.
    pub fn quick() -> Self {
        Self {
            startups: 3,
            calls: 200,
            block: 50,
            messages: 1000,
            window: 64,
            rounds: 2,
            sizes: vec![1],
        }
    }

    /// Repeats of one large response: fewer for the bigger ones.
    pub fn repeats(&self, mib: usize) -> usize {
        match mib {
            0..=1 => self.rounds * 4,
            2..=10 => self.rounds * 2,
            _ => self.rounds.div_ceil(2),
        }
    }
}

/// Everything measured for one target. A measurement that failed says why instead.
#[derive(Debug, Default)]
pub struct Measured {
    pub startup: Vec<Duration>,
    pub idle: Option<Resident>,
    pub small: Vec<Duration>,
    pub four_kb: Vec<Duration>,
    /// Messages per second, one figure per round.
    pub throughput: Vec<f64>,
    pub large: Vec<Large>,
    pub failures: Vec<String>,
}

#[derive(Debug)]
pub struct Large {
    pub mib: usize,
    /// MiB per second, one figure per repeat.
    pub rates: Vec<f64>,
    pub peak: Option<Resident>,
    pub failure: Option<String>,
}

pub const FOUR_KB: usize = 4096;

/// Runs the whole plan; `progress` hears what is being measured.
pub fn run(
    targets: &[Target],
    setup: &Setup,
    plan: &Plan,
    progress: &dyn Fn(&str),
) -> Vec<Measured> {
    let mut results: Vec<Measured> = targets.iter().map(|_| Measured::default()).collect();
    progress("start-up");
    startup(targets, setup, plan, &mut results);
    progress("latency and throughput");
    conversation(targets, setup, plan, &mut results);
    for &mib in &plan.sizes {
        progress(&format!("{mib} MiB responses"));
        large(targets, setup, plan, mib, &mut results);
    }
    results
}

/// The order targets take in round `round`.
fn rotated(count: usize, round: usize) -> impl Iterator<Item = usize> {
    (0..count).map(move |i| (i + round) % count)
}

fn startup(targets: &[Target], setup: &Setup, plan: &Plan, results: &mut [Measured]) {
    for round in 0..plan.startups {
        for t in rotated(targets.len(), round) {
            match Session::start(&targets[t], setup) {
                Ok((session, first_answer)) => {
                    results[t].startup.push(first_answer);
                    session.close();
                }
                Err(e) => results[t].failures.push(format!("start-up: {e:#}")),
            }
        }
    }
}

/// Idle memory, then small and 4 KB round trips, then pipelined throughput, over one session
/// per target.
fn conversation(targets: &[Target], setup: &Setup, plan: &Plan, results: &mut [Measured]) {
    let mut sessions: Vec<Option<Session>> = targets
        .iter()
        .zip(results.iter_mut())
        .map(|(target, result)| match Session::start(target, setup) {
            Ok((session, _)) => Some(session),
            Err(e) => {
                result.failures.push(format!("start: {e:#}"));
                None
            }
        })
        .collect();
    // Let start-up work (a writer thread's first batch, a runtime's JIT) settle.
    std::thread::sleep(Duration::from_secs(1));
    for (session, result) in sessions.iter().zip(results.iter_mut()) {
        result.idle = session.as_ref().and_then(Session::memory);
    }
    let four_kb =
        "All 418 tests passed; nothing to report. ".repeat(FOUR_KB / 41 + 1)[..FOUR_KB].to_owned();
    let bodies = [echo("hello"), echo(&four_kb)];
    for (which, body) in bodies.iter().enumerate() {
        let blocks = plan.calls.div_ceil(plan.block);
        for round in 0..=blocks {
            for t in rotated(targets.len(), round) {
                let Some(session) = sessions[t].as_mut() else {
                    continue;
                };
                for _ in 0..plan.block {
                    match session.call(body) {
                        // Round 0 warms up.
                        Ok(rtt) if round > 0 => match which {
                            0 => results[t].small.push(rtt),
                            _ => results[t].four_kb.push(rtt),
                        },
                        Ok(_) => {}
                        Err(e) => {
                            results[t].failures.push(format!("round trips: {e:#}"));
                            sessions[t] = None;
                            break;
                        }
                    }
                }
            }
        }
    }
    let body = echo("hello");
    for round in 0..plan.rounds {
        for t in rotated(targets.len(), round) {
            let Some(session) = sessions[t].as_mut() else {
                continue;
            };
            match session.pipeline(&body, plan.messages, plan.window) {
                Ok(took) => results[t]
                    .throughput
                    .push(plan.messages as f64 / took.as_secs_f64()),
                Err(e) => {
                    results[t].failures.push(format!("throughput: {e:#}"));
                    sessions[t] = None;
                }
            }
        }
    }
    sessions.into_iter().flatten().for_each(Session::close);
}

/// Responses of `mib` MiB: one warm-up each, then timed repeats, then the peak memory.
fn large(targets: &[Target], setup: &Setup, plan: &Plan, mib: usize, results: &mut [Measured]) {
    let body = blob(mib << 20);
    let mut entries: Vec<Large> = Vec::new();
    let mut sessions: Vec<Option<Session>> = Vec::new();
    for target in targets {
        let mut entry = Large {
            mib,
            rates: Vec::new(),
            peak: None,
            failure: None,
        };
        let warmed = Session::start(target, setup).and_then(|(mut s, _)| {
            s.call(&body)?;
            Ok(s)
        });
        match warmed {
            Ok(session) => sessions.push(Some(session)),
            Err(e) => {
                entry.failure = Some(format!("{e:#}"));
                sessions.push(None);
            }
        }
        entries.push(entry);
    }
    for round in 0..plan.repeats(mib) {
        for t in rotated(targets.len(), round) {
            let Some(session) = sessions[t].as_mut() else {
                continue;
            };
            match session.call(&body) {
                Ok(took) => {
                    let bytes = session.answer_len() as f64;
                    entries[t]
                        .rates
                        .push(bytes / (1 << 20) as f64 / took.as_secs_f64());
                }
                Err(e) => {
                    entries[t].failure = Some(format!("{e:#}"));
                    sessions[t] = None;
                }
            }
        }
    }
    for ((session, entry), result) in sessions.into_iter().zip(entries).zip(results.iter_mut()) {
        let mut entry = entry;
        if let Some(session) = session {
            entry.peak = session.memory();
            session.close();
        }
        result.large.push(entry);
    }
}
