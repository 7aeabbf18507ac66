//! Support groups: forming them from the queue, launching, sessions across daylight saving,
//! attendance by the group's own moderator, dose, and the waitlist's queue date.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDateTime, Timelike, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::fixtures::enrolled;
use crate::helpers::{TestApp, TestUser, error_of, spawn_app};

async fn randomised(app: &TestApp, coord: &TestUser, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..n {
        let id = enrolled(app, coord, i, true).await;
        let r: Value = app
            .send_as(coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
            .await
            .json()
            .await
            .expect("randomised");
        out.push((id, r["arm"]["id"].as_str().expect("arm").to_owned()));
    }
    out
}

async fn group(
    app: &TestApp,
    coord: &TestUser,
    name: &str,
    moderator: &TestUser,
    language: &str,
    tags: &[&str],
) -> Value {
    let resp = app
        .send_as(
            coord,
            Method::POST,
            "/api/v1/groups",
            json!({
                "name": name, "arm_id": "support_groups", "moderator_id": moderator.id, "language": language,
                "affinity_tags": tags, "weekday": 1, "local_time": "18:30", "time_zone": "America/New_York",
                "start_date": "2031-02-11"
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.expect("group")
}

#[tokio::test]
async fn forty_randomised_fill_groups_by_language_and_affinity_with_twelve_sessions_across_daylight_saving() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let (mod_a, mod_b) = (app.user(Role::Moderator), app.user(Role::Moderator));
    randomised(&app, &coord, 40).await;
    let queue: Vec<Value> = app.get_as(&coord, "/api/v1/groups/queue").await.json().await.expect("queue");
    assert!(queue.iter().all(|w| w["arm_id"] == "support_groups"), "the waitlist arm waits 12 weeks first");
    assert!(queue.len() >= 12, "{} waiting", queue.len());

    let newly = group(&app, &coord, "Newly diagnosed (EN)", &mod_a, "en", &["newly_diagnosed"]).await;
    let english = group(&app, &coord, "Tuesday group (EN)", &mod_a, "en", &[]).await;
    let spanish = group(&app, &coord, "Grupo del martes (ES)", &mod_b, "es", &[]).await;
    let by_id: BTreeMap<String, Value> = [&newly, &english, &spanish]
        .iter()
        .map(|g| (g["id"].as_str().expect("id").to_owned(), (*g).clone()))
        .collect();

    let proposal: Value = app.get_as(&coord, "/api/v1/groups/proposal").await.json().await.expect("proposal");
    let assignments = proposal["assignments"].as_array().expect("assignments").clone();
    let waiting: BTreeMap<&str, &Value> =
        queue.iter().map(|w| (w["participant_id"].as_str().expect("id"), w)).collect();
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &assignments {
        let w = waiting[a["participant_id"].as_str().expect("p")];
        let g = &by_id[a["group_id"].as_str().expect("g")];
        assert_eq!(w["language"], g["language"], "language respected");
        for tag in g["affinity_tags"].as_array().expect("tags") {
            assert!(w["tags"].as_array().expect("tags").contains(tag), "affinity respected");
        }
        *sizes.entry(a["group_id"].as_str().expect("g")).or_default() += 1;
    }
    assert!(sizes.values().all(|&n| n <= 10), "no group over capacity: {sizes:?}");

    let resp = app
        .send_as(&coord, Method::POST, "/api/v1/groups/assignments", json!({"assignments": assignments}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let auto_launched: Vec<Value> = resp.json().await.expect("launched");
    for g in &auto_launched {
        assert!(
            g["members"].as_array().expect("m").len() >= 6,
            "only groups at their minimum launch by themselves"
        );
    }
    for g in by_id.values() {
        let id = g["id"].as_str().expect("id");
        let now: Value =
            app.get_as(&coord, &format!("/api/v1/groups/{id}")).await.json().await.expect("group");
        if now["status"] == "forming" && !now["members"].as_array().expect("m").is_empty() {
            let resp =
                app.send_as(&coord, Method::POST, &format!("/api/v1/groups/{id}/launch"), json!({})).await;
            assert_eq!(error_of(resp).await.1.as_deref(), Some("reason"), "below the minimum needs a reason");
            let resp = app
                .send_as(
                    &coord,
                    Method::POST,
                    &format!("/api/v1/groups/{id}/launch"),
                    json!({"reason": "small language group"}),
                )
                .await;
            assert_eq!(resp.status(), StatusCode::OK);
        }
    }

    let ny: chrono_tz::Tz = "America/New_York".parse().expect("zone");
    let mut launched = 0;
    for g in by_id.values() {
        let id = g["id"].as_str().expect("id");
        let sessions: Vec<Value> = app
            .get_as(&coord, &format!("/api/v1/groups/{id}/sessions"))
            .await
            .json()
            .await
            .expect("sessions");
        if sessions.is_empty() {
            continue;
        }
        launched += 1;
        assert_eq!(sessions.len(), 12);
        let mut offsets = std::collections::BTreeSet::new();
        for s in &sessions {
            let utc =
                NaiveDateTime::parse_from_str(s["starts_at"].as_str().expect("t"), "%Y-%m-%dT%H:%M:%S%.fZ")
                    .expect("time")
                    .and_utc();
            let local = utc.with_timezone(&ny);
            assert_eq!((local.weekday(), local.hour(), local.minute()), (chrono::Weekday::Tue, 18, 30));
            offsets.insert(utc.hour());
        }
        assert_eq!(
            offsets.len(),
            2,
            "the UTC time shifts at the daylight-saving change, the local time does not"
        );
    }
    assert!(launched >= 2);

    // Attendance: session 1 of Spanish group moved to yesterday so it has been held.
    let sid = spanish["id"].as_str().expect("id");
    let sessions: Vec<Value> =
        app.get_as(&coord, &format!("/api/v1/groups/{sid}/sessions")).await.json().await.expect("sessions");
    let first = sessions[0]["id"].as_str().expect("session").to_owned();
    let yesterday = (Utc::now() - Duration::days(1)).naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string();
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/sessions/{first}/reschedule"),
            json!({"starts_at": yesterday, "reason": "moderator's holiday"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let members: Value =
        app.get_as(&coord, &format!("/api/v1/groups/{sid}")).await.json().await.expect("group");
    let member_ids: Vec<String> = app
        .get_as(&coord, "/api/v1/participants")
        .await
        .json::<Vec<Value>>()
        .await
        .expect("list")
        .iter()
        .filter(|p| members["members"].as_array().expect("m").contains(&p["study_id"]))
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect();
    let marks: Vec<Value> = member_ids
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"participant_id": p, "status": if i == 0 { "absent" } else { "present" }}))
        .collect();
    let body = json!({"marks": marks});
    let resp = app
        .send_as(&mod_a, Method::POST, &format!("/api/v1/sessions/{first}/attendance"), body.clone())
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "another group's moderator may not record attendance");
    assert_eq!(error_of(resp).await.0, "not_your_group");
    let resp = app.send_as(&mod_b, Method::POST, &format!("/api/v1/sessions/{first}/attendance"), body).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let doses: Vec<Value> =
        app.get_as(&mod_b, &format!("/api/v1/groups/{sid}/attendance")).await.json().await.expect("doses");
    assert_eq!(doses.len(), member_ids.len());
    for d in &doses {
        assert_eq!(d["delivered"], 1);
        let expected = if d["participant_id"] == member_ids[0].as_str() { 0.0 } else { 1.0 };
        assert_eq!(d["dose"].as_f64(), Some(expected));
        assert_eq!(d["adequate"], false, "one session attended is below the adequate dose of 6");
        assert_eq!(d["minutes_attended"], if expected > 0.0 { 45 } else { 0 });
    }
    let own: Vec<Value> = app.get_as(&mod_b, "/api/v1/groups").await.json().await.expect("groups");
    assert_eq!(own.len(), 1, "a moderator lists their own groups only");
    let ics = app.get_as(&mod_b, "/api/v1/calendar.ics").await.text().await.expect("ics");
    assert!(ics.starts_with("BEGIN:VCALENDAR") && ics.matches("BEGIN:VEVENT").count() == 12, "{ics}");
}

#[tokio::test]
async fn a_waitlisted_participant_joins_the_queue_on_the_day_the_wait_ends_not_before_and_is_told_that_morning()
 {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let people = randomised(&app, &coord, 6).await;
    let (waiter, _) =
        people.iter().find(|(_, arm)| arm == "waitlist").expect("someone is waitlisted").clone();
    let queue: Vec<Value> = app.get_as(&coord, "/api/v1/groups/queue").await.json().await.expect("queue");
    assert!(!queue.iter().any(|w| w["participant_id"] == waiter.as_str()), "not during the wait");

    let mut conn = app.db.conn();
    let (protocol, _) = trialdesk::protocol::store::current_parsed(&mut conn).expect("protocol");
    let today = protocol.today();
    let on = |day| {
        trialdesk::groups::queue(&mut app.db.conn(), &protocol, day)
            .expect("queue")
            .iter()
            .any(|w| w.participant_id == waiter)
    };
    assert!(!on(today + Duration::days(83)), "the day before the 12 weeks end");
    assert!(on(today + Duration::days(84)), "the day the 12 weeks end");
    let phases: Value = app
        .get_as(&coord, &format!("/api/v1/participants/{waiter}/dose"))
        .await
        .json()
        .await
        .expect("phases");
    assert_eq!(phases["phases"][0]["phase"], "waiting");
    assert_eq!(phases["phases"][0]["started_on"], today.format("%Y-%m-%d").to_string());
    // They are told when the wait ends: a message waits in the outbox for that morning.
    let admin = app.user(Role::Admin);
    let pending: Vec<Value> =
        app.get_as(&admin, "/api/v1/outbox?status=pending").await.json().await.expect("outbox");
    let told: Vec<&Value> = pending
        .iter()
        .filter(|m| m["kind"] == "waitlist_ended" && m["recipient_id"] == waiter.as_str())
        .collect();
    assert_eq!(told.len(), 1, "{pending:?}");
    let end = (today + Duration::days(84)).format("%Y-%m-%d").to_string();
    assert!(told[0]["due_at"].as_str().expect("due").starts_with(&end), "{:?}", told[0]);
}

#[tokio::test]
async fn moving_a_member_needs_a_reason_is_audited_and_respects_language() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let admin = app.user(Role::Admin);
    let moderator = app.user(Role::Moderator);
    randomised(&app, &coord, 12).await;
    let a = group(&app, &coord, "Group A (EN)", &moderator, "en", &[]).await;
    let b = group(&app, &coord, "Group B (EN)", &moderator, "en", &[]).await;
    let es = group(&app, &coord, "Grupo C (ES)", &moderator, "es", &[]).await;
    let proposal: Value = app.get_as(&coord, "/api/v1/groups/proposal").await.json().await.expect("proposal");
    // Both English groups fit equally; whichever the proposal filled is the one to move from.
    let english: Vec<Value> = proposal["assignments"]
        .as_array()
        .expect("a")
        .iter()
        .filter(|x| x["group_id"] == a["id"] || x["group_id"] == b["id"])
        .cloned()
        .collect();
    assert!(!english.is_empty());
    let (from, to) = if english[0]["group_id"] == a["id"] { (&a, &b) } else { (&b, &a) };
    let in_a: Vec<Value> = english.iter().filter(|x| x["group_id"] == from["id"]).cloned().collect();
    let placed =
        app.send_as(&coord, Method::POST, "/api/v1/groups/assignments", json!({"assignments": in_a})).await;
    assert_eq!(placed.status(), StatusCode::OK);
    let pid = in_a[0]["participant_id"].as_str().expect("p");
    let path = format!("/api/v1/participants/{pid}/group-move");

    let resp = app.send_as(&coord, Method::POST, &path, json!({"group_id": to["id"]})).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(resp).await.1.as_deref(), Some("reason"));
    let resp = app
        .send_as(&coord, Method::POST, &path, json!({"group_id": es["id"], "reason": "friend is there"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT, "language is respected on moves too");
    let resp = app
        .send_as(&coord, Method::POST, &path, json!({"group_id": to["id"], "reason": "works evenings now"}))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let audit: Vec<Value> = app
        .get_as(&admin, &format!("/api/v1/audit?entity=participant&entity_id={pid}"))
        .await
        .json()
        .await
        .expect("audit");
    let moved = audit.iter().find(|e| e["action"] == "move_group").expect("audited");
    assert_eq!(moved["reason"], "works evenings now");
    assert_eq!(moved["changes"][0]["old"], from["id"]);
    assert_eq!(moved["changes"][0]["new"], to["id"]);
}

#[tokio::test]
async fn placing_more_people_than_a_group_holds_is_refused_and_nothing_is_placed() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let moderator = app.user(Role::Moderator);
    randomised(&app, &coord, 30).await;
    let small: Value = app
        .send_as(&coord, Method::POST, "/api/v1/groups", json!({
            "name": "Small group", "arm_id": "support_groups", "moderator_id": moderator.id, "language": "en",
            "weekday": 1, "local_time": "18:30", "start_date": "2031-02-11", "capacity": 6
        }))
        .await.json().await.expect("group");
    let queue: Vec<Value> = app.get_as(&coord, "/api/v1/groups/queue").await.json().await.expect("queue");
    let english: Vec<Value> = queue
        .iter()
        .filter(|w| w["language"] == "en")
        .map(|w| json!({"participant_id": w["participant_id"], "group_id": small["id"]}))
        .take(7)
        .collect();
    assert_eq!(english.len(), 7, "the fixed test key leaves seven English speakers waiting");
    let resp = app
        .send_as(&coord, Method::POST, "/api/v1/groups/assignments", json!({"assignments": english}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "does_not_fit");
    assert!(body["error"]["message"].as_str().expect("m").contains("assignments[6]"));
    let after: Value = app
        .get_as(&coord, &format!("/api/v1/groups/{}", small["id"].as_str().expect("id")))
        .await
        .json()
        .await
        .expect("group");
    assert_eq!(after["members"].as_array().expect("m").len(), 0, "all or nothing");
}

#[tokio::test]
async fn a_group_name_with_a_line_break_is_refused_so_it_never_reaches_a_calendar() {
    let app = spawn_app().await;
    let (coord, moderator) = (app.user(Role::Coordinator), app.user(Role::Moderator));
    for name in ["Tuesday\rBEGIN:VEVENT", "Tuesday\nevening", "Tab\tgroup"] {
        let resp = app
            .send_as(
                &coord,
                Method::POST,
                "/api/v1/groups",
                json!({
                    "name": name, "arm_id": "support_groups", "moderator_id": moderator.id, "language": "en",
                    "weekday": 1, "local_time": "18:30", "start_date": "2031-02-11"
                }),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert_eq!(error_of(resp).await.1.as_deref(), Some("name"), "{name:?}");
    }
    let groups: Vec<Value> = app.get_as(&coord, "/api/v1/groups").await.json().await.expect("groups");
    assert!(groups.is_empty(), "nothing was created");
}

#[tokio::test]
async fn a_group_takes_only_the_affinity_tags_the_protocol_defines_and_an_amendment_adds_one() {
    let app = spawn_app().await;
    let (admin, coord, moderator) =
        (app.user(Role::Admin), app.user(Role::Coordinator), app.user(Role::Moderator));
    let body = |tags: &[&str]| {
        json!({
            "name": "Martes en español", "arm_id": "support_groups", "moderator_id": moderator.id, "language": "es",
            "affinity_tags": tags, "weekday": 1, "local_time": "18:30", "start_date": "2031-02-11"
        })
    };
    let resp = app.send_as(&coord, Method::POST, "/api/v1/groups", body(&["hablantes"])).await;
    let (code, field) = error_of(resp).await;
    assert_eq!((code.as_str(), field.as_deref()), ("validation_failed", Some("affinity_tags")));
    // The protocol names a new tag, given by the preferred language: groups may carry it now.
    let amended = format!(
        "{}\n[[groups.affinity_tags]]\nid = \"hablantes\"\nlabel = {{ en = \"Spanish speakers\", es = \"Hispanohablantes\" }}\nfield = \"preferred_language\"\nvalues = [\"es\"]\n",
        trialdesk::protocol::BUNDLED
    );
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": amended, "reason": "A group for Spanish speakers"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = app.send_as(&coord, Method::POST, "/api/v1/groups", body(&["hablantes"])).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.expect("group")["id"].as_str().expect("id").to_owned();
    let page = app.get_as(&coord, "/groups").await.text().await.expect("page");
    assert!(page.contains("Spanish speakers"), "the tag's label from the protocol: {page}");
    assert!(app.get_as(&coord, &format!("/groups/{id}")).await.status().is_success());
}
