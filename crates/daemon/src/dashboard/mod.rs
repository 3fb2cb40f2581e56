//! The dashboard: served by the daemon on 127.0.0.1 only, to a browser that logged in with a
//! one-time link. Every request passes [`guard::check`] (Host, session, Origin, CSRF token) and
//! every response carries headers that forbid framing and foreign content.

mod api;
mod auth;
mod events;
mod guard;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::net::TcpListener;

use crate::Daemon;
use auth::Auth;

/// The page and its two assets, compiled into the binary.
const INDEX: &str = include_str!("../../assets/index.html");
const APP_JS: &str = include_str!("../../assets/app.js");
const APP_CSS: &str = include_str!("../../assets/app.css");

/// The session cookie's name.
const COOKIE: &str = "portcullis_session";

/// The dashboard's address and its logins.
pub struct Dashboard {
    pub port: u16,
    pub auth: Auth,
}

impl Dashboard {
    pub fn new(port: u16) -> Self {
        Self {
            port,
            auth: Auth::default(),
        }
    }

    /// A new one-time login link.
    pub fn login_url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/login?token={}",
            self.port,
            self.auth.issue_login()
        )
    }
}

pub async fn serve(listener: TcpListener, daemon: Arc<Daemon>) {
    let app = Router::new()
        .route("/login", get(login))
        .route("/", get(index))
        .route(
            "/assets/app.js",
            get(|| asset(APP_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/assets/app.css",
            get(|| asset(APP_CSS, "text/css; charset=utf-8")),
        )
        .route("/api/pending", get(api::pending))
        .route("/api/decide", post(api::decide))
        .route("/api/remembered", get(api::remembered))
        .route("/api/remembered/{id}/revoke", post(api::revoke))
        .route("/api/activity", get(api::activity))
        .route("/api/pins", get(api::pins))
        .route("/api/pins/accept", post(api::accept_pin))
        .route("/events", get(events::stream))
        .layer(axum::middleware::from_fn_with_state(
            daemon.clone(),
            guard::check,
        ))
        .with_state(daemon);
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!("the dashboard stopped: {e}");
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    token: Option<String>,
}

/// Trades a one-time token for a session cookie.
async fn login(State(daemon): State<Arc<Daemon>>, Query(query): Query<LoginQuery>) -> Response {
    let session = query
        .token
        .and_then(|token| daemon.dashboard.auth.redeem(&token));
    let Some(session) = session else {
        return page(
            StatusCode::FORBIDDEN,
            "This login link is not valid: it was used already, it expired, or it was never issued. \
             Run `portcullis dashboard` for a new one.",
        );
    };
    let cookie = format!("{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/");
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The page, with this session's CSRF token in it.
async fn index(session: guard::Session) -> Html<String> {
    Html(INDEX.replace("{{CSRF}}", &session.csrf))
}

async fn asset(body: &'static str, kind: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, kind)], body)
}

/// A small plain page for errors a person sees in the browser.
fn page(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("Portcullis: {text}\n"),
    )
        .into_response()
}
