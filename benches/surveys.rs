//! Survey submissions per second through HTTP with 64 participants sending at once (scoring,
//! alert rules, the audit entry and the reminders' cancellation included), with p50/p99 latency,
//! beside the rate of a bare single-row insert transaction on the same database in the same run:
//! the physical limit of one transaction per submission.
//!
//!   cargo bench --bench surveys                       # 1,280 participants on SQLite
//!   BENCH_BACKEND=postgres cargo bench --bench surveys
//!
//! Participants are enrolled, randomised (which opens their baseline) and given a link, and their
//! 20 answers are saved, all untimed; then only the submissions are timed.

mod common;

use std::time::Instant;

use common::{SECRET, backend_name, database, drop_database, hammer, percentile, prepare, start_server};
use diesel::prelude::*;
use trialdesk::audit::{Actor, Context};
use trialdesk::db::schema::{assessments, responses, scores};
use trialdesk::db::{self, DatabaseUrl, DbConn};
use trialdesk::randomisation::{self, StudyKey};

const CLIENTS: usize = 64;

/// Randomises everyone, makes each a link and saves their answers; returns (token, assessment).
fn ready_to_submit(url: &str, ids: &[String]) -> Vec<(String, String)> {
    let mut conn = db::connect(&DatabaseUrl::parse(url).expect("url")).expect("connect");
    let key = StudyKey::derive(&SECRET.to_owned().into());
    let ctx = Context { actor: Actor::system(), request_id: None };
    let lib = &trialdesk::instruments::Library::bundled();
    ids.iter()
        .enumerate()
        .map(|(n, id)| {
            randomisation::randomise(&mut conn, &ctx, &key, id).expect("randomise");
            db::write_tx(&mut conn, |c: &mut DbConn| -> anyhow::Result<(String, String)> {
                let a: trialdesk::assessments::Assessment = assessments::table
                    .filter(assessments::participant_id.eq(id))
                    .filter(assessments::timepoint.eq("baseline"))
                    .select(trialdesk::assessments::Assessment::as_select())
                    .first(c)?;
                let (_, token) = trialdesk::survey::links::issue(c, id, "en", 30, None)?;
                let instruments = trialdesk::assessments::responses::instruments_of(lib, &a)?;
                for (i, (inst, item)) in
                    trialdesk::instruments::visit_items(&instruments).into_iter().enumerate()
                {
                    // Varied answers, never the safety item: alerts are the safety test's.
                    let options = inst.options_of(item);
                    let v = if item.id.get_ref() == "phq9_9" {
                        0
                    } else {
                        *options[(n + i) % options.len()].value.get_ref()
                    };
                    diesel::insert_into(responses::table)
                        .values((
                            responses::assessment_id.eq(&a.id),
                            responses::instrument.eq(inst.id()),
                            responses::item.eq(item.id.get_ref()),
                            responses::value.eq(Some(v)),
                            responses::answered_at.eq(db::now()),
                        ))
                        .execute(c)?;
                }
                Ok((token, a.id))
            })
            .expect("prepare visit")
        })
        .collect()
}

/// Single-row insert transactions, one after another, on a connection of the server's kind.
fn bare_insert_rate(url: &str, n: usize) -> f64 {
    let mut conn = db::connect(&DatabaseUrl::parse(url).expect("url")).expect("connect");
    diesel::sql_query(
        "CREATE TABLE bench_probe (id TEXT PRIMARY KEY, at TIMESTAMP NOT NULL, note TEXT NOT NULL)",
    )
    .execute(&mut conn)
    .expect("probe table");
    let started = Instant::now();
    for _ in 0..n {
        conn.transaction(|c| {
            diesel::sql_query("INSERT INTO bench_probe (id, at, note) VALUES ($1, $2, 'probe')")
                .bind::<diesel::sql_types::Text, _>(uuid::Uuid::now_v7().to_string())
                .bind::<diesel::sql_types::Timestamp, _>(db::now())
                .execute(c)
        })
        .expect("insert");
    }
    n as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("BENCH_PARTICIPANTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1280);
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = database(dir.path());
    let backend = backend_name(&pg);
    eprintln!("preparing {n} participants with saved answers on {backend}…");
    let visits = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            let (ids, _) = prepare(&url, n);
            ready_to_submit(&url, &ids)
        }
    })
    .await
    .expect("prepare");

    if std::env::var("BENCH_MODE").as_deref() == Ok("direct") {
        // The service layer alone, one thread, no HTTP: what one submission costs the writer.
        let mut conn = db::connect(&DatabaseUrl::parse(&url).expect("url")).expect("connect");
        let ctx = Context { actor: Actor::system(), request_id: None };
        let lib = &trialdesk::instruments::Library::bundled();
        let participants: Vec<String> = assessments::table
            .filter(assessments::timepoint.eq("baseline"))
            .select(assessments::participant_id)
            .load(&mut conn)
            .expect("participants");
        let owner: std::collections::HashMap<String, String> = assessments::table
            .filter(assessments::timepoint.eq("baseline"))
            .select((assessments::id, assessments::participant_id))
            .load::<(String, String)>(&mut conn)
            .expect("owners")
            .into_iter()
            .collect();
        let started = Instant::now();
        for (_, id) in &visits {
            trialdesk::assessments::responses::submit(&mut conn, &ctx, lib, id, &owner[id]).expect("submit");
        }
        let per = started.elapsed() / n as u32;
        println!(
            "service layer, one thread, {backend}: {:.0} µs per submission ({:.0}/s; {} participants)",
            per.as_secs_f64() * 1e6,
            1.0 / per.as_secs_f64(),
            participants.len()
        );
        drop_database(pg);
        return;
    }
    let base = start_server(&url, 8).await;

    let submissions: Vec<String> =
        visits.iter().map(|(token, id)| format!("{base}/s/{token}/a/{id}/submit")).collect();
    let (elapsed, latencies) = hammer(submissions, CLIENTS, 303, |c, url| c.post(url)).await;
    // The same load on the cheapest request that touches the database (`/healthz`: one read):
    // the ceiling that HTTP and the load generator, sharing the machine's cores, leave.
    let health: Vec<String> = (0..10_000).map(|_| format!("{base}/healthz")).collect();
    let (health_elapsed, _) = hammer(health, CLIENTS, 200, |c, url| c.get(url)).await;
    let ceiling = 10_000.0 / health_elapsed.as_secs_f64();

    let mut conn = db::connect(&DatabaseUrl::parse(&url).expect("url")).expect("connect");
    let completed: i64 = assessments::table
        .filter(assessments::status.eq("completed"))
        .count()
        .get_result(&mut conn)
        .expect("count");
    let scored: i64 = scores::table.count().get_result(&mut conn).expect("count");
    assert_eq!((completed as usize, scored as usize), (n, 3 * n), "every submission stored and scored once");
    drop(conn);
    let limit = tokio::task::spawn_blocking({
        let url = url.clone();
        move || bare_insert_rate(&url, 5000)
    })
    .await
    .expect("probe");

    let rate = n as f64 / elapsed.as_secs_f64();
    println!(
        "| {} | {backend} | {n} | {CLIENTS} | {rate:.0} | {:.1} | {:.1} | {limit:.0} | {:.0}% | {ceiling:.0} |",
        chrono::Utc::now().format("%Y-%m-%d"),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        100.0 * rate / limit
    );
    drop_database(pg);
}
