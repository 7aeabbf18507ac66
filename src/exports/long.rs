//! The long file's columns and rows: one row per participant × time point × instrument.

use chrono::NaiveDate;

use super::records::Record;
use super::spec::{Cell, Kind, NOT_SCHEDULED, Spec, Variable, visit_statuses, yes_no};

impl Spec {
    /// Columns about the participant, shared by the long and wide files.
    pub(super) fn participant_variables(&self) -> Vec<Variable> {
        let p = &self.protocol;
        let arms: Vec<(String, String)> = p
            .arms
            .iter()
            .map(|a| (self.arm(a.id.get_ref()), self.sight.arm_name(p, a.id.get_ref())))
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
            Variable::new("site", Kind::Text, "Site", "The participant's site when the export was made")
                .values(self.sites.clone()),
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
        ]);
        if !self.sight.shows_process() {
            return v;
        }
        v.extend([
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

    pub(super) fn participant_cells(&self, r: &Record) -> Vec<Cell> {
        let p = &r.participant;
        let mut cells = vec![Cell::text(&p.study_id), Cell::text(self.arm(&r.arm_id)), Cell::text(&p.site)];
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
        ]);
        if self.sight.shows_process() {
            cells.extend([
                group.and_then(|g| self.codes.group.get(g)).map_or(Cell::Empty, Cell::text),
                group.and_then(|g| self.codes.moderator_of.get(g)).map_or(Cell::Empty, Cell::text),
            ]);
        }
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
                let score = visit.and_then(|v| v.score(id));
                row.extend([
                    Cell::text(&point.id),
                    Cell::Int(point.week),
                    visit.map_or(Cell::text(NOT_SCHEDULED), |v| Cell::text(v.status.as_str())),
                    day(visit.and_then(|v| v.target_date)),
                    day(visit.and_then(|v| v.completed_on)),
                    Cell::text(id),
                    Cell::int(score.and_then(|s| s.total)),
                    score.and_then(|s| s.band.as_deref()).map_or(Cell::Empty, Cell::text),
                    Cell::int(score.map(|s| i64::from(s.prorated))),
                    Cell::int(score.map(|s| s.answered)),
                ]);
                let items = self.instrument(id).map(|i| i.items.get_ref().as_slice()).unwrap_or_default();
                for slot in 0..self.item_slots {
                    let answer = items.get(slot).and_then(|item| visit?.answer(item.id.get_ref()));
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
}
