//! The difference between two protocol versions, line by line, as unified hunks with three lines
//! of context: what an ethics board's amendment form asks for, and what a reviewer reads first.
//! For administrators, who write the protocol (its text names the arms; no protocol blinds them).

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;
use similar::{ChangeTag, TextDiff};

use super::{Version, read};
use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, with_status};
use crate::web::{RespondHtml, csrf_of};

/// One line of a hunk: its number in the older and the newer file, and whether it was removed
/// (`-`), added (`+`) or is context (` `).
struct Line {
    old: Option<usize>,
    new: Option<usize>,
    mark: char,
    text: String,
}

#[derive(Template)]
#[template(path = "protocol/diff.html")]
struct DiffPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    /// Every version, newest first, for the two selects.
    versions: Vec<i32>,
    from: Option<Version>,
    to: Option<Version>,
    hunks: Vec<Vec<Line>>,
    /// Lines removed and added.
    removed: usize,
    added: usize,
    problems: Problems,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct Query {
    from: Option<String>,
    to: Option<String>,
    /// Just saved: the newer version is now in force.
    saved: Option<String>,
}

#[get("/protocol/changes")]
pub(super) async fn compare(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::AmendProtocol);
    let tr = auth.tr();
    let read = read(&state).await?;
    let newest = read.versions.last().map_or(1, |v| v.version);
    let mut problems = Problems::default();
    // Unless asked otherwise: the latest amendment, against the version before it.
    let mut pick = |field: &str, key: &str, raw: &Option<String>, default: i32| {
        let wanted = match raw.as_deref().map(str::trim) {
            None | Some("") => Some(default),
            Some(text) => text.parse::<i32>().ok(),
        };
        let found = wanted.and_then(|n| read.versions.iter().find(|v| v.version == n));
        if found.is_none() {
            problems.add(field, tr.a(key, "n", raw.as_deref().unwrap_or_default().trim()));
        }
        found
    };
    let from = pick("from", "protocol-changes-no-from", &query.from, (newest - 1).max(1));
    let to = pick("to", "protocol-changes-no-to", &query.to, newest);
    let (mut hunks, mut removed, mut added) = (Vec::new(), 0, 0);
    if problems.is_empty()
        && let (Some(a), Some(b)) = (from, to)
    {
        let diff = TextDiff::from_lines(&a.content, &b.content);
        for group in diff.grouped_ops(3) {
            let mut lines = Vec::new();
            for op in &group {
                for change in diff.iter_changes(op) {
                    let mark = match change.tag() {
                        ChangeTag::Delete => {
                            removed += 1;
                            '-'
                        }
                        ChangeTag::Insert => {
                            added += 1;
                            '+'
                        }
                        ChangeTag::Equal => ' ',
                    };
                    lines.push(Line {
                        old: change.old_index().map(|i| i + 1),
                        new: change.new_index().map(|i| i + 1),
                        mark,
                        text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
                    });
                }
            }
            hunks.push(lines);
        }
    }
    let status = if problems.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DiffPage {
        versions: read.versions.iter().rev().map(|v| v.version).collect(),
        from: from.map(|v| read.version(v, tr)),
        to: to.map(|v| read.version(v, tr)),
        hunks,
        removed,
        added,
        problems,
        notice: query.saved.as_ref().map(|_| tr.n("protocol-amended", newest)),
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(&auth),
        tr,
    };
    Ok(with_status(page.respond_to_html(), status))
}
