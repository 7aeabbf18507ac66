//! Randomisations per second through the HTTP API with 32 concurrent clients, and p50/p99
//! latency, on SQLite (default) or PostgreSQL (`BENCH_BACKEND=postgres`).
//!
//!   cargo bench --bench randomisation                       # 4,000 participants on SQLite
//!   BENCH_BACKEND=postgres cargo bench --bench randomisation
//!   BENCH_PARTICIPANTS=10000 cargo bench --bench randomisation
//!
//! Participants are screened, enrolled and consented through the service layer first (not timed);
//! then only the randomisation requests are timed. Prints a Markdown row for docs/benchmarks.md.

mod common;

use std::collections::HashSet;
use std::time::Instant;

use common::{SECRET, backend_name, database, drop_database, hammer, percentile, prepare, start_server};
use diesel::prelude::*;
use trialdesk::audit::{Actor, Context};
use trialdesk::db::{self, DatabaseUrl};

const CLIENTS: usize = 32;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("BENCH_PARTICIPANTS").ok().and_then(|v| v.parse().ok()).unwrap_or(4000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = database(dir.path());
    let backend = backend_name(&pg);
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
    let base =
        start_server(&url, std::env::var("BENCH_POOL").ok().and_then(|v| v.parse().ok()).unwrap_or(8)).await;

    let urls: Vec<String> =
        ids.iter().map(|id| format!("{base}/api/v1/participants/{id}/randomisation")).collect();
    let (elapsed, latencies) =
        hammer(urls, CLIENTS, 201, move |c, url| c.post(url).bearer_auth(&token)).await;

    let mut conn = db::connect(&DatabaseUrl::parse(&url).expect("url")).expect("connect");
    let allocated: Vec<String> = db::schema::allocations::table
        .select(db::schema::allocations::participant_id)
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
    drop_database(pg);
}
