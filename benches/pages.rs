//! The coordinator's pages at scale: the participant grid (50 rows a page, filtered, sorted and
//! paged in SQL) and the participant's record, with 32 clients at once, p50/p99 latency, on SQLite
//! (default) or PostgreSQL (`BENCH_BACKEND=postgres`).
//!
//!   cargo bench --bench pages                          # 10,000 participants on SQLite
//!   BENCH_PARTICIPANTS=2000 cargo bench --bench pages
//!
//! Participants are screened, enrolled and consented, and seven in ten randomised (which makes
//! their schedules and messages), through the service layer first (not timed). Then 3,200 grid
//! pages (plain pages across the whole list, a work-queue filter, a stratum filter, a study-id
//! search and a reverse sort, mixed) and 3,200 records are fetched with a coordinator's token.
//! Prints Markdown rows for docs/benchmarks.md. Target (SQLite): p99 < 100 ms for both.

mod common;

use common::{SECRET, backend_name, database, drop_database, hammer, percentile, prepare, start_server};
use trialdesk::audit::{Actor, Context};
use trialdesk::db::{self, DatabaseUrl};
use trialdesk::randomisation::{self, StudyKey};

const CLIENTS: usize = 32;
const REQUESTS: usize = 3200;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("BENCH_PARTICIPANTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = database(dir.path());
    let backend = backend_name(&pg);
    eprintln!("preparing {n} participants on {backend}…");
    let token = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            let (ids, token) = prepare(&url, n);
            let mut conn = db::connect(&DatabaseUrl::parse(&url).expect("url")).expect("connect");
            let key = StudyKey::derive(&SECRET.to_owned().into());
            let ctx = Context { actor: Actor::system(), request_id: None };
            for id in ids.iter().filter(|_| rand_like()) {
                randomisation::randomise(&mut conn, &ctx, &key, id).expect("randomise");
            }
            token
        }
    })
    .await
    .expect("prepare");
    let base = start_server(&url, 8).await;
    let pages = (n / 50).max(1);
    let grid: Vec<String> = (0..REQUESTS)
        .map(|i| {
            let page = i * 7919 % pages + 1;
            match i % 5 {
                0 => format!("{base}/participants?page={page}"),
                1 => format!("{base}/participants?need=awaiting_group&page={}", page % 20 + 1),
                2 => format!(
                    "{base}/participants?stratum=race_ethnicity%3Ablack&status=randomised&page={}",
                    page % 40 + 1
                ),
                3 => format!("{base}/participants?q=CON-0{}", i % 10),
                _ => format!("{base}/participants?sort=enrolled_at&dir=desc&page={page}"),
            }
        })
        .collect();
    let records: Vec<String> =
        (0..REQUESTS).map(|i| format!("{base}/participants/CON-{:04}", i * 7919 % n + 1)).collect();
    let mut runs = vec![("participant grid (50 rows), all five views mixed".to_owned(), grid.clone())];
    if std::env::var("BENCH_VIEWS").is_ok() {
        // Each view alone, to see which one costs what.
        let views =
            ["plain page", "awaiting a group", "stratum and status", "study-id search", "newest first"];
        for (k, view) in views.iter().enumerate() {
            let urls = grid.iter().skip(k).step_by(5).cloned().collect();
            runs.push((format!("participant grid: {view}"), urls));
        }
    }
    runs.push(("participant record".to_owned(), records));
    for (what, urls) in runs {
        let count = urls.len();
        let t = token.clone();
        let (elapsed, latencies) = hammer(urls, CLIENTS, 200, move |c, url| c.get(url).bearer_auth(&t)).await;
        println!(
            "| {} | {backend} | {what} | {n} | {CLIENTS} | {:.0} | {:.1} | {:.1} |",
            chrono::Utc::now().format("%Y-%m-%d"),
            count as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99)
        );
    }
    drop_database(pg);
}

/// Seven in ten, the same every run (a counter, not a random source: the bench must repeat).
fn rand_like() -> bool {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed) % 10 < 7
}
