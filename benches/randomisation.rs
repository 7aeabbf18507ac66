//! Randomisations per second through the HTTP API with 32 concurrent clients, and p50/p99
//! latency, on SQLite (default) or PostgreSQL (`BENCH_BACKEND=postgres`).
//!
//!   cargo bench --bench randomisation                       # 4,000 participants on SQLite
//!   BENCH_BACKEND=postgres cargo bench --bench randomisation
//!   BENCH_PARTICIPANTS=10000 cargo bench --bench randomisation
//!
//! Participants are screened, enrolled and consented through the service layer first (not timed);
//! then only the randomisation requests are timed. Prints a Markdown row for docs/benchmarks.md.

use std::collections::{BTreeMap, HashSet};
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
use trialdesk::startup::Application;

const CLIENTS: usize = 32;
const SECRET: &str = "benchmark-secret-key-that-is-long-enough-0123456789";

fn database(dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("postgres") => {
            let admin = std::env::var("BENCH_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into());
            let name = format!("td_bench_{}", uuid::Uuid::now_v7().simple());
            let mut conn = diesel::PgConnection::establish(&admin).expect("PostgreSQL at BENCH_POSTGRES_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create database");
            let (base, rest) = admin.rsplit_once('/').expect("database in URL");
            let query = rest.split_once('?').map_or(String::new(), |(_, q)| format!("?{q}"));
            (format!("{base}/{name}{query}"), Some((admin, name)))
        }
        _ => (format!("sqlite://{}", dir.join("bench.db").display()), None),
    }
}

/// Screens, enrols and consents `n` participants; returns their ids.
fn prepare(url: &str, n: usize) -> (Vec<String>, String) {
    let mut conn = db::connect(&DatabaseUrl::parse(url).expect("url")).expect("connect");
    db::migrate(&mut conn).expect("migrate");
    let ctx = Context { actor: Actor::system(), request_id: None };
    store::install_initial(&mut conn, &ctx, protocol::BUNDLED, "benchmark").expect("protocol");
    let hash = auth::hash_password("benchmark password 1").expect("hash");
    let user = users::create(&mut conn, &ctx, "bench@example.org", "Bench", Role::Coordinator, hash.clone())
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
                screening::NewScreening {
                    screened_at: db::now(),
                    referral_source: "bench".into(),
                    answers: answers.clone(),
                    declined: None,
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
                },
            )
            .expect("enrol");
            consent::record(&mut conn, &ctx, &p.id, &format!("Bench {i}"), None, "en").expect("consent");
            p.id
        })
        .collect();
    (ids, token)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("BENCH_PARTICIPANTS").ok().and_then(|v| v.parse().ok()).unwrap_or(4000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = database(dir.path());
    let backend = if pg.is_some() { "PostgreSQL 15" } else { "SQLite (WAL)" };
    eprintln!("preparing {n} consented participants on {backend}…");
    let (ids, token) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || prepare(&url, n)
    })
    .await
    .expect("prepare");

    if std::env::var("BENCH_MODE").as_deref() == Ok("direct") {
        // The service layer alone, one thread, no HTTP: the serialised part's own cost.
        let mut conn = db::connect(&DatabaseUrl::parse(&url).expect("url")).expect("connect");
        let key = trialdesk::randomisation::StudyKey::derive(&SECRET.to_owned().into());
        let ctx = Context { actor: Actor::system(), request_id: None };
        let started = Instant::now();
        for id in &ids {
            trialdesk::randomisation::randomise(&mut conn, &ctx, &key, id).expect("randomise");
        }
        let per = started.elapsed() / n as u32;
        println!(
            "service layer, one thread, {backend}: {:.0} µs per randomisation ({:.0}/s)",
            per.as_secs_f64() * 1e6,
            1.0 / per.as_secs_f64()
        );
        return;
    }
    let mut settings = Settings::load(None)
        .expect("settings")
        .with_database_url(&url)
        .expect("url")
        .with_secret_key(SECRET.into());
    settings.bind = "127.0.0.1:0".into();
    settings.pool_size = std::env::var("BENCH_POOL").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let app = Application::build(settings).await.expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    let queue = Arc::new(Mutex::new(ids.clone()));
    let client = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS).build().expect("client");
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (queue, client, base, token) = (queue.clone(), client.clone(), base.clone(), token.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let Some(id) = queue.lock().expect("queue").pop() else { break };
                let t = Instant::now();
                let resp = client
                    .post(format!("{base}/api/v1/participants/{id}/randomisation"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(resp.status(), 201, "randomisation failed");
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

    let mut conn = db::connect(&DatabaseUrl::parse(&url).expect("url")).expect("connect");
    let allocated: Vec<String> = trialdesk::db::schema::allocations::table
        .select(trialdesk::db::schema::allocations::participant_id)
        .load(&mut conn)
        .expect("allocations");
    let distinct: HashSet<&String> = allocated.iter().collect();
    let duplicates = allocated.len() - distinct.len();
    assert_eq!(allocated.len(), n, "every participant allocated once");
    drop(conn);

    let rate = n as f64 / elapsed.as_secs_f64();
    println!(
        "| {} | {backend} | {n} | {CLIENTS} | {rate:.0} | {:.1} | {:.1} | {duplicates} |",
        chrono::Utc::now().format("%Y-%m-%d"),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    if let Some((admin, name)) = pg
        && let Ok(mut c) = diesel::PgConnection::establish(&admin)
    {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
    }
}
