//! Trial fixtures the tests share: people screened, enrolled, consented and randomised through
//! the API, their schedules and personal links, and answers to their questionnaires. Test modules
//! take shared set-up from here (or `helpers`), never from one another.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

/// Answers that meet every criterion of the bundled protocol.
pub fn eligible_answers() -> Value {
    json!({"age": 44, "has_ms": true, "us_resident": true, "video_access": true, "attendance_commitment": "yes"})
}

/// The enrolment body for screening `screening_id`, person number `n`.
pub fn enrolment(screening_id: &str, n: usize) -> Value {
    let race_ethnicity = ["black", "latinx", "other"][n % 3];
    json!({
        "screening_id": screening_id,
        "full_name": format!("Test Person {n}"),
        "email": format!("person{n}@example.org"),
        "phone": format!("+1 (555) 01{:02}-{:04}", n % 100, n),
        "strata": {"race_ethnicity": race_ethnicity, "newly_diagnosed": if n.is_multiple_of(2) { "yes" } else { "no" }},
        "race": if race_ethnicity == "black" { "black" } else { "white" },
        "ethnicity": if race_ethnicity == "latinx" { "hispanic_latinx" } else { "not_hispanic_latinx" },
        "sex": "female",
        "age_band": "40-49",
        "newly_diagnosed": n.is_multiple_of(2),
        "disease_course": "relapsing_remitting",
        "preferred_language": if n.is_multiple_of(4) { "es" } else { "en" }
    })
}

/// Records an eligible screening; returns it.
pub async fn screened(app: &TestApp, user: &TestUser) -> Value {
    app.send_as(
        user,
        Method::POST,
        "/api/v1/screenings",
        json!({"referral_source": "clinic", "answers": eligible_answers()}),
    )
    .await
    .json()
    .await
    .expect("screening")
}

/// Screens, enrols and (optionally) consents person `n`; returns the participant id.
pub async fn enrolled(app: &TestApp, user: &TestUser, n: usize, consent: bool) -> String {
    let s = screened(app, user).await;
    let resp = app
        .send_as(user, Method::POST, "/api/v1/participants", enrolment(s["id"].as_str().expect("id"), n))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let p: Value = resp.json().await.expect("participant");
    let id = p["id"].as_str().expect("id").to_owned();
    if consent {
        let resp = app
            .send_as(
                user,
                Method::POST,
                &format!("/api/v1/participants/{id}/consents"),
                json!({"signature_name": format!("test person {n}"), "language": "en"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    id
}

/// Enrols, consents and randomises person `n`; returns the participant id.
pub async fn randomised(app: &TestApp, coord: &TestUser, n: usize) -> String {
    let id = enrolled(app, coord, n, true).await;
    let resp = app
        .send_as(coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap_or_default());
    id
}

pub async fn schedule(app: &TestApp, user: &TestUser, participant: &str) -> Vec<Value> {
    app.get_as(user, &format!("/api/v1/participants/{participant}/assessments"))
        .await
        .json()
        .await
        .expect("schedule")
}

/// A new personal link for a participant: its token.
pub async fn link(app: &TestApp, coord: &TestUser, participant: &str) -> String {
    let resp = app
        .send_as(coord, Method::POST, &format!("/api/v1/participants/{participant}/survey-links"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.expect("link");
    assert!(
        body["url"]
            .as_str()
            .expect("url")
            .ends_with(&format!("/s/{}", body["token"].as_str().expect("token")))
    );
    body["token"].as_str().expect("token").to_owned()
}

/// Person `n` randomised, with a survey link and their open baseline: (participant, token, baseline).
pub async fn ready_visit(app: &TestApp, coord: &TestUser, n: usize) -> (String, String, String) {
    let id = randomised(app, coord, n).await;
    let token = link(app, coord, &id).await;
    let baseline = by_timepoint_id(&schedule(app, coord, &id).await, "baseline");
    (id, token, baseline)
}

/// Posts one answer (`None` skips the question); returns the response (a redirect when saved).
pub async fn answer(
    app: &TestApp,
    token: &str,
    assessment: &str,
    n: usize,
    value: Option<i32>,
) -> reqwest::Response {
    let form: Vec<(&str, String)> = match value {
        Some(v) => vec![("answer", v.to_string()), ("action", "next".into())],
        None => vec![("action", "skip".into())],
    };
    app.client
        .post(app.url(&format!("/s/{token}/a/{assessment}/q/{n}")))
        .form(&form)
        .send()
        .await
        .expect("answer")
}

/// Answers every question of a baseline visit (PHQ-9 with its difficulty item, GAD-7, UCLA-3) in
/// order from `values` (positions 1..=20), then sends the answers.
pub async fn complete(app: &TestApp, token: &str, assessment: &str, values: &[i32]) {
    for (i, v) in values.iter().enumerate() {
        let resp = answer(app, token, assessment, i + 1, Some(*v)).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "question {}", i + 1);
    }
    let resp =
        app.client.post(app.url(&format!("/s/{token}/a/{assessment}/submit"))).send().await.expect("submit");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(resp.headers()["location"].to_str().expect("location").ends_with("/done"));
}

/// PHQ-9 items 1–9 at 1 (item 9 at 0), difficulty 1, GAD-7 all 2, UCLA-3 all 2.
pub const ORDINARY: [i32; 20] = [1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2];

pub fn by_timepoint<'a>(rows: &'a [Value], tp: &str) -> &'a Value {
    rows.iter().find(|r| r["timepoint"] == tp).expect("time point")
}

/// The id of a participant's assessment at time point `tp`.
pub fn by_timepoint_id(rows: &[Value], tp: &str) -> String {
    by_timepoint(rows, tp)["id"].as_str().expect("id").to_owned()
}
