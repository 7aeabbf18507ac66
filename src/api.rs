//! The JSON API's routes and its OpenAPI document, generated from the handlers.

use actix_web::{App, HttpResponse, get, web};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    assessments, audit, auth, enrolment, exports, groups, instruments, outbox, protocol, randomisation,
    reports, safety, web as pages,
};

/// Every documented route: `/healthz` and everything under `/api/v1`.
pub fn documented(cfg: &mut ServiceConfig) {
    cfg.service(pages::health::healthz).service(utoipa_actix_web::scope("/api/v1").configure(v1));
}

fn v1(cfg: &mut ServiceConfig) {
    cfg.service(openapi_json);
    auth::routes::routes(cfg);
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
                "Session cookie from POST /api/v1/auth/login; writes also need the X-CSRF-Token header",
            ))),
        );
    }
    doc
}

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
