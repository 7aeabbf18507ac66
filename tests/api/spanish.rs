//! The staff pages in Spanish (`tests/browser/spanish.mjs`): a coordinator chooses Spanish on
//! their account page, and every staff page a coordinator reaches — with a participant who has
//! answered, an open safety alert, a screening, the queues and a 404 — speaks Spanish only, passes
//! axe-core, and shows no Fluent key; so does the emergency unblinding page for an admin whose
//! language was set through the API.

use reqwest::StatusCode;
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::fixtures::{ORDINARY, complete, enrolled, ready_visit, screened};
use crate::helpers::{TestApp, TestUser, spawn_app};

async fn study_id(app: &TestApp, user: &TestUser, id: &str) -> String {
    let p: Value = app.get_as(user, &format!("/api/v1/participants/{id}")).await.json().await.expect("p");
    p["study_id"].as_str().expect("study id").to_owned()
}

#[tokio::test]
async fn a_coordinator_who_chooses_spanish_reads_every_staff_page_in_spanish_with_no_english_left() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let (answered, token, baseline) = ready_visit(&app, &coord, 1).await;
    // Item 9 answered above zero: a safety alert to read.
    let mut values = ORDINARY;
    values[8] = 1;
    complete(&app, &token, &baseline, &values).await;
    let alerts: Vec<Value> = app.get_as(&coord, "/api/v1/alerts").await.json().await.expect("alerts");
    let alert = alerts[0]["id"].as_str().expect("alert id").to_owned();
    let answered = study_id(&app, &coord, &answered).await;
    let consented = enrolled(&app, &coord, 2, true).await;
    let consented = study_id(&app, &coord, &consented).await;
    let screening = screened(&app, &coord).await["id"].as_str().expect("screening id").to_owned();
    let moderator = app.user(Role::Moderator);
    let group: Value = app
        .send_as(&coord, reqwest::Method::POST, "/api/v1/groups", json!({
            "name": "Grupo del martes", "arm_id": "support_groups", "moderator_id": moderator.id, "language": "es",
            "affinity_tags": ["newly_diagnosed"], "weekday": 1, "local_time": "18:30", "start_date": "2031-02-11"
        }))
        .await
        .json()
        .await
        .expect("group");
    let group = group["id"].as_str().expect("group id").to_owned();

    // The admin's language through the API; a language the pages do not speak is refused.
    let admin = app.user(Role::Admin);
    let resp =
        app.send_as(&admin, reqwest::Method::PUT, "/api/v1/auth/language", json!({"language": "fr"})).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp =
        app.send_as(&admin, reqwest::Method::PUT, "/api/v1/auth/language", json!({"language": "es"})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = resp.json().await.expect("me");
    assert_eq!(me["user"]["language"], "es", "{me}");

    let pages = json!([
        "/",
        "/participants",
        "/participants?need=overdue",
        format!("/participants/{answered}"),
        format!("/participants/{answered}/questionnaires/{baseline}"),
        format!("/participants/{answered}/allocation"),
        format!("/participants/{answered}/withdraw"),
        format!("/participants/{answered}/edit"),
        format!("/participants/{answered}/contact-attempts/new"),
        format!("/participants/{consented}"),
        format!("/participants/{consented}/randomise"),
        "/queues/overdue",
        "/queues/awaiting_randomisation",
        "/queues/awaiting_group",
        "/screenings/new",
        "/screenings",
        format!("/screenings/{screening}"),
        format!("/screenings/{screening}/correct"),
        format!("/participants/new?screening={screening}"),
        "/assessments",
        "/alerts",
        format!("/alerts/{alert}"),
        "/reports",
        "/account",
        "/groups",
        format!("/groups/{group}"),
        "/protocol",
        "/participants/missing-0000",
    ]);
    let phone = json!(["/participants", format!("/participants/{answered}"), "/screenings/new"]);
    let config = json!({"email": coord.email, "password": coord.password, "pages": pages, "phone": phone,
        "refused": "/screenings/new",
        "admin": {"email": admin.email, "password": admin.password, "pages": [format!("/unblinding/{answered}?alert={alert}"), "/staff", format!("/staff/{}", admin.id), "/safety-contacts", "/audit-trail", "/protocol", "/outbox"]}});
    let address = app.address.clone();
    let result =
        tokio::task::spawn_blocking(move || crate::browser::run_browser("spanish.mjs", address, config))
            .await
            .expect("join");
    assert!(result["pages_checked"].as_u64().expect("count") >= 30, "{result}");

    // The choice is the account's, audited like any change to it.
    let me: Value = app.get_as(&coord, "/api/v1/auth/me").await.json().await.expect("me");
    assert_eq!(me["user"]["language"], "es", "{me}");
    let path = format!("/api/v1/audit?entity=user&entity_id={}", coord.id);
    let audit: Vec<Value> = app.get_as(&admin, &path).await.json().await.expect("audit");
    assert!(
        audit.iter().any(|e| e["action"] == "update"
            && e["changes"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["field"] == "language" && c["new"] == "es"))),
        "{audit:?}"
    );
}
