//! A coordinator forms and runs a group in the browser (`tests/browser/groups.mjs`): what the
//! pages did is what the API reads back, with every change in the audit trail with its reason,
//! and each member placed is e-mailed "your group is ready" (a real SMTP sink);
//! and what can no longer change (a running group's schedule, the language of one with members)
//! is refused through the API too.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::fixtures::enrolled;
use crate::helpers::{SmtpSink, spawn_app, spawn_app_with, test_mail};

#[tokio::test]
async fn a_coordinator_makes_a_group_places_the_queue_starts_it_and_changes_it_in_the_browser_and_members_are_told()
 {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(|s| s.mail = Some(test_mail(port))).await;
    let (coord, moderator) = (app.user(Role::Coordinator), app.user(Role::Moderator));
    for i in 0..12 {
        let id = enrolled(&app, &coord, i, true).await;
        let resp = app
            .send_as(&coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let config = json!({"email": coord.email, "password": coord.password, "moderator": moderator.id});
    let address = app.address.clone();
    let result =
        tokio::task::spawn_blocking(move || crate::browser::run_browser("groups.mjs", address, config))
            .await
            .expect("join");
    assert_eq!(result["ok"], true, "{result}");

    let gid = result["group"].as_str().expect("group id");
    let group: Value =
        app.get_as(&coord, &format!("/api/v1/groups/{gid}")).await.json().await.expect("group");
    assert_eq!(group["status"], "active");
    assert_eq!(group["meeting_url"], "https://meet.example.org/tuesday-2");
    let placed = result["placed"].as_array().expect("placed");
    let members = group["members"].as_array().expect("members");
    assert_eq!(members.len(), placed.len() - 1, "one was taken out: {group}");
    assert!(!members.contains(&result["removed"]), "{group}");
    let queue: Vec<Value> = app.get_as(&coord, "/api/v1/groups/queue").await.json().await.expect("queue");
    assert!(queue.iter().any(|w| w["study_id"] == result["removed"]), "the removed member waits again");

    let sessions: Vec<Value> =
        app.get_as(&coord, &format!("/api/v1/groups/{gid}/sessions")).await.json().await.expect("sessions");
    assert_eq!(sessions.len(), 12);
    assert_eq!(sessions[11]["status"], "cancelled");
    assert_eq!(sessions[1]["status_reason"], "Moderator's clinic runs late that Tuesday");
    let ny: chrono_tz::Tz = "America/New_York".parse().expect("zone");
    let moved = chrono::NaiveDateTime::parse_from_str(
        sessions[1]["starts_at"].as_str().expect("t"),
        "%Y-%m-%dT%H:%M:%S%.fZ",
    )
    .expect("time")
    .and_utc()
    .with_timezone(&ny);
    assert_eq!(moved.format("%A %H:%M").to_string(), "Wednesday 19:00", "read on the group's clock");

    // What the form no longer offers, the API refuses too.
    let path = format!("/api/v1/groups/{gid}");
    let resp = app.send_as(&coord, Method::PATCH, &path, json!({"weekday": 4, "reason": "later"})).await;
    assert_eq!(crate::helpers::error_of(resp).await.0, "already_launched");
    let resp = app.send_as(&coord, Method::PATCH, &path, json!({"language": "es", "reason": "later"})).await;
    assert_eq!(crate::helpers::error_of(resp).await.0, "has_members");
    // Each member placed was e-mailed "your group is ready", with its link and the sessions.
    let ready =
        sink.wait_for_where(placed.len(), |m| m.subject.starts_with("Your support group is ready")).await;
    assert_eq!(ready.len(), placed.len(), "one each: {ready:?}");
    for m in &ready {
        assert!(
            m.body.contains("It meets Tuesdays at 18:30")
                && m.body.contains("https://meet.example.org/tuesday"),
            "{}",
            m.body
        );
        assert_eq!(m.attachments.len(), 1, "the sessions as a calendar file");
    }
    // The moved and the cancelled session: each member still in the group is told.
    let cancelled = sink.wait_for_where(members.len(), |m| m.subject.starts_with("Session cancelled")).await;
    assert_eq!(cancelled.len(), members.len(), "{cancelled:?}");
    assert!(cancelled.iter().all(|m| m.body.contains("Session 12")), "{cancelled:?}");
    let moved = sink.wait_for_where(members.len(), |m| m.subject.starts_with("New time")).await;
    assert!(moved.iter().all(|m| m.body.contains("has moved to Wednesday")), "{moved:?}");
    // On a member's personal page: their group, its next sessions and the meeting link.
    let token = crate::fixtures::link(&app, &coord, members[0].as_str().expect("study id")).await;
    let home = app
        .client
        .get(app.url(&format!("/s/{token}")))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("page");
    assert!(home.contains("Your group: Tuesday evening (EN)") && home.contains("Next sessions"), "{home}");
    assert!(home.contains(r#"href="https://meet.example.org/tuesday-2""#), "{home}");
    let admin = app.user(Role::Admin);
    let trail: Vec<Value> = app
        .get_as(&admin, &format!("/api/v1/audit?entity=group&entity_id={gid}"))
        .await
        .json()
        .await
        .expect("audit");
    let update = trail.iter().find(|e| e["action"] == "update").expect("the change");
    assert_eq!(update["reason"], "The video room was renamed", "{update}");
    let launch = trail.iter().find(|e| e["action"] == "launch").expect("the launch");
    assert_eq!(launch["reason"], "Enough English speakers for a small first group", "{launch}");
}

#[tokio::test]
async fn a_group_change_through_the_api_needs_a_reason_and_a_web_address_and_a_forming_empty_group_changes_freely()
 {
    let app = spawn_app().await;
    let (coord, moderator, other) =
        (app.user(Role::Coordinator), app.user(Role::Moderator), app.user(Role::Moderator));
    let made: Value = app
        .send_as(&coord, Method::POST, "/api/v1/groups", json!({
            "name": "Thursday group", "arm_id": "support_groups", "moderator_id": moderator.id, "language": "en",
            "weekday": 3, "local_time": "18:30", "start_date": "2031-02-11", "meeting_url": "https://meet.example.org/a"
        }))
        .await
        .json()
        .await
        .expect("group");
    let gid = made["id"].as_str().expect("id");
    let path = format!("/api/v1/groups/{gid}");
    let patch = |body: Value| app.send_as(&coord, Method::PATCH, &path, body);
    let resp = patch(json!({"meeting_url": "not a link", "reason": "new room"})).await;
    assert_eq!(crate::helpers::error_of(resp).await.1.as_deref(), Some("meeting_url"));
    let resp = patch(json!({"moderator_id": other.id})).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    let resp =
        patch(json!({"moderator_id": other.id, "weekday": 1, "language": "es", "reason": "Ana left"})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let changed: Value = resp.json().await.expect("group");
    assert_eq!(
        (changed["moderator_id"].as_str(), changed["weekday"].as_i64(), changed["language"].as_str()),
        (Some(other.id.as_str()), Some(1), Some("es")),
        "a forming, empty group changes freely"
    );
}
