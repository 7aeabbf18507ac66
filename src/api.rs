//! The JSON API's routes and its OpenAPI document, generated from the handlers.

use actix_web::{App, HttpResponse, get, web};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::permissions::Access;
use crate::{
    assessments, audit, auth, enrolment, exports, groups, instruments, outbox, protocol, randomisation,
    reports, safety, sites, web as pages,
};

/// Every documented route: `/healthz` and everything under `/api/v1`.
pub fn documented(cfg: &mut ServiceConfig<'_>) {
    cfg.service(pages::health::healthz).service(utoipa_actix_web::scope("/api/v1").configure(v1));
}

fn v1(cfg: &mut ServiceConfig<'_>) {
    cfg.service(openapi_json);
    auth::routes::routes(cfg);
    sites::routes::routes(cfg);
    protocol::routes::routes(cfg);
    audit::routes::routes(cfg);
    enrolment::routes::routes(cfg);
    randomisation::routes::routes(cfg);
    groups::routes::routes(cfg);
    outbox::routes::routes(cfg);
    instruments::routes::routes(cfg);
    assessments::routes::routes(cfg);
    safety::routes::routes(cfg);
    exports::routes::routes(cfg);
    reports::routes::routes(cfg);
}

/// The OpenAPI 3 document for the whole API.
pub fn openapi() -> OpenApi {
    let (_, mut doc) = App::new().into_utoipa_app().openapi(base()).configure(documented).split_for_parts();
    if let Some(components) = doc.components.as_mut() {
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API token from POST /api/v1/tokens or `trialdesk token create`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "trialdesk_session",
                "Session cookie from POST /api/v1/auth/login (named __Host-trialdesk_session when the server is reached over HTTPS); writes also need the X-CSRF-Token header",
            ))),
        );
    }
    // Declared once: every operation needs a session or a token, except the public ones the
    // permission matrix names, which say so with an empty requirement.
    let either =
        vec![SecurityRequirement::new("session", NO_SCOPES), SecurityRequirement::new("bearer", NO_SCOPES)];
    doc.security = Some(either);
    for endpoint in auth::permissions::ENDPOINTS.iter().filter(|e| !e.page && e.access == Access::Public) {
        let operation = doc.paths.paths.get_mut(endpoint.path).and_then(|item| match endpoint.method {
            "GET" => item.get.as_mut(),
            "POST" => item.post.as_mut(),
            "PUT" => item.put.as_mut(),
            "PATCH" => item.patch.as_mut(),
            "DELETE" => item.delete.as_mut(),
            _ => None,
        });
        if let Some(operation) = operation {
            operation.security = Some(Vec::new());
        }
    }
    document_common_answers(&mut doc);
    doc
}

/// Adds to each operation the refusals any route of its kind can give, where the handler's own
/// list does not name them already: a client (or a fuzzer such as schemathesis) then finds every
/// status it can receive in the document. Which apply follows from how the operation is called:
/// any request can carry the NUL character, refused everywhere (400, `web::nul`); a body can be
/// unreadable (400), too large (413) or refused by a rule (422); a query string can be unreadable
/// (400) or name a value the study does not have (422); a path names something that
/// may not exist (404); a signed-in operation can be refused to the anonymous (401) and to a role
/// (403), and a change can meet a state that forbids it (409); any operation that reads the
/// database can find it busy (503).
fn document_common_answers(doc: &mut OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let public_meta = path == "/healthz" || path == "/api/v1/openapi.json";
        let operations = [
            (false, &mut item.get),
            (true, &mut item.post),
            (true, &mut item.put),
            (true, &mut item.patch),
            (true, &mut item.delete),
        ];
        for (write, operation) in operations.into_iter().filter_map(|(w, o)| o.as_mut().map(|o| (w, o))) {
            let secured = operation.security.as_ref().is_none_or(|s| !s.is_empty());
            let params = operation.parameters.as_deref().unwrap_or_default();
            let located =
                |at: ParameterIn| params.iter().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == at));
            let (in_query, in_path) = (located(ParameterIn::Query), located(ParameterIn::Path));
            let body = operation.request_body.is_some();
            let answers = [
                (
                    true,
                    "400",
                    "The body or query string cannot be read, or the request holds the NUL character; `field` names where",
                ),
                (
                    secured,
                    "401",
                    "Not signed in: no session cookie or bearer token, or an expired or revoked one",
                ),
                (
                    secured,
                    "403",
                    "The caller's role, or a rule about the caller, does not allow this; `code` says which",
                ),
                (in_path, "404", "Nothing with that identifier, or nothing the caller may know of"),
                (body, "413", "The body is too large"),
                (
                    write && secured,
                    "409",
                    "The trial's state does not allow this now; `code` says which rule",
                ),
                (body || in_query, "422", "A value breaks a rule; `field` names it"),
                (!public_meta, "503", "The database is busy; try again shortly"),
            ];
            for (applies, status, description) in answers {
                if applies && !operation.responses.responses.contains_key(status) {
                    operation.responses.responses.insert(status.to_owned(), error(description).into());
                }
            }
        }
    }
}

const NO_SCOPES: [&str; 0] = [];

fn base() -> OpenApi {
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("trialdesk API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Run a randomised trial of a group intervention: protocol, staff, audit trail, screening, \
                enrolment, consent, concealed randomisation, support groups, sessions and attendance, \
                scheduled questionnaires, scores, survey links and safety alerts. \
                Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`.",
                ))
                .build(),
        )
        .components(Some(utoipa::openapi::Components::new()))
        .build()
}

/// The OpenAPI document of this server.
#[utoipa::path(tag = "meta", responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
#[get("/openapi.json")]
async fn openapi_json(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(doc.0.clone())
}

/// The document serialised once at start-up.
pub struct OpenApiJson(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_lists_the_refusals_its_kind_can_give() {
        let doc = openapi();
        let mut checked = 0;
        for (path, item) in &doc.paths.paths {
            for (method, operation) in [("GET", &item.get), ("POST", &item.post), ("PATCH", &item.patch)] {
                let Some(operation) = operation else { continue };
                let has = |status: &str| operation.responses.responses.contains_key(status);
                let secured = operation.security.as_ref().is_none_or(|s| !s.is_empty());
                if secured {
                    assert!(has("401") && has("403"), "{method} {path} does not list 401 and 403");
                }
                if operation.request_body.is_some() {
                    assert!(
                        has("400") && has("413") && has("422"),
                        "{method} {path} does not list 400, 413, 422"
                    );
                }
                if method != "GET" && secured {
                    assert!(has("409"), "{method} {path} does not list 409");
                }
                checked += 1;
            }
        }
        assert!(checked > 80, "{checked} operations");
    }
}
