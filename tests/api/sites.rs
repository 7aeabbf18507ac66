//! Sites: staff limited to a site see and change only that site's participants; a record of
//! another site answers exactly like a missing one; transfers move access at once; consent forms
//! and safety contacts are per site; randomisation can stratify by site.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;
use trialdesk::auth::permissions::{Access, ENDPOINTS};
use trialdesk::protocol::BUNDLED;
use trialdesk::sites::Scope;

use crate::fixtures::{ORDINARY, complete, enrolled, ready_visit};
use crate::helpers::{
    SmtpSink, TEST_SECRET, TestApp, TestUser, error_of, spawn_app, spawn_app_with, test_mail,
};

/// An id no record has.
const MISSING: &str = "00000000-0000-7000-8000-000000000000";

/// Opens sites `a` and `b` (as an admin).
async fn two_sites(app: &TestApp) -> TestUser {
    let admin = app.user(Role::Admin);
    for (code, name) in [("a", "Clinic A"), ("b", "Clinic B")] {
        let resp =
            app.send_as(&admin, Method::POST, "/api/v1/sites", json!({"code": code, "name": name})).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap_or_default());
    }
    admin
}

fn only(code: &str) -> Scope {
    Scope::Sites(BTreeSet::from([code.to_owned()]))
}

/// A body the route accepts, so that what answers is the id, not a missing field.
fn valid_body(method: &str, path: &str) -> Value {
    match (method, path.rsplit('/').next().unwrap_or_default()) {
        ("POST", "consents") => json!({"signature_name": "Test Person 2", "language": "en"}),
        ("POST", "withdrawal") => json!({"reason": "moved away", "keep_data": true}),
        ("POST", "transfer") => json!({"site": "a", "reason": "moved"}),
        ("POST", "group-move") => json!({"group_id": MISSING, "reason": "moved"}),
        ("POST", "corrections") => {
            json!({"instrument": "phq9", "item": "phq9_1", "value": 1, "reason": "typo"})
        }
        ("POST", "revocation") => json!({"reason": "lost phone"}),
        ("POST", "void") => json!({"reason": "signed by someone else"}),
        ("POST", "contact-attempts") => json!({"channel": "call", "outcome": "no_answer"}),
        ("PUT", "contact") => {
            json!({"full_name": "Test Person 2", "email": "x@example.org", "reason": "moved"})
        }
        ("PUT", "details") => json!({"race": "black", "ethnicity": "not_hispanic_latinx", "sex": "female",
            "age_band": "40-49", "newly_diagnosed": true, "disease_course": "relapsing_remitting",
            "preferred_language": "en", "strata": {}, "reason": "typo"}),
        ("POST", "correction") => json!({"referral_source": "clinic", "answers": {}, "reason": "typo"}),
        ("POST", "action" | "closure") => json!({"text": "called"}),
        ("POST", "close") => json!({"outcome": "declined", "reason": "no time"}),
        _ => json!({}),
    }
}

/// `path` with its id filled in from `ids` by what the path names, or `None` when the route does
/// not take a participant-level id.
fn with_id(path: &str, ids: &BTreeMap<&str, String>) -> Option<String> {
    let kind = ["participants", "screenings", "assessments", "alerts", "survey-links"]
        .into_iter()
        .find(|k| path.contains(&format!("/{k}/{{id}}")))?;
    Some(path.replace("{id}", &ids[kind]).replace("{step}", "acknowledge"))
}

async fn call(app: &TestApp, who: &TestUser, method: &str, path: &str, page: bool) -> (StatusCode, String) {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app.client.request(method.clone(), app.url(path)).bearer_auth(&who.token);
    if method != Method::GET {
        req = if page {
            req.form(&[("csrf_token", "x"), ("text", "called")])
        } else {
            req.json(&valid_body(method.as_str(), path))
        };
    }
    let resp = req.send().await.expect("request");
    (resp.status(), resp.text().await.expect("body"))
}

#[tokio::test]
async fn a_coordinator_limited_to_site_a_finds_no_site_b_record_on_any_route_and_lists_only_site_a() {
    let app = spawn_app().await;
    two_sites(&app).await;
    let (coord_a, coord_b) =
        (app.user_at(Role::Coordinator, &only("a")), app.user_at(Role::Coordinator, &only("b")));
    let (pa, _, _) = ready_visit(&app, &coord_a, 1).await;
    let (pb, token_b, baseline_b) = ready_visit(&app, &coord_b, 2).await;
    // An item-9 answer at site B raises an alert there.
    let mut values = ORDINARY;
    values[8] = 1;
    complete(&app, &token_b, &baseline_b, &values).await;
    let alerts: Vec<Value> = app.get_as(&coord_b, "/api/v1/alerts").await.json().await.expect("alerts");
    let links: Vec<Value> = app
        .get_as(&coord_b, &format!("/api/v1/participants/{pb}/survey-links"))
        .await
        .json()
        .await
        .expect("links");
    let screenings: Vec<Value> = app.get_as(&coord_b, "/api/v1/screenings").await.json().await.expect("log");
    assert_eq!(
        (alerts.len(), links.len(), screenings.len()),
        (1, 1, 1),
        "site B's own view holds its records"
    );
    let site_b = BTreeMap::from([
        ("participants", pb.clone()),
        ("screenings", screenings[0]["id"].as_str().expect("id").to_owned()),
        ("assessments", baseline_b.clone()),
        ("alerts", alerts[0]["id"].as_str().expect("id").to_owned()),
        ("survey-links", links[0]["id"].as_str().expect("id").to_owned()),
    ]);
    let missing: BTreeMap<&str, String> = site_b.keys().map(|k| (*k, MISSING.to_owned())).collect();

    let mut walked = 0;
    for e in ENDPOINTS {
        let Access::Staff(permission) = e.access else { continue };
        let Some(path_b) = with_id(e.path, &site_b) else { continue };
        let path_missing = with_id(e.path, &missing).expect("same route");
        let (status, body) = call(&app, &coord_a, e.method, &path_b, e.page).await;
        if !permission.allows(Role::Coordinator) {
            assert_eq!(status, StatusCode::FORBIDDEN, "{} {}", e.method, e.path);
            continue;
        }
        let (status_missing, body_missing) = call(&app, &coord_a, e.method, &path_missing, e.page).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{} {} with a site B id: {body}", e.method, e.path);
        assert_eq!(
            (status, &body),
            (status_missing, &body_missing),
            "{} {}: site B's id and a missing one differ",
            e.method,
            e.path
        );
        walked += 1;
    }
    assert!(walked >= 15, "only {walked} routes took a participant-level id");
    // A page answers with a page: the shell, and a way back to the queue.
    let (status, html) = call(&app, &coord_a, "GET", &format!("/alerts/{}", site_b["alerts"]), true).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<h1>Not found</h1>") && html.contains("href=\"/alerts\""), "{html}");

    // Lists, counts, the overview and the report hold site A only.
    let pb_study: Value =
        app.get_as(&coord_b, &format!("/api/v1/participants/{pb}")).await.json().await.expect("p");
    let pb_study = pb_study["study_id"].as_str().expect("study id").to_owned();
    for path in [
        "/api/v1/screenings",
        "/api/v1/participants",
        "/api/v1/assessments?status=all",
        "/api/v1/alerts?all=true",
        "/api/v1/recruitment",
        "/api/v1/groups/queue",
        "/api/v1/reports/summary",
        "/",
        "/assessments?status=open",
        "/alerts",
    ] {
        let text = app.get_as(&coord_a, path).await.text().await.expect("body");
        assert!(!text.contains(&pb) && !text.contains(&pb_study), "{path} shows site B's participant");
    }
    let people: Vec<Value> = app.get_as(&coord_a, "/api/v1/participants").await.json().await.expect("list");
    assert_eq!(people.iter().map(|p| p["id"].as_str().expect("id")).collect::<Vec<_>>(), [pa.as_str()]);
    assert_eq!(people[0]["site"], "a");
    let recruitment: Value = app.get_as(&coord_a, "/api/v1/recruitment").await.json().await.expect("r");
    assert_eq!((recruitment["enrolled"].as_i64(), recruitment["randomised"].as_i64()), (Some(1), Some(1)));
    let sites: Vec<&str> = recruitment["by_site"]
        .as_array()
        .expect("by site")
        .iter()
        .map(|s| s["site"].as_str().expect("code"))
        .collect();
    assert_eq!(sites, ["a"]);
    let report: Value = app.get_as(&coord_a, "/api/v1/reports/summary").await.json().await.expect("report");
    assert_eq!(report["consort"]["assessed"], 1, "the CONSORT flow counts site A's screening only");

    // A statistician limited to site A exports site A's participants only.
    let stats_a = app.user_at(Role::StatisticianUnblinded, &only("a"));
    let long = app.get_as(&stats_a, "/api/v1/exports/long.csv").await.text().await.expect("csv");
    assert!(long.lines().next().expect("header").starts_with("participant_id,arm,site,"), "{long}");
    assert!(long.lines().skip(1).all(|l| l.split(',').nth(2) == Some("a")));
    assert!(!long.contains(&pb_study));
    // The audit trail spans every site: a site-limited admin may not read it.
    let admin_a = app.user_at(Role::Admin, &only("a"));
    let resp = app.get_as(&admin_a, "/api/v1/audit").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(resp).await.0, "all_sites_required");
    // Its outbox holds the messages to site A's participants and to itself, in the list and in
    // the page's counts alike; an admin of every site sees site B's too.
    let to = |messages: &[Value]| -> BTreeSet<String> {
        messages.iter().map(|m| m["recipient_id"].as_str().expect("recipient").to_owned()).collect()
    };
    let mine: Vec<Value> = app.get_as(&admin_a, "/api/v1/outbox").await.json().await.expect("outbox");
    assert!(to(&mine).contains(&pa) && !to(&mine).contains(&pb), "{:?}", to(&mine));
    let page = app.get_as(&admin_a, "/outbox").await.text().await.expect("page");
    assert!(page.contains(&format!("All ({})", mine.len())), "the counts are the list's: {page}");
    let everyone: Vec<Value> =
        app.get_as(&app.user(Role::Admin), "/api/v1/outbox").await.json().await.expect("outbox");
    assert!(to(&everyone).contains(&pb) && everyone.len() > mine.len());
    // An account granted no site sees nobody.
    let nobody = app.user_at(Role::Coordinator, &Scope::Sites(BTreeSet::new()));
    let none: Vec<Value> = app.get_as(&nobody, "/api/v1/participants").await.json().await.expect("list");
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_site_the_account_may_not_use_is_refused_and_enrolment_records_the_screening_site() {
    let app = spawn_app().await;
    let admin = two_sites(&app).await;
    let coord_a = app.user_at(Role::Coordinator, &only("a"));
    let resp = app
        .send_as(
            &coord_a,
            Method::POST,
            "/api/v1/screenings",
            json!({"referral_source": "clinic", "answers": crate::fixtures::eligible_answers(), "site": "b"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "site_not_granted");
    assert!(body["error"]["message"].as_str().expect("message").contains("`b`"));
    // With two sites, an all-sites coordinator must say which.
    let coord = app.user(Role::Coordinator);
    let resp = app
        .send_as(
            &coord,
            Method::POST,
            "/api/v1/screenings",
            json!({"referral_source": "clinic", "answers": crate::fixtures::eligible_answers()}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(resp).await.1, Some("site".into()));
    // A site-A coordinator's screening and enrolment land at site A.
    let id = enrolled(&app, &coord_a, 3, true).await;
    let p: Value = app.get_as(&coord_a, &format!("/api/v1/participants/{id}")).await.json().await.expect("p");
    assert_eq!(p["site"], "a");
    // A closed site takes no one new.
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/sites/a/closure",
            json!({"reason": "the clinic stopped recruiting"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .send_as(
            &coord_a,
            Method::POST,
            "/api/v1/screenings",
            json!({"referral_source": "clinic", "answers": crate::fixtures::eligible_answers()}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "no open site is left to a site-A coordinator");
    // Creating accounts now needs an explicit choice of sites.
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/users",
            json!({"email": "x@example.org", "display_name": "X", "role": "coordinator"}),
        )
        .await;
    assert_eq!(error_of(resp).await.1, Some("sites".into()));
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/users",
            json!({"email": "x@example.org", "display_name": "X", "role": "coordinator", "sites": ["b"]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.expect("user");
    assert_eq!(
        (created["user"]["all_sites"].as_bool(), &created["user"]["sites"]),
        (Some(false), &json!(["b"]))
    );
}

#[tokio::test]
async fn a_transfer_needs_a_reason_is_audited_and_moves_access_at_once() {
    let app = spawn_app().await;
    let admin = two_sites(&app).await;
    let (coord_a, coord_b, coord) = (
        app.user_at(Role::Coordinator, &only("a")),
        app.user_at(Role::Coordinator, &only("b")),
        app.user(Role::Coordinator),
    );
    let id = enrolled(&app, &coord_b, 4, true).await;
    let path = format!("/api/v1/participants/{id}/transfer");
    let resp = app.send_as(&coord, Method::POST, &path, json!({"site": "a", "reason": " "})).await;
    assert_eq!(error_of(resp).await.1, Some("reason".into()));
    let resp =
        app.send_as(&coord_b, Method::POST, &path, json!({"site": "a", "reason": "moved to Clinic A"})).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "a site-B coordinator may not hand someone to site A");
    assert_eq!(
        app.get_as(&coord_a, &format!("/api/v1/participants/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );

    let resp =
        app.send_as(&coord, Method::POST, &path, json!({"site": "a", "reason": "moved to Clinic A"})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.get_as(&coord_a, &format!("/api/v1/participants/{id}")).await.status(), StatusCode::OK);
    assert_eq!(
        app.get_as(&coord_b, &format!("/api/v1/participants/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let log: Vec<Value> = app
        .get_as(&admin, &format!("/api/v1/audit?entity=participant&entity_id={id}"))
        .await
        .json()
        .await
        .expect("audit");
    let entry = log.iter().find(|e| e["action"] == "transfer").expect("the transfer is audited");
    assert_eq!(entry["reason"], "moved to Clinic A");
    assert_eq!(entry["changes"][0], json!({"field": "site", "old": "b", "new": "a"}));
    let resp = app.send_as(&coord, Method::POST, &path, json!({"site": "a", "reason": "again"})).await;
    assert_eq!(error_of(resp).await.0, "same_site");
}

#[tokio::test]
async fn a_moderator_sees_every_member_of_a_group_that_mixes_sites_and_a_site_coordinator_only_theirs() {
    let app = spawn_app().await;
    two_sites(&app).await;
    let (coord_a, coord_b, coord) = (
        app.user_at(Role::Coordinator, &only("a")),
        app.user_at(Role::Coordinator, &only("b")),
        app.user(Role::Coordinator),
    );
    let moderator = app.user(Role::Moderator);
    for n in 0..12 {
        let who = if n % 2 == 0 { &coord_a } else { &coord_b };
        let id = enrolled(&app, who, n, true).await;
        let resp = app
            .send_as(who, Method::POST, &format!("/api/v1/participants/{id}/randomisation"), json!({}))
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let group: Value = app
        .send_as(
            &coord,
            Method::POST,
            "/api/v1/groups",
            json!({"name": "Mixed", "arm_id": "support_groups", "moderator_id": moderator.id, "language": "en",
                   "affinity_tags": [], "weekday": 1, "local_time": "18:30", "time_zone": "America/New_York",
                   "start_date": "2031-02-11"}),
        )
        .await
        .json()
        .await
        .expect("group");
    let proposal: Value = app.get_as(&coord, "/api/v1/groups/proposal").await.json().await.expect("proposal");
    let placements: Vec<Value> = proposal["assignments"]
        .as_array()
        .expect("a")
        .iter()
        .filter(|x| x["group_id"] == group["id"])
        .cloned()
        .collect();
    let resp = app
        .send_as(&coord, Method::POST, "/api/v1/groups/assignments", json!({"assignments": placements}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let path = format!("/api/v1/groups/{}", group["id"].as_str().expect("id"));
    let members = |v: Value| -> BTreeSet<String> {
        v["members"].as_array().expect("members").iter().map(|m| m.as_str().expect("s").to_owned()).collect()
    };
    let all = members(app.get_as(&moderator, &path).await.json().await.expect("group"));
    let at_a = members(app.get_as(&coord_a, &path).await.json().await.expect("group"));
    let at_b = members(app.get_as(&coord_b, &path).await.json().await.expect("group"));
    assert!(!at_a.is_empty() && !at_b.is_empty(), "the group mixes sites: {all:?}");
    assert_eq!(at_a.union(&at_b).cloned().collect::<BTreeSet<_>>(), all, "the moderator sees everyone");
    assert!(at_a.is_disjoint(&at_b));
}

#[tokio::test]
async fn an_alert_at_site_a_emails_site_a_contacts_first_and_never_site_b_staff() {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(|s| s.mail = Some(test_mail(port))).await;
    let admin = two_sites(&app).await;
    let coord_a = app.user_at(Role::Coordinator, &only("a"));
    let (clinician_a, clinician_b, clinician) = (
        app.user_at(Role::Clinician, &only("a")),
        app.user_at(Role::Clinician, &only("b")),
        app.user(Role::Clinician),
    );
    let admin_b = app.user_at(Role::Admin, &only("b"));
    let resp = app
        .send_as(&admin, Method::PUT, "/api/v1/safety/contacts?site=a", json!({"user_ids": [clinician_a.id]}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .send_as(&admin, Method::PUT, "/api/v1/safety/contacts?site=a", json!({"user_ids": [clinician_b.id]}))
        .await;
    assert_eq!(
        error_of(resp).await.1,
        Some("user_ids[0]".into()),
        "a site-B clinician cannot be a site-A contact"
    );
    // The study's list names a site-B clinician first: for a site-A alert they are passed over.
    let resp = app
        .send_as(
            &admin,
            Method::PUT,
            "/api/v1/safety/contacts",
            json!({"user_ids": [clinician_b.id, clinician.id]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let (_, token, baseline) = ready_visit(&app, &coord_a, 5).await;
    let mut values = ORDINARY;
    values[8] = 2;
    complete(&app, &token, &baseline, &values).await;
    let urgent = |m: &crate::helpers::Mail| m.subject.contains("URGENT");
    let first = sink.wait_for_where(1, urgent).await;
    assert_eq!(first.len(), 1);
    assert!(first[0].to.contains(&clinician_a.email), "site A's own contact hears first: {:?}", first[0]);

    // Unacknowledged, it goes on to the study's contacts who reach site A, then to site A's admins.
    let mut conn = app.db.conn();
    let later = chrono::Utc::now().naive_utc() + chrono::Duration::days(1);
    trialdesk::safety::escalate_due(&mut conn, later).expect("escalate");
    trialdesk::safety::escalate_due(&mut conn, later + chrono::Duration::days(1)).expect("escalate");
    let all = sink.wait_for_where(3, urgent).await;
    let to: Vec<&str> = all.iter().map(|m| m.to.as_str()).collect();
    assert!(to.iter().any(|t| t.contains(&clinician.email)), "{to:?}");
    assert!(to.iter().any(|t| t.contains(&admin.email)), "{to:?}");
    for staff in [&clinician_b, &admin_b] {
        assert!(
            !to.iter().any(|t| t.contains(&staff.email)),
            "{} was told of site A's alert: {to:?}",
            staff.email
        );
        let alerts: Vec<Value> =
            app.get_as(staff, "/api/v1/alerts?all=true").await.json().await.expect("alerts");
        assert!(alerts.is_empty(), "{:?} sees site A's alert", staff.role);
    }
    let visible: Vec<Value> = app.get_as(&clinician_a, "/api/v1/alerts").await.json().await.expect("alerts");
    assert_eq!(visible.len(), 1);
}

#[tokio::test]
async fn with_stratify_by_site_blocks_balance_within_each_site_and_replay_matches() {
    let app = spawn_app().await;
    let admin = two_sites(&app).await;
    let amended =
        BUNDLED.replace("block_sizes = [2, 4, 6]", "block_sizes = [2, 4, 6]\nstratify_by_site = true");
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": amended, "reason": "multi-site"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap_or_default());
    let coords = [app.user_at(Role::Coordinator, &only("a")), app.user_at(Role::Coordinator, &only("b"))];
    let mut arms: BTreeMap<(String, String), i64> = BTreeMap::new();
    for n in 0..48 {
        // Site B recruits a third of the people, in runs, as a smaller clinic would.
        let site = if n % 3 == 2 { 1 } else { 0 };
        let id = enrolled(&app, &coords[site], n, true).await;
        let r: Value = app
            .send_as(
                &coords[site],
                Method::POST,
                &format!("/api/v1/participants/{id}/randomisation"),
                json!({}),
            )
            .await
            .json()
            .await
            .expect("randomised");
        let p: Value =
            app.get_as(&coords[site], &format!("/api/v1/participants/{id}")).await.json().await.expect("p");
        let stratum = format!("{}|{}", p["strata"], ["a", "b"][site]);
        *arms.entry((stratum, r["arm"]["id"].as_str().expect("arm").to_owned())).or_default() += 1;
    }
    // Blocks of at most 6 in a 1:1 ratio: within each stratum and site, arms differ by at most 3.
    let mut per_stratum: BTreeMap<&str, i64> = BTreeMap::new();
    for ((stratum, arm), n) in &arms {
        *per_stratum.entry(stratum).or_default() += if arm == "support_groups" { *n } else { -*n };
    }
    assert!(per_stratum.keys().any(|s| s.ends_with("|b")) && per_stratum.keys().any(|s| s.ends_with("|a")));
    assert!(per_stratum.values().all(|d| d.abs() <= 3), "{per_stratum:?}");
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_trialdesk"))
            .args(args)
            .env("TRIALDESK_DATABASE_URL", &app.db.url)
            .env("TRIALDESK_SECRET_KEY", TEST_SECRET)
            .output()
            .expect("the command runs")
    };
    let out = cli(&["randomisation", "replay"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("all 48 allocations reproduced"), "{text}");
    let describe = cli(&["randomisation", "describe"]);
    assert!(String::from_utf8_lossy(&describe.stdout).contains("recruiting site"));
    // Once randomisation has started, stratifying by site is frozen like the other strata.
    let resp = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/protocol/versions",
            json!({"content": BUNDLED, "reason": "single site"}),
        )
        .await;
    assert_eq!(error_of(resp).await.0, "amendment_invalidates_allocations");
}

#[tokio::test]
async fn a_database_from_before_sites_moves_everything_to_the_main_site_and_keeps_every_account() {
    use diesel::RunQueryDsl;
    use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
    use trialdesk::db::DbConn;

    const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
    const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
    let db = crate::helpers::TestDb::empty();
    let mut conn = db.conn();
    // The five migrations before sites, then a study as it stood: an admin and a participant.
    for _ in 0..5 {
        match &mut conn {
            DbConn::Sqlite(c) => c.run_next_migration(SQLITE).map(drop),
            DbConn::Postgres(c) => c.run_next_migration(POSTGRES).map(drop),
        }
        .expect("an earlier migration");
    }
    let hash = trialdesk::auth::hash_password(crate::helpers::TEST_PASSWORD).expect("hash");
    let at = "'2026-11-30 09:00:00'";
    for sql in [
        format!(
            "INSERT INTO users VALUES ('u1', 'old-admin@example.org', 'Old Admin', 'admin', '{hash}', FALSE, FALSE, {at}, {at}, {at})"
        ),
        format!(
            "INSERT INTO screenings VALUES ('s1', {at}, 'clinic', '{{}}', TRUE, '[]', 'enrolled', NULL, 1, 'u1', {at})"
        ),
        format!(
            "INSERT INTO participants VALUES ('p1', 'CONNECT-0001', 1, 's1', '{{}}', 'black', 'not_hispanic_latinx', 'female', '40-49', FALSE, 'relapsing_remitting', 'en', {at}, 'u1', NULL, NULL, NULL)"
        ),
    ] {
        diesel::sql_query(sql).execute(&mut conn).expect("a row as it was stored before sites");
    }
    let applied = trialdesk::db::migrate(&mut conn).expect("the upgrade");
    assert_eq!(applied.first().map(String::as_str), Some("20261203000006"), "sites come next: {applied:?}");
    drop(conn);

    let app = crate::helpers::spawn_app_on(db, |_| {}).await;
    app.login("old-admin@example.org", crate::helpers::TEST_PASSWORD).await;
    let me: Value =
        app.client.get(app.url("/api/v1/auth/me")).send().await.expect("me").json().await.expect("json");
    assert_eq!(me["user"]["all_sites"], true, "an existing account keeps access to every site");
    let people: Vec<Value> = app
        .client
        .get(app.url("/api/v1/participants"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(people.len(), 1);
    assert_eq!(
        (people[0]["study_id"].as_str(), people[0]["site"].as_str()),
        (Some("CONNECT-0001"), Some("main"))
    );
    let sites: Vec<Value> =
        app.client.get(app.url("/api/v1/sites")).send().await.expect("sites").json().await.expect("json");
    assert_eq!(sites.len(), 1);
    assert_eq!((sites[0]["code"].as_str(), sites[0]["status"].as_str()), (Some("main"), Some("open")));
}
