//! The protocol in the browser's pages: read as the reader's blinding allows, its file and the
//! difference between versions, and an amendment uploaded as a file (the admin's journey in
//! `tests/browser/admin.mjs` does the same by keyboard): every problem comes back with its line
//! and column and nothing is saved; a correct file becomes the next version.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;
use trialdesk::protocol::BUNDLED;

use crate::fixtures::enrolled;
use crate::helpers::{TestApp, TestUser, spawn_app};

/// Where `needle` starts in `text`, as the pages say it: "Line L, column C".
pub fn place_of(text: &str, needle: &str) -> String {
    let at = text.find(needle).expect("the needle is in the text");
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("Line {line}, column {column}:")
}

/// The bundled protocol with a questionnaire that does not exist at week 24.
pub fn with_a_mistake() -> String {
    let week24 = BUNDLED.find("id = \"week24\"").expect("week 24");
    let (head, tail) = BUNDLED.split_at(week24);
    format!("{head}{}", tail.replacen("\"gad7\"", "\"gad-7\"", 1))
}

async fn upload(app: &TestApp, who: &TestUser, file: &str, reason: &str) -> reqwest::Response {
    let form = Form::new()
        .text("csrf_token", "")
        .part("file", Part::text(file.to_owned()).file_name("connect-v2.toml"))
        .text("content", "")
        .text("reason", reason.to_owned());
    app.client
        .post(app.url("/protocol/amend"))
        .bearer_auth(&who.token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

#[tokio::test]
async fn an_uploaded_amendment_with_a_mistake_is_shown_by_line_and_column_and_a_correct_one_becomes_version_two()
 {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let wrong = with_a_mistake();
    let resp = upload(&app, &admin, &wrong, "Larger sample, IRB ref 2027-114").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.expect("page");
    assert!(page.contains(&place_of(&wrong, "\"gad-7\"")), "{page}");
    assert!(page.contains("unknown instrument") || page.contains("gad-7"), "{page}");
    assert!(page.contains("Problems in connect-v2.toml"), "the file is named");
    assert!(page.contains("Larger sample, IRB ref 2027-114"), "the reason is kept to try again");
    let resp = upload(&app, &admin, &BUNDLED.replace("target = 80", "target = 96"), " ").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("page").contains("Say why the protocol is amended."));
    // The text in force with Windows line endings (a textarea sends them) is the same text.
    let resp = upload(&app, &admin, &BUNDLED.replace('\n', "\r\n"), "Nothing changed").await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.expect("page").contains("this text is already version 1"));
    let versions: Vec<Value> = app.get_as(&admin, "/api/v1/protocol/versions").await.json().await.expect("v");
    assert_eq!(versions.len(), 1, "nothing was saved");

    let resp = upload(&app, &admin, &BUNDLED.replace("target = 80", "target = 96"), "Larger sample").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/protocol/changes?from=1&to=2&saved=1");
    let changes = app.get_as(&admin, "/protocol/changes?from=1&to=2").await.text().await.expect("changes");
    assert!(
        changes.contains("<code>- target = 80</code>") && changes.contains("<code>+ target = 96</code>"),
        "{changes}"
    );
    let v2: Value = app.get_as(&admin, "/api/v1/protocol").await.json().await.expect("protocol");
    assert_eq!((v2["version"].as_i64(), v2["reason"].as_str()), (Some(2), Some("Larger sample")));
    let page = app.get_as(&admin, "/protocol").await.text().await.expect("page");
    assert!(page.contains("Version 2 is in force") && page.contains("96"), "{page}");
    // The same text again is refused at the top of the form, and nothing is saved.
    let resp = upload(&app, &admin, &BUNDLED.replace("target = 80", "target = 96"), "Again").await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.expect("page").contains("this text is already version 2"));
}

#[tokio::test]
async fn once_randomisation_has_started_an_amendment_that_changes_the_arms_is_refused_on_the_page() {
    let app = spawn_app().await;
    let (admin, coord) = (app.user(Role::Admin), app.user(Role::Coordinator));
    let id = enrolled(&app, &coord, 1, true).await;
    let path = format!("/api/v1/participants/{id}/randomisation");
    assert_eq!(app.send_as(&coord, Method::POST, &path, json!({})).await.status(), StatusCode::CREATED);
    let resp =
        upload(&app, &admin, &BUNDLED.replace("block_sizes = [2, 4, 6]", "block_sizes = [4]"), "x").await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let page = resp.text().await.expect("page");
    assert!(
        page.contains("randomisation has started") && page.contains("Randomisation has started"),
        "{page}"
    );
    assert_eq!(
        upload(&app, &coord, BUNDLED, "x").await.status(),
        StatusCode::FORBIDDEN,
        "coordinators read only"
    );
}

#[tokio::test]
async fn a_blinded_statistician_reads_the_protocol_by_arm_codes_and_gets_neither_its_file_nor_its_changes() {
    let app = spawn_app().await;
    let (admin, blind) = (app.user(Role::Admin), app.user(Role::StatisticianBlinded));
    let page = app.get_as(&blind, "/protocol").await.text().await.expect("page");
    for part in ["Arms", "Eligibility", "Schedule of questionnaires", "Participants to enrol", "PHQ-9"] {
        assert!(page.contains(part), "{part} is missing: {page}");
    }
    for hidden in ["Moderated online support groups", "Block sizes", "/protocol/versions/1/file"] {
        assert!(!page.contains(hidden), "a blinded reader sees {hidden}");
    }
    assert_eq!(app.get_as(&blind, "/protocol/versions/1/file").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get_as(&blind, "/protocol/changes").await.status(), StatusCode::FORBIDDEN);
    let page = app.get_as(&admin, "/protocol").await.text().await.expect("page");
    assert!(page.contains("Moderated online support groups") && page.contains("2, 4, 6"), "{page}");
    let file = app.get_as(&admin, "/protocol/versions/1/file").await;
    assert!(
        file.headers()["content-disposition"].to_str().expect("header").contains("connect-protocol-v1.toml")
    );
    assert_eq!(file.text().await.expect("file"), BUNDLED);
    assert_eq!(app.get_as(&admin, "/protocol/versions/7").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_as(&admin, "/protocol/changes?from=1&to=9").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
