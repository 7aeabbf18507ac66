//! Randomisation end to end: concurrency, balance within strata, concealment, replay, refusals.

use std::collections::{BTreeMap, HashSet};
use std::process::Command;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;
use trialdesk::protocol::BUNDLED;

use crate::fixtures::{eligible_answers, enrolled, enrolment};
use crate::helpers::{TEST_SECRET, error_of, spawn_app};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    participant_id: String,
    #[diesel(sql_type = Text)]
    stratum: String,
    #[diesel(sql_type = Text)]
    arm_id: String,
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

#[tokio::test]
async fn three_hundred_screened_and_the_eligible_randomised_32_at_a_time_are_balanced_once_each_and_replayable()
 {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let mut ids = Vec::new();
    for n in 0..300 {
        let mut answers = eligible_answers();
        if n % 7 == 3 {
            answers["age"] = json!(16);
        }
        let declined = n % 11 == 5;
        let s: Value = app
            .send_as(&coord, Method::POST, "/api/v1/screenings",
                json!({"referral_source": "clinic", "answers": answers, "declined": declined, "decline_reason": "no time"}))
            .await.json().await.expect("screening");
        if s["outcome"] != "eligible" {
            continue;
        }
        let p: Value = app
            .send_as(
                &coord,
                Method::POST,
                "/api/v1/participants",
                enrolment(s["id"].as_str().expect("id"), n),
            )
            .await
            .json()
            .await
            .expect("participant");
        let id = p["id"].as_str().expect("id").to_owned();
        let resp = app
            .send_as(
                &coord,
                Method::POST,
                &format!("/api/v1/participants/{id}/consents"),
                json!({"signature_name": format!("Test Person {n}"), "language": "en"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        ids.push(id);
    }
    let log: Value = app.get_as(&coord, "/api/v1/screenings").await.json().await.expect("log");
    let outcomes: Vec<&str> =
        log.as_array().expect("list").iter().map(|s| s["outcome"].as_str().expect("o")).collect();
    assert_eq!(outcomes.len(), 300);
    assert!(outcomes.contains(&"ineligible") && outcomes.contains(&"declined"));
    assert!(ids.len() > 200, "{} enrolled", ids.len());

    for batch in ids.chunks(32) {
        let mut tasks = tokio::task::JoinSet::new();
        for id in batch {
            let (client, url, token) = (
                app.client.clone(),
                app.url(&format!("/api/v1/participants/{id}/randomisation")),
                coord.token.clone(),
            );
            tasks.spawn(async move {
                client.post(url).bearer_auth(token).send().await.expect("request").status()
            });
        }
        while let Some(status) = tasks.join_next().await {
            assert_eq!(status.expect("task"), StatusCode::CREATED);
        }
    }

    let mut conn = app.db.conn();
    let rows: Vec<Row> =
        diesel::sql_query("SELECT participant_id, stratum, arm_id, seq FROM allocations ORDER BY seq")
            .load(&mut conn)
            .expect("allocations");
    assert_eq!(rows.len(), ids.len());
    let distinct: HashSet<&str> = rows.iter().map(|r| r.participant_id.as_str()).collect();
    assert_eq!(distinct.len(), ids.len(), "a participant has two allocations");
    assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), (1..=ids.len() as i64).collect::<Vec<_>>());
    let mut running: BTreeMap<&str, i64> = BTreeMap::new();
    for r in &rows {
        let d = running.entry(&r.stratum).or_default();
        *d += if r.arm_id == "support_groups" { 1 } else { -1 };
        assert!(d.abs() <= 3, "stratum {} reached imbalance {d}", r.stratum);
    }

    let out = Command::new(env!("CARGO_BIN_EXE_trialdesk"))
        .args(["randomisation", "replay"])
        .env("TRIALDESK_DATABASE_URL", &app.db.url)
        .env("TRIALDESK_SECRET_KEY", TEST_SECRET)
        .output()
        .expect("replay");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("all {} allocations reproduced", ids.len())), "{stdout}");

    let wrong = Command::new(env!("CARGO_BIN_EXE_trialdesk"))
        .args(["randomisation", "replay"])
        .env("TRIALDESK_DATABASE_URL", &app.db.url)
        .env("TRIALDESK_SECRET_KEY", "another-secret-key-that-is-long-enough-000000")
        .output()
        .expect("replay");
    assert_eq!(wrong.status.code(), Some(1), "another key must not reproduce the allocations");
}

#[tokio::test]
async fn concurrent_requests_for_one_participant_give_one_allocation_and_409s() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let id = enrolled(&app, &coord, 1, true).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/participants/{id}/randomisation")),
            coord.token.clone(),
        );
        tasks.spawn(async move {
            let resp = client.post(url).bearer_auth(token).send().await.expect("request");
            let status = resp.status();
            let body: Value = resp.json().await.expect("json");
            (status, body)
        });
    }
    let mut created = 0;
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.expect("task");
        if status == StatusCode::CREATED {
            created += 1;
        } else {
            assert_eq!(status, StatusCode::CONFLICT);
            assert_eq!(body["error"]["code"], "already_randomised");
        }
    }
    assert_eq!(created, 1);
}

#[tokio::test]
async fn randomising_an_unconsented_or_no_longer_eligible_participant_is_409_naming_why() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let unconsented = enrolled(&app, &admin, 1, false).await;
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            &format!("/api/v1/participants/{unconsented}/randomisation"),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(resp).await.0, "not_consented");

    let consented = enrolled(&app, &admin, 2, true).await;
    let stricter = BUNDLED.replace("min = 18", "min = 65");
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": stricter, "reason": "older adults only"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = app
        .send_as(&admin, Method::POST, &format!("/api/v1/participants/{consented}/randomisation"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_eligible");
    assert!(body["error"]["message"].as_str().expect("m").contains("age"));

    let resp = app
        .send_as(&admin, Method::POST, "/api/v1/participants/no-such-person/randomisation", json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn blinded_statisticians_see_arm_codes_only_and_unblinded_roles_see_labels() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let blinded = app.user(Role::StatisticianBlinded);
    let unblinded = app.user(Role::StatisticianUnblinded);
    let id = enrolled(&app, &coord, 1, true).await;
    let resp = app
        .send_as(&coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let made: Value = resp.json().await.expect("json");
    let label = made["arm"]["label"].as_str().expect("coordinators see the label").to_owned();
    let arm_id = made["arm"]["id"].as_str().expect("id").to_owned();
    assert!(
        made.get("stratum_index").is_none() && made.get("seq").is_none(),
        "no position in the sequence leaks"
    );

    for path in [
        format!("/api/v1/participants/{id}"),
        "/api/v1/participants".into(),
        format!("/api/v1/participants/{id}/timeline"),
    ] {
        let text = app.get_as(&blinded, &path).await.text().await.expect("text");
        assert!(
            !text.contains(&label) && !text.contains(&arm_id),
            "{path} shows the arm to a blinded role: {text}"
        );
        let text = app.get_as(&unblinded, &path).await.text().await.expect("text");
        assert!(text.contains(&label) || text.contains(&arm_id), "{path}");
    }
    for path in ["/api/v1/protocol", "/api/v1/protocol/versions", "/api/v1/protocol/versions/1"] {
        let text = app.get_as(&blinded, path).await.text().await.expect("text");
        assert!(
            !text.contains(&label) && !text.contains(&arm_id) && !text.contains("waitlist"),
            "{path} tells a blinded role what the arms are: {text}"
        );
        let text = app.get_as(&unblinded, path).await.text().await.expect("text");
        assert!(text.contains(&arm_id), "{path}");
    }
    let list: Value = app
        .get_as(
            &blinded,
            &format!("/api/v1/participants?arm={}", made["arm"]["code"].as_str().expect("code")),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list.as_array().expect("list").len(), 1);
}

#[tokio::test]
async fn emergency_unblinding_needs_a_reason_is_audited_and_notifies_admins() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let id = enrolled(&app, &admin, 1, true).await;
    app.send_as(&admin, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({})).await;
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            &format!("/api/v1/participants/{id}/unblinding"),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            &format!("/api/v1/participants/{id}/unblinding"),
            json!({"reason": "serious adverse event, treating physician asked"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert!(body["arm"]["label"].is_string());
    let notices: Value = app.get_as(&admin, "/api/v1/notices").await.json().await.expect("json");
    assert_eq!(notices[0]["kind"], "emergency_unblinding");
    let audit: Value = app
        .get_as(&admin, &format!("/api/v1/audit?entity=participant&entity_id={id}"))
        .await
        .json()
        .await
        .expect("json");
    let entry = audit
        .as_array()
        .expect("list")
        .iter()
        .find(|e| e["action"] == "emergency_unblinding")
        .expect("audited");
    assert_eq!(entry["reason"], "serious adverse event, treating physician asked");
}

#[test]
fn randomisation_describe_states_consort_items_8_to_10_without_the_order_of_block_sizes() {
    let out = Command::new(env!("CARGO_BIN_EXE_trialdesk"))
        .args([
            "randomisation",
            "describe",
            "--file",
            concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/connect.toml"),
        ])
        .output()
        .expect("describe");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for needle in [
        "CONSORT 8a",
        "CONSORT 8b",
        "CONSORT 9",
        "CONSORT 10",
        "ChaCha20",
        "2, 4 and 6",
        "chosen at random",
        "1:1",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
}

#[derive(QueryableByName, Debug)]
struct PreparedStatement {
    #[diesel(sql_type = Text)]
    statement: String,
    #[diesel(sql_type = BigInt)]
    runs: i64,
}

/// The statements this connection has prepared, with how often each ran.
fn prepared_statements(conn: &mut trialdesk::db::DbConn) -> Vec<PreparedStatement> {
    diesel::sql_query(
        "SELECT statement, generic_plans + custom_plans AS runs FROM pg_prepared_statements ORDER BY statement",
    )
    .load(conn)
    .expect("pg_prepared_statements")
}

/// The writer remembers the next allocation numbers from one batch to the next
/// (`randomisation::numbers`). An allocation made elsewhere in between (the command line, another
/// server) moves the audit chain's head, and the writer must then read the numbers again instead of
/// giving the next participant a place already taken.
#[tokio::test]
async fn a_randomisation_made_outside_the_server_between_two_of_its_own_does_not_make_it_reuse_a_place() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    // People 0, 6 and 12 share a stratum (`fixtures::enrolment`).
    let first = crate::fixtures::randomised(&app, &coord, 0).await;
    let outside = enrolled(&app, &coord, 6, true).await;
    let third = enrolled(&app, &coord, 12, true).await;
    let key = trialdesk::randomisation::StudyKey::derive(&TEST_SECRET.to_owned().into());
    let ctx = trialdesk::audit::Context { actor: trialdesk::audit::Actor::cli(), request_id: None };
    trialdesk::randomisation::randomise(&mut app.db.conn(), &ctx, &key, &outside).expect("randomise outside");
    let resp = app
        .send_as(&coord, Method::POST, &format!("/api/v1/participants/{third}/randomisation"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap_or_default());

    #[derive(QueryableByName)]
    struct Place {
        #[diesel(sql_type = Text)]
        participant_id: String,
        #[diesel(sql_type = Text)]
        stratum: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        stratum_index: i32,
        #[diesel(sql_type = BigInt)]
        seq: i64,
    }
    let places: Vec<Place> =
        diesel::sql_query("SELECT participant_id, stratum, stratum_index, seq FROM allocations ORDER BY seq")
            .load(&mut app.db.conn())
            .expect("allocations");
    let order: Vec<(&str, i32, i64)> =
        places.iter().map(|p| (p.participant_id.as_str(), p.stratum_index, p.seq)).collect();
    assert_eq!(order, [(first.as_str(), 0, 1), (outside.as_str(), 1, 2), (third.as_str(), 2, 3)]);
    assert!(places.iter().all(|p| p.stratum == places[0].stratum), "one stratum");
}

/// On PostgreSQL every write of a randomisation runs under the audit chain's lock, so each should
/// be parsed and planned once per connection and form (a schedule of so many rows, say), not on
/// every call (`db::prepared`). SQLite shows nothing of its statement cache, so there the test has
/// nothing to look at.
#[tokio::test]
async fn on_postgres_a_randomisation_prepares_its_writes_once_per_connection_and_reuses_them() {
    use crate::helpers::{Backend, backend};
    if backend() == Backend::Sqlite {
        return;
    }
    const N: i64 = 6;
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    // The trial's first allocation also records that randomisation has started: made through the
    // API, so that the ones below all take the same path.
    crate::fixtures::randomised(&app, &coord, 0).await;
    let mut ids = Vec::new();
    for n in 1..=N {
        ids.push(enrolled(&app, &coord, n as usize, true).await);
    }
    let key = trialdesk::randomisation::StudyKey::derive(&TEST_SECRET.to_owned().into());
    let ctx = trialdesk::audit::Context { actor: trialdesk::audit::Actor::system(), request_id: None };
    let mut conn = app.db.conn();
    for id in &ids {
        trialdesk::randomisation::randomise(&mut conn, &ctx, &key, id).expect("randomise");
    }
    let prepared = prepared_statements(&mut conn);
    // The allocation and everything it starts, with its audit entry and the chain head's move,
    // are one statement; then the wait for the disk.
    let writes = [
        "UPDATE \"participants\" SET",
        "INSERT INTO \"assessments\"",
        "INSERT INTO \"outbox\"",
        "INSERT INTO \"audit_log\"",
        "UPDATE \"audit_head\" SET",
    ];
    for (statement, parts) in [
        ("WITH w0 AS (INSERT INTO \"allocations\"", &writes[..]),
        ("SELECT pg_logical_emit_message", &[][..]),
    ] {
        let forms: Vec<&PreparedStatement> =
            prepared.iter().filter(|s| s.statement.starts_with(statement)).collect();
        // Each arm may give the statement a form of its own (its schedule, its messages).
        assert!(!forms.is_empty() && forms.len() <= 2, "{statement}: prepared once per form, {forms:?}");
        for form in &forms {
            for part in parts {
                assert!(form.statement.contains(part), "{part} is missing from {}", form.statement);
            }
        }
        assert_eq!(
            forms.iter().map(|s| s.runs).sum::<i64>(),
            N,
            "{statement}: every randomisation ran it prepared"
        );
    }
}
