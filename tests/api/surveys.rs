//! Schedules of assessment and the participant's survey pages, end to end over HTTP: the
//! schedule follows the protocol, windows open and close on the study's calendar, invitations
//! and reminders reach a real SMTP server and stop once the questionnaires are sent, missed ones
//! are marked, withdrawn participants get nothing, and a link reaches only its own participant.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use diesel::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::fixtures::{
    ORDINARY, answer, by_timepoint, by_timepoint_id, complete, link, randomised, ready_visit, schedule,
};
use crate::helpers::{SmtpSink, TestApp, error_of, spawn_app, spawn_app_with, test_mail};

const NY: chrono_tz::Tz = chrono_tz::America::New_York;

fn at(v: &Value) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(v.as_str().expect("instant"), "%Y-%m-%dT%H:%M:%S%.fZ").expect("instant")
}

fn local_midnight_utc(day: NaiveDate) -> NaiveDateTime {
    NY.from_local_datetime(&day.and_time(NaiveTime::MIN)).earliest().expect("midnight").naive_utc()
}

#[tokio::test]
async fn a_randomised_participants_schedule_follows_the_protocol_with_windows_at_local_midnight() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let id = randomised(&app, &coord, 1).await;
    let today = chrono::Utc::now().with_timezone(&NY).date_naive();
    let rows = schedule(&app, &coord, &id).await;
    assert_eq!(rows.len(), 4);
    // (time point, offset, days before, days after) as in docs/examples/connect.toml.
    for (tp, offset, before, after) in
        [("baseline", 0, 0, 7), ("week6", 42, 7, 7), ("week12", 84, 7, 14), ("week24", 168, 14, 14)]
    {
        let r = by_timepoint(&rows, tp);
        let target = today + Duration::days(offset);
        assert_eq!(r["target_date"], target.format("%Y-%m-%d").to_string(), "{tp}");
        assert_eq!(at(&r["opens_at"]), local_midnight_utc(target - Duration::days(before)), "{tp} opens");
        assert_eq!(
            at(&r["closes_at"]),
            local_midnight_utc(target + Duration::days(after + 1)),
            "{tp} closes"
        );
        assert_eq!(r["instruments"], "phq9,gad7,ucla3");
        assert_eq!(r["status"], if tp == "baseline" { "open" } else { "scheduled" }, "{tp}");
    }
    let open: Vec<Value> =
        app.get_as(&coord, "/api/v1/assessments?status=open").await.json().await.expect("open");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["study_id"], "CON-0001");
    let page = app.get_as(&coord, "/assessments?status=open").await.text().await.expect("html");
    assert!(page.contains("<td>CON-0001</td><td>Baseline</td>"), "the coordinator's page lists it: {page}");
    let resp = app.get_as(&coord, "/api/v1/assessments?status=late").await;
    assert_eq!(error_of(resp).await, ("bad_request".to_owned(), Some("status".to_owned())));
}

#[tokio::test]
async fn windows_open_and_close_on_their_dates_and_unfinished_ones_are_marked_missed_and_audited() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let id = randomised(&app, &coord, 1).await;
    let rows = schedule(&app, &coord, &id).await;
    let week6 = by_timepoint(&rows, "week6");
    let (opens, closes) = (at(&week6["opens_at"]), at(&week6["closes_at"]));
    let sweep = |t: NaiveDateTime| {
        let mut conn = app.db.conn();
        trialdesk::assessments::sweep(&mut conn, t).expect("sweep")
    };
    let s = sweep(opens - Duration::seconds(1));
    assert_eq!((s.opened, s.missed), (0, 1), "only the baseline, whose window closed a month earlier");
    let rows = schedule(&app, &coord, &id).await;
    assert_eq!(by_timepoint(&rows, "baseline")["status"], "missed");
    assert_eq!(
        by_timepoint(&rows, "week6")["status"],
        "scheduled",
        "not yet: a second before local midnight"
    );
    assert_eq!(sweep(opens).opened, 1);
    assert_eq!(by_timepoint(&schedule(&app, &coord, &id).await, "week6")["status"], "open");
    assert_eq!(sweep(closes - Duration::seconds(1)).missed, 0, "still the last local day");
    assert_eq!(sweep(closes).missed, 1);
    assert_eq!(by_timepoint(&schedule(&app, &coord, &id).await, "week6")["status"], "missed");
    let missed: Vec<Value> =
        app.get_as(&coord, "/api/v1/assessments?status=missed").await.json().await.expect("missed");
    assert_eq!(missed.len(), 2);
    let admin = app.user(Role::Admin);
    let week6_id = week6["id"].as_str().expect("id");
    let trail: Vec<Value> =
        app.get_as(&admin, &format!("/api/v1/audit?entity_id={week6_id}")).await.json().await.expect("audit");
    let steps: Vec<(&str, &str)> = trail
        .iter()
        .map(|e| (e["actor_kind"].as_str().expect("kind"), e["changes"][0]["new"].as_str().expect("new")))
        .collect();
    assert_eq!(steps, [("system", "open"), ("system", "missed")]);
}

/// Makes the baseline's pending survey messages of `kind` (due within `within`) due now, as if
/// that time had passed; later time points' messages stay where they are.
fn bring_forward(app: &TestApp, kind: &str, within: Duration) {
    let now = chrono::Utc::now().naive_utc();
    let (now_text, bound) = (now.format("%Y-%m-%d %H:%M:%S"), (now + within).format("%Y-%m-%d %H:%M:%S"));
    let mut conn = app.db.conn();
    diesel::sql_query(format!(
        "UPDATE outbox SET due_at = '{now_text}' WHERE dedupe_key LIKE 'survey:%:{kind}%' \
         AND status = 'pending' AND due_at < '{bound}'"
    ))
    .execute(&mut conn)
    .expect("bring forward");
}

#[tokio::test]
async fn invitations_and_reminders_arrive_in_the_participants_language_and_stop_after_completion() {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(|s| s.mail = Some(test_mail(port))).await;
    let coord = app.user(Role::Coordinator);
    // Person 0 prefers Spanish, person 1 English.
    let (es, en) = (randomised(&app, &coord, 0).await, randomised(&app, &coord, 1).await);
    // Invitations go out at 09:00 New York time on the day the window opens; bring today's due.
    bring_forward(&app, "invitation", Duration::days(1));
    let invitations = sink.wait_for_where(2, |m| m.is_survey()).await;
    assert_eq!(invitations.len(), 2, "one invitation each (the baseline is the only open window)");
    let to = |n: usize| {
        invitations
            .iter()
            .find(|m| m.to.contains(&format!("person{n}@")))
            .unwrap_or_else(|| panic!("none to person{n}: {invitations:?}"))
    };
    assert!(
        to(0).subject.contains("cuestionarios") && to(0).body.contains("Por favor, complételos antes del")
    );
    assert!(
        to(1).subject.contains("questionnaires are ready") && to(1).body.contains("Please complete them by")
    );
    // The link in the e-mail works: the English speaker answers everything and sends it.
    let token = to(1).body.split("/s/").nth(1).expect("link").chars().take(64).collect::<String>();
    let baseline =
        by_timepoint(&schedule(&app, &coord, &en).await, "baseline")["id"].as_str().expect("id").to_owned();
    let home = app.client.get(app.url(&format!("/s/{token}"))).send().await.expect("home");
    assert_eq!(home.status(), StatusCode::OK);
    complete(&app, &token, &baseline, &ORDINARY).await;
    // Three and seven days later: only the one who has not answered is reminded.
    bring_forward(&app, "reminder", Duration::days(9));
    let reminders = sink
        .wait_for_where(2, |m| m.subject.starts_with("Recordatorio") || m.subject.starts_with("Reminder"))
        .await;
    assert_eq!(reminders.len(), 2, "two reminders to the Spanish speaker: {reminders:?}");
    assert!(reminders.iter().all(|m| m.to.contains("person0@") && m.subject.starts_with("Recordatorio")));
    // Each e-mail's link replaces the earlier ones: of the invitation's and the two reminders'
    // links, only the one sent last still opens.
    let link_of = |m: &crate::helpers::Mail| {
        m.body.split("/s/").nth(1).expect("link").chars().take(64).collect::<String>()
    };
    let mut working = 0;
    for token in std::iter::once(link_of(to(0))).chain(reminders.iter().map(link_of)) {
        let resp = app.client.get(app.url(&format!("/s/{token}"))).send().await.expect("home");
        working += usize::from(resp.status().is_success());
    }
    assert_eq!(working, 1, "only the newest e-mail's link works");
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(
        sink.messages().iter().all(|m| !(m.to.contains("person1@") && m.subject.starts_with("Reminder")))
    );
    let admin = app.user(Role::Admin);
    let cancelled: Vec<Value> =
        app.get_as(&admin, "/api/v1/outbox?status=cancelled").await.json().await.expect("outbox");
    let stopped = cancelled
        .iter()
        .filter(|m| m["recipient_id"] == en.as_str() && m["kind"] == "survey_reminder")
        .count();
    assert_eq!(stopped, 2, "both of the English speaker's reminders stopped at completion");
    let _ = es;
}

#[tokio::test]
async fn a_withdrawn_participant_gets_nothing_more_and_their_link_stops_working() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let id = randomised(&app, &coord, 1).await;
    let token = link(&app, &coord, &id).await;
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/participants/{id}/withdrawal"),
            json!({"reason": "moved away", "keep_data": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let rows = schedule(&app, &coord, &id).await;
    assert!(rows.iter().all(|r| r["status"] == "not_applicable"), "{rows:?}");
    let admin = app.user(Role::Admin);
    let pending: Vec<Value> =
        app.get_as(&admin, "/api/v1/outbox?status=pending").await.json().await.expect("outbox");
    assert!(pending.iter().all(|m| m["recipient_id"] != id.as_str()), "nothing left queued for them");
    let page = app.client.get(app.url(&format!("/s/{token}"))).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::GONE);
    // Nothing is swept back open for them, however late.
    let mut conn = app.db.conn();
    let later = (chrono::Utc::now() + Duration::days(400)).naive_utc();
    assert_eq!(trialdesk::assessments::sweep(&mut conn, later).expect("sweep").missed, 0);
}

#[tokio::test]
async fn a_link_can_never_read_or_write_another_participants_answers() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let (a, b) = (randomised(&app, &coord, 1).await, randomised(&app, &coord, 2).await);
    let token_a = link(&app, &coord, &a).await;
    let theirs =
        by_timepoint(&schedule(&app, &coord, &b).await, "baseline")["id"].as_str().expect("id").to_owned();
    for path in [
        format!("/s/{token_a}/a/{theirs}/q/1"),
        format!("/s/{token_a}/a/{theirs}/review"),
        format!("/s/{token_a}/a/{theirs}/done"),
    ] {
        let resp = app.client.get(app.url(&path)).send().await.expect("get");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            resp.text().await.expect("page").contains("This questionnaire is closed"),
            "a page, not an error"
        );
    }
    assert_eq!(answer(&app, &token_a, &theirs, 1, Some(3)).await.status(), StatusCode::NOT_FOUND);
    // A question number out of range on one's own visit leads back to where the visit stands.
    let mine = by_timepoint_id(&schedule(&app, &coord, &a).await, "baseline");
    for n in [0, 21, 999] {
        let resp =
            app.client.get(app.url(&format!("/s/{token_a}/a/{mine}/q/{n}"))).send().await.expect("get");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "question {n}");
        assert_eq!(resp.headers()["location"], format!("/s/{token_a}/a/{mine}/q/1").as_str());
    }
    let submit =
        app.client.post(app.url(&format!("/s/{token_a}/a/{theirs}/submit"))).send().await.expect("submit");
    assert_eq!(submit.status(), StatusCode::NOT_FOUND);
    let detail: Value =
        app.get_as(&coord, &format!("/api/v1/assessments/{theirs}")).await.json().await.expect("detail");
    assert_eq!(detail["answers"], json!([]), "nothing was written to B's assessment");
    assert_eq!(detail["assessment"]["status"], "open");
    // A's home lists A's own questionnaire only.
    let home = app
        .client
        .get(app.url(&format!("/s/{token_a}")))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("html");
    assert!(!home.contains(&theirs));
}

#[tokio::test]
async fn an_expired_revoked_or_unknown_link_gets_a_clear_page_in_both_languages() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let id = randomised(&app, &coord, 1).await;
    let (revoked, expired) = (link(&app, &coord, &id).await, link(&app, &coord, &id).await);
    let links: Vec<Value> = app
        .get_as(&coord, &format!("/api/v1/participants/{id}/survey-links"))
        .await
        .json()
        .await
        .expect("links");
    assert_eq!(links.len(), 2);
    assert!(links.iter().all(|l| l.get("token_hash").is_none()), "no hash leaves the server");
    let first = links
        .iter()
        .find(|l| {
            l["created_at"]
                == links.iter().map(|l| l["created_at"].clone()).min_by_key(|v| v.to_string()).expect("min")
        })
        .expect("first");
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/survey-links/{}/revocation", first["id"].as_str().expect("id")),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(error_of(resp).await.1.as_deref(), Some("reason"));
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            &format!("/api/v1/survey-links/{}/revocation", first["id"].as_str().expect("id")),
            json!({"reason": "phone lost"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mut conn = app.db.conn();
    diesel::sql_query("UPDATE survey_links SET expires_at = '2020-01-01 00:00:00' WHERE revoked_at IS NULL")
        .execute(&mut conn)
        .expect("expire");
    for (token, status) in [
        (revoked, StatusCode::GONE),
        (expired, StatusCode::GONE),
        ("ab".repeat(32), StatusCode::NOT_FOUND),
        ("short".to_owned(), StatusCode::NOT_FOUND),
    ] {
        let resp = app.client.get(app.url(&format!("/s/{token}"))).send().await.expect("get");
        assert_eq!(resp.status(), status);
        assert!(resp.headers()["content-type"].to_str().expect("type").starts_with("text/html"));
        let html = resp.text().await.expect("html");
        assert!(
            html.contains("This link does not work") && html.contains("Este enlace no funciona"),
            "{html}"
        );
    }
}

#[tokio::test]
async fn a_double_submit_stores_one_submission_and_a_later_correction_needs_a_coordinator_and_a_reason() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let (_, token, baseline) = ready_visit(&app, &coord, 1).await;
    // A missing answer is a clear page with the question again, and nothing is saved.
    let resp = app
        .client
        .post(app.url(&format!("/s/{token}/a/{baseline}/q/1")))
        .form(&[("action", "next")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("html").contains("Choose an answer"));
    complete(&app, &token, &baseline, &ORDINARY).await;
    let again =
        app.client.post(app.url(&format!("/s/{token}/a/{baseline}/submit"))).send().await.expect("again");
    assert_eq!(again.status(), StatusCode::SEE_OTHER, "a double submit lands on the same thank-you page");
    // Once sent, answers cannot be changed from the link.
    assert_eq!(answer(&app, &token, &baseline, 1, Some(3)).await.status(), StatusCode::CONFLICT);
    let detail: Value =
        app.get_as(&coord, &format!("/api/v1/assessments/{baseline}")).await.json().await.expect("detail");
    assert_eq!(detail["assessment"]["status"], "completed");
    let total = |d: &Value, inst: &str| {
        d["scores"].as_array().expect("scores").iter().find(|s| s["instrument"] == inst).expect("score")["total"].clone()
    };
    assert_eq!(
        (total(&detail, "phq9"), total(&detail, "gad7"), total(&detail, "ucla3")),
        (json!(8), json!(14), json!(6))
    );
    let admin = app.user(Role::Admin);
    let trail: Vec<Value> =
        app.get_as(&admin, &format!("/api/v1/audit?entity_id={baseline}")).await.json().await.expect("audit");
    assert_eq!(trail.iter().filter(|e| e["action"] == "submit_assessment").count(), 1);
    assert_eq!(
        trail.iter().find(|e| e["action"] == "submit_assessment").expect("submit")["actor_kind"],
        "participant"
    );

    let path = format!("/api/v1/assessments/{baseline}/corrections");
    let body = json!({"instrument": "phq9", "item": "phq9_1", "value": 3, "reason": ""});
    assert_eq!(
        error_of(app.send_as(&coord, Method::POST, &path, body).await).await.1.as_deref(),
        Some("reason")
    );
    let body = json!({"instrument": "phq9", "item": "phq9_1", "value": 7, "reason": "typo"});
    assert_eq!(
        error_of(app.send_as(&coord, Method::POST, &path, body).await).await.1.as_deref(),
        Some("item")
    );
    let stat = app.user(Role::StatisticianUnblinded);
    let body = json!({"instrument": "phq9", "item": "phq9_1", "value": 3, "reason": "participant phoned: misread the options"});
    assert_eq!(app.send_as(&stat, Method::POST, &path, body.clone()).await.status(), StatusCode::FORBIDDEN);
    let resp = app.send_as(&coord, Method::POST, &path, body).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let score: Value = resp.json().await.expect("score");
    assert_eq!((score["total"].clone(), score["band"].clone()), (json!(10), json!("Moderate")));
    let trail: Vec<Value> =
        app.get_as(&admin, &format!("/api/v1/audit?entity_id={baseline}")).await.json().await.expect("audit");
    let fix = trail.iter().find(|e| e["action"] == "correct_answer").expect("correction audited");
    assert_eq!(fix["reason"], "participant phoned: misread the options");
    assert_eq!(fix["changes"][0], json!({"field": "phq9_1", "old": 1, "new": 3}));
    assert_eq!(fix["changes"][1], json!({"field": "phq9_total", "old": 8, "new": 10}));
}
