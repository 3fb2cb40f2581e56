//! The dashboard's JSON API (see docs/design/approvals.md for the contract). Reads go to the
//! stores in the state directory, each request opening what it needs: the wrappers write there
//! concurrently, and SQLite's WAL lets us read without waiting for them.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::pins::{Definition, ItemKind};
use portcullis_store::audit::{AuditLog, Filter, time};
use portcullis_store::decisions::{DecisionStore, Remembered};
use portcullis_store::{ItemRef, PinStore, Review, Scope as PinScope};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Daemon;
use crate::broker::DecideError;
use crate::protocol::Decide;

/// Records `/api/activity` returns unless asked for another number.
const ACTIVITY_LIMIT: usize = 200;

type ApiResult = Result<Json<Value>, ApiError>;

/// An error answered as `{"error": "…"}` with its status.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> ApiError {
    ApiError(status, message.to_string())
}

fn ok() -> ApiResult {
    Ok(Json(json!({ "ok": true })))
}

pub async fn pending(State(daemon): State<Arc<Daemon>>) -> Json<Value> {
    Json(json!(daemon.broker.pending()))
}

pub async fn decide(State(daemon): State<Arc<Daemon>>, Json(decide): Json<Decide>) -> ApiResult {
    match daemon.broker.decide(decide) {
        Ok(()) => ok(),
        Err(e @ DecideError::NotPending(_)) => Err(error(StatusCode::NOT_FOUND, e)),
        Err(e @ DecideError::Invalid(_)) => Err(error(StatusCode::BAD_REQUEST, e)),
        Err(e @ DecideError::Store(_)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, e)),
    }
}

#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

pub async fn remembered(
    State(daemon): State<Arc<Daemon>>,
    Query(search): Query<Search>,
) -> ApiResult {
    let q = search.q.filter(|q| !q.trim().is_empty());
    let list = DecisionStore::open(daemon.broker.state_dir())
        .and_then(|store| store.list(q.as_deref()))
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    Ok(Json(Value::Array(
        list.iter().map(remembered_json).collect(),
    )))
}

fn remembered_json(r: &Remembered) -> Value {
    let d = &r.decision;
    let (scope, args_hash, pattern) = d.scope.columns();
    json!({
        "id": r.id,
        "server": d.server,
        "server_key": d.server_key,
        "tool": d.tool,
        "scope": scope,
        "args_hash": args_hash,
        "pattern": pattern,
        "decision": d.verdict.name(),
        "created_at": r.created_at,
        "expires_at": d.expires_at,
        "note": d.note,
    })
}

pub async fn revoke(State(daemon): State<Arc<Daemon>>, Path(id): Path<i64>) -> ApiResult {
    match daemon.broker.revoke(id) {
        Ok(true) => ok(),
        Ok(false) => Err(error(
            StatusCode::NOT_FOUND,
            format!("no remembered decision #{id}"),
        )),
        Err(e) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, e)),
    }
}

/// The filters of `portcullis logs`, as query parameters.
#[derive(Deserialize, Default)]
pub struct ActivityQuery {
    server: Option<String>,
    tool: Option<String>,
    verdict: Option<String>,
    rule: Option<String>,
    since: Option<String>,
    until: Option<String>,
    session: Option<String>,
    limit: Option<usize>,
}

impl ActivityQuery {
    fn filter(self) -> Result<Filter, ApiError> {
        let when = |text: Option<String>, name: &str| -> Result<Option<String>, ApiError> {
            let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                return Ok(None);
            };
            time::parse(&text)
                .map(|t| Some(time::stored(t)))
                .map_err(|e| {
                    error(
                        StatusCode::BAD_REQUEST,
                        format!("`{name}`: {e}; use {}", time::FORMS),
                    )
                })
        };
        let some = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        Ok(Filter {
            since: when(self.since, "since")?,
            until: when(self.until, "until")?,
            server: some(self.server),
            tool: some(self.tool),
            verdict: some(self.verdict),
            rule: some(self.rule),
            session: some(self.session),
            limit: Some(self.limit.unwrap_or(ACTIVITY_LIMIT)),
        })
    }
}

pub async fn activity(
    State(daemon): State<Arc<Daemon>>,
    Query(query): Query<ActivityQuery>,
) -> ApiResult {
    let filter = query.filter()?;
    let Some(log) = AuditLog::open(daemon.broker.state_dir())
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e))?
    else {
        return Ok(Json(json!([])));
    };
    let entries = log
        .query(&filter)
        .map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
    Ok(Json(json!(entries)))
}

pub async fn pins(State(daemon): State<Arc<Daemon>>) -> ApiResult {
    let reviews = PinStore::open(daemon.broker.state_dir())
        .and_then(|store| store.reviews(PinScope::Everything))
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    Ok(Json(Value::Array(
        reviews.iter().map(review_json).collect(),
    )))
}

fn review_json(review: &Review) -> Value {
    let held = &review.held.definition;
    let old = review
        .pinned
        .as_ref()
        .map(|p| p.definition.pretty_lines())
        .unwrap_or_default();
    let new = held.pretty_lines();
    let diff: Vec<Value> = Definition::line_changes(&old, &new)
        .into_iter()
        .map(|(op, text)| json!({"op": op.to_string(), "text": text}))
        .collect();
    json!({
        "server": {
            "name": review.server.name,
            "key": review.server.key,
            "label": review.server.label(),
        },
        "kind": held.kind.name(),
        "name": held.name,
        "reason": review.held.reason,
        "held_at": review.held.held_at,
        "pinned": review.pinned.is_some(),
        "diff": diff,
    })
}

#[derive(Deserialize)]
pub struct AcceptPin {
    server_key: String,
    kind: String,
    name: String,
}

pub async fn accept_pin(
    State(daemon): State<Arc<Daemon>>,
    Json(accept): Json<AcceptPin>,
) -> ApiResult {
    let kind = ItemKind::from_name(&accept.kind).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            format!("unknown kind {:?}", accept.kind),
        )
    })?;
    let item = ItemRef {
        kind: Some(kind),
        name: accept.name,
    };
    PinStore::open(daemon.broker.state_dir())
        .and_then(|mut store| store.accept(&accept.server_key, Some(&item)))
        .map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
    ok()
}
