//! Statisticians' exports: tidy long CSV, wide CSV and Parquet, with a codebook and load scripts
//! for R and Stata.
//!
//! De-identified by design (HIPAA Safe Harbor): no names, contact details, free text or internal
//! ids leave; calendar dates become study days counted from randomisation unless a limited data
//! set with dates is asked for; groups and moderators appear as short codes (G01, M01). Blinded
//! statisticians get arm codes (A, B). Rows are read a page of participants at a time and written
//! as they come, so memory stays flat however large the trial.

pub mod codebook;
pub mod records;
pub mod routes;
pub mod write;

use std::sync::Arc;

use chrono::NaiveDate;

use crate::db::DbConn;
use crate::error::AppError;
use crate::instruments::{self, Instrument};
use crate::protocol::{Protocol, store};
use records::{GroupCodes, Record};

/// Participants read per page: small enough to keep memory flat, large enough that the
/// per-page queries do not dominate.
pub const PAGE: i64 = 500;

/// What a statistician asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Arms as codes (A, B) instead of ids and labels.
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
    fn new(
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

    fn values(mut self, values: Vec<(String, String)>) -> Self {
        self.values = values;
        self
    }

    fn instrument(mut self, id: &str) -> Self {
        self.instrument = Some(id.to_string());
        self
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
}

impl Cell {
    fn text(s: impl Into<String>) -> Self {
        Cell::Text(s.into())
    }

    fn int(v: Option<impl Into<i64>>) -> Self {
        v.map_or(Cell::Empty, |v| Cell::Int(v.into()))
    }

    fn date(d: Option<NaiveDate>) -> Self {
        d.map_or(Cell::Empty, |d| Cell::Text(d.to_string()))
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
}

impl Spec {
    pub fn load(conn: &mut DbConn, options: ExportOptions) -> Result<Self, AppError> {
        let (protocol, _) = store::current_parsed(conn)?;
        let library = instruments::library();
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
        Ok(Spec {
            protocol,
            options,
            instruments,
            points,
            codes: records::group_codes(conn)?,
            zone,
            item_slots,
        })
    }

    fn instrument(&self, id: &str) -> Option<&Arc<Instrument>> {
        self.instruments.iter().find(|i| i.id() == id)
    }

    /// The arm as this export shows it: its code when blinded, its id otherwise.
    pub fn arm(&self, arm_id: &str) -> String {
        let arm = self.protocol.arms.iter().find(|a| a.id.get_ref() == arm_id);
        match arm {
            Some(a) if self.options.blinded => a.code.get_ref().clone(),
            _ => arm_id.to_string(),
        }
    }

    /// Columns about the participant, shared by the long and wide files.
    fn participant_variables(&self) -> Vec<Variable> {
        let p = &self.protocol;
        let arms: Vec<(String, String)> = p
            .arms
            .iter()
            .map(|a| {
                if self.options.blinded {
                    (a.code.get_ref().clone(), format!("Arm {}", a.code.get_ref()))
                } else {
                    (a.id.get_ref().clone(), a.label.clone())
                }
            })
            .collect();
        let mut v = vec![
            Variable::new(
                "participant_id",
                Kind::Text,
                "Study id",
                "Pseudonymous study id given at enrolment",
            ),
            Variable::new("arm", Kind::Text, "Allocated arm", "Randomised allocation (intention to treat)")
                .values(arms),
        ];
        for factor in &p.stratification {
            let levels = factor.levels.iter().map(|l| (l.get_ref().clone(), l.get_ref().clone())).collect();
            v.push(
                Variable::new(
                    format!("stratum_{}", factor.id.get_ref()),
                    Kind::Text,
                    factor.label.clone(),
                    "Stratification factor recorded at enrolment",
                )
                .values(levels),
            );
        }
        v.extend([
            Variable::new("race", Kind::Text, "Race (self-reported)", "Recorded at enrolment"),
            Variable::new("ethnicity", Kind::Text, "Ethnicity (self-reported)", "Recorded at enrolment"),
            Variable::new("sex", Kind::Text, "Sex", "Recorded at enrolment"),
            Variable::new("age_band", Kind::Text, "Age band", "Recorded at enrolment; no exact age leaves"),
            Variable::new("newly_diagnosed", Kind::Text, "Newly diagnosed with MS", "Recorded at enrolment")
                .values(yes_no()),
            Variable::new("disease_course", Kind::Text, "MS disease course", "Recorded at enrolment"),
            Variable::new("language", Kind::Text, "Preferred language", "Questionnaires were answered in it"),
            Variable::new(
                "group_id",
                Kind::Text,
                "Support group",
                "Group code (G01, ...) by creation order; empty when never placed",
            ),
            Variable::new(
                "moderator_id",
                Kind::Text,
                "Group moderator",
                "Moderator code (M01, ...) of the participant's group",
            ),
        ]);
        v
    }

    fn participant_cells(&self, r: &Record) -> Vec<Cell> {
        let p = &r.participant;
        let mut cells = vec![Cell::text(&p.study_id), Cell::text(self.arm(&r.arm_id))];
        for factor in &self.protocol.stratification {
            cells.push(r.strata.get(factor.id.get_ref()).map_or(Cell::Empty, Cell::text));
        }
        let group = r.group.as_ref();
        cells.extend([
            Cell::text(&p.race),
            Cell::text(&p.ethnicity),
            Cell::text(&p.sex),
            Cell::text(&p.age_band),
            Cell::text(if p.newly_diagnosed { "yes" } else { "no" }),
            Cell::text(&p.disease_course),
            Cell::text(&p.preferred_language),
            group.and_then(|g| self.codes.group.get(g)).map_or(Cell::Empty, Cell::text),
            group.and_then(|g| self.codes.moderator_of.get(g)).map_or(Cell::Empty, Cell::text),
        ]);
        cells
    }

    /// The long file: one row per participant × time point × instrument, missed ones included.
    pub fn long_variables(&self) -> Vec<Variable> {
        let mut v = self.participant_variables();
        let statuses = visit_statuses();
        v.extend([
            Variable::new(
                "timepoint",
                Kind::Text,
                "Time point",
                "From the protocol's schedule of assessment",
            )
            .values(self.points.iter().map(|p| (p.id.clone(), p.label.clone())).collect()),
            Variable::new(
                "week",
                Kind::Integer,
                "Nominal week",
                "The time point's offset from its anchor in whole weeks",
            ),
            Variable::new(
                "status",
                Kind::Text,
                "Questionnaire status",
                "State of the time point when exported",
            )
            .values(statuses),
            Variable::new(
                "target_day",
                Kind::Integer,
                "Target study day",
                "Target date minus randomisation date (days)",
            ),
            Variable::new(
                "completed_day",
                Kind::Integer,
                "Completion study day",
                "Submission date minus randomisation date (days)",
            ),
            Variable::new("instrument", Kind::Text, "Instrument", "Questionnaire these scores belong to")
                .values(
                    self.instruments.iter().map(|i| (i.id().to_string(), i.short_name.clone())).collect(),
                ),
            Variable::new(
                "total_score",
                Kind::Integer,
                "Total score",
                "Sum of scored items per the instrument's rules (prorated where allowed); empty when missing",
            ),
            Variable::new("band", Kind::Text, "Severity band", "The instrument's band for the total score"),
            Variable::new(
                "prorated",
                Kind::Integer,
                "Total was prorated",
                "1 when missing items were imputed by the instrument's prorating rule",
            )
            .values(vec![("0".into(), "No".into()), ("1".into(), "Yes".into())]),
            Variable::new(
                "items_answered",
                Kind::Integer,
                "Scored items answered",
                "Count of scored items with an answer",
            ),
        ]);
        for slot in 1..=self.item_slots {
            let names: Vec<String> = self
                .instruments
                .iter()
                .filter_map(|i| {
                    i.items
                        .get_ref()
                        .get(slot - 1)
                        .map(|item| format!("{} = {}", i.short_name, item.id.get_ref()))
                })
                .collect();
            v.push(Variable::new(
                format!("item_{slot}"),
                Kind::Integer,
                format!("Item {slot} of the instrument"),
                format!("Answer value as stored; {}", names.join("; ")),
            ));
        }
        if self.options.dates {
            v.extend([
                Variable::new("randomised_on", Kind::Text, "Randomisation date", "Limited data set only"),
                Variable::new("target_date", Kind::Text, "Target date", "Limited data set only"),
                Variable::new("completed_on", Kind::Text, "Completion date", "Limited data set only"),
            ]);
        }
        v
    }

    pub fn long_rows(&self, r: &Record, out: &mut Vec<Vec<Cell>>) {
        let base = self.participant_cells(r);
        for point in &self.points {
            let visit = r.visits.iter().find(|v| v.timepoint == point.id);
            let day = |d: Option<NaiveDate>| Cell::int(d.map(|d| (d - r.randomised_on).num_days()));
            let instruments = visit.map_or(&point.instruments, |v| &v.instruments);
            for id in instruments {
                let mut row = base.clone();
                let score = visit.and_then(|v| v.scores.get(id));
                row.extend([
                    Cell::text(&point.id),
                    Cell::Int(point.week),
                    visit.map_or(Cell::text("not_scheduled"), |v| Cell::text(&v.status)),
                    day(visit.and_then(|v| v.target_date)),
                    day(visit.and_then(|v| v.completed_on)),
                    Cell::text(id),
                    Cell::int(score.and_then(|s| s.total)),
                    score.and_then(|s| s.band.clone()).map_or(Cell::Empty, Cell::Text),
                    Cell::int(score.map(|s| i64::from(s.prorated))),
                    Cell::int(score.map(|s| s.answered)),
                ]);
                let items = self.instrument(id).map(|i| i.items.get_ref().as_slice()).unwrap_or_default();
                for slot in 0..self.item_slots {
                    let answer = items
                        .get(slot)
                        .and_then(|item| visit?.answers.get(item.id.get_ref()).copied().flatten());
                    row.push(Cell::int(answer));
                }
                if self.options.dates {
                    row.extend([
                        Cell::date(Some(r.randomised_on)),
                        Cell::date(visit.and_then(|v| v.target_date)),
                        Cell::date(visit.and_then(|v| v.completed_on)),
                    ]);
                }
                out.push(row);
            }
        }
    }

    /// The wide file: one row per participant.
    pub fn wide_variables(&self) -> Vec<Variable> {
        let mut v = self.participant_variables();
        v.extend([
            Variable::new(
                "sessions_attended",
                Kind::Integer,
                "Group sessions attended",
                "Sessions recorded as present",
            ),
            Variable::new(
                "withdrawn_day",
                Kind::Integer,
                "Withdrawal study day",
                "Withdrawal date minus randomisation date; empty if not withdrawn",
            ),
        ]);
        if self.options.dates {
            v.push(Variable::new("randomised_on", Kind::Text, "Randomisation date", "Limited data set only"));
        }
        for point in &self.points {
            let tp = &point.id;
            v.push(
                Variable::new(
                    format!("{tp}_status"),
                    Kind::Text,
                    format!("{}: status", point.label),
                    "State of the time point when exported",
                )
                .values(visit_statuses()),
            );
            v.push(Variable::new(
                format!("{tp}_completed_day"),
                Kind::Integer,
                format!("{}: completion study day", point.label),
                "Submission date minus randomisation date (days)",
            ));
            for id in &point.instruments {
                let Some(instrument) = self.instrument(id) else { continue };
                let name = &instrument.short_name;
                v.push(
                    Variable::new(
                        format!("{id}_{tp}_total"),
                        Kind::Integer,
                        format!("{name} total, {}", point.label),
                        "Sum of scored items per the instrument's rules",
                    )
                    .instrument(id),
                );
                v.push(
                    Variable::new(
                        format!("{id}_{tp}_band"),
                        Kind::Text,
                        format!("{name} band, {}", point.label),
                        "The instrument's band for the total",
                    )
                    .instrument(id),
                );
                for item in instrument.items.get_ref() {
                    let labels = instrument
                        .options_of(item)
                        .iter()
                        .map(|o| {
                            (
                                o.value.get_ref().to_string(),
                                instruments::local(o.label.get_ref(), "en").to_string(),
                            )
                        })
                        .collect();
                    let text = instruments::local(item.text.get_ref(), "en");
                    v.push(
                        Variable::new(
                            format!("{}_{tp}", item.id.get_ref()),
                            Kind::Integer,
                            format!("{name}: {text} ({})", point.label),
                            "Answer as given",
                        )
                        .values(labels)
                        .instrument(id),
                    );
                }
            }
        }
        v
    }

    pub fn wide_row(&self, r: &Record) -> Vec<Cell> {
        let mut row = self.participant_cells(r);
        let day = |d: Option<NaiveDate>| Cell::int(d.map(|d| (d - r.randomised_on).num_days()));
        row.extend([Cell::Int(r.sessions_attended), day(r.withdrawn_on)]);
        if self.options.dates {
            row.push(Cell::date(Some(r.randomised_on)));
        }
        for point in &self.points {
            let visit = r.visits.iter().find(|v| v.timepoint == point.id);
            row.push(visit.map_or(Cell::text("not_scheduled"), |v| Cell::text(&v.status)));
            row.push(day(visit.and_then(|v| v.completed_on)));
            for id in &point.instruments {
                let Some(instrument) = self.instrument(id) else { continue };
                let score = visit.and_then(|v| v.scores.get(id));
                row.push(Cell::int(score.and_then(|s| s.total)));
                row.push(score.and_then(|s| s.band.clone()).map_or(Cell::Empty, Cell::Text));
                for item in instrument.items.get_ref() {
                    row.push(Cell::int(
                        visit.and_then(|v| v.answers.get(item.id.get_ref()).copied().flatten()),
                    ));
                }
            }
        }
        row
    }
}

fn yes_no() -> Vec<(String, String)> {
    vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())]
}

fn visit_statuses() -> Vec<(String, String)> {
    [
        ("scheduled", "Not yet open"),
        ("open", "Window open"),
        ("completed", "Completed"),
        ("missed", "Window closed without a submission"),
        ("not_applicable", "Not applicable (withdrawn, or no group)"),
        ("not_scheduled", "Not on this participant's schedule"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// Calls `f` with each page of records until there are no more.
pub fn for_each_page(
    conn: &mut DbConn,
    spec: &Spec,
    mut f: impl FnMut(&[Record]) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let mut after = 0;
    loop {
        let page = records::page(conn, spec.zone, after, PAGE)?;
        let Some(last) = page.last() else { return Ok(()) };
        after = last.participant.number;
        f(&page)?;
    }
}
