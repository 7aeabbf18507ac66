//! Staff accounts and API tokens through the API, with their audit entries.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::helpers::{error_of, spawn_app};

#[tokio::test]
async fn a_role_change_needs_a_reason_and_is_audited_old_to_new() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let target = app.user(Role::StatisticianBlinded);
    let path = format!("/api/v1/users/{}", target.id);

    let resp = app.send_as(&admin, Method::PATCH, &path, json!({"role": "statistician_unblinded"})).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("reason"));
    let resp = app
        .send_as(&admin, Method::PATCH, &path, json!({"role": "statistician_unblinded", "reason": "  "}))
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("reason"));

    let resp = app
        .send_as(
            &admin,
            Method::PATCH,
            &path,
            json!({"role": "statistician_unblinded", "reason": "DSMB unblinding approved"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let entries: Value = app
        .get_as(&admin, &format!("/api/v1/audit?entity=user&entity_id={}", target.id))
        .await
        .json()
        .await
        .expect("json");
    let update =
        entries.as_array().expect("list").iter().find(|e| e["action"] == "update").expect("update entry");
    assert_eq!(update["actor_id"], admin.id.as_str());
    assert_eq!(update["actor_role"], "admin");
    assert_eq!(update["reason"], "DSMB unblinding approved");
    assert_eq!(
        update["changes"][0],
        json!({"field": "role", "old": "statistician_blinded", "new": "statistician_unblinded"})
    );
}

#[tokio::test]
async fn creating_an_account_twice_or_with_a_bad_email_or_role_is_refused() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let body = json!({"email": "dup@example.org", "display_name": "Dup", "role": "moderator"});
    assert_eq!(
        app.send_as(&admin, Method::POST, "/api/v1/users", body.clone()).await.status(),
        StatusCode::CREATED
    );
    let resp = app.send_as(&admin, Method::POST, "/api/v1/users", body).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(resp).await.0, "email_taken");

    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/users",
            json!({"email": "not-an-email", "display_name": "X", "role": "moderator"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("email"));

    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/users",
            json!({"email": "r@example.org", "display_name": "X", "role": "superuser"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("role"));
}

#[tokio::test]
async fn the_account_audit_values_never_hold_email_or_name_in_clear() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let resp = app.send_as(&admin, Method::POST, "/api/v1/users",
        json!({"email": "maria.gonzalez@example.org", "display_name": "María González", "role": "moderator"})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let csv = app.get_as(&admin, "/api/v1/audit/export").await.text().await.expect("csv");
    assert!(csv.contains(",create,user,"), "the creation is audited");
    assert!(
        !csv.contains("maria.gonzalez") && !csv.contains("González"),
        "contact data leaked into the audit trail"
    );
}

#[tokio::test]
async fn a_token_is_shown_once_listed_without_its_secret_and_stops_working_when_revoked() {
    let app = spawn_app().await;
    let user = app.user(Role::StatisticianUnblinded);
    let created: Value = app
        .send_as(&user, Method::POST, "/api/v1/tokens", json!({"name": "R script", "valid_days": 30}))
        .await
        .json()
        .await
        .expect("json");
    let secret = created["token_secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("td_"));
    let listed = app.get_as(&user, "/api/v1/tokens").await.text().await.expect("text");
    assert!(listed.contains("R script") && !listed.contains(&secret) && !listed.contains("token_hash"));

    let me = app.client.get(app.url("/api/v1/auth/me")).bearer_auth(&secret).send().await.expect("get");
    assert_eq!(me.status(), StatusCode::OK);
    let id = created["id"].as_str().expect("id");
    let resp = app.send_as(&user, Method::DELETE, &format!("/api/v1/tokens/{id}"), json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let me = app.client.get(app.url("/api/v1/auth/me")).bearer_auth(&secret).send().await.expect("get");
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn nobody_can_revoke_another_users_token() {
    let app = spawn_app().await;
    let owner = app.user(Role::Coordinator);
    let other = app.user(Role::Admin);
    let created: Value = app
        .send_as(&owner, Method::POST, "/api/v1/tokens", json!({"name": "mine"}))
        .await
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id");
    let resp = app.send_as(&other, Method::DELETE, &format!("/api/v1/tokens/{id}"), json!({})).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_lists_and_revokes_another_accounts_api_token_and_it_stops_working_at_once() {
    let app = spawn_app().await;
    let (admin, coord) = (app.user(Role::Admin), app.user(Role::Coordinator));
    let path = format!("/api/v1/users/{}/tokens", coord.id);
    let list: Vec<Value> = app.get_as(&admin, &path).await.json().await.expect("tokens");
    assert_eq!(list.len(), 1, "the test account's own token: {list:?}");
    let token = list[0]["id"].as_str().expect("id").to_owned();
    assert!(list[0].get("token_secret").is_none() && !list[0].to_string().contains(&coord.token));
    // Only administrators see or stop someone else's tokens.
    assert_eq!(app.get_as(&coord, &path).await.status(), StatusCode::FORBIDDEN);
    let other = format!("/api/v1/users/{}/tokens/{token}", admin.id);
    assert_eq!(
        app.send_as(&admin, Method::DELETE, &other, json!({})).await.status(),
        StatusCode::NOT_FOUND,
        "not the admin's"
    );
    assert_eq!(app.get_as(&admin, "/api/v1/users/no-such-user/tokens").await.status(), StatusCode::NOT_FOUND);

    let resp = app.send_as(&admin, Method::DELETE, &format!("{path}/{token}"), json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let revoked: Value = resp.json().await.expect("token");
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    assert_eq!(app.get_as(&coord, "/api/v1/auth/me").await.status(), StatusCode::UNAUTHORIZED);
    let trail: Vec<Value> = app
        .get_as(&admin, &format!("/api/v1/audit?entity=api_token&entity_id={token}"))
        .await
        .json()
        .await
        .expect("audit");
    let revoke = trail.iter().find(|e| e["action"] == "revoke").expect("audited");
    assert_eq!(revoke["actor_id"], admin.id.as_str(), "{revoke}");
}

#[tokio::test]
async fn a_password_reset_revokes_the_accounts_tokens_for_good_and_no_token_is_made_before_a_new_password() {
    let app = spawn_app().await;
    let (admin, coord) = (app.user(Role::Admin), app.user(Role::Coordinator));
    assert_eq!(app.get_as(&coord, "/api/v1/auth/me").await.status(), StatusCode::OK);
    let reset: Value = app
        .send_as(
            &admin,
            Method::POST,
            &format!("/api/v1/users/{}/password-reset", coord.id),
            json!({"reason": "Laptop stolen"}),
        )
        .await
        .json()
        .await
        .expect("reset");
    let otp = reset["one_time_password"].as_str().expect("otp").to_owned();
    // With the one-time password: no token can be made, and the old one does not work.
    let csrf = app.login(&coord.email, &otp).await;
    let resp = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"name": "made with someone else's password"}))
        .send()
        .await
        .expect("post");
    assert_eq!(error_of(resp).await.0, "password_change_required");
    let resp = app
        .client
        .post(app.url("/api/v1/auth/password"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"current_password": otp, "new_password": "my own long password"}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::OK);
    // Once the account has its own password again, the token from before the reset stays dead.
    assert_eq!(app.get_as(&coord, "/api/v1/auth/me").await.status(), StatusCode::UNAUTHORIZED);
    let tokens: Vec<Value> =
        app.get_as(&admin, &format!("/api/v1/users/{}/tokens", coord.id)).await.json().await.expect("tokens");
    assert!(tokens.iter().all(|t| t["revoked_at"].is_string()), "{tokens:?}");
    let trail: Vec<Value> = app
        .get_as(
            &admin,
            &format!("/api/v1/audit?entity=api_token&entity_id={}", tokens[0]["id"].as_str().expect("id")),
        )
        .await
        .json()
        .await
        .expect("audit");
    assert!(
        trail.iter().any(|e| e["action"] == "revoke" && e["reason"] == "the account's password was reset"),
        "{trail:?}"
    );
}

#[tokio::test]
async fn a_token_made_without_a_lifetime_expires_in_ninety_days() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let made: Value = app
        .send_as(&coord, Method::POST, "/api/v1/tokens", json!({"name": "report script"}))
        .await
        .json()
        .await
        .expect("token");
    let at = |field: &str| {
        chrono::NaiveDateTime::parse_from_str(made[field].as_str().expect("time"), "%Y-%m-%dT%H:%M:%S%.fZ")
            .expect("time")
    };
    assert_eq!((at("expires_at") - at("created_at")).num_days(), 90, "{made}");
}

#[tokio::test]
async fn guessing_the_current_password_through_a_session_is_throttled_like_sign_in() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let csrf = app.login(&coord.email, &coord.password).await;
    let mut statuses = Vec::new();
    for n in 0..6 {
        let resp = app
            .client
            .post(app.url("/api/v1/auth/password"))
            .header("X-CSRF-Token", &csrf)
            .json(&json!({"current_password": format!("guess number {n}"), "new_password": "a new long password"}))
            .send()
            .await
            .expect("post");
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [422, 422, 422, 422, 422, 429], "five guesses a minute, then 429");
}
