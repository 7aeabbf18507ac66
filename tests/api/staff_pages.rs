//! An administrator runs the trial's settings in the browser (`tests/browser/admin.mjs`): staff
//! accounts, safety contacts, the audit trail, a protocol amendment, the outbox and someone's API
//! token. What the pages did is what the API reads back, with each change in the audit trail with
//! its reason, and the one-time passwords shown once work as the service made them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;
use trialdesk::protocol::BUNDLED;

use crate::fixtures::enrolled;
use crate::helpers::{free_port, spawn_app_with, test_mail};
use crate::protocol_pages::{place_of, with_a_mistake};

#[tokio::test]
async fn an_admin_manages_accounts_contacts_the_protocol_the_outbox_and_tokens_in_the_browser() {
    // The mail server is down: the participant's welcome fails, for the admin to send again.
    let closed = free_port();
    let app = spawn_app_with(|s| s.mail = Some(test_mail(closed))).await;
    let admin = app.user(Role::Admin);
    let clinician = app.user(Role::Clinician);
    let coord = app.user(Role::Coordinator);
    let id = enrolled(&app, &coord, 1, true).await;
    let path = format!("/api/v1/participants/{id}/randomisation");
    assert_eq!(app.send_as(&coord, Method::POST, &path, json!({})).await.status(), StatusCode::CREATED);
    let participant: Value =
        app.get_as(&coord, &format!("/api/v1/participants/{id}")).await.json().await.expect("participant");
    let mut failed = Value::Null;
    for _ in 0..100 {
        let list: Vec<Value> =
            app.get_as(&admin, "/api/v1/outbox?status=failed").await.json().await.expect("outbox");
        if let Some(m) = list.into_iter().find(|m| m["kind"] == "welcome") {
            failed = m;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let message = failed["id"].as_str().expect("the welcome failed").to_owned();
    let made = app
        .send_as(
            &coord,
            Method::POST,
            "/api/v1/tokens",
            json!({"name": "Nightly export script", "valid_days": 30}),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let files = tempfile::tempdir().expect("dir");
    let (bad, good) = (files.path().join("connect-v2.toml"), files.path().join("connect-v2-fixed.toml"));
    std::fs::write(&bad, with_a_mistake()).expect("write");
    std::fs::write(&good, BUNDLED.replace("target = 80", "target = 96")).expect("write");
    // Every test account is "Test Person": the choice is typed by the start of its label.
    let config = json!({"email": admin.email, "password": admin.password,
        "clinician": clinician.id, "clinician_label": "Test Person (clinician)",
        "admin": admin.id, "admin_label": "Test Person (admin)",
        "protocol_bad": bad, "protocol_good": good, "bad_at": place_of(&with_a_mistake(), "\"gad-7\""),
        "failed_to": participant["study_id"], "coordinator": coord.id, "token_name": "Nightly export script"});
    let address = app.address.clone();
    let result =
        tokio::task::spawn_blocking(move || crate::browser::run_browser("admin.mjs", address, config))
            .await
            .expect("join");
    assert_eq!(result["ok"], true, "{result}");
    let id = result["account"].as_str().expect("id");
    let user: Value = app.get_as(&admin, &format!("/api/v1/users/{id}")).await.json().await.expect("user");
    assert_eq!(
        (user["role"].as_str(), user["disabled"].as_bool()),
        (Some("clinician"), Some(true)),
        "{user}"
    );
    assert_eq!(user["must_change_password"], true, "a reset password must be changed at the next sign-in");
    let trail: Vec<Value> = app
        .get_as(&admin, &format!("/api/v1/audit?entity=user&entity_id={id}"))
        .await
        .json()
        .await
        .expect("audit");
    let reasons: Vec<&str> = trail.iter().filter_map(|e| e["reason"].as_str()).collect();
    for reason in ["Moves to the safety team", "On leave until March", "Forgot it before the leave"] {
        assert!(reasons.contains(&reason), "{reason} is not in the trail: {trail:?}");
    }
    let contacts: Value = app.get_as(&admin, "/api/v1/safety/contacts").await.json().await.expect("contacts");
    assert_eq!(contacts["user_ids"], serde_json::json!([clinician.id, admin.id]), "{contacts}");
    // A disabled account cannot sign in with the password it was given.
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "rosa.delgado@example.org", "password": result["reset"]}))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // The amendment, the message sent again, and the token revoked.
    let protocol: Value = app.get_as(&admin, "/api/v1/protocol").await.json().await.expect("protocol");
    assert_eq!(
        (protocol["version"].as_i64(), protocol["reason"].as_str()),
        (Some(2), Some("Larger sample, IRB ref 2027-114"))
    );
    let retried: Vec<Value> = app
        .get_as(&admin, &format!("/api/v1/audit?entity=outbox_message&entity_id={message}"))
        .await
        .json()
        .await
        .expect("audit");
    assert!(
        retried.iter().any(|e| e["action"] == "retry" && e["actor_id"] == admin.id.as_str()),
        "{retried:?}"
    );
    let tokens: Vec<Value> =
        app.get_as(&admin, &format!("/api/v1/users/{}/tokens", coord.id)).await.json().await.expect("tokens");
    let nightly = tokens.iter().find(|t| t["name"] == "Nightly export script").expect("the token");
    assert!(nightly["revoked_at"].is_string(), "{nightly}");
    assert!(
        tokens.iter().any(|t| t["name"] == "tests" && t["revoked_at"].is_null()),
        "only that one: {tokens:?}"
    );
}
