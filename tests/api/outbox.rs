//! The message outbox against a real SMTP server on localhost: welcomes and session-day
//! reminders arrive once each in the participant's language, a restarted worker sends nothing
//! twice, withdrawn participants get nothing, and a failing server leads to retries and a
//! recorded failure.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;
use trialdesk::startup::Application;

use crate::enrolment::enrolled;
use crate::helpers::{SmtpSink, free_port, spawn_app_with, test_mail, test_settings};

#[tokio::test]
async fn welcomes_and_reminders_arrive_once_each_in_the_participants_language_even_after_a_restart() {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(|s| s.mail = Some(test_mail(port))).await;
    let coord = app.user(Role::Coordinator);
    let moderator = app.user(Role::Moderator);
    let mut people = Vec::new();
    for n in 0..8 {
        let id = enrolled(&app, &coord, n, true).await;
        let r: Value = app
            .send_as(&coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
            .await
            .json()
            .await
            .expect("r");
        people.push((n, id, r["arm"]["id"].as_str().expect("arm").to_owned()));
    }
    let welcomes = sink.wait_for(8).await;
    assert_eq!(welcomes.len(), 8, "one welcome each");
    for (n, _, _) in &people {
        let to_them: Vec<_> =
            welcomes.iter().filter(|m| m.to.contains(&format!("person{n}@example.org"))).collect();
        assert_eq!(to_them.len(), 1, "person {n} gets exactly one welcome");
        if n % 4 == 0 {
            assert!(
                to_them[0].subject.starts_with("Bienvenida") && to_them[0].body.contains("CON-"),
                "{:?}",
                to_them[0]
            );
        } else {
            assert!(to_them[0].subject.starts_with("Welcome"), "{:?}", to_them[0]);
        }
    }

    // A group for the English speakers in the intervention arm, with its first session soon.
    let group: Value = app.send_as(&coord, Method::POST, "/api/v1/groups", json!({
        "name": "Evening group", "arm_id": "support_groups", "moderator_id": moderator.id, "language": "en",
        "weekday": 2, "local_time": "19:00", "start_date": "2027-02-01"
    })).await.json().await.expect("group");
    let gid = group["id"].as_str().expect("id").to_owned();
    let proposal: Value = app.get_as(&coord, "/api/v1/groups/proposal").await.json().await.expect("proposal");
    let mine: Vec<Value> = proposal["assignments"]
        .as_array()
        .expect("a")
        .iter()
        .filter(|a| a["group_id"] == gid.as_str())
        .cloned()
        .collect();
    assert!(mine.len() >= 2, "the fixed test key puts at least two English speakers in the intervention arm");
    app.send_as(&coord, Method::POST, "/api/v1/groups/assignments", json!({"assignments": mine})).await;
    app.send_as(
        &coord,
        Method::POST,
        &format!("/api/v1/groups/{gid}/launch"),
        json!({"reason": "test group"}),
    )
    .await;
    let withdrawn = mine[0]["participant_id"].as_str().expect("p").to_owned();
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/participants/{withdrawn}/withdrawal"),
            json!({"reason": "no longer interested", "keep_data": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let sessions: Vec<Value> =
        app.get_as(&coord, &format!("/api/v1/groups/{gid}/sessions")).await.json().await.expect("sessions");
    let soon = (Utc::now() + Duration::minutes(30)).naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string();
    let first = sessions[0]["id"].as_str().expect("id");
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/sessions/{first}/reschedule"),
            json!({"starts_at": soon, "reason": "moved up"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let expected = 8 + (mine.len() - 1) + 1; // welcomes, reminders for members still in, one roster
    let all = sink.wait_for(expected).await;
    let reminders: Vec<_> = all.iter().filter(|m| m.subject.starts_with("Today: session 1")).collect();
    assert_eq!(reminders.len(), mine.len() - 1, "one reminder per member, none to the withdrawn");
    let rosters: Vec<_> = all.iter().filter(|m| m.subject.starts_with("Roster:")).collect();
    assert_eq!(rosters.len(), 1);
    assert!(rosters[0].to.contains(&moderator.email));

    // A second server on the same database (a restart, or a second worker) sends nothing again.
    let mut settings = test_settings(&app.db);
    settings.mail = Some(test_mail(port));
    let again = Application::build(settings).await.expect("second app");
    tokio::spawn(again.run_until_stopped());
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(sink.messages().len(), expected, "nothing is sent twice");
    let admin = app.user(Role::Admin);
    let pending: Vec<Value> =
        app.get_as(&admin, "/api/v1/outbox?status=sent").await.json().await.expect("outbox");
    assert_eq!(pending.len(), expected);
    let cancelled: Vec<Value> =
        app.get_as(&admin, "/api/v1/outbox?status=cancelled").await.json().await.expect("outbox");
    assert!(
        cancelled.iter().any(|m| m["recipient_id"] == withdrawn.as_str() && m["last_error"] == "withdrawn")
    );
}

#[tokio::test]
async fn a_failing_smtp_server_leads_to_retries_with_backoff_and_a_recorded_failure() {
    let closed = free_port();
    let app = spawn_app_with(|s| s.mail = Some(test_mail(closed))).await;
    let admin = app.user(Role::Admin);
    let id = enrolled(&app, &admin, 1, true).await;
    app.send_as(&admin, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({})).await;
    let mut last = Value::Null;
    for _ in 0..100 {
        let failed: Vec<Value> =
            app.get_as(&admin, "/api/v1/outbox?status=failed").await.json().await.expect("outbox");
        if let Some(m) = failed.into_iter().next() {
            last = m;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last["attempts"], 3, "three attempts, then failed: {last}");
    assert!(last["last_error"].as_str().expect("error").contains("SMTP"));
}
