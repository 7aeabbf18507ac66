//! Participants' contact details: kept apart from the study record, normalised so that the same
//! person is found again by a keyed hash (never by comparing details in clear), and read by staff
//! only through an audited call.

use diesel::prelude::*;

use crate::audit::{self, Context, Event};
use crate::auth::sha256_hex;
use crate::db::DbConn;
use crate::db::schema::{participant_contacts, participants};
use crate::service_error::ServiceError;
use serde::Serialize;
use utoipa::ToSchema;

/// Identifying details, stored apart.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = participant_contacts)]
pub struct Contact {
    #[serde(skip)]
    pub participant_id: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[serde(skip)]
    pub email_key: Option<String>,
    #[serde(skip)]
    pub phone_key: Option<String>,
}

/// A phone number reduced to digits with its country code (10-digit numbers are taken as US).
pub fn normalise_phone(raw: &str) -> Result<String, ServiceError> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let ok_chars = raw.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !ok_chars || !(7..=15).contains(&digits.len()) {
        return Err(ServiceError::validation("phone", "must be a phone number of 7 to 15 digits"));
    }
    Ok(if digits.len() == 10 { format!("+1{digits}") } else { format!("+{digits}") })
}

/// An optional text field, treating blank as absent.
pub(super) fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The key that finds the same person again without comparing contact details in clear.
pub(super) fn contact_key(kind: &str, normalised: &str) -> String {
    sha256_hex(&format!("trialdesk-contact:{kind}:{normalised}"))
}

/// Who is already enrolled with this e-mail or phone (as typed): a refused form links to them.
pub fn already_enrolled_as(
    conn: &mut DbConn,
    email: Option<&str>,
    phone: Option<&str>,
) -> QueryResult<Option<String>> {
    let email = given(email).and_then(|e| crate::auth::users::parse_email(e).ok());
    let phone = given(phone).and_then(|p| normalise_phone(p).ok());
    let email_key = email.as_deref().map(|e| contact_key("email", e));
    let phone_key = phone.as_deref().map(|p| contact_key("phone", p));
    duplicate(conn, None, email_key.as_deref(), phone_key.as_deref())
}

pub(super) fn duplicate(
    conn: &mut DbConn,
    except: Option<&str>,
    email_key: Option<&str>,
    phone_key: Option<&str>,
) -> QueryResult<Option<String>> {
    let mut q = participant_contacts::table
        .inner_join(participants::table)
        .select(participants::study_id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(participant_contacts::participant_id.ne(id.to_owned()));
    }
    q = match (email_key, phone_key) {
        (Some(e), Some(p)) => q.filter(
            participant_contacts::email_key
                .eq(e.to_owned())
                .or(participant_contacts::phone_key.eq(p.to_owned())),
        ),
        (Some(e), None) => q.filter(participant_contacts::email_key.eq(e.to_owned())),
        (None, Some(p)) => q.filter(participant_contacts::phone_key.eq(p.to_owned())),
        (None, None) => return Ok(None),
    };
    q.first(conn).optional()
}

/// A participant's contact details, for the system's own use (sending a message, checking a
/// signature). A staff member reads them through `read_contact`.
pub fn contact(conn: &mut DbConn, participant_id: &str) -> QueryResult<Option<Contact>> {
    participant_contacts::table.find(participant_id).select(Contact::as_select()).first(conn).optional()
}

/// A participant's contact details shown to a staff member: the read itself is audited (who,
/// when; never the values), wherever it happens (the contact API, an alert, its page).
pub fn read_contact(conn: &mut DbConn, ctx: &Context, participant_id: &str) -> QueryResult<Option<Contact>> {
    let found = contact(conn, participant_id)?;
    if found.is_some() {
        let event = Event {
            action: "read_contact",
            entity: "participant",
            entity_id: participant_id,
            changes: vec![],
            reason: None,
        };
        audit::record(conn, ctx, event)?;
    }
    Ok(found)
}
