//! What an export holds: the options asked for, the variables with their labels, the time
//! points, and the protocol and instruments they come from.

use std::sync::Arc;

use chrono::NaiveDate;

use super::records::{self, GroupCodes};
use crate::blinding::Sight;
use crate::db::DbConn;
use crate::instruments::Instrument;
use crate::instruments::Library;
use crate::protocol::{Protocol, store};
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// Participants read per page (`Spec::page_size`): small enough to keep memory flat, large
/// enough that the per-page queries do not dominate.
pub const PAGE: usize = 500;

/// What a statistician asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// The blinded copy: exactly what the protocol's blinded statistician may see (arms as
    /// codes; process data withheld when the arms differ in delivery).
    pub blinded: bool,
    /// A limited data set: calendar dates beside the study days.
    pub dates: bool,
}

/// How a variable is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
}

/// One column of an export, as the codebook describes it.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub kind: Kind,
    pub label: String,
    /// Allowed values and their labels.
    pub values: Vec<(String, String)>,
    pub instrument: Option<String>,
    pub derivation: String,
}

impl Variable {
    pub(super) fn new(
        name: impl Into<String>,
        kind: Kind,
        label: impl Into<String>,
        derivation: impl Into<String>,
    ) -> Self {
        Variable {
            name: name.into(),
            kind,
            label: label.into(),
            values: Vec::new(),
            instrument: None,
            derivation: derivation.into(),
        }
    }

    pub(super) fn values(mut self, values: Vec<(String, String)>) -> Self {
        self.values = values;
        self
    }

    pub(super) fn instrument(mut self, id: &str) -> Self {
        self.instrument = Some(id.to_string());
        self
    }
}

/// One value of a row. Text is shared: a participant's cells start each of their long rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(Arc<str>),
    Int(i64),
}

impl Cell {
    pub(super) fn text(s: impl AsRef<str>) -> Self {
        Cell::Text(Arc::from(s.as_ref()))
    }

    pub(super) fn int(v: Option<impl Into<i64>>) -> Self {
        v.map_or(Cell::Empty, |v| Cell::Int(v.into()))
    }

    pub(super) fn date(d: Option<NaiveDate>) -> Self {
        d.map_or(Cell::Empty, |d| Cell::text(d.to_string()))
    }
}

/// A scheduled time point as exports name it.
#[derive(Debug, Clone)]
pub struct Point {
    pub id: String,
    pub label: String,
    /// Nominal week: the time point's offset in whole weeks, whatever its anchor.
    pub week: i64,
    pub instruments: Vec<String>,
}

/// Everything needed to turn records into rows, fixed for one export.
pub struct Spec {
    pub protocol: Arc<Protocol>,
    pub options: ExportOptions,
    pub instruments: Vec<Arc<Instrument>>,
    pub points: Vec<Point>,
    pub codes: GroupCodes,
    pub zone: chrono_tz::Tz,
    /// Item columns in the long file: as many as the longest instrument has items.
    pub item_slots: usize,
    /// Whose records: a site-limited statistician exports their sites' participants only.
    pub scope: Scope,
    /// Every site's code and name, for the codebook.
    pub sites: Vec<(String, String)>,
    /// What the export may show (`crate::blinding`), from `options.blinded`.
    pub sight: Sight,
    /// Whether item answers are read: the report needs only the totals, and answers are most of
    /// what a page reads (nineteen per visit in CONNECT, against three scores).
    pub answers: bool,
    /// Participants read per page (`PAGE`); the tests read a small trial in many pages.
    pub page_size: usize,
}

impl Spec {
    /// The week of the protocol's primary time point, if it names one.
    pub fn primary_week(&self) -> Option<i64> {
        self.points.iter().zip(&self.protocol.assessments).find(|(_, t)| t.primary).map(|(p, _)| p.week)
    }

    pub fn load(
        conn: &mut DbConn,
        library: &Library,
        options: ExportOptions,
        scope: Scope,
    ) -> Result<Self, ServiceError> {
        let (protocol, _) = store::current_parsed(conn)?;
        let points: Vec<Point> = protocol
            .assessments
            .iter()
            .map(|tp| Point {
                id: tp.id.get_ref().clone(),
                label: tp.label.clone(),
                week: (*tp.offset_days.get_ref() as f64 / 7.0).round() as i64,
                instruments: tp.instruments.get_ref().iter().map(|i| i.get_ref().clone()).collect(),
            })
            .collect();
        let ids = points.iter().flat_map(|p| &p.instruments);
        let mut instruments: Vec<Arc<Instrument>> = Vec::new();
        for id in ids {
            if instruments.iter().all(|i| i.id() != id.as_str())
                && let Some(instrument) = library.get(id)
            {
                instruments.push(instrument.clone());
            }
        }
        let item_slots = instruments.iter().map(|i| i.items.get_ref().len()).max().unwrap_or(0);
        let zone = protocol.time_zone();
        let sight = if options.blinded { Sight::blinded_copy(&protocol) } else { Sight::FULL };
        Ok(Spec {
            sight,
            protocol,
            options,
            instruments,
            points,
            codes: records::group_codes(conn)?,
            zone,
            item_slots,
            sites: crate::sites::list(conn)?.into_iter().map(|s| (s.code, s.name)).collect(),
            scope,
            answers: true,
            page_size: PAGE,
        })
    }

    /// The same export without the item answers: their cells stay empty.
    pub fn without_answers(self) -> Self {
        Spec { answers: false, ..self }
    }

    pub(super) fn instrument(&self, id: &str) -> Option<&Arc<Instrument>> {
        self.instruments.iter().find(|i| i.id() == id)
    }

    /// The arm as this export shows it: its code when blinded, its id otherwise.
    pub fn arm(&self, arm_id: &str) -> String {
        self.sight.arm_value(&self.protocol, arm_id)
    }
}

pub(super) fn yes_no() -> Vec<(String, String)> {
    vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())]
}

/// The visit status of a time point that is not on a participant's schedule (no assessment row).
pub(super) const NOT_SCHEDULED: &str = "not_scheduled";

pub(super) fn visit_statuses() -> Vec<(String, String)> {
    crate::assessments::Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), s.meaning().to_string()))
        .chain([(NOT_SCHEDULED.to_string(), "Not on this participant's schedule".to_string())])
        .collect()
}

/// An export that could not be written (a full disk, a closed connection): our fault, not the caller's.
pub(super) fn io(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("writing the export failed: {e}"))
}
