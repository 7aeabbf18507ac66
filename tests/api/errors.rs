//! Bad input gets a clear JSON error naming the field; the server stays healthy.

use reqwest::StatusCode;
use serde_json::Value;
use trialdesk::auth::Role;

use crate::helpers::{error_of, spawn_app};

#[tokio::test]
async fn health_reports_a_reachable_database() {
    let app = spawn_app().await;
    let body: Value =
        app.client.get(app.url("/healthz")).send().await.expect("get").json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "reachable");
}

#[tokio::test]
async fn malformed_json_names_the_field_and_wrong_content_type_is_explained() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let resp = app
        .client
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body(r#"{"name": "x", "valid_days": "ten"}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("valid_days"));

    let resp = app
        .client
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&admin.token)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.expect("json");
    assert!(body["error"]["message"].as_str().expect("m").contains("application/json"));

    let resp = app
        .client
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body(r#"{"name": "x", "colour": "red"}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("colour"));
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let huge = format!(r#"{{"content": "{}", "reason": "x"}}"#, "a".repeat(600 * 1024));
    let resp = app
        .client
        .post(app.url("/api/v1/protocol/versions"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_of(resp).await.0, "payload_too_large");
}

#[tokio::test]
async fn unknown_routes_get_a_json_404_and_responses_carry_security_headers() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/api/v1/nothing-here")).send().await.expect("get");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let headers = resp.headers().clone();
    assert_eq!(error_of(resp).await.0, "not_found");
    assert!(headers["content-security-policy"].to_str().expect("csp").contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn the_openapi_document_is_openapi_3_and_the_docs_page_is_served() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    assert_eq!(doc["info"]["title"], "trialdesk API");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let page = app.client.get(app.url("/api/docs/")).send().await.expect("get");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("swagger"));
}

#[tokio::test]
async fn a_method_a_path_does_not_take_gets_405_with_the_methods_it_does() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let resp = app.send_as(&admin, reqwest::Method::DELETE, "/api/v1/protocol", serde_json::json!({})).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "GET");
    assert_eq!(error_of(resp).await.0, "method_not_allowed");
    let resp =
        app.send_as(&admin, reqwest::Method::PUT, "/api/v1/users/some-id", serde_json::json!({})).await;
    assert_eq!(resp.headers()["allow"], "GET, PATCH", "a parameter matches any id");
    // A literal route's path is its own, though a parameter (`/groups/{id}`) would match it too.
    let resp = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/groups/queue"))
        .send()
        .await
        .expect("options");
    assert_eq!(resp.headers()["allow"], "GET", "the queue takes GET only; PATCH is a group's");
    let resp = app.client.delete(app.url("/calendar/abc.ics")).send().await.expect("delete");
    assert_eq!(
        (resp.status(), resp.headers()["allow"].to_str().ok()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("GET"))
    );
    // A path that does not exist with any method is still a 404.
    let resp =
        app.send_as(&admin, reqwest::Method::DELETE, "/api/v1/no-such-thing", serde_json::json!({})).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_answer_carries_the_request_id_it_was_logged_under() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/api/v1/no-such-thing")).send().await.expect("get");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let id =
        resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).expect("an X-Request-Id header");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let other = app.client.get(app.url("/healthz")).send().await.expect("get");
    assert_ne!(
        other.headers().get("x-request-id").and_then(|v| v.to_str().ok()),
        Some(id),
        "one id per request"
    );
}

#[tokio::test]
async fn the_nul_character_is_refused_with_400_in_a_body_an_address_or_a_form_on_both_backends() {
    let app = spawn_app().await;
    let coordinator = app.user(Role::Coordinator);
    // PostgreSQL cannot store NUL in text: without the check these were 500s there.
    let body = serde_json::json!({"referral_source": "clinic\u{0}", "answers": {"age": 44}});
    let resp = app.send_as(&coordinator, reqwest::Method::POST, "/api/v1/screenings", body).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let (code, field) = error_of(resp).await;
    assert_eq!((code.as_str(), field.as_deref()), ("bad_request", Some("referral_source")));
    for path in ["/api/v1/participants/ab%00c", "/api/v1/assessments?status=open%00"] {
        let resp = app.get_as(&coordinator, path).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    let resp = app
        .client
        .post(app.url("/login"))
        .form(&[("email", "a\u{0}@example.org"), ("password", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "a page's form");
    // Nothing was written.
    let log: Vec<Value> =
        app.get_as(&coordinator, "/api/v1/screenings").await.json().await.expect("screenings");
    assert!(log.is_empty(), "{log:?}");
}
