//! Test harness: each test gets a database of its own — a copy of a template migrated once per
//! run, or an empty one for the tests of migrating — on SQLite (temp files) or, with
//! `TRIALDESK_TEST_BACKEND=postgres`, PostgreSQL; and the real server started on port 0.
//! Trial fixtures (screened, enrolled, randomised participants, answers) are in `fixtures`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::{PgConnection, RunQueryDsl};
use mailparse::MailHeaderMap;
use reqwest::StatusCode;
use serde_json::Value;
use trialdesk::audit::{Actor, Context};
use trialdesk::auth::{self, Role, tokens, users};
use trialdesk::db::{self, DbConn};
use trialdesk::settings::Settings;
use trialdesk::sites::Scope;
use trialdesk::startup::Application;

/// The password of every test user made by `TestApp::user`.
pub const TEST_PASSWORD: &str = "a long test password 123";

/// Which database the suite runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `TRIALDESK_TEST_BACKEND`: `sqlite` (default) or `postgres`. Anything else stops the run.
pub fn backend() -> Backend {
    match std::env::var("TRIALDESK_TEST_BACKEND").as_deref() {
        Err(_) | Ok("sqlite") => Backend::Sqlite,
        Ok("postgres") => Backend::Postgres,
        Ok(other) => panic!("TRIALDESK_TEST_BACKEND must be sqlite or postgres, not {other}"),
    }
}

/// The server PostgreSQL tests create their databases on. Loopback needs no TLS, and with TLS
/// off libpq never runs OpenSSL's exit handlers against connections r2d2 threads still hold
/// when the test process ends (that race crashed the process after all tests had passed).
pub fn postgres_admin_url() -> String {
    std::env::var("TRIALDESK_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into())
}

/// The URL of database `name` on the admin URL's server, with the admin URL's parameters.
fn postgres_url(name: &str) -> String {
    database_on(&postgres_admin_url(), name)
}

/// The URL of database `name` on the server of `admin` (a URL naming some database), with its
/// parameters.
pub fn database_on(admin: &str, name: &str) -> String {
    let (base, db_and_query) = admin.rsplit_once('/').expect("a database name in the URL");
    let query = db_and_query.split_once('?').map_or(String::new(), |(_, q)| format!("?{q}"));
    format!("{base}/{name}{query}")
}

fn postgres_admin() -> PgConnection {
    let admin = postgres_admin_url();
    PgConnection::establish(&admin)
        .unwrap_or_else(|e| panic!("PostgreSQL expected at {admin} but unreachable: {e}"))
}

/// This process's tag in PostgreSQL database names (16 hex digits: the process id and a random
/// part), so runs sharing a server never meet.
fn run_tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let random = uuid::Uuid::now_v7().simple().to_string();
        format!("{:08x}{}", std::process::id(), &random[24..])
    })
}

/// A run's databases on PostgreSQL are `td_tpl_TAG` and `td_test_TAG_N`; while the run lives, it
/// holds a connection to the admin database named `td_run_TAG` (its lease). Names of this shape
/// with no lease belong to a run that ended (the template cannot be dropped at the end: libtest
/// has no hook after the last test) or was killed, and the first PostgreSQL database a run
/// needs drops them first. Older names (`td_test_` and 32 digits) are never touched.
const STALE_DATABASES: &str = "\
    SELECT d.datname::text AS name FROM pg_database d \
    WHERE d.datname ~ '^td_(tpl|test)_[0-9a-f]{16}(_[0-9]+)?$' \
      AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = \
          'td_run_' || substring(d.datname from '^td_(?:tpl|test)_([0-9a-f]{16})')) \
      AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)";

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Takes this run's lease on the PostgreSQL server (once) and clears what ended runs left.
/// The SQLite pass must not need PostgreSQL, so asking for it there is a mistake in the test.
fn postgres_run() {
    static LEASE: OnceLock<Mutex<PgConnection>> = OnceLock::new();
    assert_eq!(
        backend(),
        Backend::Postgres,
        "a test asked for PostgreSQL in the SQLite pass; only TRIALDESK_TEST_BACKEND=postgres may use it"
    );
    LEASE.get_or_init(|| {
        let mut lease = postgres_admin();
        lease
            .batch_execute(&format!("SET application_name = 'td_run_{}'", run_tag()))
            .expect("name the lease");
        let stale: Vec<Name> = diesel::sql_query(STALE_DATABASES).load(&mut lease).expect("stale databases");
        for Name { name } in stale {
            // Another run may be dropping it too, or it is in use after all: either way, leave it.
            let _ = lease.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"));
        }
        Mutex::new(lease)
    });
}

/// A folder for a test's SQLite database: in memory (`/dev/shm`) where the machine has one. The
/// server still asks for `synchronous = FULL` and SQLite still syncs every commit; on tmpfs a sync
/// costs nothing, and the tests (which stop servers, never the machine) lose nothing by it.
fn database_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.expect("temp dir")
}

/// A new database name of this run's on PostgreSQL.
fn postgres_test_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("td_test_{}_{}", run_tag(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The migrated PostgreSQL template of this run, made by the first test that needs it. Nobody
/// may be connected to a template while it is copied: the connection that migrated it is closed,
/// and connections to it are then refused.
fn postgres_template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        postgres_run();
        let name = format!("td_tpl_{}", run_tag());
        let mut admin = postgres_admin();
        // Left by a first attempt of this run that failed half-way.
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).expect("drop template");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create template");
        {
            let url = db::DatabaseUrl::parse(&postgres_url(&name)).expect("url");
            let mut conn = db::connect(&url).expect("connect to the template");
            db::migrate(&mut conn).expect("migrate the template");
        }
        admin
            .batch_execute(&format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"))
            .expect("close the template");
        name
    })
}

/// The migrated SQLite template of this run: the bytes of a migrated database file, made by the
/// first test that needs it. Kept in memory, so no file outlives the run.
fn sqlite_template() -> &'static [u8] {
    static TEMPLATE: OnceLock<Vec<u8>> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("template.db");
        {
            let url = db::DatabaseUrl::parse(&format!("sqlite://{}", path.display())).expect("url");
            let mut conn = db::connect(&url).expect("open the template");
            db::migrate(&mut conn).expect("migrate the template");
            // Everything into the main file, the write-ahead log emptied: the file alone is the
            // database. (Closing the last connection checkpoints too; this makes it explicit.)
            #[derive(QueryableByName)]
            struct Checkpoint {
                #[diesel(sql_type = BigInt)]
                busy: i64,
            }
            let done: Checkpoint = diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
                .get_result(&mut conn)
                .expect("checkpoint");
            assert_eq!(done.busy, 0, "the template's checkpoint was blocked");
        }
        let wal = std::fs::metadata(dir.path().join("template.db-wal")).map_or(0, |m| m.len());
        assert_eq!(wal, 0, "the template's write-ahead log still holds pages after closing");
        std::fs::read(&path).expect("read the template")
    })
}

/// A database of the test's own, removed when the test ends.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    /// A new, empty database on the selected backend (not yet migrated).
    pub fn empty() -> Self {
        Self::empty_on(backend())
    }

    /// A new, empty database on `backend`.
    pub fn empty_on(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::sqlite(None),
            Backend::Postgres => Self::postgres(None),
        }
    }

    /// A new database with every migration applied: a copy of this run's template.
    pub fn migrated() -> Self {
        match backend() {
            Backend::Sqlite => Self::sqlite(Some(sqlite_template())),
            Backend::Postgres => Self::postgres(Some(postgres_template())),
        }
    }

    /// A SQLite file in a temp dir: a copy of `template`, or none yet (SQLite makes it empty).
    fn sqlite(template: Option<&[u8]>) -> Self {
        let dir = database_dir();
        let path = dir.path().join("trial.db");
        if let Some(bytes) = template {
            std::fs::write(&path, bytes).expect("copy the template");
        }
        Self { url: format!("sqlite://{}", path.display()), dir, pg_name: None }
    }

    /// A new PostgreSQL database, copied from `template` or (without one) from PostgreSQL's own.
    fn postgres(template: Option<&str>) -> Self {
        postgres_run();
        let name = postgres_test_name();
        let from = template.map_or(String::new(), |t| format!(" TEMPLATE {t}"));
        diesel::sql_query(format!("CREATE DATABASE {name}{from}"))
            .execute(&mut postgres_admin())
            .expect("create database");
        // A commit need not wait for PostgreSQL's disk: the tests stop servers, never PostgreSQL,
        // so what a commit wrote is still there; atomicity and isolation are unchanged.
        diesel::sql_query(format!("ALTER DATABASE {name} SET synchronous_commit = off"))
            .execute(&mut postgres_admin())
            .expect("commits without waiting for the disk");
        let dir = tempfile::tempdir().expect("temp dir");
        Self { url: postgres_url(&name), dir, pg_name: Some(name) }
    }

    /// A database the test made itself at `url` (and removes itself, if it must).
    pub fn at(url: String) -> Self {
        Self { url, dir: tempfile::tempdir().expect("temp dir"), pg_name: None }
    }

    /// The built `trialdesk` binary run on this database, as a user would run it (in the
    /// database's folder, with a key file there).
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_trialdesk"))
            .args(args)
            .env("TRIALDESK_DATABASE_URL", &self.url)
            .env("TRIALDESK_SECRET_KEY_FILE", self.dir.path().join("key"))
            .env_remove("RUST_LOG")
            .current_dir(self.dir.path())
            .output()
            .expect("run trialdesk")
    }

    /// A direct connection, for arranging and inspecting state.
    pub fn conn(&self) -> DbConn {
        db::connect(&db::DatabaseUrl::parse(&self.url).expect("url")).expect("connect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            drop_later(name);
        }
    }
}

/// Drops this run's finished PostgreSQL databases one at a time, on a thread of their own: a drop
/// waits for a checkpoint (a second or more on a busy machine), which no test should wait for.
/// What is still queued when the run ends, the next run drops (`STALE_DATABASES`).
fn drop_later(name: String) {
    static QUEUE: OnceLock<std::sync::mpsc::Sender<String>> = OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (sender, names) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            let Ok(mut conn) = PgConnection::establish(&postgres_admin_url()) else { return };
            for name in names {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        });
        sender
    });
    let _ = queue.send(name);
}

/// A running server with its own database.
pub struct TestApp {
    pub address: String,
    pub db: TestDb,
    /// A client that keeps cookies, like a browser.
    pub client: reqwest::Client,
}

/// The secret every test server uses (the CLI needs it too, to replay randomisation).
pub const TEST_SECRET: &str = "test-secret-key-that-is-long-enough-0123456789";

/// Settings for a test server: port 0, its own database and key.
pub fn test_settings(db: &TestDb) -> Settings {
    let mut settings = Settings::load(None)
        .expect("settings")
        .with_database_url(&db.url)
        .expect("url")
        .with_secret_key(TEST_SECRET.into());
    settings.bind = "127.0.0.1:0".into();
    settings.secret_key_file = db.dir.path().join("trialdesk.key");
    settings.pool_size = 4;
    // Two-step sign-in is the product's default for admins, coordinators and clinicians; the
    // tests of other things sign in with a password alone, and `tests/api/two_factor.rs` and the
    // two-step browser journey turn it on.
    settings.two_factor_roles = Vec::new();
    settings
}

/// Starts the real server on port 0 with a migrated database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server after `adjust` has changed its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(TestDb::migrated(), adjust).await
}

/// Starts the server on a database the test prepared itself.
pub async fn spawn_app_on(db: TestDb, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings(&db);
    adjust(&mut settings);
    let app = Application::build(settings).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    TestApp { address, db, client }
}

/// A staff member made for a test: credentials and an API token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub token: String,
    pub role: Role,
}

impl TestApp {
    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Creates an active account with a known password (no change required) and a token.
    pub fn user(&self, role: Role) -> TestUser {
        self.user_at(role, &Scope::All)
    }

    /// A signed-up account with a role that reaches only the sites in `scope`.
    pub fn user_at(&self, role: Role, scope: &Scope) -> TestUser {
        let mut conn = self.db.conn();
        let ctx = Context { actor: Actor::system(), request_id: None };
        let email =
            format!("{}-{}@example.org", role.as_str(), &uuid::Uuid::now_v7().simple().to_string()[20..]);
        let password = TEST_PASSWORD.to_owned();
        // Argon2 is deliberately slow; every test user shares one hash of the same password (each
        // still signs in through the real verification).
        static HASH: OnceLock<String> = OnceLock::new();
        let hash = HASH.get_or_init(|| auth::hash_password(TEST_PASSWORD).expect("hash")).clone();
        let user = users::create(&mut conn, &ctx, &email, "Test Person", role, hash.clone(), scope)
            .expect("create user");
        users::set_password(&mut conn, &ctx, &user.id, hash, false, "test set-up").expect("set password");
        let (_, token) = tokens::create(&mut conn, &ctx, &user.id, "tests", None).expect("token");
        TestUser { id: user.id, email, password, token, role }
    }

    /// Signs in with the cookie client; returns the session's CSRF token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let resp = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(resp.status(), StatusCode::OK, "login failed");
        let body: Value = resp.json().await.expect("login body");
        body["csrf_token"].as_str().expect("csrf token").to_owned()
    }

    /// Makes a personal calendar address on the account page for the account signed in with the
    /// cookie client (`csrf` from `login`); returns it as this test server serves it (the page
    /// shows it under the configured public address, which the test server does not listen on).
    pub async fn new_calendar_address(&self, csrf: &str) -> String {
        let html = self
            .client
            .post(self.url("/account/calendar"))
            .form(&[("csrf_token", csrf)])
            .send()
            .await
            .expect("post")
            .text()
            .await
            .expect("page");
        let start = html.find(r#"id="new-calendar">"#).expect("an address") + r#"id="new-calendar">"#.len();
        let shown = html[start..].split('<').next().expect("address").trim();
        let (_, path) = shown.split_once("/calendar/").expect("a calendar address");
        self.url(&format!("/calendar/{path}"))
    }

    /// A GET with a bearer token.
    pub async fn get_as(&self, user: &TestUser, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(&user.token).send().await.expect("request")
    }

    /// A JSON request with a bearer token.
    pub async fn send_as(
        &self,
        user: &TestUser,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&user.token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }
}

/// Reads a JSON error body and returns `(code, field)`.
pub async fn error_of(resp: reqwest::Response) -> (String, Option<String>) {
    let body: Value = resp.json().await.expect("error body is JSON");
    let code = body["error"]["code"].as_str().expect("error.code").to_owned();
    let field = body["error"]["field"].as_str().map(str::to_owned);
    (code, field)
}

/// A real SMTP server on localhost that stores every message it accepts in a Maildir
/// (`python -m aiosmtpd` with its Mailbox handler). `scripts/test.sh` installs aiosmtpd and
/// names its Python in `TRIALDESK_TEST_PYTHON`.
pub struct SmtpSink {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: std::process::Child,
}

/// One message as the sink stored it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    /// The plain text (of a multipart message: its text part).
    pub body: String,
    /// Attached files: (file name, content type, bytes).
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

impl Mail {
    /// An invitation or reminder to questionnaires (sent at once or later, by time of day).
    pub fn is_survey(&self) -> bool {
        self.subject.contains("questionnaires") || self.subject.contains("cuestionarios")
    }
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

impl SmtpSink {
    /// Starts the sink and waits until it accepts connections.
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// The same on a given port (a server that was down comes up).
    pub fn start_on(port: u16) -> Self {
        let python = std::env::var("TRIALDESK_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let maildir = tempfile::tempdir().expect("maildir");
        let child = std::process::Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the SMTP sink with {python} (run scripts/test.sh, which installs aiosmtpd): {e}"));
        let sink = Self { port, maildir, child };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return sink;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the SMTP sink ({python} -m aiosmtpd) did not start listening; is aiosmtpd installed?");
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Mail> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.path().join("mail").join(sub)) else { continue };
            for e in entries.flatten() {
                let raw = std::fs::read(e.path()).unwrap_or_default();
                let parsed = mailparse::parse_mail(&raw).expect("a well-formed message");
                let header = |name: &str| parsed.headers.get_first_value(name).unwrap_or_default();
                let text =
                    parsed.subparts.iter().find(|p| p.ctype.mimetype == "text/plain").unwrap_or(&parsed);
                let attachments = parsed
                    .subparts
                    .iter()
                    .filter_map(|p| {
                        let d = p.get_content_disposition();
                        (d.disposition == mailparse::DispositionType::Attachment).then(|| {
                            let name = d.params.get("filename").cloned().unwrap_or_default();
                            (name, p.ctype.mimetype.clone(), p.get_body_raw().unwrap_or_default())
                        })
                    })
                    .collect();
                out.push(Mail {
                    to: header("To"),
                    subject: header("Subject"),
                    body: text.get_body().unwrap_or_default(),
                    attachments,
                });
            }
        }
        out
    }

    /// Waits until at least `n` messages arrived (or 20 s passed), then returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        self.wait_for_where(n, |_| true).await
    }

    /// Waits until `n` received messages pass `keep`; returns those.
    pub async fn wait_for_where(&self, n: usize, keep: impl Fn(&Mail) -> bool) -> Vec<Mail> {
        for _ in 0..200 {
            let got = self.messages_where(&keep);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.messages_where(&keep)
    }

    pub fn messages_where(&self, keep: impl Fn(&Mail) -> bool) -> Vec<Mail> {
        self.messages().into_iter().filter(|m| keep(m)).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Mail settings that send to `port` on localhost quickly, for tests.
pub fn test_mail(port: u16) -> trialdesk::jobs::mail::MailSettings {
    trialdesk::jobs::mail::MailSettings {
        host: "127.0.0.1".into(),
        port,
        tls: trialdesk::jobs::mail::Tls::None,
        username: None,
        password: None,
        from: "CONNECT study <connect@example.org>".into(),
        poll: Duration::from_millis(200),
        max_attempts: 3,
        retry_base: chrono::Duration::milliseconds(200),
        public_url: "http://127.0.0.1:8080".into(),
    }
}

/// The text `pdftotext` reads out of a PDF (Debian's poppler-utils, installed by scripts/test.sh).
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("copy.pdf");
    std::fs::write(&file, pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/test.sh installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}
