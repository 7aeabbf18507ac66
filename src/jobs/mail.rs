//! The delivery worker: every poll it claims due messages, fills their templates with values
//! read now (names and addresses included), and sends them by SMTP.

use std::time::Duration as StdDuration;

use chrono::Duration;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::db::{self, DbConn, Pool};
use crate::enrolment::participants;
use crate::groups::SessionStatus;
use crate::groups::attendance::session;
use crate::outbox::RecipientKind;
use crate::outbox::templates::{self, Text, Values};
use crate::outbox::{Failure, Kind, Message, claim_next, drop_message, finish};
use crate::protocol::store;
use crate::safety::AlertStatus;
use crate::sites::Scope;

/// How the SMTP server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain SMTP (a relay on the same host, or a test sink).
    None,
    StartTls,
    /// Implicit TLS (port 465).
    Wrapper,
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub from: String,
    pub poll: StdDuration,
    pub max_attempts: i32,
    pub retry_base: Duration,
    /// The server's address as participants reach it, for links in messages.
    pub public_url: String,
}

/// Runs the worker until the runtime stops.
pub fn spawn(pool: Pool, mail: MailSettings) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(mail.poll).await;
            let (p, m) = (pool.clone(), mail.clone());
            match tokio::task::spawn_blocking(move || deliver_due(&p, &m)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error.kind = "outbox", error.detail = %e, "outbox pass failed"),
                Err(e) => tracing::warn!(error.kind = "outbox", error.detail = %e, "outbox worker panicked"),
            }
        }
    });
}

fn transport(mail: &MailSettings) -> anyhow::Result<SmtpTransport> {
    let mut builder = match mail.tls {
        Tls::None => SmtpTransport::builder_dangerous(&mail.host),
        Tls::StartTls => SmtpTransport::starttls_relay(&mail.host)?,
        Tls::Wrapper => SmtpTransport::relay(&mail.host)?,
    }
    .port(mail.port)
    .timeout(Some(StdDuration::from_secs(15)));
    if let (Some(user), Some(pass)) = (&mail.username, &mail.password) {
        builder = builder.credentials(Credentials::new(user.clone(), pass.expose_secret().to_owned()));
    }
    Ok(builder.build())
}

/// One pass: claims due messages one at a time and tries to deliver each; returns how many
/// were sent. The SMTP client is set up before anything is claimed, so a bad setting leaves
/// messages unclaimed rather than stuck.
pub fn deliver_due(pool: &Pool, mail: &MailSettings) -> anyhow::Result<usize> {
    let smtp = transport(mail)?;
    let mut conn = pool.get()?;
    let mut sent = 0;
    for _ in 0..100 {
        let Some(m) = db::write_tx(&mut conn, claim_next)? else { break };
        let outcome = match prepare(&mut conn, &m, &mail.public_url) {
            Ok(Some(out)) => send(&smtp, mail, &m, out),
            Ok(None) => continue,
            Err(e) => Err(Failure::Temporary(format!("{e:#}"))),
        };
        sent += usize::from(outcome.is_ok());
        if let Err(Failure::Temporary(e) | Failure::Permanent(e)) = &outcome {
            tracing::warn!(message.kind = %m.kind, attempts = m.attempts, error.detail = %e, "message not delivered");
        }
        db::write_tx(&mut conn, |c| finish(c, &m, outcome, mail.max_attempts, mail.retry_base))?;
    }
    Ok(sent)
}

/// A message ready to send: the address, the text, and a file to attach (a consent copy, a
/// group's sessions as a calendar file): its name, bytes and content type.
struct Outgoing {
    to: Mailbox,
    text: Text,
    attachment: Option<(String, Vec<u8>, &'static str)>,
}

fn send(smtp: &SmtpTransport, mail: &MailSettings, m: &Message, out: Outgoing) -> Result<(), Failure> {
    let from: Mailbox =
        mail.from.parse().map_err(|_| Failure::Permanent("smtp_from is not an e-mail address".into()))?;
    let builder = lettre::Message::builder()
        .from(from)
        .to(out.to)
        // The same id on every attempt, so a repeat after a crash can be recognised.
        .message_id(Some(format!("<{}@trialdesk>", m.id)))
        .subject(out.text.subject);
    let built = match out.attachment {
        None => builder.header(ContentType::TEXT_PLAIN).body(out.text.body),
        Some((name, bytes, kind)) => {
            let kind = ContentType::parse(kind).expect("a valid content type");
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(out.text.body))
                    .singlepart(Attachment::new(name).body(bytes, kind)),
            )
        }
    };
    let email = built.map_err(|_| Failure::Permanent("the message could not be built".into()))?;
    smtp.send(&email).map(|_| ()).map_err(|e| describe(&e))
}

/// What went wrong, without the server's own words: they often repeat the recipient's address.
fn describe(e: &lettre::transport::smtp::Error) -> Failure {
    match e.status().map(|c| c.to_string()) {
        Some(code) if e.is_permanent() => {
            Failure::Permanent(format!("SMTP server refused the message permanently (code {code})"))
        }
        Some(code) => Failure::Temporary(format!("SMTP server deferred the message (code {code})")),
        None if e.is_timeout() => Failure::Temporary("SMTP server did not answer in time".into()),
        None => Failure::Temporary("could not connect to the SMTP server".into()),
    }
}

/// The address and text of a message, read now; `None` when it must not be sent (the message is
/// then marked cancelled with the reason).
fn prepare(c: &mut DbConn, m: &Message, public_url: &str) -> anyhow::Result<Option<Outgoing>> {
    let payload: Value = serde_json::from_str(&m.payload).unwrap_or(Value::Null);
    let (protocol, _) = store::current_parsed(c).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut v = Values { study_name: protocol.study.code.get_ref().clone(), ..Values::default() };
    let mut recipient_participant = None;
    let address = match m.recipient_kind {
        RecipientKind::Participant => {
            let Some(p) = participants::find(c, &Scope::All, &m.recipient_id)? else {
                return skip(c, m, "participant not found");
            };
            if p.withdrawn_at.is_some() {
                return skip(c, m, "withdrawn");
            }
            let contact = participants::contact(c, &p.id)?;
            let Some((name, Some(email))) = contact.map(|k| (k.full_name, k.email)) else {
                return skip(c, m, "no e-mail address");
            };
            v.name = name;
            v.study_id = p.study_id.clone();
            recipient_participant = Some(p);
            email
        }
        RecipientKind::User => {
            let Some(u) = crate::auth::users::find(c, &m.recipient_id)? else {
                return skip(c, m, "account not found");
            };
            if u.disabled {
                return skip(c, m, "account disabled");
            }
            v.name = u.display_name;
            u.email
        }
    };
    let kind = m.kind;
    if matches!(kind, Kind::SessionReminder | Kind::ModeratorRoster) {
        let id = payload["session_id"].as_str().unwrap_or_default();
        let (s, g) = session(c, id).map_err(|e| anyhow::anyhow!("{e}"))?;
        if s.status == SessionStatus::Cancelled {
            return skip(c, m, "session cancelled");
        }
        // A participant reads the time in their own zone; a moderator in the group's.
        let group_zone: chrono_tz::Tz = g.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let tz = match &recipient_participant {
            Some(p) if p.time_zone.is_some() => p.zone(&protocol),
            _ => group_zone,
        };
        v.local_start = s.starts_at.and_utc().with_timezone(&tz).format("%H:%M (%Z), %Y-%m-%d").to_string();
        v.group_name = g.name.clone();
        v.session_number = s.number;
        v.minutes = s.minutes;
        if kind == Kind::ModeratorRoster {
            // Moderators meet their group by name; withdrawn members are left out.
            for (pid, study_id) in crate::groups::members_of(c, &g.id)? {
                if participants::find(c, &Scope::All, &pid)?.is_some_and(|p| p.withdrawn_at.is_some()) {
                    continue;
                }
                let name = participants::contact(c, &pid)?.map(|k| k.full_name).unwrap_or_default();
                v.roster.push(format!("- {study_id}: {name}"));
            }
        }
    }
    if matches!(kind, Kind::SurveyInvitation | Kind::SurveyReminder) {
        let id = payload["assessment_id"].as_str().unwrap_or_default();
        let Some(a) = crate::assessments::find(c, id)? else { return skip(c, m, "assessment not found") };
        if !a.status.is_pending() {
            return skip(c, m, &format!("assessment {}", a.status));
        }
        // A fresh link for each message (the token exists only in this e-mail), which replaces
        // the links earlier e-mails carried.
        let days = *protocol.surveys.link_valid_days.get_ref();
        let (_, token) = db::write_tx(c, |c| {
            let (link, token) = crate::survey::links::issue(c, &a.participant_id, &m.language, days, None)?;
            crate::survey::links::supersede(c, &a.participant_id, &link.id)?;
            Ok::<_, crate::service_error::ServiceError>((link, token))
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        v.link = format!("{public_url}/s/{token}");
        v.timepoint = crate::assessments::participant_title(&protocol, &a.timepoint, &m.language);
        v.due = crate::assessments::last_day(&protocol, &a)
            .map(|d| crate::survey::text::long_date(&m.language, d))
            .unwrap_or_default();
    }
    let mut attachment = None;
    if kind == Kind::ConsentCopy {
        let id = payload["consent_id"].as_str().unwrap_or_default();
        let Some(pdf) =
            crate::enrolment::consent_copy::for_consent(c, id).map_err(|e| anyhow::anyhow!("{e}"))?
        else {
            return skip(c, m, "consent voided or not signed on a link");
        };
        let name = format!("consent-{}.pdf", v.study_id);
        attachment = Some((name, pdf, "application/pdf"));
    }
    if let (Some(p), Kind::GroupReady | Kind::SessionChanged) = (&recipient_participant, kind) {
        // Their own clock and language; their group as it is now, not as it was when queued.
        let tz = p.zone(&protocol);
        let Some(about) = crate::groups::notices::about(c, &p.id, &m.language, tz)? else {
            return skip(c, m, "not in a group with sessions");
        };
        let tr = crate::survey::text::ui(&m.language);
        v.group_name = about.group.name.clone();
        v.meeting_url = about.group.meeting_url.clone().unwrap_or_default();
        v.moderator = about.moderator.clone();
        if kind == Kind::GroupReady {
            if payload["group_id"].as_str() != Some(about.group.id.as_str()) {
                return skip(c, m, "moved to another group");
            }
            let Some(first) = about.upcoming.first() else { return skip(c, m, "no sessions to come") };
            (v.weekly, v.local_start, v.minutes) = (about.weekly.clone(), first.clone(), about.minutes);
            v.session_number = i32::try_from(about.sessions).unwrap_or(i32::MAX);
            let now = db::now();
            let rows: Vec<_> = crate::groups::attendance::sessions(c, &about.group.id)?
                .into_iter()
                .filter(|s| s.status == SessionStatus::Scheduled && s.starts_at > now)
                .map(|s| (s, about.group.clone()))
                .collect();
            let ics = crate::groups::feed::ics(&rows, &about.group.name);
            attachment = Some(("sessions.ics".to_owned(), ics.into_bytes(), "text/calendar; charset=utf-8"));
        } else {
            let (s, g) = session(c, payload["session_id"].as_str().unwrap_or_default())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if g.id != about.group.id {
                return skip(c, m, "moved to another group");
            }
            let cancelled = s.status == SessionStatus::Cancelled;
            if !cancelled && payload["starts_at"].as_i64() != Some(s.starts_at.and_utc().timestamp()) {
                return skip(c, m, "moved again since");
            }
            let before = chrono::DateTime::from_timestamp(payload["before"].as_i64().unwrap_or_default(), 0)
                .map(|t| t.naive_utc())
                .unwrap_or(s.starts_at);
            v.session_number = s.number;
            v.due = crate::groups::notices::when(tr, tz, before);
            v.local_start =
                if cancelled { String::new() } else { crate::groups::notices::when(tr, tz, s.starts_at) };
        }
    }
    if kind == Kind::SafetyAlert {
        let id = payload["alert_id"].as_str().unwrap_or_default();
        let Some(alert) = crate::safety::find(c, id)? else { return skip(c, m, "alert not found") };
        if alert.status != AlertStatus::Open {
            return skip(c, m, "alert already acknowledged");
        }
        let sid = participants::find(c, &Scope::All, &alert.participant_id)?
            .map(|p| p.study_id)
            .unwrap_or_default();
        v.study_id = sid;
        v.notice = format!("{} safety alert: {}", alert.severity.as_str().to_uppercase(), alert.meaning);
        v.due = format!("{} UTC", alert.due_at.format("%Y-%m-%d %H:%M"));
        v.link = format!("{public_url}/alerts/{}", alert.id);
    } else {
        v.notice = payload["notice"].as_str().unwrap_or_default().to_owned();
    }
    let text = match kind {
        Kind::Welcome => templates::welcome(&m.language, &v),
        Kind::SessionReminder => templates::session_reminder(&m.language, &v),
        Kind::ModeratorRoster => templates::moderator_roster(&m.language, &v),
        Kind::AdminNotice => templates::admin_notice(&v),
        Kind::SurveyInvitation => templates::survey_invitation(&m.language, &v, false),
        Kind::SurveyReminder => templates::survey_invitation(&m.language, &v, true),
        Kind::SafetyAlert => templates::safety_alert(&v),
        Kind::ConsentCopy => templates::consent_copy(&m.language, &v),
        Kind::GroupReady => templates::group_ready(&m.language, &v),
        Kind::SessionChanged => templates::session_changed(&m.language, &v),
        Kind::WaitlistEnded => templates::waitlist_ended(&m.language, &v),
    };
    let to = Mailbox::new(
        Some(v.name.clone()),
        address.parse().map_err(|e| anyhow::anyhow!("stored address does not parse: {e}"))?,
    );
    Ok(Some(Outgoing { to, text, attachment }))
}

fn skip(c: &mut DbConn, m: &Message, why: &str) -> anyhow::Result<Option<Outgoing>> {
    db::write_tx(c, |c| drop_message(c, m, why))?;
    Ok(None)
}
