//! `database_read_url`: exports and the trial report read from a PostgreSQL streaming replica,
//! while whatever may follow a write reads from the primary. Run against a real primary and
//! replica that `scripts/test.sh` starts for the PostgreSQL pass (`TRIALDESK_TEST_PRIMARY_URL`,
//! `TRIALDESK_TEST_REPLICA_URL`); the replica's replay is paused to make its lag visible.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;
use trialdesk::auth::Role;
use trialdesk::db;

use crate::fixtures::randomised;
use crate::helpers::{Backend, TestApp, TestDb, backend, database_on, spawn_app_on, spawn_app_with};

/// The primary and replica servers' admin URLs, in the PostgreSQL pass (where they must exist).
fn pair() -> Option<(String, String)> {
    match (std::env::var("TRIALDESK_TEST_PRIMARY_URL"), std::env::var("TRIALDESK_TEST_REPLICA_URL")) {
        (Ok(primary), Ok(replica)) => Some((primary, replica)),
        _ if backend() == Backend::Postgres => panic!(
            "the PostgreSQL pass needs the primary and replica scripts/test.sh starts \
             (TRIALDESK_TEST_PRIMARY_URL, TRIALDESK_TEST_REPLICA_URL)"
        ),
        _ => None,
    }
}

async fn health(app: &TestApp) -> Value {
    app.client.get(app.url("/healthz")).send().await.expect("healthz").json().await.expect("json")
}

/// Waits until the replica has replayed everything the primary wrote.
async fn caught_up(app: &TestApp) -> Value {
    for _ in 0..200 {
        let h = health(app).await;
        if h["replica"]["lag_bytes"].as_f64() == Some(0.0) {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the replica did not catch up: {}", health(app).await);
}

async fn wide_rows(app: &TestApp, statistician: &crate::helpers::TestUser) -> usize {
    let resp = app.get_as(statistician, "/api/v1/exports/wide.csv").await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.expect("csv").lines().count() - 1
}

async fn randomised_in_report(app: &TestApp, statistician: &crate::helpers::TestUser) -> String {
    let resp = app.get_as(statistician, "/api/v1/reports/summary").await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.expect("report")
}

#[tokio::test]
async fn with_a_replica_exports_and_the_report_read_it_while_lists_after_a_write_read_the_primary() {
    let Some((primary, replica)) = pair() else { return };
    let name = format!("td_replica_{}", uuid::Uuid::now_v7().simple());
    let mut admin = PgConnection::establish(&primary).expect("primary");
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create database");
    let (primary_db, replica_db) = (database_on(&primary, &name), database_on(&replica, &name));
    db::migrate(&mut db::connect(&db::DatabaseUrl::parse(&primary_db).expect("url")).expect("connect"))
        .expect("migrate");
    let read_url = replica_db.clone();
    let app = spawn_app_on(TestDb::at(primary_db), move |s| {
        *s = s.clone().with_database_read_url(&read_url).expect("a replica URL");
    })
    .await;
    let (coord, stat) = (app.user(Role::Coordinator), app.user(Role::StatisticianUnblinded));
    randomised(&app, &coord, 1).await;
    let h = caught_up(&app).await;
    assert_eq!(h["status"], "ok");
    assert_eq!(h["replica"]["status"], "streaming", "{h}");
    assert_eq!(wide_rows(&app, &stat).await, 1);

    // Replay paused: the replica stays where it is while the primary moves on.
    let mut standby = PgConnection::establish(&replica).expect("replica");
    standby.batch_execute("SELECT pg_wal_replay_pause()").expect("pause replay");
    randomised(&app, &coord, 2).await;
    let listed = app.get_as(&coord, "/api/v1/participants").await.json::<Value>().await.expect("list");
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "the list after a write reads the primary");
    assert_eq!(wide_rows(&app, &stat).await, 1, "the export reads the replica");
    let h = health(&app).await;
    assert!(h["replica"]["lag_bytes"].as_f64().is_some_and(|b| b > 0.0), "lag shown on /healthz: {h}");
    assert!(h["replica"]["lag_seconds"].as_f64().is_some_and(|s| s >= 0.0), "{h}");
    let before = randomised_in_report(&app, &stat).await;

    standby.batch_execute("SELECT pg_wal_replay_resume()").expect("resume replay");
    caught_up(&app).await;
    assert_eq!(wide_rows(&app, &stat).await, 2, "caught up, the export has both");
    assert_ne!(randomised_in_report(&app, &stat).await, before, "and so has the report");

    drop(app);
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

/// A replica that cannot be reached does not take exports down, and `/healthz` says so.
#[tokio::test]
async fn an_unreachable_replica_leaves_exports_to_the_primary_and_shows_on_healthz() {
    if backend() != Backend::Postgres {
        return;
    }
    let app = spawn_app_with(|s| {
        *s = s
            .clone()
            .with_database_read_url(
                "postgres://postgres@127.0.0.1:1/nothing?sslmode=disable&connect_timeout=1",
            )
            .expect("a replica URL");
    })
    .await;
    let (coord, stat) = (app.user(Role::Coordinator), app.user(Role::StatisticianUnblinded));
    randomised(&app, &coord, 1).await;
    assert_eq!(wide_rows(&app, &stat).await, 1);
    let h = health(&app).await;
    assert_eq!(
        (h["status"].as_str(), h["replica"]["status"].as_str()),
        (Some("ok"), Some("unreachable")),
        "{h}"
    );
}

#[test]
fn a_read_replica_is_refused_for_a_sqlite_database_with_the_reason() {
    let settings = trialdesk::settings::Settings::load(None).expect("settings").with_database_url("trial.db");
    let err = settings
        .expect("sqlite")
        .with_database_read_url("postgres://u@h/db")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("database_read_url") && err.contains("streaming replica"), "{err}");
}
