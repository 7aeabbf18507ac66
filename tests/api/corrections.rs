//! Corrections with a reason, through the API: a screening entered wrongly (eligibility judged
//! again), a participant's contact details (audited without their values) and demographics and
//! strata (frozen once randomised). Each refusal leaves the record as it was.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::fixtures::{eligible_answers, enrolled, enrolment};
use crate::helpers::{TestApp, TestUser, error_of, spawn_app};

async fn trail(app: &TestApp, entity: &str, id: &str) -> Vec<Value> {
    let admin = app.user(Role::Admin);
    let path = format!("/api/v1/audit?entity={entity}&entity_id={id}");
    app.get_as(&admin, &path).await.json().await.expect("audit")
}

fn details(strata: Value, race: &str) -> Value {
    json!({"race": race, "ethnicity": "not_hispanic_latinx", "sex": "female", "age_band": "50-59",
        "newly_diagnosed": false, "disease_course": "relapsing_remitting", "preferred_language": "es",
        "strata": strata, "reason": "confirmed at the baseline call"})
}

async fn send(app: &TestApp, who: &TestUser, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
    let resp = app.send_as(who, method, path, body).await;
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_screening_entered_wrongly_is_corrected_with_a_reason_and_eligibility_is_judged_again() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let mut answers = eligible_answers();
    answers["age"] = json!(17);
    let (_, s) = send(
        &app,
        &coord,
        Method::POST,
        "/api/v1/screenings",
        json!({"referral_source": "clinic", "answers": answers}),
    )
    .await;
    assert_eq!(s["outcome"], "ineligible", "{s}");
    let path = format!("/api/v1/screenings/{}/correction", s["id"].as_str().expect("id"));
    let body = json!({"referral_source": "clinic", "answers": eligible_answers(), "reason": ""});
    let resp = app.send_as(&coord, Method::POST, &path, body).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("reason"));
    let body = json!({"referral_source": "clinic", "answers": eligible_answers(), "reason": "age typed as 17; she is 47"});
    let (status, fixed) = send(&app, &coord, Method::POST, &path, body.clone()).await;
    assert_eq!((status, fixed["outcome"].as_str()), (StatusCode::OK, Some("eligible")), "{fixed}");
    let entries = trail(&app, "screening", s["id"].as_str().expect("id")).await;
    let correction = entries.iter().find(|e| e["action"] == "correct").expect("a correction entry");
    assert_eq!(correction["reason"], "age typed as 17; she is 47");
    let changes = correction["changes"].as_array().expect("changes");
    let answers = changes.iter().find(|c| c["field"] == "answers").expect("answers changed");
    assert_eq!((answers["old"]["age"].as_i64(), answers["new"]["age"].as_i64()), (Some(17), Some(44)));
    // Once enrolled, the screening is closed to corrections.
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            "/api/v1/participants",
            enrolment(fixed["id"].as_str().expect("id"), 7),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = app.send_as(&coord, Method::POST, &path, body).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(resp).await.0, "already_enrolled");
}

#[tokio::test]
async fn contact_details_change_with_a_reason_never_to_another_participants_and_the_trail_holds_no_values() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let (one, two) = (enrolled(&app, &coord, 1, false).await, enrolled(&app, &coord, 2, false).await);
    let path = format!("/api/v1/participants/{one}/contact");
    let taken =
        json!({"full_name": "Test Person 1", "email": "person2@example.org", "reason": "new address"});
    let resp = app.send_as(&coord, Method::PUT, &path, taken).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let two_view: Value =
        app.get_as(&coord, &format!("/api/v1/participants/{two}")).await.json().await.expect("p");
    let body = resp.text().await.expect("body");
    assert!(
        body.contains("duplicate_person") && body.contains(two_view["study_id"].as_str().expect("sid")),
        "{body}"
    );
    let new = json!({"full_name": "Test Person 1", "phone": "305 555 0199", "reason": "changed her number"});
    let (status, _) = send(&app, &coord, Method::PUT, &path, new).await;
    assert_eq!(status, StatusCode::OK);
    let contact: Value = app
        .get_as(&coord, &format!("/api/v1/participants/{one}/contact"))
        .await
        .json()
        .await
        .expect("contact");
    assert_eq!(
        (contact["phone"].as_str(), contact["email"].as_str()),
        (Some("+13055550199"), None),
        "{contact}"
    );
    let entries = trail(&app, "participant", &one).await;
    let change = entries.iter().find(|e| e["action"] == "change_contact").expect("audited");
    assert_eq!(change["reason"], "changed her number");
    let text = change["changes"].to_string();
    assert!(text.contains("[redacted]") && !text.contains("555") && !text.contains("person1@"), "{text}");
}

#[tokio::test]
async fn demographics_change_with_old_and_new_audited_but_strata_are_frozen_once_randomised() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let id = enrolled(&app, &coord, 1, true).await;
    let path = format!("/api/v1/participants/{id}/details");
    let strata = json!({"race_ethnicity": "other", "newly_diagnosed": "no"});
    let (status, p) = send(&app, &coord, Method::PUT, &path, details(strata.clone(), "white")).await;
    assert_eq!((status, &p["strata"]), (StatusCode::OK, &strata), "{p}");
    assert_eq!(p["preferred_language"], "es");
    let resp = app
        .send_as(&coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let other = json!({"race_ethnicity": "black", "newly_diagnosed": "no"});
    let resp = app.send_as(&coord, Method::PUT, &path, details(other, "white")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(resp).await.0, "strata_frozen");
    let (status, p) = send(&app, &coord, Method::PUT, &path, details(strata, "black")).await;
    assert_eq!((status, p["race"].as_str()), (StatusCode::OK, Some("black")), "{p}");
    let entries = trail(&app, "participant", &id).await;
    let changes: Vec<String> = entries
        .iter()
        .filter(|e| e["action"] == "change_details")
        .map(|e| e["changes"].to_string())
        .collect();
    assert_eq!(changes.len(), 2, "the refused change left no entry");
    assert!(
        changes[0].contains(r#""field":"strata""#) && changes[1].contains(r#""new":"black","old":"white""#),
        "{changes:?}"
    );
}

#[tokio::test]
async fn a_participants_own_time_zone_is_kept_when_it_is_a_real_zone_and_refused_beside_its_field_when_not() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    for (zone, expected) in
        [("Mars/Olympus_Mons", StatusCode::UNPROCESSABLE_ENTITY), ("America/Chicago", StatusCode::CREATED)]
    {
        let (_, s) = send(
            &app,
            &coord,
            Method::POST,
            "/api/v1/screenings",
            json!({"referral_source": "clinic", "answers": eligible_answers()}),
        )
        .await;
        let mut body = enrolment(s["id"].as_str().expect("id"), 3);
        body["time_zone"] = json!(zone);
        let resp = app.send_as(&coord, Method::POST, "/api/v1/participants", body).await;
        assert_eq!(resp.status(), expected, "{zone}");
        if expected == StatusCode::CREATED {
            let p: Value = resp.json().await.expect("p");
            assert_eq!(p["time_zone"], "America/Chicago");
        } else {
            assert_eq!(error_of(resp).await.1.as_deref(), Some("time_zone"));
        }
    }
}
