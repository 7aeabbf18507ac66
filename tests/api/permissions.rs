//! Walks the permission matrix: every endpoint × every role (and anonymous) against the server.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use trialdesk::auth::Role;
use trialdesk::auth::permissions::{Access, ENDPOINTS, Endpoint, markdown_table};

use crate::helpers::{TestApp, TestUser, spawn_app};

/// Fills path parameters with values that exist or are harmless to miss.
fn concrete(path: &str) -> String {
    path.replace("{id}", "00000000-0000-7000-8000-000000000000")
        .replace("{version}", "1")
        .replace("{token}", "not-a-token")
        .replace("{secret}", "not-a-secret")
        .replace("{member}", "CON-9999")
        .replace("{what}", "disable")
        .replace("{assessment}", "00000000-0000-7000-8000-000000000000")
        .replace("{n}", "1")
        .replace("{step}", "acknowledge")
        .replace("{file}", "codebook.csv")
        .replace("{code}", "no-such-site")
        .replace("{need}", "overdue")
        .replace("{aid}", "00000000-0000-7000-8000-000000000000")
}

async fn call(app: &TestApp, e: &Endpoint, who: Option<&TestUser>) -> reqwest::Response {
    let method = Method::from_bytes(e.method.as_bytes()).expect("method");
    let mut req = app.client.request(method.clone(), app.url(&concrete(e.path)));
    if let Some(user) = who {
        req = req.bearer_auth(&user.token);
    }
    if method != Method::GET {
        req = if e.page {
            req.form(&[
                ("csrf_token", "x"),
                ("email", "nobody@example.org"),
                ("password", "x"),
                ("current_password", "x"),
                ("new_password", "y"),
                ("language", "en"),
            ])
        } else {
            req.json(&serde_json::json!({}))
        };
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn every_role_gets_exactly_the_access_the_matrix_documents_on_every_endpoint() {
    let app = spawn_app().await;
    let users: Vec<TestUser> = Role::ALL.into_iter().map(|r| app.user(r)).collect();
    let mut checked = 0;
    for e in ENDPOINTS {
        let resp = call(&app, e, None).await;
        let status = resp.status();
        match (e.access, e.page) {
            (Access::Public | Access::SurveyLink | Access::CalendarAddress, _) => assert!(
                status != StatusCode::FORBIDDEN
                    && (status != StatusCode::UNAUTHORIZED || e.path.contains("login")),
                "anonymous {} {} → {status}",
                e.method,
                e.path
            ),
            (Access::Staff(_), true) => {
                assert_eq!(status, StatusCode::SEE_OTHER, "anonymous {} {}", e.method, e.path);
                assert_eq!(resp.headers()["location"], "/login");
            }
            (Access::Staff(_), false) => {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "anonymous {} {}", e.method, e.path)
            }
        }
        checked += 1;
        for user in &users {
            let resp = call(&app, e, Some(user)).await;
            let status = resp.status();
            let allowed = match e.access {
                Access::Public | Access::SurveyLink | Access::CalendarAddress => true,
                Access::Staff(p) => p.allows(user.role),
            };
            if allowed {
                assert!(
                    status != StatusCode::FORBIDDEN
                        && (status != StatusCode::UNAUTHORIZED || e.path.contains("login"))
                        && !status.is_server_error(),
                    "{} {} {} → {status}, but the matrix allows it",
                    user.role,
                    e.method,
                    e.path
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{} {} {}", user.role, e.method, e.path);
                if e.page {
                    // A person who followed a link: a page in the shell, saying why.
                    let html = resp.text().await.expect("page");
                    assert!(
                        html.contains("Not available to your role"),
                        "{} {} {}",
                        user.role,
                        e.method,
                        e.path
                    );
                } else {
                    let body: Value = resp.json().await.expect("json");
                    assert_eq!(body["error"]["code"], "forbidden");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ENDPOINTS.len() * (Role::ALL.len() + 1));
}

#[tokio::test]
async fn the_matrix_lists_every_operation_in_the_openapi_document_and_no_other_api_route() {
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
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let api_rows: BTreeSet<(String, String)> =
        ENDPOINTS.iter().filter(|e| !e.page).map(|e| (e.method.to_owned(), e.path.to_owned())).collect();
    assert_eq!(documented, api_rows, "the OpenAPI document and the permission matrix disagree");
}

#[test]
fn docs_permissions_md_holds_the_matrix_generated_from_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/permissions.md"))
        .expect("docs/permissions.md");
    assert!(
        doc.contains(&markdown_table()),
        "docs/permissions.md is out of date; paste the output of `trialdesk permissions` into it"
    );
}
