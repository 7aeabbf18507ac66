//! What the benchmarks share: a fresh database (SQLite file or a new PostgreSQL database),
//! consented participants made through the service layer, percentiles, and clean-up.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use trialdesk::audit::{Actor, Context};
use trialdesk::auth::{self, Role, tokens, users};
use trialdesk::db::{self, DatabaseUrl};
use trialdesk::enrolment::participants::{self, NewParticipant};
use trialdesk::enrolment::{AgeBand, DiseaseCourse, Ethnicity, Race, Sex, consent, screening};
use trialdesk::protocol::{self, store};
use trialdesk::settings::Settings;
use trialdesk::sites::Scope;
use trialdesk::startup::Application;

pub const SECRET: &str = "benchmark-secret-key-that-is-long-enough-0123456789";

/// The database under test: `BENCH_BACKEND=postgres` makes a new PostgreSQL database (returned
/// with the admin URL, to drop it after); otherwise a SQLite file in `dir`.
pub fn database(dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("postgres") => {
            let admin = std::env::var("BENCH_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into());
            let name = format!("td_bench_{}", uuid::Uuid::now_v7().simple());
            let mut conn = PgConnection::establish(&admin).expect("PostgreSQL at BENCH_POSTGRES_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create database");
            let (base, rest) = admin.rsplit_once('/').expect("database in URL");
            let query = rest.split_once('?').map_or(String::new(), |(_, q)| format!("?{q}"));
            (format!("{base}/{name}{query}"), Some((admin, name)))
        }
        _ => (format!("sqlite://{}", dir.join("bench.db").display()), None),
    }
}

/// Screens, enrols and consents `n` participants; returns their ids and a coordinator's token.
pub fn prepare(url: &str, n: usize) -> (Vec<String>, String) {
    let mut conn = db::connect(&DatabaseUrl::parse(url).expect("url")).expect("connect");
    db::migrate(&mut conn).expect("migrate");
    let ctx = Context { actor: Actor::system(), request_id: None };
    let library = trialdesk::instruments::Library::bundled();
    store::install_initial(&mut conn, &ctx, &library, protocol::BUNDLED, "benchmark").expect("protocol");
    let hash = auth::hash_password("benchmark password 1").expect("hash");
    let user = users::create(
        &mut conn,
        &ctx,
        "bench@example.org",
        "Bench",
        Role::Coordinator,
        hash.clone(),
        &Scope::All,
    )
    .expect("user");
    users::set_password(&mut conn, &ctx, &user.id, hash, false, "bench").expect("password");
    let (_, token) = tokens::create(&mut conn, &ctx, &user.id, "bench", None).expect("token");
    let answers: BTreeMap<String, serde_json::Value> = serde_json::from_value(serde_json::json!(
        {"age": 44, "has_ms": true, "us_resident": true, "video_access": true, "attendance_commitment": "yes"})).expect("answers");
    let ids = (0..n)
        .map(|i| {
            let s = screening::record(
                &mut conn,
                &ctx,
                &Scope::All,
                screening::NewScreening {
                    screened_at: db::now(),
                    referral_source: "bench".into(),
                    answers: answers.clone(),
                    declined: None,
                    site: None,
                },
            )
            .expect("screen");
            let strata = BTreeMap::from([
                ("race_ethnicity".to_owned(), ["black", "latinx", "other"][i % 3].to_owned()),
                ("newly_diagnosed".to_owned(), ["yes", "no"][i % 2].to_owned()),
            ]);
            let p = participants::enrol(
                &mut conn,
                &ctx,
                &Scope::All,
                NewParticipant {
                    screening_id: s.id,
                    full_name: format!("Bench {i}"),
                    email: Some(format!("b{i}@example.org")),
                    phone: None,
                    strata,
                    race: Race::Black,
                    ethnicity: Ethnicity::NotHispanicLatinx,
                    sex: Sex::Female,
                    age_band: AgeBand::From40To49,
                    newly_diagnosed: i % 2 == 0,
                    disease_course: DiseaseCourse::RelapsingRemitting,
                    preferred_language: "en".into(),
                    time_zone: None,
                },
            )
            .expect("enrol");
            consent::record(&mut conn, &ctx, &Scope::All, &p.id, &format!("Bench {i}"), None, "en")
                .expect("consent");
            p.id
        })
        .collect();
    (ids, token)
}

pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

/// The backend's name for the results table.
pub fn backend_name(pg: &Option<(String, String)>) -> &'static str {
    if pg.is_some() { "PostgreSQL 15" } else { "SQLite (WAL)" }
}

/// Drops a PostgreSQL database made by `database`.
pub fn drop_database(pg: Option<(String, String)>) {
    if let Some((admin, name)) = pg
        && let Ok(mut c) = PgConnection::establish(&admin)
    {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
    }
}

/// Sends one request per item, `clients` at a time, each built by `request`; every response must
/// have status `expect`. Returns the wall time and the sorted latencies.
pub async fn hammer<T, F>(items: Vec<T>, clients: usize, expect: u16, request: F) -> (Duration, Vec<Duration>)
where
    T: Send + 'static,
    F: Fn(&reqwest::Client, T) -> reqwest::RequestBuilder + Send + Sync + Clone + 'static,
{
    let queue = Arc::new(Mutex::new(items));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (queue, client, request) = (queue.clone(), client.clone(), request.clone());
        tasks.spawn(async move {
            let mut latencies: Vec<Duration> = Vec::new();
            loop {
                let Some(item) = queue.lock().expect("queue").pop() else { break };
                let t = Instant::now();
                let resp = request(&client, item).send().await.expect("request");
                assert_eq!(resp.status(), expect, "unexpected status");
                latencies.push(t.elapsed());
            }
            latencies
        });
    }
    let mut latencies = Vec::new();
    while let Some(l) = tasks.join_next().await {
        latencies.extend(l.expect("client"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    (elapsed, latencies)
}

/// Starts the real server in this process on port 0, with `pool_size` read connections; returns
/// its base URL.
pub async fn start_server(url: &str, pool_size: u32) -> String {
    let mut settings = Settings::load(None)
        .expect("settings")
        .with_database_url(url)
        .expect("url")
        .with_secret_key(SECRET.into());
    settings.bind = "127.0.0.1:0".into();
    settings.pool_size = pool_size;
    // The bench's coordinator holds an API token and no authenticator app: two-step sign-in
    // (required of coordinators by default) would refuse every request with 403.
    settings.two_factor_roles.clear();
    let app = Application::build(settings).await.expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    base
}
