//! An administrator manages staff accounts in the browser (`tests/browser/admin.mjs`): what the
//! pages did is what the API reads back, with each change in the audit trail with its reason, and
//! the one-time passwords shown once work as the service made them.

use serde_json::Value;
use trialdesk::auth::Role;

use crate::helpers::spawn_app;

#[tokio::test]
async fn an_admin_manages_an_account_and_orders_the_safety_contacts_in_the_browser() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let clinician = app.user(Role::Clinician);
    // Every test account is "Test Person": the choice is typed by the start of its label.
    let config = serde_json::json!({"email": admin.email, "password": admin.password,
        "clinician": clinician.id, "clinician_label": "Test Person (clinician)",
        "admin": admin.id, "admin_label": "Test Person (admin)"});
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
    assert_eq!(resp.status(), reqwest::StatusCode::UNAUTHORIZED);
}
