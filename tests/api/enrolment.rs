//! Screening, enrolment, consent and withdrawal through the API.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;
use trialdesk::protocol::BUNDLED;

use crate::fixtures::{eligible_answers, enrolled, enrolment, screened};
use crate::helpers::{TestApp, TestUser, error_of, spawn_app};

/// Amends the bundled protocol with consent form 2.0, approved on `approved_on`.
async fn add_consent_form_v2(
    app: &TestApp,
    admin: &TestUser,
    approved_on: &str,
    reason: &str,
) -> reqwest::Response {
    let amended = format!(
        "{BUNDLED}\n[[consent_forms]]\nversion = \"2.0\"\napproved_on = \"{approved_on}\"\ntitle = {{ en = \"Consent v2\", es = \"Consentimiento v2\" }}\n"
    );
    app.send_as(
        admin,
        Method::POST,
        "/api/v1/protocol/versions",
        json!({"content": amended, "reason": reason}),
    )
    .await
}

#[tokio::test]
async fn an_ineligible_screening_names_each_failed_criterion_and_stays_in_the_log() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let answers = json!({"age": 16, "has_ms": true, "us_resident": false, "video_access": true, "attendance_commitment": "unsure"});
    let s: Value = app
        .send_as(
            &coord,
            Method::POST,
            "/api/v1/screenings",
            json!({"referral_source": "social_media", "answers": answers}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(s["eligible"], false);
    assert_eq!(s["outcome"], "ineligible");
    assert_eq!(s["failed_criteria"], json!(["age", "us_resident", "attendance_commitment"]));
    let log: Value =
        app.get_as(&coord, "/api/v1/screenings?outcome=ineligible").await.json().await.expect("json");
    assert_eq!(log.as_array().expect("list").len(), 1);
    let resp = app
        .send_as(&coord, Method::POST, "/api/v1/participants", enrolment(s["id"].as_str().expect("id"), 1))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(resp).await.0, "screening_not_eligible");
}

#[tokio::test]
async fn screening_answers_of_the_wrong_type_or_missing_are_422_naming_the_answer() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let mut answers = eligible_answers();
    answers["age"] = json!("forty");
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            "/api/v1/screenings",
            json!({"referral_source": "clinic", "answers": answers}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("answers.age"));
    let resp =
        app.send_as(&coord, Method::POST, "/api/v1/screenings", json!({"answers": eligible_answers()})).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("referral_source"));
}

#[tokio::test]
async fn enrolment_gives_sequential_study_ids_and_refuses_the_same_person_twice() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let first = enrolled(&app, &coord, 1, false).await;
    let p: Value =
        app.get_as(&coord, &format!("/api/v1/participants/{first}")).await.json().await.expect("json");
    assert_eq!(p["study_id"], "CON-0001");
    assert_eq!(p["status"], "enrolled");
    enrolled(&app, &coord, 2, false).await;

    let s = screened(&app, &coord).await;
    let mut again = enrolment(s["id"].as_str().expect("id"), 3);
    again["email"] = json!("PERSON1@example.org");
    let resp = app.send_as(&coord, Method::POST, "/api/v1/participants", again).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "duplicate_person");
    assert!(body["error"]["message"].as_str().expect("m").contains("CON-0001"));
}

#[tokio::test]
async fn malformed_enrolments_name_the_field() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let s = screened(&app, &coord).await;
    let id = s["id"].as_str().expect("id");
    let mut bad = enrolment(id, 1);
    bad["race"] = json!("purple");
    let resp = app.send_as(&coord, Method::POST, "/api/v1/participants", bad).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("race"));
    let mut bad = enrolment(id, 1);
    bad["strata"] = json!({"race_ethnicity": "black"});
    let resp = app.send_as(&coord, Method::POST, "/api/v1/participants", bad).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("strata.newly_diagnosed"));
    let mut bad = enrolment(id, 1);
    bad["phone"] = json!("call me");
    let resp = app.send_as(&coord, Method::POST, "/api/v1/participants", bad).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("phone"));
}

#[tokio::test]
async fn consent_needs_the_enrolled_name_and_a_new_form_version_asks_for_reconsent() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let id = enrolled(&app, &admin, 5, false).await;
    let path = format!("/api/v1/participants/{id}/consents");
    let resp = app
        .send_as(&admin, Method::POST, &path, json!({"signature_name": "Someone Else", "language": "en"}))
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("signature_name"));
    let resp = app
        .send_as(&admin, Method::POST, &path, json!({"signature_name": "Test Person 5", "language": "en"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = app
        .send_as(&admin, Method::POST, &path, json!({"signature_name": "Test Person 5", "language": "en"}))
        .await;
    assert_eq!(error_of(resp).await.0, "already_consented");

    let resp = add_consent_form_v2(&app, &admin, "2026-11-01", "IRB approved v2").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let p: Value =
        app.get_as(&admin, &format!("/api/v1/participants/{id}")).await.json().await.expect("json");
    assert_eq!(p["needs_reconsent"], true);
    assert_eq!(p["status"], "enrolled");
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            &path,
            json!({"signature_name": "Test Person 5", "language": "es", "form_version": "1.0"}),
        )
        .await;
    assert_eq!(error_of(resp).await.0, "consent_form_outdated");
    let resp = app
        .send_as(&admin, Method::POST, &path, json!({"signature_name": "Test Person 5", "language": "es"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_consent_form_approved_for_a_later_day_neither_replaces_nor_calls_for_reconsent_yet() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let id = enrolled(&app, &admin, 6, false).await;
    let path = format!("/api/v1/participants/{id}/consents");
    let resp = app
        .send_as(&admin, Method::POST, &path, json!({"signature_name": "Test Person 6", "language": "en"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = add_consent_form_v2(&app, &admin, "2999-01-01", "v2 approved, effective 2999").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let p: Value =
        app.get_as(&admin, &format!("/api/v1/participants/{id}")).await.json().await.expect("json");
    assert_eq!(p["needs_reconsent"], false);
    assert_eq!(p["status"], "consented");
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            &path,
            json!({"signature_name": "Test Person 6", "language": "en", "form_version": "2.0"}),
        )
        .await;
    assert_eq!(error_of(resp).await.0, "consent_form_outdated");
}

#[tokio::test]
async fn a_withdrawn_participant_gets_nothing_more() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let id = enrolled(&app, &coord, 7, true).await;
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/participants/{id}/withdrawal"),
            json!({"reason": "moved abroad", "keep_data": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let p: Value = resp.json().await.expect("json");
    assert_eq!(p["status"], "withdrawn");
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/participants/{id}/consents"),
            json!({"signature_name": "Test Person 7", "language": "en"}),
        )
        .await;
    assert_eq!(error_of(resp).await.0, "withdrawn");
    let resp = app
        .send_as(&coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(resp).await.0, "withdrawn");
}

#[tokio::test]
async fn the_timeline_shows_each_step_with_its_audit_entries_and_the_list_filters_by_status_and_stratum() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let first = enrolled(&app, &coord, 0, true).await;
    let second = enrolled(&app, &coord, 1, false).await;
    let resp = app
        .send_as(&coord, Method::POST, &format!("/api/v1/participants/{first}/randomisation"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    let t: Value = app
        .get_as(&coord, &format!("/api/v1/participants/{first}/timeline"))
        .await
        .json()
        .await
        .expect("json");
    let events: Vec<&str> =
        t["events"].as_array().expect("events").iter().map(|e| e["event"].as_str().expect("e")).collect();
    assert_eq!(events, ["screened", "enrolled", "consented", "randomised"]);
    let actions: Vec<&str> =
        t["audit"].as_array().expect("audit").iter().map(|e| e["action"].as_str().expect("a")).collect();
    for action in ["create", "enrol", "consent", "randomise"] {
        assert!(actions.contains(&action), "{action} missing from {actions:?}");
    }

    let ids = |v: Value| -> Vec<String> {
        v.as_array().expect("list").iter().map(|p| p["id"].as_str().expect("id").to_owned()).collect()
    };
    let randomised =
        app.get_as(&coord, "/api/v1/participants?status=randomised").await.json().await.expect("json");
    assert_eq!(ids(randomised), std::slice::from_ref(&first));
    let waiting =
        app.get_as(&coord, "/api/v1/participants?status=enrolled").await.json().await.expect("json");
    assert_eq!(ids(waiting), std::slice::from_ref(&second));
    let latinx = app
        .get_as(&coord, "/api/v1/participants?stratum=race_ethnicity:latinx")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ids(latinx), [second]);
    let resp = app.get_as(&coord, "/api/v1/participants?stratum=latinx").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("stratum"));
}

#[tokio::test]
async fn recruitment_counts_the_funnel_per_arm_and_against_the_diversity_target() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let blinded = app.user(Role::StatisticianBlinded);
    let mut too_young = eligible_answers();
    too_young["age"] = json!(16);
    app.send_as(
        &coord,
        Method::POST,
        "/api/v1/screenings",
        json!({"referral_source": "clinic", "answers": too_young}),
    )
    .await;
    app.send_as(
        &coord,
        Method::POST,
        "/api/v1/screenings",
        json!({"referral_source": "clinic", "answers": eligible_answers(), "declined": true}),
    )
    .await;
    let id = enrolled(&app, &coord, 0, true).await; // n = 0: black, so within the diversity target
    app.send_as(&coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({})).await;

    let r: Value = app.get_as(&coord, "/api/v1/recruitment").await.json().await.expect("json");
    assert_eq!(r["screened"], json!({"declined": 1, "enrolled": 1, "ineligible": 1}));
    assert_eq!(
        (r["enrolled"].as_i64(), r["randomised"].as_i64(), r["target"].as_i64()),
        (Some(1), Some(1), Some(80))
    );
    assert_eq!(r["diversity"][0]["share"], 1.0);
    assert_eq!(r["diversity"][0]["met"], true);
    let per_arm: i64 =
        r["by_arm"].as_array().expect("arms").iter().map(|a| a["randomised"].as_i64().expect("n")).sum();
    assert_eq!(per_arm, 1);
    let seen: Value = app.get_as(&blinded, "/api/v1/recruitment").await.json().await.expect("json");
    for a in seen["by_arm"].as_array().expect("arms") {
        let keys: Vec<&String> = a["arm"].as_object().expect("arm").keys().collect();
        assert_eq!(keys, ["code"], "blinded roles see arm codes only: {a}");
    }
}

#[tokio::test]
async fn long_lists_come_a_page_at_a_time_with_the_total_and_a_link_to_the_next_page() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    for n in 0..5 {
        enrolled(&app, &coord, n, true).await;
    }
    let resp = app.get_as(&coord, "/api/v1/participants?status=consented&limit=2").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-total-count"], "5");
    let link = resp.headers()["link"].to_str().expect("link").to_owned();
    assert_eq!(
        link, "</api/v1/participants?status=consented&limit=2&offset=2>; rel=\"next\"",
        "the filter stays"
    );
    let first: Vec<Value> = resp.json().await.expect("page");
    let resp = app.get_as(&coord, "/api/v1/participants?status=consented&limit=2&offset=4").await;
    assert!(resp.headers().get("link").is_none(), "the last page links nowhere");
    let last: Vec<Value> = resp.json().await.expect("page");
    assert_eq!((first.len(), last.len()), (2, 1));
    assert_ne!(first[0]["study_id"], last[0]["study_id"]);
    for (path, field) in [
        ("/api/v1/participants?limit=0", "limit"),
        ("/api/v1/alerts?limit=1001", "limit"),
        ("/api/v1/assessments?status=all&offset=-1", "offset"),
    ] {
        let who = if path.contains("alerts") { app.user(Role::Clinician) } else { coord.clone() };
        let (code, named) = error_of(app.get_as(&who, path).await).await;
        assert_eq!((code.as_str(), named.as_deref()), ("validation_failed", Some(field)), "{path}");
    }
}
