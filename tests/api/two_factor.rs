//! Two-step sign-in (issue 17, finding 6): set-up with an authenticator app's code, sign-in with a
//! fresh code or a recovery code, roles that must use it, an admin's audited reset, and turning it
//! off. Codes come from a TOTP generator fed the secret the server handed out, as an app would.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};
use trialdesk::auth::Role;

use crate::helpers::{TestApp, TestUser, error_of, spawn_app_with};

/// The code an authenticator app holding `secret` shows at `unix` seconds.
fn code_at(secret: &str, unix: u64) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().expect("base32 secret");
    TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, bytes, None, String::new()).generate(unix)
}

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970")
}

/// Sets two-step sign-in up for `user` through the API; returns the secret, the time its
/// confirming code was made for, and the recovery codes.
async fn set_up(app: &TestApp, user: &TestUser) -> (String, u64, Vec<String>) {
    let resp = app.send_as(user, Method::POST, "/api/v1/auth/two-factor", json!({})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let setup: Value = resp.json().await.expect("setup");
    let secret = setup["secret"].as_str().expect("secret").to_owned();
    // The address an app scans carries the same secret, for this account.
    let uri = setup["otpauth_uri"].as_str().expect("uri");
    let scanned = TOTP::from_url(uri).expect("an otpauth address an app can read");
    assert_eq!(scanned.get_secret_base32(), secret);
    assert_eq!(scanned.account_name, user.email);
    let at = now();
    let resp = app
        .send_as(user, Method::POST, "/api/v1/auth/two-factor/confirm", json!({"code": code_at(&secret, at)}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("codes");
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").into())
        .collect();
    (secret, at, codes)
}

async fn login(app: &TestApp, user: &TestUser, code: Option<&str>) -> reqwest::Response {
    let mut body = json!({"email": user.email, "password": user.password});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    app.client.post(app.url("/api/v1/auth/login")).json(&body).send().await.expect("login")
}

#[tokio::test]
async fn a_role_that_needs_two_steps_can_do_nothing_but_set_them_up() {
    let app = spawn_app_with(|s| s.two_factor_roles = vec![Role::Admin, Role::Clinician]).await;
    let admin = app.user(Role::Admin);
    let resp = app.get_as(&admin, "/api/v1/users").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(resp).await.0, "two_factor_required");
    let resp = app.send_as(&admin, Method::POST, "/api/v1/tokens", json!({"name": "script"})).await;
    assert_eq!(error_of(resp).await.0, "two_factor_required", "no lasting token without the second step");
    let me: Value = app.get_as(&admin, "/api/v1/auth/me").await.json().await.expect("me");
    assert_eq!(me["user"]["two_factor"], false);

    // A moderator's role is not listed: nothing changes for them.
    let moderator = app.user(Role::Moderator);
    assert_eq!(app.get_as(&moderator, "/api/v1/groups").await.status(), StatusCode::OK);

    let resp =
        app.send_as(&admin, Method::POST, "/api/v1/auth/two-factor/confirm", json!({"code": "123456"})).await;
    assert_eq!(error_of(resp).await.0, "two_factor_not_started");
    let setup: Value = app
        .send_as(&admin, Method::POST, "/api/v1/auth/two-factor", json!({}))
        .await
        .json()
        .await
        .expect("setup");
    let secret = setup["secret"].as_str().expect("secret");
    let wrong = if code_at(secret, now()) == "000000" { "111111" } else { "000000" };
    let resp =
        app.send_as(&admin, Method::POST, "/api/v1/auth/two-factor/confirm", json!({"code": wrong})).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("code"));
    assert_eq!(app.get_as(&admin, "/api/v1/users").await.status(), StatusCode::FORBIDDEN, "still not on");

    let code = code_at(secret, now());
    let resp =
        app.send_as(&admin, Method::POST, "/api/v1/auth/two-factor/confirm", json!({"code": code})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("codes");
    let codes = body["recovery_codes"].as_array().expect("codes");
    assert_eq!(codes.len(), 10);
    assert_eq!(app.get_as(&admin, "/api/v1/users").await.status(), StatusCode::OK);
    let resp = app.send_as(&admin, Method::POST, "/api/v1/auth/two-factor", json!({})).await;
    assert_eq!(error_of(resp).await.0, "two_factor_enabled", "a second set-up would replace the app unseen");
    let me: Value = app.get_as(&admin, "/api/v1/auth/me").await.json().await.expect("me");
    assert_eq!(me["user"]["two_factor"], true);
}

#[tokio::test]
async fn signing_in_takes_a_fresh_code_or_an_unused_recovery_code() {
    // More sign-ins a minute than the default five: this test signs in again and again on purpose.
    let app = spawn_app_with(|s| {
        s.two_factor_roles = vec![Role::Clinician];
        s.login_attempts_per_minute = 20;
    })
    .await;
    let clinician = app.user(Role::Clinician);
    let (secret, at, codes) = set_up(&app, &clinician).await;

    let resp = login(&app, &clinician, None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(resp).await.0, "two_factor_code_required");
    // The code that confirmed set-up was used: seen over a shoulder or replayed, it opens nothing.
    let resp = login(&app, &clinician, Some(&code_at(&secret, at))).await;
    assert_eq!(error_of(resp).await.0, "invalid_code");
    // A wrong password with a right code is still a wrong password.
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": clinician.email, "password": "not the password at all", "code": code_at(&secret, at + 30)}))
        .send()
        .await
        .expect("login");
    assert_eq!(error_of(resp).await.0, "invalid_credentials");

    // The next step's code works (a phone a little ahead), once.
    let next = code_at(&secret, at + 30);
    let resp = login(&app, &clinician, Some(&next)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("session");
    assert_eq!(body["user"]["two_factor"], true);
    assert_eq!(error_of(login(&app, &clinician, Some(&next)).await).await.0, "invalid_code");

    // A recovery code, typed loosely, signs in once.
    let loose = codes[0].to_uppercase().replace('-', " ");
    assert_eq!(login(&app, &clinician, Some(&loose)).await.status(), StatusCode::OK);
    assert_eq!(error_of(login(&app, &clinician, Some(&codes[0])).await).await.0, "invalid_code");
    let trail: Vec<Value> = app
        .get_as(&app.user(Role::Admin), &format!("/api/v1/audit?entity=user&entity_id={}", clinician.id))
        .await
        .json()
        .await
        .expect("trail");
    let actions: Vec<&str> = trail.iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["two_factor_setup", "two_factor_enable", "login"] {
        assert!(actions.contains(&action), "{action} is not in the trail: {actions:?}");
    }
    assert!(
        trail.iter().any(|e| e["reason"].as_str() == Some("signed in with a recovery code; 9 left")),
        "the recovery sign-in says so: {trail:?}"
    );

    // New codes need the password, and replace the old ones.
    let resp = app
        .send_as(
            &clinician,
            Method::POST,
            "/api/v1/auth/two-factor/recovery-codes",
            json!({"current_password": "wrong"}),
        )
        .await;
    assert_eq!(error_of(resp).await.1.as_deref(), Some("current_password"));
    let resp = app
        .send_as(
            &clinician,
            Method::POST,
            "/api/v1/auth/two-factor/recovery-codes",
            json!({"current_password": clinician.password}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(error_of(login(&app, &clinician, Some(&codes[1])).await).await.0, "invalid_code");
}

#[tokio::test]
async fn an_admins_reset_is_audited_ends_the_sessions_and_asks_for_set_up_again() {
    let app = spawn_app_with(|s| s.two_factor_roles = vec![Role::Coordinator]).await;
    let (admin, coordinator) = (app.user(Role::Admin), app.user(Role::Coordinator));
    let (secret, at, _) = set_up(&app, &coordinator).await;
    let resp = login(&app, &coordinator, Some(&code_at(&secret, at + 30))).await;
    let csrf = resp.json::<Value>().await.expect("session")["csrf_token"].as_str().expect("csrf").to_owned();
    assert_eq!(app.client.get(app.url("/api/v1/auth/me")).send().await.expect("me").status(), StatusCode::OK);
    // A calendar address, made while two-step sign-in was on.
    let feed = app.new_calendar_address(&csrf).await;
    assert_eq!(reqwest::get(&feed).await.expect("feed").status(), StatusCode::OK);

    // Nobody resets their own with a reason alone: that takes the password.
    let own = format!("/api/v1/users/{}/two-factor/reset", admin.id);
    let resp = app.send_as(&admin, Method::POST, &own, json!({"reason": "mine"})).await;
    assert_eq!(error_of(resp).await.0, "own_two_factor");

    let path = format!("/api/v1/users/{}/two-factor/reset", coordinator.id);
    let resp = app.send_as(&coordinator, Method::POST, &path, json!({"reason": "lost my phone"})).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "nobody resets their own second step");
    let resp = app.send_as(&admin, Method::POST, &path, json!({"reason": " "})).await;
    assert_eq!(error_of(resp).await.1.as_deref(), Some("reason"));
    let resp = app
        .send_as(&admin, Method::POST, "/api/v1/users/nobody/two-factor/reset", json!({"reason": "x"}))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = app
        .send_as(&admin, Method::POST, &path, json!({"reason": "Phone stolen; codes were in the bag"}))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = app.send_as(&admin, Method::POST, &path, json!({"reason": "again"})).await;
    assert_eq!(error_of(resp).await.0, "two_factor_off");

    // The signed-in browser is signed out; the password alone signs in, to set up again only.
    assert_eq!(
        app.client.get(app.url("/api/v1/auth/me")).send().await.expect("me").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(&app, &coordinator, None).await.status(), StatusCode::OK);
    let resp = app.client.get(app.url("/api/v1/participants")).send().await.expect("list");
    assert_eq!(error_of(resp).await.0, "two_factor_required");
    // Its calendar address reaches nothing either until it sets up again.
    assert_eq!(reqwest::get(&feed).await.expect("feed").status(), StatusCode::NOT_FOUND);
    let user: Value =
        app.get_as(&admin, &format!("/api/v1/users/{}", coordinator.id)).await.json().await.expect("user");
    assert_eq!(user["two_factor"], false);
    let trail: Vec<Value> = app
        .get_as(&admin, &format!("/api/v1/audit?entity=user&entity_id={}", coordinator.id))
        .await
        .json()
        .await
        .expect("trail");
    let reset = trail.iter().find(|e| e["action"] == "two_factor_reset").expect("the reset is in the trail");
    assert_eq!(reset["reason"], "Phone stolen; codes were in the bag");
    assert_eq!(reset["actor_id"].as_str(), Some(admin.id.as_str()), "{reset}");
}

#[tokio::test]
async fn turning_two_steps_off_takes_the_password_and_then_the_password_alone_signs_in() {
    let app = spawn_app_with(|s| s.two_factor_roles = Vec::new()).await;
    let moderator = app.user(Role::Moderator);
    // A session begun with the password alone ends when two-step sign-in is turned on.
    app.login(&moderator.email, &moderator.password).await;
    let (_, _, _) = set_up(&app, &moderator).await;
    let me = app.client.get(app.url("/api/v1/auth/me")).send().await.expect("me");
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "the earlier session outlived the second factor");
    assert_eq!(error_of(login(&app, &moderator, None).await).await.0, "two_factor_code_required");
    let path = "/api/v1/auth/two-factor/disable";
    let resp = app.send_as(&moderator, Method::POST, path, json!({"current_password": "not it"})).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp =
        app.send_as(&moderator, Method::POST, path, json!({"current_password": moderator.password})).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(login(&app, &moderator, None).await.status(), StatusCode::OK);
    let resp =
        app.send_as(&moderator, Method::POST, path, json!({"current_password": moderator.password})).await;
    assert_eq!(error_of(resp).await.0, "two_factor_off");
}

#[tokio::test]
async fn a_coordinator_sets_up_two_steps_in_the_browser_and_signs_in_with_a_code_by_keyboard() {
    let app = spawn_app_with(|s| s.two_factor_roles = vec![Role::Coordinator]).await;
    let (admin, coordinator) = (app.user(Role::Admin), app.user(Role::Coordinator));
    let (address, config) =
        (app.address.clone(), json!({"email": coordinator.email, "password": coordinator.password}));
    let result =
        tokio::task::spawn_blocking(move || crate::browser::run_browser("two_factor.mjs", address, config))
            .await
            .expect("join");
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["recovery_codes"], 10);
    let user: Value =
        app.get_as(&admin, &format!("/api/v1/users/{}", coordinator.id)).await.json().await.expect("user");
    assert_eq!(user["two_factor"], true, "the page turned it on: {user}");
    let trail: Vec<Value> = app
        .get_as(&admin, &format!("/api/v1/audit?entity=user&entity_id={}", coordinator.id))
        .await
        .json()
        .await
        .expect("trail");
    let failed = trail.iter().filter(|e| e["action"] == "login_failed_code").count();
    assert_eq!(failed, 1, "the used code is in the trail as a failed second step: {trail:?}");
    // The secret the page showed is never in the trail.
    let secret = result["secret"].as_str().expect("secret").replace(' ', "");
    assert!(!serde_json::to_string(&trail).expect("json").contains(&secret));
}

#[tokio::test]
async fn an_admin_resets_someones_two_steps_from_their_staff_page_with_a_reason() {
    let app = spawn_app_with(|s| s.two_factor_roles = Vec::new()).await;
    let (admin, clinician) = (app.user(Role::Admin), app.user(Role::Clinician));
    let _ = set_up(&app, &clinician).await;
    let csrf = app.login(&admin.email, &admin.password).await;
    let page = app.client.get(app.url(&format!("/staff/{}", clinician.id))).send().await.expect("page");
    let html = page.text().await.expect("html");
    assert!(html.contains("Reset two-step sign-in for"), "the page offers the reset");
    let url = app.url(&format!("/staff/{}/two-factor", clinician.id));
    let reset = |reason: &'static str| {
        app.client.post(&url).form(&[("csrf_token", csrf.as_str()), ("reason", reason)]).send()
    };
    let resp = reset("").await.expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "no reason, no reset");
    let resp = reset("New phone; old one wiped").await.expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let user: Value =
        app.get_as(&admin, &format!("/api/v1/users/{}", clinician.id)).await.json().await.expect("user");
    assert_eq!(user["two_factor"], false);
    let page = app
        .client
        .get(app.url(&format!("/staff/{}?done=two-factor", clinician.id)))
        .send()
        .await
        .expect("page");
    assert!(page.text().await.expect("html").contains("Two-step sign-in is reset"));
}
