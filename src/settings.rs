//! Configuration: defaults, then an optional TOML file, then `TRIALDESK_*` environment variables,
//! then command-line flags. Checked once at start-up; secrets are never printed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::Role;
use crate::db::DatabaseUrl;

/// Settings as written in the file or the environment, before checking. Unknown keys are
/// ignored because every `TRIALDESK_*` variable reaches here, including ones for other tools.
#[derive(Debug, Deserialize)]
struct Raw {
    database_url: String,
    database_read_url: Option<String>,
    bind: String,
    secret_key: Option<String>,
    secret_key_file: PathBuf,
    session_key: Option<String>,
    session_key_file: Option<PathBuf>,
    protocol_file: Option<PathBuf>,
    session_idle_minutes: u64,
    session_max_hours: u64,
    cookie_secure: bool,
    login_attempts_per_minute: u32,
    one_time_password_hours: u32,
    two_factor_roles: RoleList,
    trust_proxy_headers: bool,
    pool_size: u32,
    log_format: String,
    smtp_host: Option<String>,
    smtp_port: u16,
    smtp_tls: String,
    smtp_username: Option<String>,
    smtp_password: Option<String>,
    smtp_from: String,
    outbox_poll_ms: u64,
    outbox_max_attempts: i32,
    outbox_retry_ms: i64,
    public_url: String,
    instruments_dir: Option<PathBuf>,
    scheduler_poll_ms: u64,
}

/// A list of role names: a TOML array, or one string with commas (as environment variables give
/// it: `TRIALDESK_TWO_FACTOR_ROLES=admin,clinician`; empty for none).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RoleList {
    Text(String),
    List(Vec<String>),
}

impl RoleList {
    fn parse(self, key: &str) -> anyhow::Result<Vec<Role>> {
        let names = match self {
            RoleList::Text(s) => {
                s.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect()
            }
            RoleList::List(v) => v,
        };
        names
            .iter()
            .map(|n| {
                Role::parse(n).with_context(|| {
                    format!("{key}: `{n}` is not a role (roles: {})", crate::auth::role_names())
                })
            })
            .collect()
    }
}

/// Checked settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    /// A PostgreSQL streaming replica of `database_url`: exports, the trial report and the
    /// analysis read from it; everything that may follow a write reads from the primary.
    pub database_read_url: Option<DatabaseUrl>,
    pub bind: String,
    secret_key: Option<SecretString>,
    pub secret_key_file: PathBuf,
    /// The key that signs session cookies: apart from the secret (which seeds randomisation), so
    /// that it can be replaced after a leak (every session ends) without touching allocation.
    session_key: Option<SecretString>,
    /// Where the session key lives; beside the secret key file when not given.
    pub session_key_file: Option<PathBuf>,
    /// A protocol file to load into an empty database instead of the bundled one.
    pub protocol_file: Option<PathBuf>,
    pub session_idle: Duration,
    pub session_max: Duration,
    /// Mark cookies `Secure` (on whenever the server is reached over HTTPS).
    pub cookie_secure: bool,
    pub login_attempts_per_minute: u32,
    /// A one-time password (a new account's, or a reset's) stops working this long after it was
    /// issued: one found in an old e-mail or chat opens nothing.
    pub one_time_password_valid: chrono::Duration,
    /// The roles whose accounts must sign in with a code from an authenticator app as well as
    /// their password: by default those who read contact details, handle suicide-risk alerts or
    /// manage accounts. An account of such a role without two-factor can only set it up.
    pub two_factor_roles: Vec<Role>,
    /// Behind a reverse proxy: take the client address from the last `X-Forwarded-For` entry,
    /// the one the proxy appends (only then, since a client could send the header itself).
    pub trust_proxy_headers: bool,
    pub pool_size: u32,
    pub json_logs: bool,
    /// Outgoing mail; `None` (no `smtp_host`) keeps messages queued and unsent.
    pub mail: Option<crate::jobs::mail::MailSettings>,
    /// The server's address as participants and staff reach it: the base of links in messages.
    pub public_url: String,
    /// A folder of the study's own instrument files, added to the bundled ones.
    pub instruments_dir: Option<PathBuf>,
    /// How often schedules are swept (windows opened, missed marked) and alerts escalated.
    pub scheduler_poll: Duration,
}

impl Settings {
    /// Loads settings from `file` (if given, or `trialdesk.toml` if present) and the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder()
            .set_default("database_url", "trialdesk.db")?
            .set_default("bind", "127.0.0.1:8080")?
            .set_default("secret_key_file", "trialdesk.key")?
            .set_default("session_idle_minutes", 30)?
            .set_default("session_max_hours", 12)?
            .set_default("cookie_secure", false)?
            .set_default("login_attempts_per_minute", 5)?
            .set_default("one_time_password_hours", 72)?
            .set_default("two_factor_roles", "admin,coordinator,clinician")?
            .set_default("trust_proxy_headers", false)?
            .set_default("pool_size", 8)?
            .set_default("log_format", "text")?
            .set_default("smtp_port", 587)?
            .set_default("smtp_tls", "starttls")?
            .set_default("smtp_from", "trialdesk <trialdesk@localhost>")?
            .set_default("outbox_poll_ms", 10_000)?
            .set_default("outbox_max_attempts", 5)?
            .set_default("outbox_retry_ms", 60_000)?
            .set_default("public_url", "http://127.0.0.1:8080")?
            .set_default("scheduler_poll_ms", 60_000)?;
        match file {
            Some(path) => builder = builder.add_source(config::File::from(path).required(true)),
            None => builder = builder.add_source(config::File::with_name("trialdesk.toml").required(false)),
        }
        let raw: Raw = builder
            .add_source(config::Environment::with_prefix("TRIALDESK").try_parsing(true))
            .build()?
            .try_deserialize()
            .context("reading settings")?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: Raw) -> anyhow::Result<Self> {
        let json_logs = match raw.log_format.as_str() {
            "text" => false,
            "json" => true,
            other => anyhow::bail!("log_format must be `text` or `json`, not `{other}`"),
        };
        if raw.session_idle_minutes == 0 || raw.session_max_hours == 0 {
            anyhow::bail!("session_idle_minutes and session_max_hours must be positive");
        }
        let secret_key = match raw.secret_key {
            Some(k) if k.len() < 32 => anyhow::bail!("secret_key must be at least 32 characters"),
            k => k.map(SecretString::from),
        };
        let tls = match raw.smtp_tls.as_str() {
            "none" => crate::jobs::mail::Tls::None,
            "starttls" => crate::jobs::mail::Tls::StartTls,
            "tls" => crate::jobs::mail::Tls::Wrapper,
            other => anyhow::bail!("smtp_tls must be none, starttls or tls, not `{other}`"),
        };
        if raw.outbox_max_attempts < 1 || raw.outbox_poll_ms == 0 || raw.outbox_retry_ms < 1 {
            anyhow::bail!("outbox_max_attempts, outbox_poll_ms and outbox_retry_ms must be positive");
        }
        let public_url = raw.public_url.trim_end_matches('/').to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            anyhow::bail!("public_url must start with http:// or https://, not `{public_url}`");
        }
        if raw.scheduler_poll_ms == 0 {
            anyhow::bail!("scheduler_poll_ms must be positive");
        }
        let mail = raw.smtp_host.map(|host| crate::jobs::mail::MailSettings {
            host,
            port: raw.smtp_port,
            tls,
            username: raw.smtp_username,
            password: raw.smtp_password.map(SecretString::from),
            from: raw.smtp_from,
            poll: Duration::from_millis(raw.outbox_poll_ms),
            max_attempts: raw.outbox_max_attempts,
            retry_base: chrono::Duration::milliseconds(raw.outbox_retry_ms),
            public_url: public_url.clone(),
        });
        let database_url = DatabaseUrl::parse(&raw.database_url)?;
        let database_read_url = match raw.database_read_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(read_replica(&database_url, raw)?),
        };
        Ok(Self {
            mail,
            database_read_url,
            public_url,
            instruments_dir: raw.instruments_dir,
            scheduler_poll: Duration::from_millis(raw.scheduler_poll_ms),
            database_url,
            bind: raw.bind,
            secret_key,
            secret_key_file: raw.secret_key_file,
            session_key: match raw.session_key {
                Some(k) if k.len() < 32 => anyhow::bail!("session_key must be at least 32 characters"),
                k => k.map(SecretString::from),
            },
            session_key_file: raw.session_key_file,
            protocol_file: raw.protocol_file,
            session_idle: Duration::from_secs(raw.session_idle_minutes * 60),
            session_max: Duration::from_secs(raw.session_max_hours * 3600),
            cookie_secure: raw.cookie_secure,
            login_attempts_per_minute: raw.login_attempts_per_minute,
            one_time_password_valid: chrono::Duration::hours(i64::from(raw.one_time_password_hours.max(1))),
            two_factor_roles: raw.two_factor_roles.parse("two_factor_roles")?,
            trust_proxy_headers: raw.trust_proxy_headers,
            pool_size: raw.pool_size.max(1),
            json_logs,
        })
    }

    /// Sets the read replica's URL (tests; deployments set `database_read_url`).
    pub fn with_database_read_url(mut self, raw: &str) -> anyhow::Result<Self> {
        self.database_read_url = Some(read_replica(&self.database_url, raw)?);
        Ok(self)
    }

    /// Replaces the database URL (the `--database-url` flag).
    pub fn with_database_url(mut self, raw: &str) -> anyhow::Result<Self> {
        self.database_url = DatabaseUrl::parse(raw)?;
        if let Some(replica) = &self.database_read_url {
            self.database_read_url = Some(read_replica(&self.database_url, replica.target())?);
        }
        Ok(self)
    }

    /// Sets the secret key directly (tests, and deployments that inject it).
    pub fn with_secret_key(mut self, key: String) -> Self {
        self.secret_key = Some(SecretString::from(key));
        self
    }

    /// Sets the session key directly (tests, and deployments that inject it).
    pub fn with_session_key(mut self, key: String) -> Self {
        self.session_key = Some(SecretString::from(key));
        self
    }

    /// The server's secret: from settings, or the key file, created with fresh randomness (mode
    /// 0600) when `create` is set and it does not exist yet. It seeds randomisation (and the audit
    /// chain's key), so it lives outside the database.
    pub fn secret_key(&self, create: bool) -> anyhow::Result<SecretString> {
        read_key(self.secret_key.as_ref(), &self.secret_key_file, "secret key", create)
    }

    /// The key that signs session cookies: from settings, or its file, made when missing (a new
    /// one only ends the sessions signed with the old). Replacing it ends every session.
    pub fn session_key(&self) -> anyhow::Result<SecretString> {
        let beside = || self.secret_key_file.with_file_name("trialdesk-session.key");
        let path = self.session_key_file.clone().unwrap_or_else(beside);
        read_key(self.session_key.as_ref(), &path, "session key", true)
    }
}

/// A key given inline, or read from `path` (refused when other users can read it, or shorter than
/// 32 characters), or made there with fresh randomness (mode 0600) when `create` allows.
fn read_key(
    inline: Option<&SecretString>,
    path: &Path,
    what: &str,
    create: bool,
) -> anyhow::Result<SecretString> {
    if let Some(k) = inline {
        return Ok(k.clone());
    }
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            anyhow::bail!(
                "the {what} file {} can be read by other users (mode {mode:o}): make it private \
                     with `chmod 600 {}`",
                path.display(),
                path.display()
            );
        }
    }
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().len() >= 32 => Ok(SecretString::from(text.trim().to_owned())),
        Ok(_) => anyhow::bail!("the {what} file {} holds fewer than 32 characters", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let key = crate::auth::random_hex(64)?;
            write_private(path, &key)
                .with_context(|| format!("creating the {what} file {}", path.display()))?;
            tracing::warn!(path = %path.display(), key = what, "created a new key file (back the secret key up with the database; a new session key only ends sessions)");
            Ok(SecretString::from(key))
        }
        Err(e) => Err(e).with_context(|| format!("reading the {what} file {}", path.display())),
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

/// A replica is a PostgreSQL standby of a PostgreSQL primary: SQLite has no replicas.
fn read_replica(primary: &DatabaseUrl, raw: &str) -> anyhow::Result<DatabaseUrl> {
    let url = DatabaseUrl::parse(raw).context("database_read_url")?;
    if url.backend() != crate::db::Backend::Postgres || primary.backend() != crate::db::Backend::Postgres {
        anyhow::bail!(
            "database_read_url must be a postgres:// URL of a streaming replica of a PostgreSQL database_url"
        );
    }
    Ok(url)
}
