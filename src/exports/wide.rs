//! The wide file's columns and rows: one row per participant.

use chrono::NaiveDate;

use super::records::Record;
use super::spec::{Cell, Kind, NOT_SCHEDULED, Spec, Variable, visit_statuses};
use crate::instruments::{self};

impl Spec {
    /// The wide file: one row per participant.
    pub fn wide_variables(&self) -> Vec<Variable> {
        let mut v = self.participant_variables();
        if self.sight.shows_process() {
            v.push(Variable::new(
                "sessions_attended",
                Kind::Integer,
                "Group sessions attended",
                "Sessions recorded as present",
            ));
        }
        v.extend([Variable::new(
            "withdrawn_day",
            Kind::Integer,
            "Withdrawal study day",
            "Withdrawal date minus randomisation date; empty if not withdrawn",
        )]);
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
        if self.sight.shows_process() {
            row.push(Cell::Int(r.sessions_attended));
        }
        row.push(day(r.withdrawn_on));
        if self.options.dates {
            row.push(Cell::date(Some(r.randomised_on)));
        }
        for point in &self.points {
            let visit = r.visits.iter().find(|v| v.timepoint == point.id);
            row.push(visit.map_or(Cell::text(NOT_SCHEDULED), |v| Cell::text(v.status.as_str())));
            row.push(day(visit.and_then(|v| v.completed_on)));
            for id in &point.instruments {
                let Some(instrument) = self.instrument(id) else { continue };
                let score = visit.and_then(|v| v.score(id));
                row.push(Cell::int(score.and_then(|s| s.total)));
                row.push(score.and_then(|s| s.band.as_deref()).map_or(Cell::Empty, Cell::text));
                for item in instrument.items.get_ref() {
                    row.push(Cell::int(visit.and_then(|v| v.answer(item.id.get_ref()))));
                }
            }
        }
        row
    }
}
