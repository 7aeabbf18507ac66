//! Protocol versions and amendments through the API.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::audit::{Actor, Context};
use trialdesk::auth::Role;
use trialdesk::protocol::{BUNDLED, store};

use crate::helpers::{error_of, spawn_app};

#[tokio::test]
async fn the_bundled_protocol_is_version_one_of_an_empty_database() {
    let app = spawn_app().await;
    let user = app.user(Role::Moderator);
    let body: Value = app.get_as(&user, "/api/v1/protocol").await.json().await.expect("json");
    assert_eq!(body["version"], 1);
    assert_eq!(body["study_code"], "CONNECT");
    assert_eq!(body["parsed"]["groups"]["capacity"], 10);
    assert_eq!(body["parsed"]["arms"][1]["kind"], "waitlist");
}

#[tokio::test]
async fn an_amendment_is_a_new_version_with_who_and_why() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let amended = BUNDLED.replace("target = 80", "target = 96");
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": amended, "reason": "IRB approved a larger sample"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let versions: Value = app.get_as(&admin, "/api/v1/protocol/versions").await.json().await.expect("json");
    let v2 = &versions[1];
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["created_by"], admin.id.as_str());
    assert_eq!(v2["reason"], "IRB approved a larger sample");
    let current: Value = app.get_as(&admin, "/api/v1/protocol").await.json().await.expect("json");
    assert_eq!(current["parsed"]["enrolment"]["target"], 96);
}

#[tokio::test]
async fn an_amendment_with_mistakes_is_refused_naming_line_and_column() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let broken = BUNDLED.replace("capacity = 10", "capacity = -10");
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": broken, "reason": "typo"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["field"], "content");
    let line = BUNDLED.lines().position(|l| l.starts_with("capacity")).expect("line") + 1;
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains(&format!("line {line}, column 12")), "{message}");
}

#[tokio::test]
async fn once_randomisation_has_started_arms_strata_and_method_are_frozen_but_targets_are_not() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    {
        let mut conn = app.db.conn();
        let ctx = Context { actor: Actor::system(), request_id: None };
        trialdesk::db::write_tx(&mut conn, |c| store::mark_randomisation_started(c, &ctx)).expect("start");
    }
    let new_ratio = BUNDLED
        .replacen("ratio = 1", "ratio = 2", 1)
        .replace("block_sizes = [2, 4, 6]", "block_sizes = [3, 6]");
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": new_ratio, "reason": "2:1"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "amendment_invalidates_allocations");
    assert!(body["error"]["message"].as_str().expect("m").contains("arms"));

    let new_level = BUNDLED.replace(r#"levels = ["yes", "no"]"#, r#"levels = ["yes", "no", "unknown"]"#).replace(
        "no = { en = \"No\", es = \"No\" }\n\n[randomisation]",
        "no = { en = \"No\", es = \"No\" }\nunknown = { en = \"Unknown\", es = \"Se desconoce\" }\n\n[randomisation]",
    );
    assert!(new_level.matches("unknown").count() >= 2, "the new level and its label");
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": new_level, "reason": "x"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // Swapping the arms' codes would relabel every allocation under blinded staff: refused, with
    // the line and column of the first code that changed.
    let swapped = BUNDLED
        .replacen("code = \"A\"", "code = \"X\"", 1)
        .replacen("code = \"B\"", "code = \"A\"", 1)
        .replacen("code = \"X\"", "code = \"B\"", 1);
    assert_ne!(swapped, BUNDLED);
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": swapped, "reason": "swap"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body: Value = resp.json().await.expect("json");
    let message = body["error"]["message"].as_str().expect("message");
    let line = BUNDLED.lines().position(|l| l.contains("code = \"A\"")).expect("a code line") + 1;
    assert!(
        message.starts_with(&format!("line {line}, column ")) && message.contains("cannot change"),
        "{message}"
    );

    let new_target = BUNDLED.replace("target = 80", "target = 90");
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": new_target, "reason": "more"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_same_text_again_or_another_study_code_is_refused() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": BUNDLED, "reason": "again"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(resp).await.0, "unchanged");
    let other = BUNDLED.replace(r#"code = "CONNECT""#, r#"code = "OTHER""#);
    let resp = app
        .send_as(&admin, Method::POST, "/api/v1/protocol/versions", json!({"content": other, "reason": "x"}))
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_blinded_reader_of_the_protocol_gets_no_block_sizes_or_arm_names() {
    let app = spawn_app().await;
    let blinded = app.user(Role::StatisticianBlinded);
    let unblinded = app.user(Role::StatisticianUnblinded);
    let seen: Value = app.get_as(&blinded, "/api/v1/protocol").await.json().await.expect("protocol");
    assert!(seen["parsed"]["randomisation"]["block_sizes"].is_null(), "{}", seen["parsed"]["randomisation"]);
    assert!(seen["parsed"]["randomisation"]["probability"].is_null());
    assert!(!seen.to_string().contains("[2,4,6]"), "{seen}");
    assert_eq!(seen["parsed"]["randomisation"]["method"], "stratified_blocks");
    assert!(seen["parsed"]["arms"][0].get("label").is_none());
    let full: Value = app.get_as(&unblinded, "/api/v1/protocol").await.json().await.expect("protocol");
    assert_eq!(full["parsed"]["randomisation"]["block_sizes"], json!([2, 4, 6]));
}

#[tokio::test]
async fn a_coordinator_who_randomises_is_not_told_the_block_sizes_and_the_admin_who_writes_the_protocol_is() {
    let app = spawn_app().await;
    let coordinator = app.user(Role::Coordinator);
    for path in ["/api/v1/protocol", "/api/v1/protocol/versions/1"] {
        let seen: Value = app.get_as(&coordinator, path).await.json().await.expect("protocol");
        let text = seen.to_string();
        assert!(
            seen["parsed"]["randomisation"]["block_sizes"].is_null() && !text.contains("block_sizes = "),
            "{path}: {text}"
        );
        assert_eq!(seen["content"], "", "{path}: the raw text holds the sizes");
        assert!(
            seen["parsed"]["arms"][0]["label"].is_string(),
            "arms stay named: coordinators form the groups"
        );
    }
    let admin = app.user(Role::Admin);
    let full: Value = app.get_as(&admin, "/api/v1/protocol").await.json().await.expect("protocol");
    assert_eq!(full["parsed"]["randomisation"]["block_sizes"], json!([2, 4, 6]));
    assert!(full["content"].as_str().is_some_and(|c| c.contains("block_sizes = [2, 4, 6]")));
}
