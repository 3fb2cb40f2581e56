//! Decisions remembered for the wrappers ("always allow", "always deny"): looked up before a
//! person is asked again. A remembered deny wins over a remembered allow; an expired decision is
//! ignored. Patterns are stored as written and matched by the caller, which compiles them with the
//! policy's own matchers.

use std::path::Path;

use rusqlite::{Connection, Row, params};

use crate::StoreError;

/// What a remembered decision covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Exactly these canonical arguments (their hash).
    Exact(String),
    /// Argument conditions in the policy language.
    Pattern(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
}

impl Scope {
    /// The stored scope's name, hash and pattern columns.
    pub fn columns(&self) -> (&'static str, Option<&String>, Option<&String>) {
        match self {
            Scope::Exact(hash) => ("exact", Some(hash), None),
            Scope::Pattern(pattern) => ("pattern", None, Some(pattern)),
        }
    }
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
        }
    }
}

/// A decision to remember.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision {
    pub server_key: String,
    pub server: String,
    pub tool: String,
    pub scope: Scope,
    pub verdict: Verdict,
    /// RFC 3339 UTC; `None` keeps it until revoked.
    pub expires_at: Option<String>,
    pub note: String,
}

/// A remembered decision, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    pub id: i64,
    pub decision: NewDecision,
    pub created_at: String,
}

/// What is remembered for one call.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The decision for exactly these arguments (its id and verdict), a deny before an allow.
    pub exact: Option<(i64, Verdict)>,
    /// Pattern decisions for the tool, denies first, for the caller to match.
    pub patterns: Vec<Remembered>,
}

pub struct DecisionStore {
    conn: Connection,
}

const COLUMNS: &str = "id, server_key, server, tool, scope, args_hash, pattern, decision, created_at, expires_at, note";

/// Still in force: not expired.
const IN_FORCE: &str = concat!("(expires_at IS NULL OR expires_at > ", now!(), ")");

impl DecisionStore {
    /// Opens the store in the state directory `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            conn: crate::connect(dir)?,
        })
    }

    /// Remembers `decision`; returns its id.
    pub fn remember(&mut self, decision: &NewDecision) -> Result<i64, StoreError> {
        let (scope, hash, pattern) = decision.scope.columns();
        self.conn.execute(
            concat!(
                "INSERT INTO decisions (server_key, server, tool, scope, args_hash, pattern, \
                 decision, created_at, expires_at, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ",
                now!(),
                ", ?8, ?9)"
            ),
            params![
                decision.server_key,
                decision.server,
                decision.tool,
                scope,
                hash,
                pattern,
                decision.verdict.name(),
                decision.expires_at,
                decision.note,
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// What is remembered for a call of `tool` on the server `server_key` with arguments whose
    /// canonical hash is `args_hash`.
    pub fn lookup(
        &self,
        server_key: &str,
        tool: &str,
        args_hash: &str,
    ) -> Result<Lookup, StoreError> {
        let mut exact = self.conn.prepare_cached(&format!(
            "SELECT id, decision FROM decisions WHERE server_key = ?1 AND tool = ?2 AND scope = 'exact' \
             AND args_hash = ?3 AND {IN_FORCE} ORDER BY decision = 'deny' DESC LIMIT 1"
        ))?;
        let found: Option<(i64, String)> = exact
            .query_map(params![server_key, tool, args_hash], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .next()
            .transpose()?;
        let mut patterns = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM decisions WHERE server_key = ?1 AND tool = ?2 \
             AND scope = 'pattern' AND {IN_FORCE} ORDER BY decision = 'deny' DESC, id"
        ))?;
        let patterns = patterns
            .query_map(params![server_key, tool], from_row)?
            .collect::<Result<_, _>>()?;
        Ok(Lookup {
            exact: found.map(|(id, text)| (id, verdict(&text))),
            patterns,
        })
    }

    /// Every decision in force, newest first; `search` narrows to those whose server, tool,
    /// pattern or note contains it.
    pub fn list(&self, search: Option<&str>) -> Result<Vec<Remembered>, StoreError> {
        let mut query = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM decisions WHERE {IN_FORCE} AND (?1 IS NULL OR \
             instr(server, ?1) OR instr(tool, ?1) OR instr(coalesce(pattern, ''), ?1) \
             OR instr(note, ?1)) ORDER BY id DESC"
        ))?;
        let rows = query
            .query_map(params![search], from_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Forgets decision `id`; whether there was one.
    pub fn revoke(&mut self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM decisions WHERE id = ?1", params![id])?
            > 0)
    }
}

fn verdict(name: &str) -> Verdict {
    match name {
        "deny" => Verdict::Deny,
        _ => Verdict::Allow,
    }
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Remembered> {
    let scope = match row.get::<_, String>(4)?.as_str() {
        "exact" => Scope::Exact(row.get(5)?),
        _ => Scope::Pattern(row.get(6)?),
    };
    Ok(Remembered {
        id: row.get(0)?,
        decision: NewDecision {
            server_key: row.get(1)?,
            server: row.get(2)?,
            tool: row.get(3)?,
            scope,
            verdict: verdict(&row.get::<_, String>(7)?),
            expires_at: row.get(9)?,
            note: row.get(10)?,
        },
        created_at: row.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(scope: Scope, verdict: Verdict) -> NewDecision {
        NewDecision {
            server_key: "k1".into(),
            server: "fs".into(),
            tool: "write_file".into(),
            scope,
            verdict,
            expires_at: None,
            note: "write_file {\"path\":\"notes.md\"}".into(),
        }
    }

    #[test]
    fn an_exact_decision_covers_only_its_arguments_and_a_deny_wins() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DecisionStore::open(dir.path()).unwrap();
        let allow = store
            .remember(&decision(Scope::Exact("h1".into()), Verdict::Allow))
            .unwrap();
        assert_eq!(
            store.lookup("k1", "write_file", "h1").unwrap().exact,
            Some((allow, Verdict::Allow))
        );
        assert_eq!(store.lookup("k1", "write_file", "h2").unwrap().exact, None);
        assert_eq!(store.lookup("k2", "write_file", "h1").unwrap().exact, None);
        assert_eq!(store.lookup("k1", "read_file", "h1").unwrap().exact, None);
        let deny = store
            .remember(&decision(Scope::Exact("h1".into()), Verdict::Deny))
            .unwrap();
        assert_eq!(
            store.lookup("k1", "write_file", "h1").unwrap().exact,
            Some((deny, Verdict::Deny))
        );
    }

    #[test]
    fn patterns_come_back_denies_first_and_expired_decisions_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DecisionStore::open(dir.path()).unwrap();
        let allow = decision(
            Scope::Pattern("path: {under: [~/p]}".into()),
            Verdict::Allow,
        );
        let deny = decision(
            Scope::Pattern("path: {under: [~/p/secret]}".into()),
            Verdict::Deny,
        );
        store.remember(&allow).unwrap();
        store.remember(&deny).unwrap();
        let mut expired = decision(Scope::Exact("h1".into()), Verdict::Allow);
        expired.expires_at = Some("2000-01-01T00:00:00Z".into());
        store.remember(&expired).unwrap();
        let found = store.lookup("k1", "write_file", "h1").unwrap();
        assert_eq!(found.exact, None, "expired");
        let verdicts: Vec<Verdict> = found.patterns.iter().map(|r| r.decision.verdict).collect();
        assert_eq!(verdicts, [Verdict::Deny, Verdict::Allow]);
        assert_eq!(found.patterns[1].decision, allow);
    }

    #[test]
    fn decisions_are_listed_searched_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DecisionStore::open(dir.path()).unwrap();
        let a = store
            .remember(&decision(Scope::Exact("h1".into()), Verdict::Allow))
            .unwrap();
        let mut other = decision(Scope::Exact("h2".into()), Verdict::Deny);
        other.tool = "run_command".into();
        store.remember(&other).unwrap();
        assert_eq!(store.list(None).unwrap().len(), 2);
        let found = store.list(Some("run_")).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].decision.tool, "run_command");
        assert!(store.revoke(a).unwrap());
        assert!(!store.revoke(a).unwrap());
        assert_eq!(store.list(None).unwrap().len(), 1);
    }
}
