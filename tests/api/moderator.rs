//! A moderator's work: a group whose sessions have been held, attendance recorded and corrected in
//! the browser (`tests/browser/moderator.mjs`), the personal calendar address a calendar app reads
//! without any header (checked with Python's `icalendar` parser), and a withdrawn member who no
//! longer holds the group open.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::fixtures::enrolled;
use crate::helpers::{TestApp, TestUser, spawn_app, spawn_app_with};

/// A launched English group of the support arm with `moderator`, its first two sessions moved
/// into the past (held) and the rest cancelled when `cancel_rest`: (group id, member ids, the
/// two held sessions' ids).
async fn held_group(
    app: &TestApp,
    coord: &TestUser,
    moderator: &TestUser,
    cancel_rest: bool,
) -> (String, Vec<String>, Vec<String>) {
    for i in 0..12 {
        let id = enrolled(app, coord, i, true).await;
        let resp = app
            .send_as(coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let group: Value = app
        .send_as(
            coord,
            Method::POST,
            "/api/v1/groups",
            json!({
                "name": "Tuesday evening (EN)", "arm_id": "support_groups", "moderator_id": moderator.id,
                "language": "en", "weekday": 1, "local_time": "18:30", "time_zone": "America/New_York",
                "start_date": "2031-02-11"
            }),
        )
        .await
        .json()
        .await
        .expect("group");
    let gid = group["id"].as_str().expect("id").to_owned();
    let queue: Vec<Value> = app.get_as(coord, "/api/v1/groups/queue").await.json().await.expect("queue");
    let members: Vec<String> = queue
        .iter()
        .filter(|w| w["language"] == "en")
        .map(|w| w["participant_id"].as_str().expect("id").to_owned())
        .take(10)
        .collect();
    assert!(members.len() >= 3, "the fixed test key leaves English speakers waiting: {queue:?}");
    let assignments: Vec<Value> =
        members.iter().map(|p| json!({"participant_id": p, "group_id": gid})).collect();
    let resp = app
        .send_as(coord, Method::POST, "/api/v1/groups/assignments", json!({"assignments": assignments}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let now: Value = app.get_as(coord, &format!("/api/v1/groups/{gid}")).await.json().await.expect("group");
    if now["status"] == "forming" {
        let resp = app
            .send_as(
                coord,
                Method::POST,
                &format!("/api/v1/groups/{gid}/launch"),
                json!({"reason": "test group"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let sessions: Vec<Value> =
        app.get_as(coord, &format!("/api/v1/groups/{gid}/sessions")).await.json().await.expect("sessions");
    let ids: Vec<String> = sessions.iter().map(|s| s["id"].as_str().expect("id").to_owned()).collect();
    for (i, days) in [(0, 8), (1, 1)] {
        let at = (Utc::now() - Duration::days(days)).naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string();
        let resp = app
            .send_as(
                coord,
                Method::POST,
                &format!("/api/v1/sessions/{}/reschedule", ids[i]),
                json!({"starts_at": at, "reason": "held early for the test"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    if cancel_rest {
        for id in &ids[2..] {
            let resp = app
                .send_as(
                    coord,
                    Method::POST,
                    &format!("/api/v1/sessions/{id}/cancel"),
                    json!({"reason": "holiday"}),
                )
                .await;
            assert_eq!(resp.status(), StatusCode::OK);
        }
    }
    (gid, members, ids[..2].to_vec())
}

async fn status_of(app: &TestApp, user: &TestUser, gid: &str) -> Value {
    app.get_as(user, &format!("/api/v1/groups/{gid}")).await.json::<Value>().await.expect("group")["status"]
        .clone()
}

#[tokio::test]
async fn a_withdrawn_members_missing_marks_no_longer_hold_the_group_open_and_follow_up_starts() {
    // The scheduler completes such a group on its next pass: here every tenth of a second.
    let app = spawn_app_with(|s| s.scheduler_poll = std::time::Duration::from_millis(100)).await;
    let (coord, moderator) = (app.user(Role::Coordinator), app.user(Role::Moderator));
    let (gid, members, held) = held_group(&app, &coord, &moderator, true).await;
    // Everyone is marked at both sessions except the first member, who stopped coming.
    for session in &held {
        let marks: Vec<Value> =
            members[1..].iter().map(|p| json!({"participant_id": p, "status": "present"})).collect();
        let resp = app
            .send_as(
                &moderator,
                Method::POST,
                &format!("/api/v1/sessions/{session}/attendance"),
                json!({"marks": marks}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(status_of(&app, &coord, &gid).await, "active", "one member's marks are missing");

    let gone = &members[0];
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/participants/{gone}/withdrawal"),
            json!({"reason": "no longer wishes to take part", "keep_data": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mut status = status_of(&app, &coord, &gid).await;
    for _ in 0..100 {
        if status == "completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = status_of(&app, &coord, &gid).await;
    }
    assert_eq!(status, "completed", "the withdrawal left nothing owed");
    let follows =
        |p: &Value| p["phases"].as_array().expect("phases").iter().any(|f| f["phase"] == "follow_up");
    let stayed: Value = app
        .get_as(&coord, &format!("/api/v1/participants/{}/dose", members[1]))
        .await
        .json()
        .await
        .expect("dose");
    assert!(follows(&stayed), "follow-up starts for those who stayed: {stayed}");
    let left: Value =
        app.get_as(&coord, &format!("/api/v1/participants/{gone}/dose")).await.json().await.expect("dose");
    assert!(!follows(&left), "someone who withdrew enters no follow-up: {left}");
    assert_eq!(left["dose"]["attended"], 0, "the missing marks still count as not attended");
}

#[tokio::test]
async fn a_moderator_records_and_corrects_attendance_in_the_browser_and_subscribes_a_calendar_app() {
    let app = spawn_app().await;
    let (coord, moderator, other) =
        (app.user(Role::Coordinator), app.user(Role::Moderator), app.user(Role::Moderator));
    let (gid, members, held) = held_group(&app, &coord, &moderator, false).await;
    let config = json!({"email": moderator.email, "password": moderator.password, "group": gid,
        "session": held[0], "members": members.len()});
    let address = app.address.clone();
    let result =
        tokio::task::spawn_blocking(move || crate::browser::run_browser("moderator.mjs", address, config))
            .await
            .expect("join");
    assert_eq!(result["ok"], true, "{result}");

    // What the browser saved: the first member excused after a correction, the rest present, one
    // for 30 minutes; the correction is in the audit trail with its reason.
    let doses: Vec<Value> = app
        .get_as(&moderator, &format!("/api/v1/groups/{gid}/attendance"))
        .await
        .json()
        .await
        .expect("doses");
    let first = doses.iter().find(|d| d["participant_id"] == members[0].as_str()).expect("first");
    assert_eq!((first["attended"].clone(), first["excused"].clone()), (json!(0), json!(1)), "{first}");
    assert_eq!(
        doses.iter().map(|d| d["attended"].as_i64().expect("n")).sum::<i64>(),
        members.len() as i64 - 1
    );
    let admin = app.user(Role::Admin);
    let trail: Vec<Value> = app
        .get_as(&admin, &format!("/api/v1/audit?entity=session&entity_id={}", held[0]))
        .await
        .json()
        .await
        .expect("audit");
    let corrected = trail.iter().find(|e| e["action"] == "correct_attendance").expect("a correction");
    assert_eq!(corrected["reason"], "marked absent by mistake: she had told us", "{corrected}");

    // The calendar address: no header, no cookie; a real iCalendar parser reads the 12 sessions.
    // The address is the configured public address's; the test server listens elsewhere.
    let at_test_server = |address: &str| {
        let (_, path) = address.split_once("/calendar/").expect("a calendar address");
        app.url(&format!("/calendar/{path}"))
    };
    let feed = result["calendar"].as_str().expect("calendar address").to_owned();
    assert!(feed.ends_with(".ics"), "{feed}");
    let feed = at_test_server(&feed);
    let bare = reqwest::Client::new();
    let resp = bare.get(&feed).send().await.expect("feed");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().expect("type").starts_with("text/calendar"));
    let ics = resp.text().await.expect("ics");
    let parsed = parse_ics(&ics);
    assert_eq!(parsed["events"].as_array().expect("events").len(), 12, "{parsed}");
    assert!(parsed["events"][0]["summary"].as_str().expect("summary").starts_with("Tuesday evening (EN)"));
    for member in &members {
        assert!(!ics.contains(member.as_str()), "the feed names no participant");
    }
    // Another moderator's address shows none of this group's sessions.
    let csrf = app.login(&other.email, &other.password).await;
    let theirs = app.new_calendar_address(&csrf).await;
    let ics = bare.get(&theirs).send().await.expect("feed").text().await.expect("ics");
    assert_eq!(parse_ics(&ics)["events"].as_array().expect("events").len(), 0, "{ics}");
    // Revoked from the account page: the address is gone.
    let resp = app
        .client
        .post(app.url("/account/calendar/revoke"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .expect("post");
    assert!(resp.status().is_redirection() || resp.status().is_success());
    assert_eq!(bare.get(&theirs).send().await.expect("feed").status(), StatusCode::NOT_FOUND);
    assert_eq!(
        bare.get(&feed).send().await.expect("feed").status(),
        StatusCode::OK,
        "only their own stopped"
    );
}

/// The feed as Python's `icalendar` reads it: {"events": [{"summary", "start", "status"}]}.
fn parse_ics(ics: &str) -> Value {
    let python = std::env::var("TRIALDESK_TEST_PYTHON").expect("TRIALDESK_TEST_PYTHON: run scripts/test.sh");
    let script = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.read())
events = [{"summary": str(e.get("summary")), "start": e.decoded("dtstart").isoformat(),
           "status": str(e.get("status", ""))} for e in cal.walk("VEVENT")]
print(json.dumps({"events": events}))
"#;
    use std::io::Write;
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    child.stdin.take().expect("stdin").write_all(ics.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("python ran");
    assert!(
        out.status.success(),
        "icalendar could not read the feed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}
