//! The message outbox against a real SMTP server on localhost: welcomes, "your group is ready"
//! (with the sessions as a calendar file), a moved session's new time and session-day reminders
//! arrive once each in the participant's language and on their clock, a restarted worker sends
//! nothing twice, withdrawn participants get nothing, and a failing server leads to retries and a
//! recorded failure.

use chrono::{Duration, Utc};
use diesel::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;
use trialdesk::startup::Application;

use crate::fixtures::enrolled;
use crate::helpers::{Mail, SmtpSink, free_port, spawn_app_with, test_mail, test_settings};

#[tokio::test]
async fn welcomes_and_reminders_arrive_once_each_in_the_participants_language_even_after_a_restart() {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(|s| s.mail = Some(test_mail(port))).await;
    // A second server on the same database from the start: two workers poll the same outbox
    // all along (as after a restart, or with two instances), and still nothing goes out twice.
    let mut settings = test_settings(&app.db);
    settings.mail = Some(test_mail(port));
    let second = Application::build(settings).await.expect("second app");
    tokio::spawn(second.run_until_stopped());
    let coord = app.user(Role::Coordinator);
    let moderator = app.user(Role::Moderator);
    let mut people = Vec::new();
    for n in 0..16 {
        let id = enrolled(&app, &coord, n, true).await;
        let r: Value = app
            .send_as(&coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
            .await
            .json()
            .await
            .expect("r");
        people.push((n, id, r["arm"]["id"].as_str().expect("arm").to_owned()));
    }
    // Questionnaire invitations go out at 09:00 study time: whether any is due yet depends on
    // the hour the test runs, so this test leaves them aside (tests/api/surveys.rs covers them).
    let not_survey = |m: &Mail| !m.is_survey();
    let welcomes = sink.wait_for_where(16, not_survey).await;
    assert_eq!(welcomes.len(), 16, "one welcome each");
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

    // One group per language in the intervention arm, each with its first session soon.
    let mut groups = Vec::new();
    for (name, language) in [("Evening group", "en"), ("Grupo de la tarde", "es")] {
        let g: Value = app
            .send_as(&coord, Method::POST, "/api/v1/groups", json!({
                "name": name, "arm_id": "support_groups", "moderator_id": moderator.id, "language": language,
                "weekday": 2, "local_time": "19:00", "start_date": "2027-02-01"
            }))
            .await.json().await.expect("group");
        groups.push((g["id"].as_str().expect("id").to_owned(), language));
    }
    let proposal: Value = app.get_as(&coord, "/api/v1/groups/proposal").await.json().await.expect("proposal");
    let members = |gid: &str| -> Vec<String> {
        proposal["assignments"]
            .as_array()
            .expect("a")
            .iter()
            .filter(|a| a["group_id"] == gid)
            .map(|a| a["participant_id"].as_str().expect("p").to_owned())
            .collect()
    };
    let (english, spanish) = (members(&groups[0].0), members(&groups[1].0));
    assert!(
        english.len() >= 2 && !spanish.is_empty(),
        "the fixed test key puts both languages in the intervention arm"
    );
    app.send_as(
        &coord,
        Method::POST,
        "/api/v1/groups/assignments",
        json!({"assignments": proposal["assignments"]}),
    )
    .await;
    // One English member lives in California: their reminder gives the time in their zone.
    let pacific = english[1].clone();
    let seen: Value =
        app.get_as(&coord, &format!("/api/v1/participants/{pacific}")).await.json().await.expect("p");
    let mut change = json!({"reason": "moved to California", "time_zone": "America/Los_Angeles"});
    for field in [
        "race",
        "ethnicity",
        "sex",
        "age_band",
        "newly_diagnosed",
        "disease_course",
        "preferred_language",
        "strata",
    ] {
        change[field] = seen[field].clone();
    }
    let resp =
        app.send_as(&coord, Method::PUT, &format!("/api/v1/participants/{pacific}/details"), change).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap_or_default());
    let contact: Value = app
        .get_as(&coord, &format!("/api/v1/participants/{pacific}/contact"))
        .await
        .json()
        .await
        .expect("contact");
    let pacific_email = contact["email"].as_str().expect("e-mail").to_owned();
    let withdrawn = english[0].clone();
    let contact: Value = app
        .get_as(&coord, &format!("/api/v1/participants/{withdrawn}/contact"))
        .await
        .json()
        .await
        .expect("contact");
    let withdrawn_email = contact["email"].as_str().expect("e-mail").to_owned();
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/participants/{withdrawn}/withdrawal"),
            json!({"reason": "no longer interested", "keep_data": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let soon = (Utc::now() + Duration::minutes(30)).naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string();
    for (gid, _) in &groups {
        app.send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/groups/{gid}/launch"),
            json!({"reason": "test group"}),
        )
        .await;
        let sessions: Vec<Value> = app
            .get_as(&coord, &format!("/api/v1/groups/{gid}/sessions"))
            .await
            .json()
            .await
            .expect("sessions");
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
    }

    // Welcomes; then for each member still in: "your group is ready", the first session's new
    // time and its reminder; and two rosters.
    // A group at its minimum started when placed, so whether "ready" reached the member who then
    // withdrew is a race with the withdrawal: what they were sent is left out of the count.
    let told = english.len() - 1 + spanish.len();
    let counted = |m: &Mail| not_survey(m) && !m.to.contains(&withdrawn_email);
    let expected = 15 + 3 * told + 2;
    let all = sink.wait_for_where(expected, counted).await;
    let ready: Vec<_> = all.iter().filter(|m| m.subject.starts_with("Your support group is ready")).collect();
    let listo: Vec<_> =
        all.iter().filter(|m| m.subject.starts_with("Su grupo de apoyo está listo")).collect();
    assert_eq!((ready.len(), listo.len()), (english.len() - 1, spanish.len()), "in each member's language");
    for m in ready.iter().chain(&listo) {
        let (name, kind, ics) = m.attachments.first().expect("the sessions as a calendar file");
        assert_eq!((name.as_str(), kind.as_str()), ("sessions.ics", "text/calendar"), "{m:?}");
        assert_eq!(String::from_utf8_lossy(ics).matches("BEGIN:VEVENT").count(), 12, "{m:?}");
        assert!(
            m.body.contains("Your moderator is Test.") || m.body.contains("Su moderador/a se llama Test."),
            "the moderator's first name: {}",
            m.body
        );
    }
    assert!(listo.iter().all(|m| m.body.contains("los miércoles a las 19:00")), "{listo:?}");
    // The Californian's zone was set after their group started (it filled up when placed), so
    // the new time of the first session is the message that must speak their clock.
    let pacific_moved = all
        .iter()
        .find(|m| m.subject.starts_with("New time") && m.to.contains(&pacific_email))
        .expect("the Californian is told of the move");
    assert!(
        pacific_moved.body.contains("(PST)") && !pacific_moved.body.contains("(EST)"),
        "on their own clock: {}",
        pacific_moved.body
    );
    let moved = all
        .iter()
        .filter(|m| m.subject.starts_with("New time") || m.subject.starts_with("Cambio de horario"))
        .count();
    assert_eq!(moved, told, "each member is told the first session moved");
    let in_english = all.iter().filter(|m| m.subject.starts_with("Today: session 1")).count();
    let in_spanish: Vec<_> = all.iter().filter(|m| m.subject.starts_with("Hoy: sesión 1")).collect();
    assert_eq!(in_english, english.len() - 1, "one reminder per member, none to the withdrawn");
    let reminders: Vec<_> = all.iter().filter(|m| m.subject.starts_with("Today: session 1")).collect();
    let zone_of =
        |m: &&Mail| if m.body.contains("(PST)") || m.body.contains("(PDT)") { "pacific" } else { "eastern" };
    for m in &reminders {
        let expected = if m.to.contains(&pacific_email) { "pacific" } else { "eastern" };
        assert_eq!(zone_of(m), expected, "{}: {}", m.to, m.body);
    }
    assert!(reminders.iter().any(|m| m.to.contains(&pacific_email)), "the Californian was reminded");
    assert_eq!(in_spanish.len(), spanish.len(), "Spanish speakers are reminded in Spanish");
    assert!(in_spanish.iter().all(|m| m.body.contains("Le recordamos")));
    let rosters: Vec<_> = all.iter().filter(|m| m.subject.starts_with("Roster:")).collect();
    assert_eq!(rosters.len(), 2);
    assert!(rosters.iter().all(|m| m.to.contains(&moderator.email)));

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let all = sink.messages_where(counted);
    assert_eq!(all.len(), expected, "nothing is sent twice");
    let mut per_recipient: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for m in &all {
        *per_recipient.entry((m.to.clone(), m.subject.clone())).or_default() += 1;
    }
    assert!(
        per_recipient.values().all(|&n| n == 1),
        "each message reaches each recipient once: {per_recipient:?}"
    );
    let admin = app.user(Role::Admin);
    let sent: Vec<Value> =
        app.get_as(&admin, "/api/v1/outbox?status=sent").await.json().await.expect("outbox");
    let sent = sent
        .iter()
        .filter(|m| !m["kind"].as_str().is_some_and(|k| k.starts_with("survey_")))
        .filter(|m| m["recipient_id"] != withdrawn.as_str())
        .count();
    assert_eq!(sent, expected);
    let cancelled: Vec<Value> =
        app.get_as(&admin, "/api/v1/outbox?status=cancelled").await.json().await.expect("outbox");
    assert!(
        cancelled.iter().any(|m| m["recipient_id"] == withdrawn.as_str() && m["last_error"] == "withdrawn")
    );
}

#[tokio::test]
async fn a_failing_smtp_server_is_retried_then_the_failure_is_recorded_without_server_text() {
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
    assert_eq!(last["last_error"], "could not connect to the SMTP server");
}

#[tokio::test]
async fn an_admin_sends_a_failed_message_again_once_the_server_is_back_and_only_a_failed_one() {
    let port = free_port();
    let app = spawn_app_with(|s| s.mail = Some(test_mail(port))).await;
    let (admin, coord) = (app.user(Role::Admin), app.user(Role::Coordinator));
    let id = enrolled(&app, &admin, 1, true).await;
    app.send_as(&admin, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({})).await;
    let mut failed = Value::Null;
    for _ in 0..100 {
        let list: Vec<Value> =
            app.get_as(&admin, "/api/v1/outbox?status=failed").await.json().await.expect("outbox");
        if let Some(m) = list.into_iter().find(|m| m["kind"] == "welcome") {
            failed = m;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let message = failed["id"].as_str().expect("a failed welcome").to_owned();
    // The outbox page says why, in the system's words, with the button to send it again.
    let page = app.get_as(&admin, "/outbox?status=failed").await.text().await.expect("page");
    assert!(page.contains("could not connect to the SMTP server") && page.contains("Send again"), "{page}");
    let retry = format!("/api/v1/outbox/{message}/retry");
    assert_eq!(app.send_as(&coord, Method::POST, &retry, json!({})).await.status(), StatusCode::FORBIDDEN);

    let sink = SmtpSink::start_on(port);
    let resp = app.send_as(&admin, Method::POST, &retry, json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let again: Value = resp.json().await.expect("message");
    assert_eq!((again["status"].as_str(), again["attempts"].as_i64()), (Some("pending"), Some(0)), "{again}");
    let welcomes = sink.wait_for_where(1, |m| m.subject.starts_with("Welcome")).await;
    assert_eq!(welcomes.len(), 1, "the welcome goes out once the server answers");
    // Sent now: sending it again is refused, and so is a message that does not exist.
    let resp = app.send_as(&admin, Method::POST, &retry, json!({})).await;
    assert_eq!(crate::helpers::error_of(resp).await.0, "not_failed");
    let resp = app.send_as(&admin, Method::POST, "/api/v1/outbox/no-such-message/retry", json!({})).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let trail: Vec<Value> = app
        .get_as(&admin, &format!("/api/v1/audit?entity=outbox_message&entity_id={message}"))
        .await
        .json()
        .await
        .expect("audit");
    assert_eq!(trail.iter().filter(|e| e["action"] == "retry").count(), 1, "{trail:?}");
}

#[tokio::test]
async fn the_worker_reads_the_participant_at_send_time_and_sends_nothing_once_they_have_withdrawn() {
    let sink = SmtpSink::start();
    let app = spawn_app_with(|_| {}).await; // no SMTP: the test delivers by hand below
    let coord = app.user(Role::Coordinator);
    let (stays, leaves) = (enrolled(&app, &coord, 1, true).await, enrolled(&app, &coord, 2, true).await);
    for id in [&stays, &leaves] {
        app.send_as(&coord, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
            .await;
    }
    // Withdrawn behind the outbox's back (no cancel of queued mail): only the send-time check stops it.
    let mut conn = app.db.conn();
    // Only the welcomes matter here; questionnaire invitations are another test's.
    diesel::sql_query("DELETE FROM outbox WHERE kind LIKE 'survey%'")
        .execute(&mut conn)
        .expect("leave welcomes");
    diesel::sql_query(format!(
        "UPDATE participants SET withdrawn_at = CURRENT_TIMESTAMP WHERE id = '{leaves}'"
    ))
    .execute(&mut conn)
    .expect("withdraw");
    // The address changes after queuing: the message goes to the address on file at send time.
    diesel::sql_query(format!(
        "UPDATE participant_contacts SET email = 'new.address@example.org' WHERE participant_id = '{stays}'"
    ))
    .execute(&mut conn)
    .expect("new address");
    let pool = trialdesk::db::pool(&trialdesk::db::DatabaseUrl::parse(&app.db.url).expect("url"), 2);
    let mail = test_mail(sink.port);
    let sent = tokio::task::spawn_blocking(move || trialdesk::jobs::mail::deliver_due(&pool, &mail))
        .await
        .expect("join")
        .expect("deliver");
    assert_eq!(sent, 1);
    let got = sink.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].to.contains("new.address@example.org"), "{:?}", got[0]);
}
