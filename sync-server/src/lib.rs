//! Enrol's sync server: machine onboarding (online with a one-time code, or by enrolment file), master data, packet intake with signed receipts, status, pipeline feed.
//!
//! [`App::open`] prepares storage from a [`Config`]; [`router`] builds the HTTP API over it;
//! [`serve`] runs it on a listener until a shutdown future resolves.

pub mod admin;
pub mod auth;
pub mod blobs;
pub mod bundle;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod dispatch;
pub mod error;
pub mod intake;
pub mod locks;
pub mod metrics;
pub mod onboarding;
pub mod openapi;
pub mod operators;
pub mod packets;
pub mod pipeline;
pub mod publications;
pub mod store;
pub mod tus;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::net::TcpListener;

pub use config::Config;

use crate::blobs::Blobs;
use crate::crypto::ServerKey;
use crate::error::AppError;
use crate::locks::KeyedLocks;
use crate::metrics::Metrics;
use crate::store::Store;
use enrol_schema::sync::ErrorBody;

/// Everything a request handler can reach.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub blobs: Blobs,
    pub key: ServerKey,
    pub admin_token: String,
    pub metrics: Metrics,
    /// One writer per upload.
    pub upload_locks: KeyedLocks,
    /// One finisher per RID.
    pub rid_locks: KeyedLocks,
    /// Signalled when an entry enters the outbox (wakes the NATS dispatcher).
    pub outbox_ready: tokio::sync::Notify,
}

pub type AppState = Arc<App>;

const SERVER_KEY_SETTING: &str = "server_signing_key_pkcs8";

impl App {
    /// Opens (creating on first start) the database, the blob folders, the server key and the
    /// admin token, and publishes the built-in configuration on first start.
    pub async fn open(config: Config) -> anyhow::Result<AppState> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
        let store = open_store(&config).await?;
        let blobs = Blobs::open(&config.data_dir)
            .await
            .context("preparing the blob folders")?;
        let fresh = crypto::b64url(&ServerKey::generate_pkcs8());
        let stored = store.setting_or_insert(SERVER_KEY_SETTING, &fresh).await?;
        let key = crypto::b64url_decode(&stored)
            .and_then(|der| ServerKey::from_pkcs8(&der))
            .context("the stored server key is unreadable")?;
        let admin_token = match &config.admin_token {
            Some(token) if !token.is_empty() => token.clone(),
            _ => admin_token_file(&config)?,
        };
        admin::seed_defaults(&store)
            .await
            .context("publishing the built-in configuration")?;
        let app = Arc::new(App {
            config,
            store,
            blobs,
            key,
            admin_token,
            metrics: Metrics::default(),
            upload_locks: KeyedLocks::default(),
            rid_locks: KeyedLocks::default(),
            outbox_ready: tokio::sync::Notify::new(),
        });
        Ok(app)
    }
}

/// Opens and migrates the configured database: PostgreSQL when a URL is set, else SQLite.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = match config.database_url.as_deref() {
        Some(url) if url.starts_with("postgres") => Store::new(Box::new(
            db::open_postgres(url)
                .await
                .context("connecting to PostgreSQL")?,
        )),
        Some(url) => {
            anyhow::bail!("unsupported database url {url:?}: use postgres://…, or none for SQLite")
        }
        None => Store::new(Box::new(
            db::open_sqlite(&config.sqlite_path())
                .await
                .context("opening the SQLite database")?,
        )),
    };
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

/// Reads `data_dir/admin-token`, creating it (owner-only) with a random token on first start.
fn admin_token_file(config: &Config) -> anyhow::Result<String> {
    let path = config.data_dir.join("admin-token");
    if let Ok(token) = std::fs::read_to_string(&path) {
        return Ok(token.trim().to_owned());
    }
    let token = crypto::random_token();
    let tmp = config.data_dir.join("admin-token.tmp");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).context("writing the admin token")?;
        file.write_all(token.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, &path).context("writing the admin token")?;
    tracing::info!(path = %path.display(), "generated the admin token");
    Ok(token)
}

/// `GET /healthz`: 200 `ok` when the database answers.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, description = "the server and its database answer", body = String, content_type = "text/plain"),
        (status = 503, description = "the database does not answer", body = ErrorBody)))]
pub(crate) async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, AppError> {
    state.store.ping().await?;
    Ok("ok")
}

/// `GET /metrics`: Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub(crate) async fn metrics_text(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics.render(),
    )
}

async fn not_found() -> AppError {
    AppError::not_found("NOT_FOUND", "no such endpoint")
}

async fn method_not_allowed() -> AppError {
    AppError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "this endpoint does not take that method",
    )
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    let uploads = axum::routing::options(tus::options).post(tus::create);
    let upload = axum::routing::options(tus::options)
        .head(tus::head)
        .get(tus::get)
        .patch(tus::patch)
        .delete(tus::delete);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(openapi::document))
        .route("/v1/server-key", get(packets::server_key))
        .route("/v1/packets", post(packets::announce))
        .route("/v1/packets/status", post(packets::status))
        .route("/v1/packets/{rid}/receipt", get(packets::get_receipt))
        .route("/v1/operators", get(operators::list))
        .route("/v1/operators/login", post(operators::login))
        .route("/v1/machines/onboard", post(onboarding::onboard))
        .route("/v1/publications", get(publications::delta))
        .route("/v1/pipeline/feed", get(pipeline::feed))
        .route("/v1/pipeline/packets/{rid}", get(pipeline::download))
        .route("/v1/pipeline/machines/{id}", get(pipeline::machine))
        .route("/v1/pipeline/operators/{id}", get(pipeline::operator))
        .route(
            "/v1/pipeline/identity-schemas/{version}",
            get(pipeline::identity_schema),
        )
        .route("/v1/pipeline/status", post(pipeline::report))
        .route("/v1/uploads", uploads)
        .route("/v1/uploads/{id}", upload)
        .merge(admin::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Deletes expired uploads (staging file and record) and expired nonces.
pub async fn sweep(state: &App) -> Result<(), store::StoreError> {
    let now = clock::unix_now();
    for upload in state.store.expired_uploads(now).await? {
        let Some(_guard) = state.upload_locks.try_lock(&upload.id) else {
            continue;
        };
        if !upload.finished {
            state.blobs.remove_upload(&upload.id).await?;
        }
        state.store.delete_upload(&upload.id).await?;
    }
    state.store.forget_nonces_before(now).await?;
    Ok(())
}

/// Serves the API on `listener` until `shutdown` resolves, sweeping expired uploads meanwhile
/// and, when NATS is configured, publishing the outbox.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = {
        let state = state.clone();
        let every = Duration::from_secs(state.config.sweep_interval_secs.max(1));
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                if let Err(err) = sweep(&state).await {
                    tracing::warn!(error = %err, "sweep failed");
                }
            }
        })
    };
    let dispatcher = state
        .config
        .pipeline_nats_url
        .clone()
        .filter(|url| !url.is_empty())
        .map(|url| tokio::spawn(dispatch::run(state.clone(), url)));
    let result = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    if let Some(dispatcher) = dispatcher {
        dispatcher.abort();
    }
    result
}
