//! The options that choose records, shared by listing, statistics and export.

use clap::Args;
use clap::builder::PossibleValuesParser;
use jiff::Timestamp;
use portcullis_core::audit::Verdict;
use portcullis_store::audit::Filter;

use portcullis_store::audit::time;

#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Only records of this server (its `portcullis run --name`).
    #[arg(long, value_name = "NAME")]
    server: Option<String>,
    /// Only records about this tool (or prompt, or resource URI).
    #[arg(long, value_name = "NAME")]
    tool: Option<String>,
    /// Only records with this verdict.
    #[arg(long, value_parser = verdicts())]
    verdict: Option<String>,
    /// Only records decided by this rule or detector.
    #[arg(long, value_name = "NAME")]
    rule: Option<String>,
    /// From this time on: a duration back from now (30s, 15m, 2h, 7d, 1w, 2h30m) or a time
    /// (2026-11-22, 2026-11-22T03:00, 2026-11-22T03:00:00+01:00; local without an offset).
    #[arg(long, value_name = "TIME", value_parser = time::parse)]
    pub since: Option<Timestamp>,
    /// Before this time (the forms of --since).
    #[arg(long, value_name = "TIME", value_parser = time::parse)]
    until: Option<Timestamp>,
    /// Only records of this session (`logs show ID` names a record's); a unique prefix will do.
    #[arg(long, value_name = "ID")]
    session: Option<String>,
}

impl FilterArgs {
    /// The store's filter, keeping the newest `limit` records when given.
    pub fn to_filter(&self, limit: Option<usize>) -> Filter {
        Filter {
            server: self.server.clone(),
            tool: self.tool.clone(),
            verdict: self.verdict.clone(),
            rule: self.rule.clone(),
            since: self.since.map(time::stored),
            until: self.until.map(time::stored),
            session: self.session.clone(),
            limit,
        }
    }
}

/// `--verdict` takes a verdict's name; clap lists them when it gets another.
fn verdicts() -> PossibleValuesParser {
    PossibleValuesParser::new(Verdict::ALL.map(Verdict::name))
}
