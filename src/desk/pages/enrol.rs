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
use crate::protocol::Protocol;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

/// A select of the form: field name, label, options (value, label).
pub(super) struct Select {
    pub name: String,
    pub label: String,
    pub options: Vec<(String, String)>,
}

fn select(name: &str, label: &str, options: &[(&str, &str)]) -> Select {
    Select {
        name: name.to_owned(),
        label: label.to_owned(),
        options: options.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect(),
    }
}

/// The demographic questions, in NIH reporting categories (the values the API takes).
pub(super) fn demographics() -> Vec<Select> {
    vec![
        select(
            "race",
            "Race",
            &[
                ("american_indian_alaska_native", "American Indian or Alaska Native"),
                ("asian", "Asian"),
                ("black", "Black or African American"),
                ("native_hawaiian_pacific_islander", "Native Hawaiian or Other Pacific Islander"),
                ("white", "White"),
                ("more_than_one", "More than one race"),
                ("other", "Other"),
                ("prefer_not_to_say", "Prefers not to say"),
            ],
        ),
        select(
            "ethnicity",
            "Ethnicity",
            &[
                ("hispanic_latinx", "Hispanic or Latino/a/x"),
                ("not_hispanic_latinx", "Not Hispanic or Latino/a/x"),
                ("prefer_not_to_say", "Prefers not to say"),
            ],
        ),
        select(
            "sex",
            "Sex",
            &[
                ("female", "Female"),
                ("male", "Male"),
                ("intersex", "Intersex"),
                ("prefer_not_to_say", "Prefers not to say"),
            ],
        ),
        select(
            "age_band",
            "Age",
            &[
                ("18-29", "18–29"),
                ("30-39", "30–39"),
                ("40-49", "40–49"),
                ("50-59", "50–59"),
                ("60-69", "60–69"),
                ("70-79", "70–79"),
                ("80-89", "80–89"),
                ("90+", "90 or over"),
            ],
        ),
        select(
            "newly_diagnosed",
            "Diagnosed with MS within the last two years",
            &[("yes", "Yes"), ("no", "No")],
        ),
        select(
            "disease_course",
            "MS disease course",
            &[
                ("relapsing_remitting", "Relapsing-remitting"),
                ("secondary_progressive", "Secondary progressive"),
                ("primary_progressive", "Primary progressive"),
                ("clinically_isolated", "Clinically isolated syndrome"),
                ("unknown", "Not known"),
            ],
        ),
    ]
}

/// The time zone choice: the study's first (stored as none), then the zones US participants
/// live in. The API takes any IANA name.
pub(super) fn time_zone_select(protocol: &Protocol) -> Select {
    const ZONES: [(&str, &str); 8] = [
        ("America/New_York", "Eastern (New York)"),
        ("America/Chicago", "Central (Chicago)"),
        ("America/Denver", "Mountain (Denver)"),
        ("America/Phoenix", "Arizona (Phoenix)"),
        ("America/Los_Angeles", "Pacific (Los Angeles)"),
        ("America/Anchorage", "Alaska (Anchorage)"),
        ("Pacific/Honolulu", "Hawaii (Honolulu)"),
        ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
    ];
    let study = protocol.study.time_zone.get_ref();
    let mut options = vec![(String::new(), format!("The study's ({study})"))];
    options.extend(ZONES.iter().filter(|(z, _)| z != study).map(|(z, l)| ((*z).to_owned(), (*l).to_owned())));
    Select { name: "time_zone".into(), label: "Time zone (for the times in their messages)".into(), options }
}

pub(super) fn strata_selects(protocol: &Protocol) -> Vec<Select> {
    protocol
        .stratification
        .iter()
        .map(|f| Select {
            name: format!("strata.{}", f.id.get_ref()),
            label: f.label.clone(),
            options: f
                .levels
                .iter()
                .map(|l| (l.get_ref().clone(), f.level_label(l.get_ref(), "en")))
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "desk/enrol.html")]
struct EnrolPage {
    role: String,
    csrf_token: String,
    screening: String,
    languages: Vec<(String, String)>,
    selects: Vec<Select>,
    problems: Problems,
    typed: BTreeMap<String, String>,
    /// The record of the same person, when the form was refused as a duplicate.
    existing: Option<String>,
    contact_fields: [(&'static str, &'static str, &'static str); 3],
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
    let mut selects = strata_selects(&protocol);
    selects.extend(demographics());
    selects.push(time_zone_select(&protocol));
    let page = EnrolPage {
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        screening: typed.get("screening").cloned().unwrap_or_default(),
        languages: super::register::study_languages(&protocol),
        selects,
        problems,
        typed,
        existing,
        contact_fields: [
            ("full_name", "Full name", "text"),
            ("email", "E-mail address", "email"),
            ("phone", "Phone number", "tel"),
        ],
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
) -> Option<NewParticipant> {
    let field = |name: &str| form.get(name).map(|s| s.trim().to_owned()).unwrap_or_default();
    let mut strata = BTreeMap::new();
    for f in &protocol.stratification {
        let name = format!("strata.{}", f.id.get_ref());
        match field(&name) {
            v if v.is_empty() => problems.add(name, "choose one"),
            v => {
                strata.insert(f.id.get_ref().clone(), v);
            }
        }
    }
    let mut choice = |name: &str| -> serde_json::Value {
        let v = field(name);
        if v.is_empty() {
            problems.add(name, "choose one");
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
        problems.add("full_name", "write the participant's full name");
    }
    if !problems.is_empty() {
        return None;
    }
    match serde_json::from_value(body) {
        Ok(new) => Some(new),
        Err(e) => {
            problems.add(Problems::FORM, format!("a choice was not one the form offers ({e})"));
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
    let Some(new) = read(&form, &protocol, &mut problems) else {
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
            let (problems, _) = Problems::from_refusal(e)?;
            enrol_page(&state, &auth, problems, form, existing.filter(|_| duplicate)).await
        }
    }
}
