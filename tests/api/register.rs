//! The participant grid's filters, counted and listed in SQL from the columns kept on each
//! participant row, pick exactly the participants the records say match (read back as the CSV of
//! the view, which uses the same query as the page).

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde_json::Value;
use trialdesk::auth::Role;
use trialdesk::db::schema::{allocations, participant_phases, participants};

use crate::fixtures::{enrolled, randomised};
use crate::helpers::{TestApp, TestUser};

/// The study ids in the grid's CSV for `query`.
async fn view(app: &TestApp, who: &TestUser, query: &str) -> BTreeSet<String> {
    let resp = app.get_as(who, &format!("/participants.csv?{query}")).await;
    assert_eq!(resp.status(), 200, "{query}");
    let text = resp.text().await.expect("csv");
    text.lines().skip(1).map(|l| l.split(',').next().unwrap_or_default().to_owned()).collect()
}

async fn study_id(app: &TestApp, who: &TestUser, id: &str) -> String {
    let p: Value = app.get_as(who, &format!("/api/v1/participants/{id}")).await.json().await.expect("p");
    p["study_id"].as_str().expect("study id").to_owned()
}

#[tokio::test]
async fn the_grids_status_stratum_arm_and_queue_filters_list_exactly_the_matching_participants() {
    let app = crate::helpers::spawn_app().await;
    let coord = app.user(Role::Coordinator);
    // Persons 0–5 randomised (race_ethnicity cycles black, latinx, other), 6 consented, 7 enrolled.
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(randomised(&app, &coord, n).await);
    }
    let consented = enrolled(&app, &coord, 6, true).await;
    let unconsented = enrolled(&app, &coord, 7, false).await;
    let sid = |i: usize| ids[i].clone();
    let mut study = Vec::new();
    for i in 0..6 {
        study.push(study_id(&app, &coord, &sid(i)).await);
    }

    // The page itself (read in two steps: the page's numbers, then its rows) in study-id order,
    // newest first when asked.
    let page = app.get_as(&coord, "/participants?status=randomised").await.text().await.expect("page");
    let at: Vec<usize> = study.iter().map(|s| page.find(&format!(">{s}<")).expect("listed")).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "study-id order: {at:?}");
    let page =
        app.get_as(&coord, "/participants?status=randomised&dir=desc").await.text().await.expect("page");
    let at: Vec<usize> = study.iter().map(|s| page.find(&format!(">{s}<")).expect("listed")).collect();
    assert!(at.windows(2).all(|w| w[0] > w[1]), "newest first: {at:?}");
    let black_randomised: BTreeSet<String> = [0, 3].map(|i| study[i].clone()).into();
    assert_eq!(view(&app, &coord, "stratum=race_ethnicity:black&status=randomised").await, black_randomised);
    assert_eq!(
        view(&app, &coord, "status=consented").await,
        [study_id(&app, &coord, &consented).await].into()
    );
    assert_eq!(
        view(&app, &coord, "need=unconsented").await,
        [study_id(&app, &coord, &unconsented).await].into()
    );
    assert_eq!(view(&app, &coord, "status=randomised").await, study.iter().cloned().collect());

    // The arm and the queue, against the allocations and the open phases themselves.
    let mut c = app.db.conn();
    let in_arm_a: BTreeSet<String> = participants::table
        .inner_join(allocations::table)
        .filter(allocations::arm_id.eq("support_groups"))
        .select(participants::study_id)
        .load::<String>(&mut c)
        .expect("arm")
        .into_iter()
        .collect();
    assert!(!in_arm_a.is_empty() && in_arm_a.len() < 6, "{in_arm_a:?}");
    assert_eq!(view(&app, &coord, "arm=A").await, in_arm_a);
    let queued_ids: Vec<String> = participant_phases::table
        .filter(participant_phases::phase.eq("queued"))
        .filter(participant_phases::ended_on.is_null())
        .select(participant_phases::participant_id)
        .load(&mut c)
        .expect("queued");
    let queued: BTreeSet<String> = participants::table
        .filter(participants::id.eq_any(&queued_ids))
        .select(participants::study_id)
        .load::<String>(&mut c)
        .expect("study ids")
        .into_iter()
        .collect();
    assert!(!queued.is_empty(), "the intervention arm queues for a group at once");
    assert_eq!(view(&app, &coord, "need=awaiting_group").await, queued);

    // Withdrawn people leave every queue and status but their own.
    let leaving = queued.iter().next().expect("one").clone();
    let resp = app
        .send_as(
            &coord,
            reqwest::Method::POST,
            &format!("/api/v1/participants/{leaving}/withdrawal"),
            serde_json::json!({"reason": "moved away", "keep_data": true}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(!view(&app, &coord, "need=awaiting_group").await.contains(&leaving));
    assert!(!view(&app, &coord, "status=randomised").await.contains(&leaving));
    assert_eq!(view(&app, &coord, "status=withdrawn").await, [leaving].into());
}
