//! Consent beyond the staff-witnessed form: e-consent signed by the participant on their own link
//! (with a PDF copy by e-mail, read back with `pdftotext`), voiding a consent recorded in error,
//! and an invitation e-mailed at a coordinator's request.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::fixtures::{enrolled, link, randomised};
use crate::helpers::{Mail, SmtpSink, TestApp, error_of, pdf_text, spawn_app, spawn_app_with, test_mail};

async fn participant(app: &TestApp, id: &str) -> Value {
    let coord = app.user(Role::Coordinator);
    app.get_as(&coord, &format!("/api/v1/participants/{id}")).await.json().await.expect("participant")
}

async fn sign(app: &TestApp, token: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client.post(app.url(&format!("/s/{token}/consent"))).form(form).send().await.expect("sign")
}

#[tokio::test]
async fn a_participant_signs_the_consent_form_on_their_link_and_gets_a_pdf_copy_with_their_name_and_the_version()
 {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(|s| s.mail = Some(test_mail(port))).await;
    let coord = app.user(Role::Coordinator);
    let id = enrolled(&app, &coord, 3, false).await;
    let token = link(&app, &coord, &id).await;

    let home = app
        .client
        .get(app.url(&format!("/s/{token}")))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("text");
    assert!(home.contains(&format!("/s/{token}/consent")), "the link's home offers the consent form: {home}");
    let page = app.client.get(app.url(&format!("/s/{token}/consent"))).send().await.expect("form");
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("text");
    assert!(page.contains("licensed moderator") && page.contains("Form version 1.0"), "{page}");

    // Not ticked: the page again, the name kept, nothing signed.
    let resp = sign(&app, &token, &[("name", "Test Person 3")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = resp.text().await.expect("text");
    assert!(again.contains("Tick the box") && again.contains("value=\"Test Person 3\""), "{again}");
    // Another name: refused beside the field.
    let resp = sign(&app, &token, &[("name", "Someone Else"), ("agree", "yes")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("text").contains("does not match"));
    assert_eq!(participant(&app, &id).await["status"], "enrolled", "nothing half-written");

    // A form older than the one in force (a new version approved while the page was open) is
    // never signed unseen: the page is shown again, now with the form in force.
    let resp = sign(&app, &token, &[("name", "Test Person 3"), ("agree", "yes"), ("version", "0.9")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(participant(&app, &id).await["status"], "enrolled", "signed unseen");

    let resp =
        sign(&app, &token, &[("name", "  test person 3 "), ("agree", "yes"), ("version", "1.0")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let done = app.client.get(app.url(&format!("/s/{token}/consent"))).send().await.expect("done");
    assert!(done.text().await.expect("text").contains("You signed the consent form"));
    // A second tab's submit finds it signed, and nothing is signed twice.
    let resp = sign(&app, &token, &[("name", "Test Person 3"), ("agree", "yes")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let p = participant(&app, &id).await;
    assert_eq!(p["status"], "consented", "{p}");

    let admin = app.user(Role::Admin);
    let trail: Value = app
        .get_as(&admin, &format!("/api/v1/audit?entity=participant&entity_id={id}"))
        .await
        .json()
        .await
        .expect("audit");
    let entries: Vec<&Value> =
        trail.as_array().expect("audit").iter().filter(|e| e["action"] == "consent").collect();
    assert_eq!(entries.len(), 1, "{trail}");
    assert_eq!(entries[0]["actor_kind"], "participant", "{}", entries[0]);
    let changes = entries[0]["changes"].to_string();
    assert!(changes.contains("content_hash") && !changes.contains("Test Person 3"), "{changes}");

    let copies: Vec<Mail> = sink.wait_for_where(1, |m| !m.attachments.is_empty()).await;
    assert_eq!(copies.len(), 1, "one copy: {:?}", sink.messages());
    let copy = &copies[0];
    assert!(copy.to.contains("person3@example.org") && copy.subject.contains("consent"), "{copy:?}");
    let (name, kind, pdf) = &copy.attachments[0];
    assert_eq!(
        (name.as_str(), kind.as_str()),
        (format!("consent-{}.pdf", p["study_id"].as_str().expect("id")).as_str(), "application/pdf")
    );
    let text = pdf_text(pdf);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("test person 3"), "the typed name: {flat}");
    assert!(flat.contains("Form version 1.0"), "{flat}");
    assert!(flat.contains("Consent to take part in the CONNECT study"), "{flat}");
    assert!(flat.contains(" EST") || flat.contains(" EDT"), "the time on the study's clock: {flat}");
    // The hash printed on the copy is the one on the record.
    let hash = flat.split("SHA-256 of the signed content ").nth(1).expect("hash on the copy");
    assert!(hash.len() >= 64 && hash[..64].chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
    let record = app.get_as(&coord, &format!("/participants/{}", p["study_id"].as_str().expect("id"))).await;
    let record = record.text().await.expect("record");
    assert!(record.contains("signed on their own link") && record.contains(&hash[..16]), "{record}");
}

#[tokio::test]
async fn a_consent_recorded_in_error_is_voided_with_a_reason_kept_and_consent_is_needed_again() {
    let app = spawn_app().await;
    let (coord, moderator) = (app.user(Role::Coordinator), app.user(Role::Moderator));
    let id = enrolled(&app, &coord, 5, true).await;
    let p = participant(&app, &id).await;
    assert_eq!(p["status"], "consented");
    let consent_id = consent_ids(&app, &id).await.remove(0);
    let path = format!("/api/v1/participants/{id}/consents/{consent_id}/void");

    let resp = app.send_as(&moderator, Method::POST, &path, json!({"reason": "x"})).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = app.send_as(&coord, Method::POST, &path, json!({"reason": "  "})).await;
    assert_eq!(error_of(resp).await.1.as_deref(), Some("reason"));
    assert_eq!(participant(&app, &id).await["status"], "consented", "a refusal changes nothing");

    let reason = "signed by her daughter, not by her";
    let resp = app.send_as(&coord, Method::POST, &path, json!({ "reason": reason })).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let voided: Value = resp.json().await.expect("consent");
    assert_eq!(voided["void_reason"], reason);
    assert!(voided["voided_at"].is_string());
    assert_eq!(participant(&app, &id).await["status"], "enrolled", "a voided consent counts for nothing");
    let resp = app
        .send_as(&coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT, "no randomisation without a standing consent");
    let resp = app.send_as(&coord, Method::POST, &path, json!({ "reason": reason })).await;
    assert_eq!(error_of(resp).await.0, "already_voided");

    // Kept, never deleted; audited with the reason; and consent can be recorded again.
    let admin = app.user(Role::Admin);
    let trail: Value = app
        .get_as(&admin, &format!("/api/v1/audit?entity=participant&entity_id={id}"))
        .await
        .json()
        .await
        .expect("audit");
    let entry =
        trail.as_array().expect("audit").iter().find(|e| e["action"] == "void_consent").expect("audited");
    assert_eq!(entry["reason"], reason);
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/participants/{id}/consents"),
            json!({"signature_name": "Test Person 5", "language": "en"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(consent_ids(&app, &id).await.len(), 2);
    let record = app.get_as(&coord, &format!("/participants/{}", p["study_id"].as_str().expect("id"))).await;
    let record = record.text().await.expect("record");
    assert!(record.contains("<del>") && record.contains(reason), "the voided one stays, struck through");
}

/// The ids of a participant's consents, voided ones too, oldest first (read from the database:
/// the API lists them only inside the record).
async fn consent_ids(app: &TestApp, id: &str) -> Vec<String> {
    use diesel::prelude::*;
    use trialdesk::db::schema::consents;
    consents::table
        .filter(consents::participant_id.eq(id))
        .order(consents::signed_at.asc())
        .select(consents::id)
        .load(&mut app.db.conn())
        .expect("consents")
}

#[tokio::test]
async fn a_coordinator_emails_a_fresh_invitation_now_only_when_something_is_open_and_an_address_is_on_file() {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(|s| s.mail = Some(test_mail(port))).await;
    let coord = app.user(Role::Coordinator);
    let unrandomised = enrolled(&app, &coord, 7, true).await;
    let resp = app
        .send_as(&coord, Method::POST, &format!("/api/v1/participants/{unrandomised}/invitations"), json!({}))
        .await;
    assert_eq!(error_of(resp).await.0, "nothing_open");

    let id = randomised(&app, &coord, 8).await;
    // The scheduled invitation goes out at 09:00 study time, so may or may not be here yet: count
    // only invitations asked for now, two of them, each with its own working link.
    let scheduled = sink.messages_where(Mail::is_survey).len();
    for _ in 0..2 {
        let path = format!("/api/v1/participants/{id}/invitations");
        let resp = app.send_as(&coord, Method::POST, &path, json!({})).await;
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        let sent: Value = resp.json().await.expect("json");
        assert_eq!(sent["timepoint"], "baseline");
    }
    sink.wait_for_where(scheduled + 2, Mail::is_survey).await;
    // The scheduled invitation may still be on its way: let the outbox settle, then read them all.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let got = sink.messages_where(Mail::is_survey);
    let links: BTreeSet<String> = got
        .iter()
        .filter_map(|m| m.body.split_whitespace().find(|w| w.contains("/s/")).map(str::to_owned))
        .collect();
    assert!(got.len() >= 2 && links.len() == got.len(), "each invitation carries a fresh link: {got:?}");
    // Each e-mail's link replaces those sent before it: only the newest opens.
    let mut working = 0;
    for link in &links {
        let token = link.rsplit('/').next().expect("token");
        let home = app.client.get(app.url(&format!("/s/{token}"))).send().await.expect("home");
        working += usize::from(home.status() == StatusCode::OK);
    }
    assert_eq!(working, 1, "only the newest invitation's link works: {links:?}");
}

#[tokio::test]
async fn a_randomised_participant_without_a_standing_consent_is_offered_consent_again_on_the_record() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let id = randomised(&app, &coord, 9).await;
    let sid = participant(&app, &id).await["study_id"].as_str().expect("id").to_owned();
    let page = app.get_as(&coord, &format!("/participants/{sid}")).await.text().await.expect("record");
    assert!(!page.contains(&format!("/participants/{sid}/consent\"")), "consented: no form");

    let consent = consent_ids(&app, &id).await.remove(0);
    let path = format!("/api/v1/participants/{id}/consents/{consent}/void");
    let resp =
        app.send_as(&coord, Method::POST, &path, json!({"reason": "the signature page was lost"})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = app.get_as(&coord, &format!("/participants/{sid}")).await.text().await.expect("record");
    assert!(page.contains("randomised: to be re-consented"), "{page}");
    assert!(page.contains(&format!("action=\"/participants/{sid}/consent\"")), "the consent form is offered");
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/participants/{id}/consents"),
            json!({"signature_name": "Test Person 9", "language": "en"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let page = app.get_as(&coord, &format!("/participants/{sid}")).await.text().await.expect("record");
    assert!(!page.contains("to be re-consented"), "{page}");
}
