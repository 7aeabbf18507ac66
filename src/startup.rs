//! Builds the HTTP server from settings; tests start it on port 0.

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_web::body::MessageBody;
use actix_web::cookie::SameSite;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use anyhow::Context as _;
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::{self, OpenApiJson};
use crate::audit::{Actor, Context};
use crate::auth::throttle::LoginThrottle;
use crate::auth::users;
use crate::db::{self, Backend, DbConn};
use crate::error::AppError;
use crate::instruments::Library;
use crate::protocol::{self, store};
use crate::randomisation::StudyKey;
use crate::settings::Settings;
use crate::state::AppState;
use crate::telemetry::RequestSpan;
use std::sync::Arc;

/// Largest JSON body accepted (a protocol amendment is the biggest we expect).
const MAX_BODY_BYTES: usize = 512 * 1024;

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    /// True when the database has no staff accounts yet.
    pub needs_first_admin: bool,
}

impl Application {
    /// Prepares the database, binds the listener and builds the server.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let instruments = Arc::new(instruments(&settings)?);
        let pool = db::pool(&settings.database_url, settings.pool_size);
        let prep_pool = pool.clone();
        let prep_settings = settings.clone();
        let prep_instruments = instruments.clone();
        let (needs_first_admin, randomised) = web::block(move || -> anyhow::Result<(bool, bool)> {
            let mut conn = prep_pool.get().context("connecting to the database")?;
            let needs_first_admin = prepare_database(&mut conn, &prep_settings, &prep_instruments)?;
            Ok((needs_first_admin, store::randomisation_started(&mut conn)?.is_some()))
        })
        .await??;
        // Allocations come from the key: once anyone is randomised, a new key would start another
        // sequence (replay fails, strata lose their balance), so a missing key is restored, never
        // replaced.
        let secret = settings.secret_key(!randomised).map_err(|e| {
            if randomised && !settings.secret_key_file.exists() {
                anyhow::anyhow!(
                    "the secret key file {} is missing, but participants have been randomised with the key it \
                     held: restore it from your backup (a new key would start another allocation sequence)",
                    settings.secret_key_file.display()
                )
            } else {
                e
            }
        })?;
        // Sessions have a key of their own: replacing it after a leaked cookie ends every session
        // and leaves the allocation sequence, which comes from the secret, as it was.
        let session_key = settings.session_key()?;
        let key = actix_web::cookie::Key::derive_from(session_key.expose_secret().as_bytes());
        let listener =
            TcpListener::bind(&settings.bind).with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        // One writer thread with group commit, on either database (ADR 0003, 0008).
        let writer = Some(db::writer::Writer::start(&settings.database_url).context("starting the writer")?);
        let read_pool = settings.database_read_url.as_ref().map(|url| db::read_pool(url, settings.pool_size));
        let state = web::Data::new(AppState {
            pool,
            read_pool,
            writer,
            session_idle: settings.session_idle,
            session_max: settings.session_max,
            throttle: LoginThrottle::new(settings.login_attempts_per_minute),
            one_time_password_valid: settings.one_time_password_valid,
            trust_proxy_headers: settings.trust_proxy_headers,
            two_factor_roles: settings.two_factor_roles.clone(),
            study_key: StudyKey::derive(&secret),
            public_url: settings.public_url.clone(),
            instruments,
            reports: Default::default(),
        });
        crate::jobs::scheduler::spawn(state.pool.clone(), settings.scheduler_poll);
        if let Some(mail) = settings.mail.clone() {
            crate::jobs::mail::spawn(state.pool.clone(), mail);
        } else {
            tracing::warn!("no smtp_host configured: messages stay queued in the outbox, unsent");
        }
        let doc = api::openapi();
        let doc_json =
            web::Data::new(OpenApiJson(doc.to_json().context("serialising the OpenAPI document")?));
        // Served over HTTPS, the session cookie is never sent over plain HTTP, whatever the flag
        // says.
        let secure = settings.cookie_secure || settings.public_url.starts_with("https://");
        let server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                .cookie_name(session_cookie_name(secure).into())
                .cookie_secure(secure)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Strict)
                .cookie_content_security(CookieContentSecurity::Private)
                .session_lifecycle(BrowserSession::default())
                .build();
            App::new()
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(doc_json.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .app_data(web::FormConfig::default().limit(64 * 1024))
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    AppError::BadRequest { field: None, message: format!("bad query string: {e}") }.into()
                }))
                .configure(api::documented)
                .into_app()
                .service(
                    SwaggerUi::new("/api/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json")),
                )
                .configure(crate::web::routes)
                .configure(crate::survey::pages::routes)
                .default_service(web::to(not_found))
                .wrap(from_fn(crate::web::nul::refuse_nul))
                .wrap(crate::web::errors::pages())
                .wrap(sessions)
                .wrap(from_fn(security_headers))
                .wrap(TracingLogger::<RequestSpan>::new())
        })
        .listen(listener)?
        .shutdown_timeout(20)
        .run();
        Ok(Self { port, server, needs_first_admin })
    }

    /// The port the server listens on (useful when bound to port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then finishes requests in flight (graceful shutdown).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// A connection to the configured database, migrated and holding a protocol: what every
/// command that reads the trial needs.
pub fn open(settings: &Settings) -> anyhow::Result<DbConn> {
    let mut conn = db::connect(&settings.database_url)
        .with_context(|| format!("connecting to {}", settings.database_url))?;
    prepare_database(&mut conn, settings, &instruments(settings)?)?;
    Ok(conn)
}

/// The questionnaires a process knows: the bundled ones and the study's `instruments_dir`.
pub fn instruments(settings: &Settings) -> anyhow::Result<Library> {
    Library::load(settings.instruments_dir.as_deref())
}

/// Migrates (SQLite) or checks migrations (PostgreSQL), loads the protocol into an empty
/// database, and reports whether any staff account exists.
pub fn prepare_database(conn: &mut DbConn, settings: &Settings, library: &Library) -> anyhow::Result<bool> {
    match settings.database_url.backend() {
        Backend::Sqlite => {
            db::migrate(conn)?;
        }
        Backend::Postgres => {
            if db::has_pending_migrations(conn)? {
                anyhow::bail!(
                    "the PostgreSQL database has pending migrations: run `trialdesk migrate` first"
                );
            }
        }
    }
    // The audit chain's key comes from the secret, outside the database. Without the key file (a
    // command run where it is missing once anyone is randomised) nothing here writes the trail,
    // and `serve` stops with its own message below.
    let randomised = store::randomisation_started(conn)?.is_some();
    if let Ok(secret) = settings.secret_key(!randomised) {
        crate::audit::chain::load_key(secret.expose_secret());
        crate::auth::two_factor::load_key(secret.expose_secret());
        crate::audit::chain::start_keying(conn)?;
    }
    let (text, source) = match &settings.protocol_file {
        Some(path) => (
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
            format!("initial protocol from {}", path.display()),
        ),
        None => (protocol::BUNDLED.to_owned(), "initial protocol (bundled CONNECT-style study)".to_owned()),
    };
    let ctx = Context { actor: Actor::system(), request_id: None };
    let stored = store::install_initial(conn, &ctx, library, &text, &source)?;
    if settings.protocol_file.is_some() && stored.content_sha256 != crate::auth::sha256_hex(&text) {
        tracing::warn!(
            version = stored.version,
            "the protocol file differs from the version in force; record it with `trialdesk protocol amend`"
        );
    }
    Ok(users::count(conn)? == 0)
}

/// No route took the request: a path that exists with other methods answers 405 with `Allow`
/// (RFC 9110), any other 404.
async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, AppError> {
    let allow = crate::auth::permissions::methods_of(req.path());
    if allow.is_empty() {
        Err(AppError::NotFound("page".into()))
    } else {
        Err(AppError::MethodNotAllowed { allow })
    }
}

/// The session cookie's name. A secure cookie takes the `__Host-` prefix: browsers then accept it
/// only over HTTPS, for this host alone (no `Domain`), on every path, so no sibling subdomain can
/// set or overwrite it.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-trialdesk_session" } else { "trialdesk_session" }
}

/// Security headers on every response; the API docs page needs inline script and style, and a
/// handler that sets its own Content-Security-Policy (the report page) keeps it.
async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with("/api/docs");
    // Served over HTTPS: browsers are told to use nothing else for a year.
    let https = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.public_url.starts_with("https://"));
    // The id the request is logged under, so that whoever reports an error can quote it.
    let request_id = req.extensions().get::<tracing_actix_web::RequestId>().map(ToString::to_string);
    let mut res = next.call(req).await?;
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(header::HeaderName::from_static("x-request-id"), id);
    }
    let csp = if docs {
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
    } else {
        "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    };
    let headers = res.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    Ok(res)
}
