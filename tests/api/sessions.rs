//! Sign-in, sessions, CSRF, throttling and expiry.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::helpers::{error_of, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_one_time_password_must_be_changed_before_anything_else() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let created: Value = app.send_as(&admin, reqwest::Method::POST, "/api/v1/users",
        json!({"email": "New.Coordinator@Example.org", "display_name": "New Coordinator", "role": "coordinator"}))
        .await.json().await.expect("json");
    let otp = created["one_time_password"].as_str().expect("otp").to_owned();
    assert_eq!(created["user"]["email"], "new.coordinator@example.org");

    let csrf = app.login("new.coordinator@example.org", &otp).await;
    let resp = app.client.get(app.url("/api/v1/protocol")).send().await.expect("get");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
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
    let resp = app.client.get(app.url("/api/v1/protocol")).send().await.expect("get");
    assert_eq!(resp.status(), StatusCode::OK, "the renewed session works after the change");
}

#[tokio::test]
async fn a_wrong_password_gets_401_and_the_sixth_attempt_in_a_minute_gets_429() {
    let app = spawn_app().await;
    let user = app.user(Role::Coordinator);
    for _ in 0..5 {
        let resp = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": user.email, "password": "wrong password!!"}))
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_of(resp).await.0, "invalid_credentials");
    }
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(resp.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn cookie_writes_without_the_csrf_token_or_from_another_site_are_refused() {
    let app = spawn_app().await;
    let user = app.user(Role::Admin);
    let csrf = app.login(&user.email, &user.password).await;
    let body = json!({"name": "script"});

    let resp = app.client.post(app.url("/api/v1/tokens")).json(&body).send().await.expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(resp).await.0, "csrf");

    let resp = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("X-CSRF-Token", &csrf)
        .header("Origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(resp).await.0, "cross_site");
    // The host a forwarding header names counts only behind a proxy we were told to trust.
    let resp = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("X-CSRF-Token", &csrf)
        .header("Origin", "https://evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .header("Forwarded", "host=evil.example")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(error_of(resp).await.0, "cross_site");

    // `Origin: null` (a sandboxed frame, a data: page) is another site unless the browser says
    // the request is same-origin, as Chromium does for our own forms under no-referrer.
    for (fetch_site, expected) in [(None, StatusCode::FORBIDDEN), (Some("same-origin"), StatusCode::CREATED)]
    {
        let mut req =
            app.client.post(app.url("/api/v1/tokens")).header("X-CSRF-Token", &csrf).header("Origin", "null");
        if let Some(site) = fetch_site {
            req = req.header("Sec-Fetch-Site", site);
        }
        let resp = req.json(&body).send().await.expect("post");
        assert_eq!(resp.status(), expected, "Origin: null with Sec-Fetch-Site {fetch_site:?}");
    }

    let resp = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("X-CSRF-Token", &csrf)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_cookie_write_to_a_percent_encoded_api_path_still_needs_the_csrf_token() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let id = crate::fixtures::enrolled(&app, &coord, 1, true).await;
    let csrf = app.login(&coord.email, &coord.password).await;
    // `%61` is `a`: the router decodes it and matches the randomisation route.
    for path in [
        format!("/%61pi/v1/participants/{id}/randomisation"),
        format!("/api/v1/participants/{id}/randomisation"),
    ] {
        let resp = app.client.post(app.url(&path)).json(&json!({})).send().await.expect("post");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(error_of(resp).await.0, "csrf", "{path}");
    }
    let seen: Value =
        app.get_as(&coord, &format!("/api/v1/participants/{id}")).await.json().await.expect("json");
    assert_eq!(seen["status"], "consented", "nothing was randomised");
    let path = format!("/%61pi/v1/participants/{id}/randomisation");
    let resp = app
        .client
        .post(app.url(&path))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::CREATED, "with the token it works, whatever the spelling");
}

#[tokio::test]
async fn behind_a_proxy_the_address_limit_counts_the_address_the_proxy_appended_not_what_the_client_wrote() {
    // One attempt a minute per account, so four per address; every attempt names another
    // account, so only the per-address limit can stop the fifth.
    let app = spawn_app_with(|s| {
        s.trust_proxy_headers = true;
        s.login_attempts_per_minute = 1;
    })
    .await;
    let attempt = |n: usize, headers: Vec<(&'static str, String)>| {
        let mut req = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": format!("nobody{n}@example.org"), "password": "wrong password!!"}));
        for (name, value) in headers {
            req = req.header(name, value);
        }
        req.send()
    };
    // The client varies what it writes on the left and in `Forwarded`; the proxy appends the same
    // address each time.
    for n in 0..4 {
        let headers = vec![
            ("X-Forwarded-For", format!("203.0.113.{n}, 198.51.100.7")),
            ("Forwarded", format!("for=192.0.2.{n}")),
        ];
        assert_eq!(attempt(n, headers).await.expect("post").status(), StatusCode::UNAUTHORIZED);
    }
    let headers = vec![("X-Forwarded-For", "203.0.113.99, 198.51.100.7".to_owned())];
    assert_eq!(attempt(4, headers).await.expect("post").status(), StatusCode::TOO_MANY_REQUESTS);

    // An address that does not parse falls back to the peer's, which is then limited too.
    for n in 10..14 {
        let headers = vec![("X-Forwarded-For", format!("not-an-address-{n}"))];
        assert_eq!(attempt(n, headers).await.expect("post").status(), StatusCode::UNAUTHORIZED);
    }
    let headers = vec![("X-Forwarded-For", "still-not-one".to_owned())];
    assert_eq!(attempt(15, headers).await.expect("post").status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure_and_host_only_and_browsers_are_told_to_stay_on_https() {
    async fn login(app: &crate::helpers::TestApp) -> reqwest::Response {
        let user = app.user(Role::Coordinator);
        let body = json!({"email": user.email, "password": user.password});
        let resp = app.client.post(app.url("/api/v1/auth/login")).json(&body).send().await.expect("login");
        assert_eq!(resp.status(), StatusCode::OK);
        resp
    }
    let cookies = |resp: &reqwest::Response| -> Vec<String> {
        resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().expect("ascii").to_owned()).collect()
    };
    let https = spawn_app_with(|s| s.public_url = "https://study.example.org".into()).await;
    let resp = login(&https).await;
    let all = cookies(&resp);
    let session =
        all.iter().find(|c| c.starts_with("__Host-trialdesk_session=")).expect("the __Host- cookie");
    assert!(
        session.contains("Secure") && session.contains("Path=/") && !session.contains("Domain"),
        "{session}"
    );
    assert_eq!(
        resp.headers().get("strict-transport-security").map(|v| v.as_bytes()),
        Some(&b"max-age=31536000"[..])
    );

    // Plain HTTP (a developer's machine): the plain name, and no promise about HTTPS.
    let http = spawn_app().await;
    let resp = login(&http).await;
    assert!(cookies(&resp).iter().any(|c| c.starts_with("trialdesk_session=") && !c.contains("Secure")));
    assert!(resp.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = spawn_app_with(|s| s.session_idle = Duration::from_secs(1)).await;
    let user = app.user(Role::Moderator);
    app.login(&user.email, &user.password).await;
    assert_eq!(
        app.client.get(app.url("/api/v1/auth/me")).send().await.expect("get").status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        app.client.get(app.url("/api/v1/auth/me")).send().await.expect("get").status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_and_tokens() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let target = app.user(Role::Coordinator);
    app.login(&target.email, &target.password).await;
    assert_eq!(
        app.client.get(app.url("/api/v1/auth/me")).send().await.expect("get").status(),
        StatusCode::OK
    );

    let resp = app
        .send_as(
            &admin,
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{}", target.id),
            json!({"disabled": true, "reason": "left the study team"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    assert_eq!(
        app.client.get(app.url("/api/v1/auth/me")).send().await.expect("get").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get_as(&target, "/api/v1/auth/me").await.status(), StatusCode::UNAUTHORIZED);
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": target.email, "password": target.password}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_sign_in_page_leads_to_the_study_overview() {
    let app = spawn_app().await;
    let user = app.user(Role::StatisticianBlinded);
    let resp = app.client.get(app.url("/")).send().await.expect("get");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = app
        .client
        .post(app.url("/login"))
        .form(&[("email", user.email.as_str()), ("password", user.password.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/");
    let page = app.client.get(app.url("/")).send().await.expect("get").text().await.expect("text");
    assert!(page.contains("CONNECT") && page.contains("Arm A"), "blinded roles see arm codes");
    assert!(!page.contains("Moderated online support groups"), "blinded roles never see arm labels");
}

#[tokio::test]
async fn a_role_change_ends_the_accounts_sessions() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let target = app.user(Role::StatisticianBlinded);
    app.login(&target.email, &target.password).await;
    assert_eq!(
        app.client.get(app.url("/api/v1/auth/me")).send().await.expect("get").status(),
        StatusCode::OK
    );
    let resp = app
        .send_as(
            &admin,
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{}", target.id),
            json!({"role": "statistician_unblinded", "reason": "unblinded for the final analysis"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        app.client.get(app.url("/api/v1/auth/me")).send().await.expect("get").status(),
        StatusCode::UNAUTHORIZED,
        "a session must not keep the old role"
    );
}

#[tokio::test]
async fn signing_out_makes_a_copied_session_cookie_useless() {
    let app = spawn_app().await;
    let user = app.user(Role::Coordinator);
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .expect("login");
    let cookie =
        resp.cookies().find(|c| c.name() == "trialdesk_session").expect("session cookie").value().to_owned();
    let csrf = resp.json::<Value>().await.expect("json")["csrf_token"].as_str().expect("csrf").to_owned();
    let copy = reqwest::Client::new();
    let me = |c: &reqwest::Client| {
        c.get(app.url("/api/v1/auth/me")).header("Cookie", format!("trialdesk_session={cookie}")).send()
    };
    assert_eq!(me(&copy).await.expect("get").status(), StatusCode::OK);
    let out = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("X-CSRF-Token", csrf)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&copy).await.expect("get").status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn failing_to_sign_in_as_the_on_call_clinician_from_elsewhere_does_not_lock_them_out() {
    let app = spawn_app_with(|s| s.trust_proxy_headers = true).await;
    let clinician = app.user(Role::Clinician);
    let attempt = |password: &str, from: &str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", from.to_owned())
            .json(&json!({"email": clinician.email, "password": password}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("wrong password!!", "203.0.113.9").await.expect("post").status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let refused = attempt("wrong password!!", "203.0.113.9").await.expect("post");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "the guesser is stopped");
    let resp = attempt(&clinician.password, "198.51.100.7").await.expect("post");
    assert_eq!(resp.status(), StatusCode::OK, "the clinician, elsewhere, still signs in");
}

#[tokio::test]
async fn a_failed_sign_in_is_audited_after_the_answer_which_is_the_same_for_known_and_unknown_emails() {
    let app = spawn_app().await;
    let (admin, coord) = (app.user(Role::Admin), app.user(Role::Coordinator));
    let mut answers = Vec::new();
    for email in [coord.email.as_str(), "nobody@example.org"] {
        let resp = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": "wrong password!!"}))
            .send()
            .await
            .expect("post");
        answers.push((resp.status(), resp.text().await.expect("body")));
    }
    assert_eq!(answers[0], answers[1], "the answer does not say which e-mail has an account");
    let path = format!("/api/v1/audit?entity=user&entity_id={}", coord.id);
    let mut recorded = false;
    for _ in 0..50 {
        let trail: Vec<Value> = app.get_as(&admin, &path).await.json().await.expect("audit");
        if trail.iter().any(|e| e["action"] == "login_failed") {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(recorded, "the failed sign-in is in the audit trail");
}

#[tokio::test]
async fn a_one_time_password_stops_signing_in_once_its_hours_are_up_and_a_new_reset_works() {
    let app = spawn_app_with(|s| s.one_time_password_valid = chrono::Duration::milliseconds(800)).await;
    let admin = app.user(Role::Admin);
    let created: Value = app
        .send_as(
            &admin,
            reqwest::Method::POST,
            "/api/v1/users",
            json!({"email": "late@example.org", "display_name": "Late Starter", "role": "moderator"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let otp = created["one_time_password"].as_str().expect("otp").to_owned();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let login = |password: String| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": "late@example.org", "password": password}))
            .send()
    };
    let resp = login(otp).await.expect("post");
    assert_eq!(
        error_of(resp).await.0,
        "invalid_credentials",
        "an expired one-time password answers as a wrong one"
    );
    // The admin issues another, which works while it is fresh.
    let id = created["user"]["id"].as_str().expect("id");
    let reset: Value = app
        .send_as(
            &admin,
            reqwest::Method::POST,
            &format!("/api/v1/users/{id}/password-reset"),
            json!({"reason": "The first one expired"}),
        )
        .await
        .json()
        .await
        .expect("reset");
    let resp = login(reset["one_time_password"].as_str().expect("otp").to_owned()).await.expect("post");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_new_session_key_ends_every_cookie_session_and_leaves_api_tokens_working() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    app.login(&coord.email, &coord.password).await;
    assert_eq!(app.client.get(app.url("/api/v1/auth/me")).send().await.expect("me").status(), StatusCode::OK);
    // The same database and the same secret, with the session key replaced (after a leak).
    let settings = crate::helpers::test_settings(&app.db)
        .with_session_key("a new session key after a leaked cookie: 0123456789".into());
    assert!(settings.session_key_file.is_none(), "the key is given inline here");
    let rotated = trialdesk::startup::Application::build(settings).await.expect("server");
    let port = rotated.port();
    tokio::spawn(rotated.run_until_stopped());
    let resp = app.client.get(format!("http://127.0.0.1:{port}/api/v1/auth/me")).send().await.expect("me");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "the old cookie no longer signs in");
    // Bearer tokens are not cookies: they keep working.
    let resp = app
        .client
        .get(format!("http://127.0.0.1:{port}/api/v1/auth/me"))
        .bearer_auth(&coord.token)
        .send()
        .await
        .expect("me");
    assert_eq!(resp.status(), StatusCode::OK);
    // The session key sits beside the secret key file, not in the working directory.
    assert!(app.db.dir.path().join("trialdesk-session.key").exists());
}
