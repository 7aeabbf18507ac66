//! One's own account in the browser's terms (forms with a session cookie): an API token made on
//! the account page is shown once and works; a refused one keeps what was typed; revoking it ends
//! it; another account's token cannot be revoked from here.

use reqwest::StatusCode;
use serde_json::Value;
use trialdesk::auth::Role;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_token_made_on_the_account_page_is_shown_once_works_and_stops_when_revoked_there() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let other = app.user(Role::Coordinator);
    let csrf = app.login(&coord.email, &coord.password).await;
    let post = |path: &str, form: Vec<(&str, &str)>| app.client.post(app.url(path)).form(&form).send();

    // Refused: no name, days out of range; the page answers 422 with what was typed kept.
    let resp = post("/account/tokens", vec![("csrf_token", &csrf), ("name", " "), ("valid_days", "30")])
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("page");
    assert!(html.contains("Give the token a name") && html.contains(r#"value="30""#), "{html}");
    let resp =
        post("/account/tokens", vec![("csrf_token", &csrf), ("name", "R scripts"), ("valid_days", "400")])
            .await
            .expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let listed: Vec<Value> = app.get_as(&coord, "/api/v1/tokens").await.json().await.expect("tokens");
    assert_eq!(listed.len(), 1, "only the test's own token: nothing half-made {listed:?}");

    // Made: the secret is on this answer only, and it works as a bearer token.
    let resp =
        post("/account/tokens", vec![("csrf_token", &csrf), ("name", "R scripts"), ("valid_days", "30")])
            .await
            .expect("post");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("page");
    let start = html.find(r#"id="new-token">"#).expect("the new token") + r#"id="new-token">"#.len();
    let secret = html[start..].split('<').next().expect("secret").trim().to_owned();
    let me = app.client.get(app.url("/api/v1/auth/me")).bearer_auth(&secret).send().await.expect("me");
    assert_eq!(me.status(), StatusCode::OK);
    let again = app.client.get(app.url("/account")).send().await.expect("get").text().await.expect("page");
    assert!(again.contains("R scripts") && !again.contains(&secret), "the secret is never shown again");

    // Another account's token is not found from this page; one's own is revoked.
    let theirs: Vec<Value> = app.get_as(&other, "/api/v1/tokens").await.json().await.expect("tokens");
    let theirs = theirs[0]["id"].as_str().expect("id").to_owned();
    let resp =
        post(&format!("/account/tokens/{theirs}/revoke"), vec![("csrf_token", &csrf)]).await.expect("post");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let listed: Vec<Value> = app.get_as(&coord, "/api/v1/tokens").await.json().await.expect("tokens");
    let made = listed.iter().find(|t| t["name"] == "R scripts").expect("made")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let resp =
        post(&format!("/account/tokens/{made}/revoke"), vec![("csrf_token", &csrf)]).await.expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()["location"].to_str().expect("location").to_owned();
    let page = app.client.get(app.url(&to)).send().await.expect("get").text().await.expect("page");
    assert!(page.contains("The token was revoked") && page.contains("revoked 20"), "{page}");
    let me = app.client.get(app.url("/api/v1/auth/me")).bearer_auth(&secret).send().await.expect("me");
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}
