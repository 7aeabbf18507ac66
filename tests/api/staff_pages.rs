//! An administrator manages staff accounts in the browser (`tests/browser/admin.mjs`): what the
//! pages did is what the API reads back, with each change in the audit trail with its reason, and
//! the one-time passwords shown once work as the service made them.

use serde_json::Value;
use trialdesk::auth::Role;

use crate::helpers::spawn_app;

#[tokio::test]
async fn an_admin_makes_an_account_changes_its_role_disables_it_and_resets_its_password_in_the_browser() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let config = serde_json::json!({"email": admin.email, "password": admin.password});
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
