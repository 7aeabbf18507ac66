//! The coordinator's desk in a real browser (`tests/browser/coordinator.mjs`): screening, enrolment,
//! consent, randomisation from two tabs, a personal link with its QR code, a phone search and a
//! withdrawal, all by keyboard, with axe-core on every page at desktop and phone widths and a pass
//! under the enforced Content-Security-Policy. Then the records say the same as the pages did.

use diesel::prelude::*;
use serde_json::{Value, json};
use trialdesk::auth::Role;
use trialdesk::db::schema::assessments;

use crate::fixtures::randomised;
use crate::helpers::{TestApp, TestUser, spawn_app};

async fn study_id(app: &TestApp, user: &TestUser, id: &str) -> String {
    let p: Value = app.get_as(user, &format!("/api/v1/participants/{id}")).await.json().await.expect("p");
    p["study_id"].as_str().expect("study id").to_owned()
}

#[tokio::test]
async fn a_coordinator_screens_enrols_consents_randomises_links_searches_follows_up_and_withdraws_in_the_browser()
 {
    let app = spawn_app().await;
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
