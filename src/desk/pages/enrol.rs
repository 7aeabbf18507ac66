//! Enrolling an eligible screening in the browser: contact details, language, strata and
//! demographics with the protocol's choices. A refused form keeps everything typed and says what
//! is wrong beside each field; the same person twice links to their existing record.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::{Auth, Permission};
use crate::enrolment::participants::{self, NewParticipant};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::protocol::Protocol;
use crate::state::AppState;
use crate::web::page::{Problems, Select, staff_or_return, time_zone_select, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

fn select(name: &str, label: String, options: Vec<(&str, String)>) -> Select {
    Select {
        name: name.to_owned(),
        label,
        options: options.into_iter().map(|(v, l)| (v.to_owned(), l)).collect(),
    }
}

/// The contact fields (name, label, input type), on the enrolment and correction forms.
pub(super) fn contact_fields(tr: Tr) -> [(&'static str, String, &'static str); 3] {
    [
        ("full_name", tr.t("enrol-full-name"), "text"),
        ("email", tr.t("enrol-email"), "email"),
        ("phone", tr.t("enrol-phone"), "tel"),
    ]
}

/// The demographic questions, in NIH reporting categories (the values the API takes).
pub(super) fn demographics(tr: Tr) -> Vec<Select> {
    let no_say = || ("prefer_not_to_say", tr.t("enrol-prefers-not-to-say"));
    vec![
        select(
            "race",
            tr.t("enrol-race"),
            vec![
                ("american_indian_alaska_native", tr.t("enrol-race-american-indian")),
                ("asian", tr.t("enrol-race-asian")),
                ("black", tr.t("enrol-race-black")),
                ("native_hawaiian_pacific_islander", tr.t("enrol-race-pacific-islander")),
                ("white", tr.t("enrol-race-white")),
                ("more_than_one", tr.t("enrol-race-more-than-one")),
                ("other", tr.t("enrol-race-other")),
                no_say(),
            ],
        ),
        select(
            "ethnicity",
            tr.t("enrol-ethnicity"),
            vec![
                ("hispanic_latinx", tr.t("enrol-ethnicity-hispanic")),
                ("not_hispanic_latinx", tr.t("enrol-ethnicity-not-hispanic")),
                no_say(),
            ],
        ),
        select(
            "sex",
            tr.t("enrol-sex"),
            vec![
                ("female", tr.t("enrol-sex-female")),
                ("male", tr.t("enrol-sex-male")),
                ("intersex", tr.t("enrol-sex-intersex")),
                no_say(),
            ],
        ),
        select(
            "age_band",
            tr.t("enrol-age"),
            vec![
                ("18-29", tr.t("enrol-age-18-29")),
                ("30-39", tr.t("enrol-age-30-39")),
                ("40-49", tr.t("enrol-age-40-49")),
                ("50-59", tr.t("enrol-age-50-59")),
                ("60-69", tr.t("enrol-age-60-69")),
                ("70-79", tr.t("enrol-age-70-79")),
                ("80-89", tr.t("enrol-age-80-89")),
                ("90+", tr.t("enrol-age-90-over")),
            ],
        ),
        select(
            "newly_diagnosed",
            tr.t("enrol-newly-diagnosed"),
            vec![("yes", tr.t("enrol-yes")), ("no", tr.t("enrol-no"))],
        ),
        select(
            "disease_course",
            tr.t("enrol-disease-course"),
            vec![
                ("relapsing_remitting", tr.t("enrol-course-relapsing-remitting")),
                ("secondary_progressive", tr.t("enrol-course-secondary-progressive")),
                ("primary_progressive", tr.t("enrol-course-primary-progressive")),
                ("clinically_isolated", tr.t("enrol-course-clinically-isolated")),
                ("unknown", tr.t("enrol-course-unknown")),
            ],
        ),
    ]
}

/// The protocol's stratification factors, their levels worded in the page's language (the
/// factor's label is one text in the protocol).
pub(super) fn strata_selects(protocol: &Protocol, tr: Tr) -> Vec<Select> {
    protocol
        .stratification
        .iter()
        .map(|f| Select {
            name: format!("strata.{}", f.id.get_ref()),
            label: f.label_in(tr.lang()).to_owned(),
            options: f
                .levels
                .iter()
                .map(|l| (l.get_ref().clone(), f.level_label(l.get_ref(), tr.lang())))
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "desk/enrol.html")]
struct EnrolPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    screening: String,
    languages: Vec<(String, String)>,
    selects: Vec<Select>,
    problems: Problems,
    typed: BTreeMap<String, String>,
    /// The record of the same person, when the form was refused as a duplicate.
    existing: Option<String>,
    contact_fields: [(&'static str, String, &'static str); 3],
}

impl EnrolPage {
    fn value(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }
}

async fn enrol_page(
    state: &AppState,
    auth: &Auth,
    problems: Problems,
    typed: BTreeMap<String, String>,
    existing: Option<String>,
) -> Result<HttpResponse, AppError> {
    let protocol = state.run(|c| Ok(crate::protocol::store::current_parsed(c)?.0)).await?;
    let status = match (problems.is_empty(), problems.get(Problems::FORM).is_some()) {
        (true, _) => actix_web::http::StatusCode::OK,
        (false, true) => actix_web::http::StatusCode::CONFLICT,
        (false, false) => actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
    };
    let tr = auth.tr();
    let mut selects = strata_selects(&protocol, tr);
    selects.extend(demographics(tr));
    selects.push(time_zone_select(&protocol, tr));
    let page = EnrolPage {
        tr,
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        screening: typed.get("screening").cloned().unwrap_or_default(),
        languages: super::register::study_languages(&protocol, auth.tr()),
        selects,
        problems,
        typed,
        existing,
        contact_fields: contact_fields(tr),
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[derive(Debug, Deserialize)]
struct EnrolQuery {
    #[serde(default)]
    screening: String,
}

#[get("/participants/new")]
pub(super) async fn enrol_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<EnrolQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    let typed = BTreeMap::from([("screening".to_owned(), query.into_inner().screening)]);
    enrol_page(&state, &auth, Problems::default(), typed, None).await
}

/// The form as the service's request, with a problem beside every choice left unmade.
fn read(
    form: &BTreeMap<String, String>,
    protocol: &Protocol,
    problems: &mut Problems,
    tr: Tr,
) -> Option<NewParticipant> {
    let field = |name: &str| form.get(name).map(|s| s.trim().to_owned()).unwrap_or_default();
    let mut strata = BTreeMap::new();
    for f in &protocol.stratification {
        let name = format!("strata.{}", f.id.get_ref());
        match field(&name) {
            v if v.is_empty() => problems.add(name, tr.t("enrol-problem-choose-one")),
            v => {
                strata.insert(f.id.get_ref().clone(), v);
            }
        }
    }
    let mut choice = |name: &str| -> serde_json::Value {
        let v = field(name);
        if v.is_empty() {
            problems.add(name, tr.t("enrol-problem-choose-one"));
        }
        serde_json::Value::String(v)
    };
    let mut body = serde_json::json!({
        "screening_id": field("screening"),
        "full_name": field("full_name"),
        "email": Some(field("email")).filter(|v| !v.is_empty()),
        "phone": Some(field("phone")).filter(|v| !v.is_empty()),
        "strata": strata,
        "race": choice("race"),
        "ethnicity": choice("ethnicity"),
        "sex": choice("sex"),
        "age_band": choice("age_band"),
        "disease_course": choice("disease_course"),
        "preferred_language": choice("preferred_language"),
        "time_zone": Some(field("time_zone")).filter(|v| !v.is_empty()),
    });
    body["newly_diagnosed"] = serde_json::Value::Bool(choice("newly_diagnosed") == "yes");
    if field("full_name").is_empty() {
        problems.add("full_name", tr.t("enrol-problem-full-name"));
    }
    if !problems.is_empty() {
        return None;
    }
    match serde_json::from_value(body) {
        Ok(new) => Some(new),
        Err(e) => {
            problems.add(Problems::FORM, tr.a("enrol-problem-bad-choice", "error", e));
            None
        }
    }
}

#[post("/participants/new")]
pub(super) async fn enrol_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: web::Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::Enrol);
    let form = form.into_inner();
    auth.check_form_csrf(form.get("csrf_token").map_or("", String::as_str))?;
    let protocol = state.run(|c| Ok(crate::protocol::store::current_parsed(c)?.0)).await?;
    let mut problems = Problems::default();
    let Some(new) = read(&form, &protocol, &mut problems, auth.tr()) else {
        return enrol_page(&state, &auth, problems, form, None).await;
    };
    let (email, phone) = (new.email.clone(), new.phone.clone());
    let (ctx, scope) = (auth.context(), auth.scope.clone());
    let done = state
        .write(move |c| {
            Ok(match participants::enrol(c, &ctx, &scope, new) {
                Ok(p) => Ok(p.study_id),
                Err(e) => {
                    let existing = participants::already_enrolled_as(c, email.as_deref(), phone.as_deref())?;
                    Err((AppError::from(e), existing))
                }
            })
        })
        .await?;
    match done {
        Ok(study_id) => Ok(redirect(&format!("/participants/{study_id}?done=enrolment"))),
        Err((e, existing)) => {
            let duplicate = matches!(e, AppError::Conflict { code: "duplicate_person", .. });
            let (problems, _) = Problems::from_refusal(auth.tr(), e)?;
            enrol_page(&state, &auth, problems, form, existing.filter(|_| duplicate)).await
        }
    }
}
