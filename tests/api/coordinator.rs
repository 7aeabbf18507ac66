//! The coordinator's desk in a real browser (`tests/browser/coordinator.mjs`): screening, enrolment,
//! consent, randomisation from two tabs, a personal link with its QR code, a phone search and a
//! withdrawal, all by keyboard, with axe-core on every page at desktop and phone widths and a pass
//! under the enforced Content-Security-Policy. A second participant signs the consent form on
//! their own phone, in Spanish, and the PDF copy that reaches the SMTP sink holds their typed
//! name and the form version. Then the records say the same as the pages did.

use diesel::prelude::*;
use serde_json::{Value, json};
use trialdesk::auth::Role;
use trialdesk::db::schema::assessments;

use crate::fixtures::{ORDINARY, enrolled, link, randomised};
use crate::helpers::{SmtpSink, TestApp, TestUser, pdf_text, spawn_app, spawn_app_with, test_mail};

async fn study_id(app: &TestApp, user: &TestUser, id: &str) -> String {
    let p: Value = app.get_as(user, &format!("/api/v1/participants/{id}")).await.json().await.expect("p");
    p["study_id"].as_str().expect("study id").to_owned()
}

#[tokio::test]
async fn a_coordinator_screens_enrols_consents_randomises_links_searches_follows_up_and_withdraws_in_the_browser()
 {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(|s| s.mail = Some(test_mail(port))).await;
    let coord = app.user(Role::Coordinator);
    let leaving = randomised(&app, &coord, 1).await;
    let leaving = study_id(&app, &coord, &leaving).await;
    // A participant whose baseline is open and past its target day (as if two days went by).
    let late = randomised(&app, &coord, 2).await;
    let target = (chrono::Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%d").to_string();
    diesel::update(assessments::table)
        .filter(assessments::participant_id.eq(&late))
        .filter(assessments::timepoint.eq("baseline"))
        .set((assessments::target_date.eq(target), assessments::status.eq("open")))
        .execute(&mut app.db.conn())
        .expect("a late baseline");
    let late = study_id(&app, &coord, &late).await;
    let person =
        json!({"name": "Ana Lucía Pérez", "email": "ana.perez@example.org", "phone": "(305) 555-0142"});
    let config = json!({"email": coord.email, "password": coord.password, "person": person,
        "withdraw": leaving, "overdue": late});
    let address = app.address.clone();
    let result =
        tokio::task::spawn_blocking(move || crate::browser::run_browser("coordinator.mjs", address, config))
            .await
            .expect("join");
    assert!(result["pages_checked"].as_u64().expect("count") >= 30, "{result}");
    let study_id = result["study_id"].as_str().expect("study id");

    // The new participant answers on the link the coordinator made; the record shows the scores.
    let token = result["link"].as_str().expect("link").rsplit('/').next().expect("token").to_owned();
    let visit = json!({"token": token, "lang": "en", "answers": ORDINARY});
    let address = app.address.clone();
    tokio::task::spawn_blocking(move || crate::browser::run_browser("survey.mjs", address, visit))
        .await
        .expect("join");
    let record = json!({"email": coord.email, "password": coord.password, "pages": [
        {"path": format!("/participants/{study_id}"), "says": ["PHQ-9 8", "GAD-7 14", "completed"]},
    ]});
    let address = app.address.clone();
    tokio::task::spawn_blocking(move || crate::browser::run_browser("staff.mjs", address, record))
        .await
        .expect("join");

    // Person 4 (Spanish) signs on their own link; their copy is a PDF with what they signed.
    let signer = enrolled(&app, &coord, 4, false).await;
    let signer_token = link(&app, &coord, &signer).await;
    let visit = json!({"token": signer_token, "lang": "es", "name": "Test Person 4"});
    let address = app.address.clone();
    let signed =
        tokio::task::spawn_blocking(move || crate::browser::run_browser("econsent.mjs", address, visit))
            .await
            .expect("join");
    assert!(signed["pages_checked"].as_u64().expect("count") >= 4, "{signed}");
    let copies = sink.wait_for_where(1, |m| !m.attachments.is_empty()).await;
    assert_eq!(copies.len(), 1, "one copy");
    assert!(copies[0].to.contains("person4@example.org"), "{:?}", copies[0].to);
    let text = pdf_text(&copies[0].attachments[0].2);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Test Person 4") && flat.contains("Versión del formulario 1.0"), "{flat}");
    assert!(flat.contains("esclerosis múltiple"), "the Spanish form, as read: {flat}");
    let p: Value =
        app.get_as(&coord, &format!("/api/v1/participants/{signer}")).await.json().await.expect("p");
    assert_eq!(p["status"], "consented", "{p}");

    // One allocation for two presses; consent witnessed by the coordinator; contact kept apart.
    let p: Value =
        app.get_as(&coord, &format!("/api/v1/participants/{study_id}")).await.json().await.expect("p");
    assert_eq!(p["status"], "randomised", "{p}");
    assert_eq!(p["strata"]["race_ethnicity"], "black", "{p}");
    let pid = p["id"].as_str().expect("id");
    let path = format!("/api/v1/audit?entity=participant&entity_id={pid}");
    let audit: Vec<Value> = app.get_as(&app.user(Role::Admin), &path).await.json().await.expect("audit");
    let of = |action: &str| audit.iter().filter(|e| e["action"] == action).count();
    assert_eq!(of("randomise"), 1, "two tabs, one allocation");
    assert_eq!(of("consent"), 1, "one consent, the wrong signature refused");
    assert!(of("search_contact") >= 1, "the phone search is audited against the person it found");
    assert_eq!(of("create_survey_link"), 2, "one link on the desktop, one under the enforced policy");
    assert_eq!(of("change_details"), 1, "the refused correction left nothing behind");
    let gone: Value =
        app.get_as(&coord, &format!("/api/v1/participants/{leaving}")).await.json().await.expect("p");
    assert_eq!(gone["status"], "withdrawn", "{gone}");
    assert_eq!(gone["withdrawal_keep_data"], true, "{gone}");
    let attempts: Vec<Value> = app
        .get_as(&coord, &format!("/api/v1/participants/{late}/contact-attempts"))
        .await
        .json()
        .await
        .expect("a");
    assert_eq!(attempts.len(), 1, "the refused attempt left nothing behind: {attempts:?}");
    assert_eq!(
        (attempts[0]["channel"].as_str(), attempts[0]["outcome"].as_str()),
        (Some("call"), Some("no_answer"))
    );
}

#[tokio::test]
async fn a_staff_page_that_fails_answers_with_a_page_in_the_layout_while_the_api_keeps_json() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let csrf = app.login(&coord.email, &coord.password).await;
    let page_of = |resp: reqwest::Response| async move {
        let status = resp.status();
        let kind = resp.headers()["content-type"].to_str().expect("type").to_owned();
        (status, kind, resp.text().await.expect("body"))
    };
    let (status, kind, html) =
        page_of(app.client.get(app.url("/no-such-page")).send().await.expect("get")).await;
    assert_eq!((status.as_u16(), kind.starts_with("text/html")), (404, true), "{html}");
    assert!(
        html.contains("<title>Not found · trialdesk</title>") && html.contains(r#"<html lang="en">"#),
        "{html}"
    );
    // A form sent with a stale token: a page saying what to do, and nothing recorded.
    let form = [("csrf_token", "stale"), ("referral_source", "clinic")];
    let resp = app.client.post(app.url("/screenings/new")).form(&form).send().await.expect("post");
    let (status, _, html) = page_of(resp).await;
    assert_eq!(status.as_u16(), 403, "{html}");
    assert!(html.contains("The form had expired") && html.contains("reload the page"), "{html}");
    let log: Vec<Value> = app.get_as(&coord, "/api/v1/screenings").await.json().await.expect("log");
    assert!(log.is_empty(), "{log:?}");
    // The same session with its token gets the form's own refusal, beside the fields.
    let form = [("csrf_token", csrf.as_str()), ("referral_source", "clinic")];
    let resp = app.client.post(app.url("/screenings/new")).form(&form).send().await.expect("post");
    let (status, _, html) = page_of(resp).await;
    assert_eq!(status.as_u16(), 422);
    assert!(html.contains("answer this question") && html.contains(r#"value="clinic""#), "{html}");
    let resp = app.client.get(app.url("/api/v1/nothing-here")).send().await.expect("get");
    assert!(resp.headers()["content-type"].to_str().expect("type").starts_with("application/json"));
}
