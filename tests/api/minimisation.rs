//! Minimisation through the service: slots recorded with each allocation, replay from the key,
//! and protocol versions stored before the slot algorithm keeping the algorithm they started with.

use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use trialdesk::auth::Role;
use trialdesk::db::schema::{allocations, protocol_versions};
use trialdesk::protocol::BUNDLED;

use crate::fixtures::randomised;
use crate::helpers::{TEST_SECRET, TestApp, TestUser, spawn_app};

const V1: &str = "chacha20-hmac-sha256-v1";
const V2: &str = "chacha20-hmac-sha256-v2";

/// The bundled protocol with 2:1 minimisation weighted towards the first stratification factor.
fn two_to_one_minimisation() -> String {
    BUNDLED.replacen("ratio = 1", "ratio = 2", 1).replace(
        "method = \"stratified_blocks\"\nblock_sizes = [2, 4, 6]",
        "method = \"minimisation\"\nimbalance = \"range\"\nprobability = 0.8\nweights = { race_ethnicity = 2.0 }",
    )
}

async fn amend(app: &TestApp, admin: &TestUser, content: &str, reason: &str) {
    let resp = app
        .send_as(
            admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": content, "reason": reason}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap_or_default());
}

fn cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trialdesk"))
        .args(args)
        .env("TRIALDESK_DATABASE_URL", &app.db.url)
        .env("TRIALDESK_SECRET_KEY", TEST_SECRET)
        .output()
        .expect("the command runs");
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

fn allocations_made(app: &TestApp) -> Vec<(String, Option<i32>, String)> {
    let mut conn = app.db.conn();
    allocations::table
        .select((allocations::algorithm, allocations::slot, allocations::arm_id))
        .order(allocations::seq.asc())
        .load(&mut conn)
        .expect("allocations")
}

#[tokio::test]
async fn two_to_one_minimisation_records_each_slot_replays_from_the_key_and_says_how_in_consort_words() {
    let app = spawn_app().await;
    let (admin, coord) = (app.user(Role::Admin), app.user(Role::Coordinator));
    assert!(
        BUNDLED.contains("id = \"race_ethnicity\""),
        "the weighted factor is one of the bundled protocol's"
    );
    amend(&app, &admin, &two_to_one_minimisation(), "2:1 minimisation").await;
    // The coin's probability and the weights help predict the next arm: whoever randomises
    // without writing the protocol does not see them.
    let seen: serde_json::Value =
        app.get_as(&coord, "/api/v1/protocol").await.json().await.expect("protocol");
    let r = &seen["parsed"]["randomisation"];
    assert!(r["weights"].is_null() && r["probability"].is_null(), "{r}");
    let full: serde_json::Value =
        app.get_as(&admin, "/api/v1/protocol").await.json().await.expect("protocol");
    assert_eq!(full["parsed"]["randomisation"]["weights"]["race_ethnicity"], 2.0);
    for n in 0..24 {
        randomised(&app, &coord, n).await;
    }
    let made = allocations_made(&app);
    assert!(
        made.iter().all(|(algorithm, slot, _)| algorithm == V2 && slot.is_some_and(|s| (0..3).contains(&s)))
    );
    // Slots 0 and 1 are the first arm's, slot 2 the second's.
    assert!(made.iter().all(|(_, slot, arm)| (*slot == Some(2)) == (arm == "waitlist")), "{made:?}");
    let first = made.iter().filter(|(_, _, arm)| arm == "support_groups").count();
    assert!((12..=20).contains(&first), "about two thirds of 24 in the first arm: {first}");
    let (ok, text) = cli(&app, &["randomisation", "replay"]);
    assert!(ok && text.contains("all 24 allocations reproduced"), "{text}");
    let (ok, text) = cli(&app, &["randomisation", "describe"]);
    assert!(
        ok && text.contains("allocation-ratio-preserving") && text.contains("race_ethnicity 2"),
        "{text}"
    );
    let (ok, text) = cli(&app, &["randomisation", "simulate", "--runs", "50", "--participants", "30"]);
    assert!(ok && text.contains("50 runs of 30 participants, minimisation, ratio 2:1"), "{text}");
    assert!(text.contains("Predictability:") && text.contains("support_groups"), "{text}");
}

#[tokio::test]
async fn a_version_stored_before_slots_keeps_randomising_and_replaying_with_v1_even_after_an_amendment() {
    let app = spawn_app().await;
    let (admin, coord) = (app.user(Role::Admin), app.user(Role::Coordinator));
    amend(&app, &admin, &two_to_one_minimisation(), "2:1 minimisation").await;
    // As the migration leaves a version stored before this release.
    {
        let mut conn = app.db.conn();
        diesel::update(protocol_versions::table)
            .set(protocol_versions::randomisation_algorithm.eq(V1))
            .execute(&mut conn)
            .expect("set v1");
    }
    for n in 0..12 {
        randomised(&app, &coord, n).await;
    }
    // An amendment once randomisation has started keeps the algorithm allocations use.
    let later = two_to_one_minimisation().replace("target = 80", "target = 90");
    assert_ne!(later, two_to_one_minimisation(), "the amendment changes the target");
    amend(&app, &admin, &later, "larger target").await;
    for n in 12..18 {
        randomised(&app, &coord, n).await;
    }
    let made = allocations_made(&app);
    assert_eq!(made.len(), 18);
    assert!(made.iter().all(|(algorithm, slot, _)| algorithm == V1 && slot.is_none()), "{made:?}");
    let (ok, text) = cli(&app, &["randomisation", "replay"]);
    assert!(ok && text.contains("all 18 allocations reproduced"), "{text}");
}

#[tokio::test]
async fn simulate_reads_a_protocol_file_and_refuses_one_a_new_version_could_not_be() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.toml");
    std::fs::write(&good, two_to_one_minimisation()).expect("write");
    let (ok, text) =
        cli(&app, &["randomisation", "simulate", "--file", good.to_str().expect("path"), "--runs", "20"]);
    assert!(ok && text.contains("20 runs of 80 participants"), "{text}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, two_to_one_minimisation().replace("probability = 0.8", "probability = 1.0"))
        .expect("write");
    let (ok, text) = cli(&app, &["randomisation", "simulate", "--file", bad.to_str().expect("path")]);
    assert!(!ok && text.contains("probability must be above 1/3") && text.contains("bad.toml"), "{text}");
}
