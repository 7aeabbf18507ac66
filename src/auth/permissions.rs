//! The permission matrix: which role may do what. `docs/permissions.md` is generated from
//! `ENDPOINTS` below and a test walks every row against the running server.

use super::Role;

/// Something a request may need to be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read one's own account; change one's password; manage one's own API tokens.
    OwnAccount,
    /// Read the protocol in force and its versions.
    ReadProtocol,
    /// Record a protocol amendment.
    AmendProtocol,
    /// Create, list, change and disable staff accounts, and grant them sites.
    ManageUsers,
    /// Create and close sites.
    ManageSites,
    /// Read, verify and export the audit trail.
    ReadAudit,
    /// Record screenings and read the screening log.
    Screen,
    /// Enrol participants; record consent and withdrawal.
    Enrol,
    /// Read participants (blinded roles see arm codes only; never contact details).
    ReadParticipants,
    /// Read participants' names, e-mail addresses and phone numbers.
    ReadContacts,
    /// Randomise participants.
    Randomise,
    /// Unblind one participant in an emergency.
    Unblind,
    /// Read notices meant for admins.
    ReadNotices,
    /// Create, form, launch and change groups and their sessions.
    ManageGroups,
    /// Read groups, sessions and calendars (moderators: their own groups).
    ReadGroups,
    /// Record attendance (moderators: their own groups).
    RecordAttendance,
    /// Read the message outbox.
    ReadOutbox,
    /// Send a failed message again.
    RetryMessages,
    /// Read schedules of assessment, answers and scores.
    ReadAssessments,
    /// Make and revoke participants' survey links; correct submitted answers (with a reason).
    ManageAssessments,
    /// Read safety alerts and acknowledge, act on and close them.
    HandleAlerts,
    /// Choose who safety alerts go to, and in which order.
    ConfigureSafety,
    /// Download de-identified analysis datasets, codebooks and load scripts.
    ExportData,
    /// Read the trial report (blinded roles see arm codes only).
    ReadReports,
}

impl Permission {
    /// Whether `role` holds this permission.
    pub fn allows(self, role: Role) -> bool {
        match self {
            OwnAccount | ReadProtocol => true,
            AmendProtocol | ManageUsers | ManageSites | ReadAudit | ReadNotices | ReadOutbox
            | RetryMessages | ConfigureSafety => role == Role::Admin,
            // The clinician handles suicide-risk alerts; a protocol may keep them blind.
            Unblind => matches!(role, Role::Admin | Role::Clinician),
            Screen | Enrol | Randomise | ManageAssessments => {
                matches!(role, Role::Admin | Role::Coordinator)
            }
            ReadContacts | ReadAssessments | HandleAlerts => {
                matches!(role, Role::Admin | Role::Coordinator | Role::Clinician)
            }
            ReadParticipants => role != Role::Moderator,
            ExportData => matches!(role, Role::StatisticianBlinded | Role::StatisticianUnblinded),
            ReadReports => !matches!(role, Role::Moderator | Role::Clinician),
            ManageGroups => matches!(role, Role::Admin | Role::Coordinator),
            ReadGroups | RecordAttendance => {
                matches!(role, Role::Admin | Role::Coordinator | Role::Moderator)
            }
        }
    }

    /// A short name for the docs and error messages.
    pub fn name(self) -> &'static str {
        match self {
            OwnAccount => "own account",
            ReadProtocol => "read protocol",
            AmendProtocol => "amend protocol",
            ManageUsers => "manage users",
            ManageSites => "manage sites",
            ReadAudit => "read audit trail",
            Screen => "screen",
            Enrol => "enrol",
            ReadParticipants => "read participants",
            ReadContacts => "read contact details",
            Randomise => "randomise",
            Unblind => "emergency unblinding",
            ReadNotices => "read notices",
            ManageGroups => "manage groups",
            ReadGroups => "read groups",
            RecordAttendance => "record attendance",
            ReadOutbox => "read outbox",
            RetryMessages => "retry messages",
            ReadAssessments => "read assessments",
            ManageAssessments => "manage assessments",
            HandleAlerts => "handle safety alerts",
            ConfigureSafety => "configure safety contacts",
            ExportData => "export analysis data",
            ReadReports => "read trial reports",
        }
    }
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No sign-in needed.
    Public,
    /// A signed-in staff member holding the permission.
    Staff(Permission),
    /// A participant's personal survey link: the token in the path is the key, and it opens
    /// that participant's own questionnaires only. Without a valid token: a clear page, 404 or 410.
    SurveyLink,
    /// A staff member's personal calendar address: the secret in the path is the key (calendar
    /// apps send no header), and it shows only the sessions that person's role may read. A wrong
    /// or revoked address: 404.
    CalendarAddress,
}

/// One row of the matrix.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    pub method: &'static str,
    /// The path as the OpenAPI document writes it (`{id}` for parameters).
    pub path: &'static str,
    pub access: Access,
    /// Pages answer anonymous visitors with a redirect to the sign-in page rather than 401.
    pub page: bool,
}

const fn api(method: &'static str, path: &'static str, access: Access) -> Endpoint {
    Endpoint { method, path, access, page: false }
}

const fn page(method: &'static str, path: &'static str, access: Access) -> Endpoint {
    Endpoint { method, path, access, page: true }
}

use Access::{CalendarAddress, Public, Staff, SurveyLink};
use Permission::*;

/// Every endpoint the server has. A test fails if the OpenAPI document lists one not here.
/// The methods the matrix lists for a concrete path (`/api/v1/users/abc` is `/api/v1/users/{id}`),
/// for a 405's `Allow`. A parameter matches one non-empty segment, with any literal around it
/// (`{secret}.ics`).
pub fn methods_of(path: &str) -> Vec<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    let fits = |pattern: &str, segment: &str| match (pattern.find('{'), pattern.rfind('}')) {
        (Some(open), Some(close)) => {
            let (prefix, suffix) = (&pattern[..open], &pattern[close + 1..]);
            segment.len() > prefix.len() + suffix.len()
                && segment.starts_with(prefix)
                && segment.ends_with(suffix)
        }
        _ => pattern == segment,
    };
    let matching: Vec<&Endpoint> = ENDPOINTS
        .iter()
        .filter(|e| {
            let pattern: Vec<&str> = e.path.split('/').collect();
            pattern.len() == segments.len() && pattern.iter().zip(&segments).all(|(p, s)| fits(p, s))
        })
        .collect();
    // A path a literal route names (`/groups/queue`) is that route's, not also a parameter's
    // (`/groups/{id}`): the routes with the most literal segments, earliest first, are the path's.
    let literal = |e: &Endpoint| -> Vec<bool> { e.path.split('/').map(|p| !p.contains('{')).collect() };
    let best = matching.iter().map(|e| literal(e)).max();
    let mut methods: Vec<&'static str> =
        matching.iter().filter(|e| Some(literal(e)) == best).map(|e| e.method).collect();
    methods.sort_unstable();
    methods.dedup();
    methods
}

pub const ENDPOINTS: &[Endpoint] = &[
    api("GET", "/healthz", Public),
    api("GET", "/api/v1/openapi.json", Public),
    api("POST", "/api/v1/auth/login", Public),
    api("POST", "/api/v1/auth/logout", Staff(OwnAccount)),
    api("GET", "/api/v1/auth/me", Staff(OwnAccount)),
    api("POST", "/api/v1/auth/password", Staff(OwnAccount)),
    api("PUT", "/api/v1/auth/language", Staff(OwnAccount)),
    api("POST", "/api/v1/auth/two-factor", Staff(OwnAccount)),
    api("POST", "/api/v1/auth/two-factor/confirm", Staff(OwnAccount)),
    api("POST", "/api/v1/auth/two-factor/recovery-codes", Staff(OwnAccount)),
    api("POST", "/api/v1/auth/two-factor/disable", Staff(OwnAccount)),
    api("GET", "/api/v1/tokens", Staff(OwnAccount)),
    api("POST", "/api/v1/tokens", Staff(OwnAccount)),
    api("DELETE", "/api/v1/tokens/{id}", Staff(OwnAccount)),
    api("GET", "/api/v1/users", Staff(ManageUsers)),
    api("POST", "/api/v1/users", Staff(ManageUsers)),
    api("GET", "/api/v1/users/{id}", Staff(ManageUsers)),
    api("GET", "/api/v1/users/{id}/tokens", Staff(ManageUsers)),
    api("DELETE", "/api/v1/users/{id}/tokens/{token}", Staff(ManageUsers)),
    api("PATCH", "/api/v1/users/{id}", Staff(ManageUsers)),
    api("POST", "/api/v1/users/{id}/password-reset", Staff(ManageUsers)),
    api("POST", "/api/v1/users/{id}/two-factor/reset", Staff(ManageUsers)),
    api("GET", "/api/v1/sites", Staff(ReadProtocol)),
    api("POST", "/api/v1/sites", Staff(ManageSites)),
    api("PATCH", "/api/v1/sites/{code}", Staff(ManageSites)),
    api("POST", "/api/v1/sites/{code}/closure", Staff(ManageSites)),
    api("GET", "/api/v1/protocol", Staff(ReadProtocol)),
    api("GET", "/api/v1/protocol/versions", Staff(ReadProtocol)),
    api("GET", "/api/v1/protocol/versions/{version}", Staff(ReadProtocol)),
    api("POST", "/api/v1/protocol/versions", Staff(AmendProtocol)),
    api("GET", "/api/v1/audit", Staff(ReadAudit)),
    api("GET", "/api/v1/audit/export", Staff(ReadAudit)),
    api("GET", "/api/v1/audit/verify", Staff(ReadAudit)),
    api("POST", "/api/v1/screenings", Staff(Screen)),
    api("GET", "/api/v1/screenings", Staff(Screen)),
    api("GET", "/api/v1/screenings/{id}", Staff(Screen)),
    api("POST", "/api/v1/screenings/{id}/close", Staff(Screen)),
    api("POST", "/api/v1/participants", Staff(Enrol)),
    api("GET", "/api/v1/participants", Staff(ReadParticipants)),
    api("GET", "/api/v1/participants/{id}", Staff(ReadParticipants)),
    api("GET", "/api/v1/participants/{id}/timeline", Staff(ReadParticipants)),
    api("GET", "/api/v1/participants/{id}/contact", Staff(ReadContacts)),
    api("POST", "/api/v1/participants/{id}/consents", Staff(Enrol)),
    api("POST", "/api/v1/participants/{id}/consents/{consent}/void", Staff(Enrol)),
    api("POST", "/api/v1/participants/{id}/withdrawal", Staff(Enrol)),
    api("POST", "/api/v1/participants/{id}/transfer", Staff(Enrol)),
    api("POST", "/api/v1/participants/{id}/randomisation", Staff(Randomise)),
    api("PUT", "/api/v1/participants/{id}/contact", Staff(Enrol)),
    api("PUT", "/api/v1/participants/{id}/details", Staff(Enrol)),
    api("POST", "/api/v1/screenings/{id}/correction", Staff(Screen)),
    api("POST", "/api/v1/participants/{id}/contact-attempts", Staff(Enrol)),
    api("GET", "/api/v1/participants/{id}/contact-attempts", Staff(ReadContacts)),
    api("POST", "/api/v1/participants/{id}/unblinding", Staff(Unblind)),
    api("GET", "/api/v1/notices", Staff(ReadNotices)),
    api("GET", "/api/v1/recruitment", Staff(ReadParticipants)),
    api("POST", "/api/v1/groups", Staff(ManageGroups)),
    api("GET", "/api/v1/groups", Staff(ReadGroups)),
    api("GET", "/api/v1/groups/queue", Staff(ManageGroups)),
    api("GET", "/api/v1/groups/proposal", Staff(ManageGroups)),
    api("POST", "/api/v1/groups/assignments", Staff(ManageGroups)),
    api("GET", "/api/v1/groups/{id}", Staff(ReadGroups)),
    api("PATCH", "/api/v1/groups/{id}", Staff(ManageGroups)),
    api("POST", "/api/v1/participants/{id}/group-removal", Staff(ManageGroups)),
    api("POST", "/api/v1/groups/{id}/launch", Staff(ManageGroups)),
    api("POST", "/api/v1/participants/{id}/group-move", Staff(ManageGroups)),
    api("GET", "/api/v1/groups/{id}/sessions", Staff(ReadGroups)),
    api("POST", "/api/v1/sessions/{id}/reschedule", Staff(ManageGroups)),
    api("POST", "/api/v1/sessions/{id}/cancel", Staff(ManageGroups)),
    api("GET", "/api/v1/calendar", Staff(ReadGroups)),
    api("GET", "/api/v1/calendar.ics", Staff(ReadGroups)),
    api("POST", "/api/v1/sessions/{id}/attendance", Staff(RecordAttendance)),
    api("GET", "/api/v1/groups/{id}/attendance", Staff(ReadGroups)),
    api("GET", "/api/v1/participants/{id}/dose", Staff(ManageGroups)),
    api("GET", "/api/v1/outbox", Staff(ReadOutbox)),
    api("POST", "/api/v1/outbox/{id}/retry", Staff(RetryMessages)),
    api("GET", "/api/v1/instruments", Staff(ReadProtocol)),
    api("GET", "/api/v1/instruments/{id}", Staff(ReadProtocol)),
    api("GET", "/api/v1/assessments", Staff(ReadAssessments)),
    api("GET", "/api/v1/assessments/{id}", Staff(ReadAssessments)),
    api("POST", "/api/v1/assessments/{id}/corrections", Staff(ManageAssessments)),
    api("GET", "/api/v1/participants/{id}/assessments", Staff(ReadAssessments)),
    api("GET", "/api/v1/participants/{id}/survey-links", Staff(ManageAssessments)),
    api("POST", "/api/v1/participants/{id}/survey-links", Staff(ManageAssessments)),
    api("POST", "/api/v1/participants/{id}/invitations", Staff(ManageAssessments)),
    api("POST", "/api/v1/survey-links/{id}/revocation", Staff(ManageAssessments)),
    api("GET", "/api/v1/alerts", Staff(HandleAlerts)),
    api("GET", "/api/v1/alerts/{id}", Staff(HandleAlerts)),
    api("POST", "/api/v1/alerts/{id}/acknowledgement", Staff(HandleAlerts)),
    api("POST", "/api/v1/alerts/{id}/action", Staff(HandleAlerts)),
    api("POST", "/api/v1/alerts/{id}/closure", Staff(HandleAlerts)),
    api("GET", "/api/v1/safety/contacts", Staff(HandleAlerts)),
    api("PUT", "/api/v1/safety/contacts", Staff(ConfigureSafety)),
    api("GET", "/api/v1/exports", Staff(ExportData)),
    api("GET", "/api/v1/exports/{file}", Staff(ExportData)),
    api("GET", "/api/v1/reports/summary", Staff(ReadReports)),
    page("GET", "/", Staff(ReadProtocol)),
    page("GET", "/login", Public),
    page("GET", "/reports", Staff(ReadReports)),
    page("GET", "/exports", Staff(ExportData)),
    page("GET", "/exports/analysis", Staff(ExportData)),
    page("GET", "/reports/summary.json", Staff(ReadReports)),
    page("POST", "/login", Public),
    page("GET", "/login/code", Public),
    page("POST", "/login/code", Public),
    page("POST", "/logout", Staff(OwnAccount)),
    page("GET", "/account", Staff(OwnAccount)),
    page("POST", "/account/language", Staff(OwnAccount)),
    page("POST", "/account/tokens", Staff(OwnAccount)),
    page("POST", "/account/tokens/{id}/revoke", Staff(OwnAccount)),
    page("POST", "/account/calendar", Staff(ReadGroups)),
    page("POST", "/account/calendar/revoke", Staff(ReadGroups)),
    page("GET", "/account/password", Staff(OwnAccount)),
    page("POST", "/account/password", Staff(OwnAccount)),
    page("GET", "/account/two-factor", Staff(OwnAccount)),
    page("POST", "/account/two-factor", Staff(OwnAccount)),
    page("POST", "/account/two-factor/confirm", Staff(OwnAccount)),
    page("POST", "/account/two-factor/recovery-codes", Staff(OwnAccount)),
    page("POST", "/account/two-factor/disable", Staff(OwnAccount)),
    page("GET", "/static/app.css", Public),
    page("GET", "/assessments", Staff(ReadAssessments)),
    page("GET", "/audit-trail", Staff(ReadAudit)),
    page("GET", "/outbox", Staff(ReadOutbox)),
    page("POST", "/outbox/{id}/retry", Staff(RetryMessages)),
    page("GET", "/protocol", Staff(ReadProtocol)),
    page("GET", "/protocol/versions/{version}", Staff(ReadProtocol)),
    page("GET", "/protocol/versions/{version}/file", Staff(AmendProtocol)),
    page("GET", "/protocol/changes", Staff(AmendProtocol)),
    page("GET", "/protocol/amend", Staff(AmendProtocol)),
    page("POST", "/protocol/amend", Staff(AmendProtocol)),
    page("GET", "/staff", Staff(ManageUsers)),
    page("POST", "/staff", Staff(ManageUsers)),
    page("GET", "/staff/{id}", Staff(ManageUsers)),
    page("POST", "/staff/{id}/{what}", Staff(ManageUsers)),
    page("POST", "/staff/{id}/tokens/{token}/revoke", Staff(ManageUsers)),
    page("GET", "/groups", Staff(ReadGroups)),
    page("GET", "/groups/queue", Staff(ManageGroups)),
    page("POST", "/groups/queue", Staff(ManageGroups)),
    page("GET", "/groups/new", Staff(ManageGroups)),
    page("POST", "/groups/new", Staff(ManageGroups)),
    page("GET", "/groups/{id}", Staff(ReadGroups)),
    page("GET", "/groups/{id}/edit", Staff(ManageGroups)),
    page("POST", "/groups/{id}/edit", Staff(ManageGroups)),
    page("POST", "/groups/{id}/launch", Staff(ManageGroups)),
    page("GET", "/groups/{id}/members/{member}/remove", Staff(ManageGroups)),
    page("POST", "/groups/{id}/members/{member}/remove", Staff(ManageGroups)),
    page("GET", "/sessions/{id}/change", Staff(ManageGroups)),
    page("POST", "/sessions/{id}/reschedule", Staff(ManageGroups)),
    page("POST", "/sessions/{id}/cancel", Staff(ManageGroups)),
    page("GET", "/sessions/{id}/attendance", Staff(ReadGroups)),
    page("POST", "/sessions/{id}/attendance", Staff(RecordAttendance)),
    page("GET", "/alerts", Staff(HandleAlerts)),
    page("GET", "/alerts/{id}", Staff(HandleAlerts)),
    page("POST", "/alerts/{id}/{step}", Staff(HandleAlerts)),
    page("GET", "/safety-contacts", Staff(ConfigureSafety)),
    page("POST", "/safety-contacts", Staff(ConfigureSafety)),
    page("GET", "/unblinding/{id}", Staff(Unblind)),
    page("POST", "/unblinding/{id}", Staff(Unblind)),
    page("GET", "/static/copy.js", Public),
    page("GET", "/participants", Staff(ReadParticipants)),
    page("GET", "/participants.csv", Staff(ReadParticipants)),
    page("GET", "/participants/new", Staff(Enrol)),
    page("POST", "/participants/new", Staff(Enrol)),
    page("GET", "/participants/{id}", Staff(ReadParticipants)),
    page("POST", "/participants/{id}/consent", Staff(Enrol)),
    page("POST", "/participants/{id}/consents/{consent}/void", Staff(Enrol)),
    page("GET", "/participants/{id}/randomise", Staff(Randomise)),
    page("POST", "/participants/{id}/randomise", Staff(Randomise)),
    page("GET", "/participants/{id}/allocation", Staff(ReadParticipants)),
    page("GET", "/participants/{id}/withdraw", Staff(Enrol)),
    page("POST", "/participants/{id}/withdraw", Staff(Enrol)),
    page("POST", "/participants/{id}/survey-links", Staff(ManageAssessments)),
    page("POST", "/participants/{id}/invitations", Staff(ManageAssessments)),
    page("POST", "/survey-links/{id}/revoke", Staff(ManageAssessments)),
    page("GET", "/participants/{id}/questionnaires/{aid}", Staff(ReadAssessments)),
    page("POST", "/participants/{id}/questionnaires/{aid}", Staff(ManageAssessments)),
    page("POST", "/participants/{id}/questionnaires/{aid}/corrections", Staff(ManageAssessments)),
    page("GET", "/queues/{need}", Staff(ReadParticipants)),
    page("GET", "/participants/{id}/edit", Staff(Enrol)),
    page("POST", "/participants/{id}/contact", Staff(Enrol)),
    page("POST", "/participants/{id}/details", Staff(Enrol)),
    page("GET", "/participants/{id}/contact-attempts/new", Staff(Enrol)),
    page("POST", "/participants/{id}/contact-attempts", Staff(Enrol)),
    page("GET", "/screenings/new", Staff(Screen)),
    page("POST", "/screenings/new", Staff(Screen)),
    page("GET", "/screenings", Staff(Screen)),
    page("GET", "/screenings.csv", Staff(Screen)),
    page("GET", "/screenings/{id}", Staff(Screen)),
    page("GET", "/screenings/{id}/correct", Staff(Screen)),
    page("POST", "/screenings/{id}/correct", Staff(Screen)),
    page("GET", "/calendar/{secret}.ics", CalendarAddress),
    page("GET", "/s/{token}", SurveyLink),
    page("POST", "/s/{token}/language", SurveyLink),
    page("GET", "/s/{token}/help", SurveyLink),
    page("GET", "/s/{token}/consent", SurveyLink),
    page("POST", "/s/{token}/consent", SurveyLink),
    page("GET", "/s/{token}/a/{assessment}/q/{n}", SurveyLink),
    page("POST", "/s/{token}/a/{assessment}/q/{n}", SurveyLink),
    page("GET", "/s/{token}/a/{assessment}/review", SurveyLink),
    page("POST", "/s/{token}/a/{assessment}/submit", SurveyLink),
    page("GET", "/s/{token}/a/{assessment}/done", SurveyLink),
];

/// The matrix as the Markdown table in `docs/permissions.md`.
pub fn markdown_table() -> String {
    let mut out = String::from("| method | path | needs |");
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str(" anonymous |\n|---|---|---|");
    out.push_str(&"---|".repeat(Role::ALL.len() + 1));
    out.push('\n');
    for e in ENDPOINTS {
        let needs = match e.access {
            Public => "public",
            SurveyLink => "survey link",
            CalendarAddress => "calendar address",
            Staff(p) => p.name(),
        };
        out.push_str(&format!("| {} | `{}` | {needs} |", e.method, e.path));
        for role in Role::ALL {
            let cell = match e.access {
                Public | SurveyLink | CalendarAddress => "yes",
                Staff(p) if p.allows(role) => "yes",
                Staff(_) => "403",
            };
            out.push_str(&format!(" {cell} |"));
        }
        let anon = match (e.access, e.page) {
            (Public | SurveyLink | CalendarAddress, _) => "yes",
            (Staff(_), true) => "303 → /login",
            (Staff(_), false) => "401",
        };
        out.push_str(&format!(" {anon} |\n"));
    }
    out
}
