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
    doc
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
