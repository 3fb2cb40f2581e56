//! The checks every dashboard request passes before any handler runs.
//!
//! - `Host` must name this dashboard (127.0.0.1 or localhost with our port): a page on another
//!   site that rebinds its DNS name to 127.0.0.1 still sends its own name, and is refused.
//! - A session cookie is required everywhere but `/login`.
//! - A request that changes anything must come from our own origin (`Origin`) and carry the
//!   session's CSRF token in `X-CSRF-Token`.
//! - Every response forbids framing, sniffing, referrers and caching, under a strict CSP.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::same_secret;
use super::{COOKIE, page};
use crate::Daemon;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// A request's valid session, put in its extensions by [`check`].
#[derive(Clone)]
pub struct Session {
    pub csrf: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

pub async fn check(
    State(daemon): State<Arc<Daemon>>,
    mut request: Request,
    next: Next,
) -> Response {
    let port = daemon.dashboard.port;
    let mut response = match refusal(&daemon, port, &mut request) {
        Some(refused) => refused,
        None => next.run(request).await,
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Why `request` may not proceed, if it may not; otherwise its session is attached to it.
fn refusal(daemon: &Daemon, port: u16, request: &mut Request) -> Option<Response> {
    let ours = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    let host = header_text(request.headers(), header::HOST);
    if !host.is_some_and(|h| ours.iter().any(|o| o == h)) {
        return Some(page(
            StatusCode::MISDIRECTED_REQUEST,
            "this dashboard answers only to http://127.0.0.1 and http://localhost on its own port.",
        ));
    }
    if request.uri().path() == "/login" {
        return None;
    }
    let csrf = session_id(request.headers()).and_then(|id| daemon.dashboard.auth.csrf(&id));
    let Some(csrf) = csrf else {
        return Some(page(
            StatusCode::UNAUTHORIZED,
            "you are not logged in. Run `portcullis dashboard` (or `portcullis dashboard --url`) \
             for a login link.",
        ));
    };
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let origin = header_text(request.headers(), header::ORIGIN);
        if !origin.is_some_and(|o| ours.iter().any(|h| o == format!("http://{h}"))) {
            return Some((StatusCode::FORBIDDEN, "cross-origin request refused\n").into_response());
        }
        let sent = header_text(
            request.headers(),
            header::HeaderName::from_static("x-csrf-token"),
        );
        if !sent.is_some_and(|sent| same_secret(sent, &csrf)) {
            return Some((StatusCode::FORBIDDEN, "missing or wrong CSRF token\n").into_response());
        }
    }
    request.extensions_mut().insert(Session { csrf });
    None
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The session id from the `Cookie` header(s).
fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}
