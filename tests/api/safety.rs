//! The PHQ-9 item-9 safety workflow: the answer shows crisis resources at once, raises an alert,
//! e-mails the first safety contact (a real SMTP server), escalates to the next when nobody
//! acknowledges in time, and records acknowledgement, action and closure in the audit trail.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::fixtures::{answer, ready_visit};
use crate::helpers::{SmtpSink, error_of, spawn_app_with, test_mail};

#[tokio::test]
async fn an_item_9_answer_alerts_the_clinician_escalates_when_unacknowledged_and_every_step_is_audited() {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(|s| s.mail = Some(test_mail(port))).await;
    let (admin, coord) = (app.user(Role::Admin), app.user(Role::Coordinator));
    let (first, second) = (app.user(Role::Clinician), app.user(Role::Clinician));
    let contacts = json!({"user_ids": [first.id, second.id]});
    assert_eq!(
        app.send_as(&coord, Method::PUT, "/api/v1/safety/contacts", contacts.clone()).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send_as(&admin, Method::PUT, "/api/v1/safety/contacts", contacts).await.status(),
        StatusCode::OK
    );
    let resp =
        app.send_as(&admin, Method::PUT, "/api/v1/safety/contacts", json!({"user_ids": ["nobody"]})).await;
    assert_eq!(error_of(resp).await.1.as_deref(), Some("user_ids[0]"));

    // Person 0 answers in Spanish: items 1–8 at 0, then item 9 at 1.
    let (_, token, baseline) = ready_visit(&app, &coord, 0).await;
    for n in 1..=8 {
        assert_eq!(answer(&app, &token, &baseline, n, Some(0)).await.status(), StatusCode::SEE_OTHER);
    }
    let resp = answer(&app, &token, &baseline, 9, Some(1)).await;
    let to = resp.headers()["location"].to_str().expect("location").to_owned();
    assert!(to.starts_with(&format!("/s/{token}/help?next=")), "straight to crisis resources: {to}");
    let page = app.client.get(app.url(&to)).send().await.expect("help").text().await.expect("html");
    assert!(
        page.contains("988") && page.contains("oprima 2 para español") && page.contains("lang=\"es\""),
        "{page}"
    );

    // The alert exists before the questionnaire is even sent, due within the hour.
    let alerts: Vec<Value> = app.get_as(&first, "/api/v1/alerts").await.json().await.expect("alerts");
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(
        (alert["severity"].as_str(), alert["level"].as_i64(), alert["status"].as_str()),
        (Some("urgent"), Some(1), Some("open"))
    );
    assert_eq!(alert["rule_id"], "phq9.item9_endorsed");
    let alert_id = alert["id"].as_str().expect("id").to_owned();
    let statistician = app.user(Role::StatisticianUnblinded);
    assert_eq!(app.get_as(&statistician, "/api/v1/alerts").await.status(), StatusCode::FORBIDDEN);

    let mails = sink.wait_for_where(1, |m| m.subject.contains("URGENT")).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].to.contains(&first.email), "the first contact hears first: {:?}", mails[0]);
    assert!(mails[0].subject.contains("CON-0001") && mails[0].body.contains(&format!("/alerts/{alert_id}")));
    assert!(
        !mails[0].body.contains("person0") && !mails[0].body.contains("Test Person 0"),
        "no name or address in the alert"
    );

    // Nobody acknowledges within the hour: the second contact is told.
    let mut conn = app.db.conn();
    let due = chrono::NaiveDateTime::parse_from_str(
        alert["due_at"].as_str().expect("due"),
        "%Y-%m-%dT%H:%M:%S%.fZ",
    )
    .expect("due");
    assert_eq!(trialdesk::safety::escalate_due(&mut conn, due - Duration::seconds(1)).expect("escalate"), 0);
    assert_eq!(trialdesk::safety::escalate_due(&mut conn, due).expect("escalate"), 1);
    let mails = sink.wait_for_where(2, |m| m.subject.contains("URGENT")).await;
    assert!(mails.iter().any(|m| m.to.contains(&second.email)), "escalated to the second contact: {mails:?}");
    let detail: Value =
        app.get_as(&second, &format!("/api/v1/alerts/{alert_id}")).await.json().await.expect("alert");
    assert_eq!(detail["level"], 2);
    assert_eq!(detail["contact"]["phone"], "+155501000000", "the clinician can call them");

    // Closing needs an acknowledgement and a recorded action first.
    let path = |step: &str| format!("/api/v1/alerts/{alert_id}/{step}");
    let resp = app.send_as(&second, Method::POST, &path("closure"), json!({"text": "done"})).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.send_as(&second, Method::POST, &path("acknowledgement"), json!({})).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.send_as(&first, Method::POST, &path("acknowledgement"), json!({})).await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        trialdesk::safety::escalate_due(&mut conn, due + Duration::hours(5)).expect("escalate"),
        0,
        "acknowledged alerts stop escalating"
    );
    let resp = app.send_as(&second, Method::POST, &path("action"), json!({"text": "  "})).await;
    assert_eq!(error_of(resp).await.1.as_deref(), Some("text"));
    let action = "Called the same day; C-SSRS screen negative; safety plan reviewed";
    assert_eq!(
        app.send_as(&second, Method::POST, &path("action"), json!({"text": action})).await.status(),
        StatusCode::OK
    );
    let resp =
        app.send_as(&second, Method::POST, &path("closure"), json!({"text": "no further action"})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let closed: Value = resp.json().await.expect("closed");
    assert_eq!((closed["status"].as_str(), closed["action_taken"].as_str()), (Some("closed"), Some(action)));
    let open: Vec<Value> = app.get_as(&first, "/api/v1/alerts").await.json().await.expect("alerts");
    assert!(open.is_empty(), "closed alerts leave the queue");

    let trail: Vec<Value> =
        app.get_as(&admin, &format!("/api/v1/audit?entity_id={alert_id}")).await.json().await.expect("audit");
    let steps: Vec<(&str, &str)> = trail
        .iter()
        .map(|e| (e["action"].as_str().expect("a"), e["actor_kind"].as_str().expect("k")))
        .collect();
    assert_eq!(
        steps,
        [
            ("raise_alert", "participant"),
            ("escalate_alert", "system"),
            ("acknowledge_alert", "user"),
            ("record_alert_action", "user"),
            ("close_alert", "user")
        ]
    );
    assert!(trail[2..].iter().all(|e| e["actor_id"] == second.id.as_str()));

    // The questionnaire goes on; sending it does not raise the same alert twice, and the
    // thank-you page shows the crisis resources again.
    for n in 10..=20 {
        answer(&app, &token, &baseline, n, Some(1)).await;
    }
    app.client.post(app.url(&format!("/s/{token}/a/{baseline}/submit"))).send().await.expect("submit");
    let all: Vec<Value> = app.get_as(&first, "/api/v1/alerts?all=true").await.json().await.expect("alerts");
    assert_eq!(all.len(), 1, "{all:?}");
    let done = app
        .client
        .get(app.url(&format!("/s/{token}/a/{baseline}/done")))
        .send()
        .await
        .expect("done")
        .text()
        .await
        .expect("html");
    assert!(done.contains("988"));
}

#[tokio::test]
async fn a_skipped_item_9_leaves_phq9_without_a_total_and_asks_the_clinician_to_follow_up() {
    let app = spawn_app_with(|_| {}).await;
    let coord = app.user(Role::Coordinator);
    let clinician = app.user(Role::Clinician);
    let (_, token, baseline) = ready_visit(&app, &coord, 1).await;
    for n in 1..=20 {
        let value = if n == 9 { None } else { Some(if n <= 10 { 2 } else { 1 }) };
        assert_eq!(
            answer(&app, &token, &baseline, n, value).await.status(),
            StatusCode::SEE_OTHER,
            "question {n}"
        );
    }
    app.client.post(app.url(&format!("/s/{token}/a/{baseline}/submit"))).send().await.expect("submit");
    let detail: Value =
        app.get_as(&coord, &format!("/api/v1/assessments/{baseline}")).await.json().await.expect("detail");
    let phq9 = detail["scores"]
        .as_array()
        .expect("scores")
        .iter()
        .find(|s| s["instrument"] == "phq9")
        .expect("phq9")
        .clone();
    assert_eq!(
        (phq9["total"].clone(), phq9["answered"].clone()),
        (Value::Null, json!(8)),
        "item 9 is never imputed"
    );
    let alerts: Vec<Value> = app.get_as(&clinician, "/api/v1/alerts").await.json().await.expect("alerts");
    let rules: Vec<&str> = alerts.iter().map(|a| a["rule_id"].as_str().expect("rule")).collect();
    assert_eq!(rules, ["phq9.item9_unanswered"]);
    assert_eq!(alerts[0]["severity"], "notify");
}

#[tokio::test]
async fn a_clinician_acknowledges_acts_on_and_closes_an_alert_from_its_page() {
    let app = spawn_app_with(|_| {}).await;
    let coord = app.user(Role::Coordinator);
    let clinician = app.user(Role::Clinician);
    let (_, token, baseline) = ready_visit(&app, &coord, 1).await;
    answer(&app, &token, &baseline, 9, Some(2)).await;
    let alerts: Vec<Value> = app.get_as(&clinician, "/api/v1/alerts").await.json().await.expect("alerts");
    let alert_id = alerts[0]["id"].as_str().expect("id").to_owned();

    let csrf = app.login(&clinician.email, &clinician.password).await;
    let page = |path: String| {
        let client = app.client.clone();
        let url = app.url(&path);
        async move { client.get(url).send().await.expect("page") }
    };
    let overview = page("/".into()).await.text().await.expect("html");
    assert!(overview.contains("Safety alerts: 1 not yet acknowledged"), "{overview}");
    assert!(overview.contains("Questionnaires: 1 open"), "{overview}");
    let queue = page("/alerts".into()).await.text().await.expect("html");
    assert!(
        queue.contains("CON-0001")
            && queue.contains(&format!("/alerts/{alert_id}"))
            && queue.contains("Urgent")
    );
    let detail = page(format!("/alerts/{alert_id}")).await.text().await.expect("html");
    assert!(detail.contains("tel:+15550101") && detail.contains("Test Person 1"), "the number to call");
    let post = |step: &str, fields: Vec<(&'static str, String)>| {
        let (client, url) = (app.client.clone(), app.url(&format!("/alerts/{alert_id}/{step}")));
        async move { client.post(url).form(&fields).send().await.expect("post") }
    };
    let stale = post("acknowledge", vec![("csrf_token", "stale".into())]).await;
    assert_eq!(stale.status(), StatusCode::FORBIDDEN, "a form without the session's token is refused");
    let blank = post("action", vec![("csrf_token", csrf.clone()), ("text", "   ".into())]).await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY, "an empty action is refused");
    let shown = blank.text().await.expect("html");
    assert!(
        shown.contains("id=\"step-error\"") && shown.contains("say what was done"),
        "on the page, not as JSON"
    );
    for (step, text) in [
        ("acknowledge", None),
        ("action", Some("Called; safe; referred to their neurologist")),
        ("close", Some("Resolved")),
    ] {
        let mut fields = vec![("csrf_token", csrf.clone())];
        if let Some(t) = text {
            fields.push(("text", t.to_owned()));
        }
        let resp = post(step, fields).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{step}");
    }
    let detail = page(format!("/alerts/{alert_id}")).await.text().await.expect("html");
    assert!(detail.contains("Called; safe; referred to their neurologist") && detail.contains("closed"));
    let moderator = app.user(Role::Moderator);
    assert_eq!(app.get_as(&moderator, "/alerts").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn reading_an_alert_with_its_contact_details_is_audited_like_any_contact_read() {
    let app = crate::helpers::spawn_app().await;
    let (admin, coord, clinician) =
        (app.user(Role::Admin), app.user(Role::Coordinator), app.user(Role::Clinician));
    let (id, token, baseline) = ready_visit(&app, &coord, 1).await;
    let mut values = crate::fixtures::ORDINARY;
    values[8] = 2;
    crate::fixtures::complete(&app, &token, &baseline, &values).await;
    let alerts: Value = app.get_as(&clinician, "/api/v1/alerts").await.json().await.expect("alerts");
    let alert = alerts[0]["id"].as_str().expect("an alert").to_owned();

    let detail: Value =
        app.get_as(&clinician, &format!("/api/v1/alerts/{alert}")).await.json().await.expect("detail");
    assert!(
        detail["contact"]["full_name"].is_string(),
        "the clinician gets what they need to call: {detail}"
    );
    let page =
        app.client.get(app.url(&format!("/alerts/{alert}"))).bearer_auth(&clinician.token).send().await;
    assert_eq!(page.expect("page").status(), StatusCode::OK);

    let audit: Value = app
        .get_as(&admin, &format!("/api/v1/audit?entity=participant&entity_id={id}"))
        .await
        .json()
        .await
        .expect("audit");
    let reads = audit
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "read_contact" && e["actor_id"] == clinician.id.as_str())
        .count();
    assert_eq!(reads, 2, "the alert's API and its page each record who saw the contact details");
}
