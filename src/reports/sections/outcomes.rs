//! One section per outcome instrument: mean scores and change from baseline over time, with
//! the descriptives, ANCOVA, MMRM, mixed model and standardised differences behind them.

use trialdesk_analysis::{Descriptive, PrimaryModel, Summary, mean_ci};
use trialdesk_charts as c;

use super::{Figure, Section, Table, models, num};
use crate::instruments::Better;
use crate::reports::Report;

pub(super) fn sections(report: &Report) -> Vec<Section> {
    let Some(summary) = &report.outcomes else { return Vec::new() };
    let arm = |value: &str| super::arm(report, value);
    let mut sections = Vec::new();
    for (id, result) in &summary.instruments {
        let name = report.instrument_names.get(id).cloned().unwrap_or_else(|| id.clone());
        let trajectory = |rows: &[Descriptive], title: String, y: String, zero: Option<f64>| c::Trajectory {
            title,
            x_label: "Week".into(),
            y_label: y,
            series: report
                .arm_names
                .iter()
                .map(|(value, shown)| c::Series {
                    name: shown.clone(),
                    points: rows
                        .iter()
                        .filter(|d| &d.arm == value)
                        .filter_map(|d| {
                            let (low, high) = mean_ci(d)?;
                            Some(c::Point { x: d.week as f64, mean: d.mean?, ci_low: low, ci_high: high })
                        })
                        .collect(),
                })
                .filter(|s| !s.points.is_empty())
                .collect(),
            reference_line: zero,
        };
        let means = trajectory(
            &result.descriptives,
            format!("{name}: mean score by arm"),
            format!("{name} score (mean, 95% CI)"),
            None,
        );
        let mut figures: Vec<Figure> = Figure::drawn(
            format!("{id}-trajectory"),
            format!("{name}: mean score per arm with 95% confidence intervals"),
            c::trajectory(&means),
        )
        .into_iter()
        .collect();
        let change = trajectory(
            &result.change_from_baseline,
            format!("{name}: change from baseline"),
            format!("Change in {name} score (mean, 95% CI)"),
            Some(0.0),
        );
        figures.extend(Figure::drawn(
            format!("{id}-change"),
            format!("{name}: change from baseline per arm"),
            c::trajectory(&change),
        ));
        let describe = |rows: &[Descriptive], caption: String| Table {
            caption,
            headers: ["Arm", "Week", "n", "Mean", "SD", "Median", "Q1", "Q3", "Min", "Max"]
                .map(String::from)
                .to_vec(),
            rows: rows
                .iter()
                .map(|d| {
                    vec![
                        arm(&d.arm),
                        d.week.to_string(),
                        d.n.to_string(),
                        num(d.mean, 2),
                        num(d.sd, 2),
                        num(d.median, 1),
                        num(d.q1, 2),
                        num(d.q3, 2),
                        num(d.min, 0),
                        num(d.max, 0),
                    ]
                })
                .collect(),
        };
        let reference = arm(&summary.reference_arm);
        let (mut tables, model_notes) =
            models::ordered(&name, result, summary.primary_model, &arm, &reference);
        let mut notes = result.notes.clone();
        notes.extend(model_notes);
        tables.push(describe(&result.descriptives, format!("{name}: scores per arm and week")));
        tables.push(describe(&result.change_from_baseline, format!("{name}: change from baseline")));
        tables.push(Table {
            caption: format!("{name}: standardised differences from {}", arm(&summary.reference_arm)),
            headers: ["Week", "Arm", "Cohen's d (95% CI)", "Hedges' g (95% CI)"].map(String::from).to_vec(),
            rows: result
                .effect_sizes
                .iter()
                .map(|e| {
                    vec![
                        e.week.to_string(),
                        arm(&e.arm),
                        format!(
                            "{} ({} to {})",
                            num(Some(e.cohens_d), 2),
                            num(Some(e.cohens_d_ci_low), 2),
                            num(Some(e.cohens_d_ci_high), 2)
                        ),
                        format!(
                            "{} ({} to {})",
                            num(Some(e.hedges_g), 2),
                            num(Some(e.hedges_g_ci_low), 2),
                            num(Some(e.hedges_g_ci_high), 2)
                        ),
                    ]
                })
                .collect(),
        });
        let direction = match report.instrument_better.get(id) {
            Some(Better::Lower) => format!("Lower {name} scores are better. "),
            Some(Better::Higher) => format!("Higher {name} scores are better. "),
            None => String::new(),
        };
        let primary = summary
            .options
            .primary_week
            .map_or(String::new(), |w| format!(" The primary time point is week {w}."));
        sections.push(Section {
            title: format!("Outcome: {name}"),
            intro: format!("{direction}{}{primary}", primary_model(summary)),
            figures,
            tables,
            notes,
        });
    }
    sections
}

/// Which model is primary, and why.
fn primary_model(summary: &Summary) -> &'static str {
    match (summary.primary_model, summary.options.primary_model.is_some(), summary.options.group_effect) {
        (PrimaryModel::Mmrm, false, _) => {
            "The primary analysis is the MMRM (an unstructured covariance over the weeks, as trial guidance asks of a repeated outcome); ANCOVA and the random-intercept model are sensitivity analyses."
        }
        (PrimaryModel::Mixed, false, true) => {
            "The primary analysis is the mixed model with a random effect for support group: participants in the same group share its moderator and members, so their outcomes are correlated (a partially nested design), which the MMRM does not model. The MMRM and ANCOVA are sensitivity analyses."
        }
        (PrimaryModel::Mmrm, true, _) => {
            "The primary analysis is the MMRM, as chosen for this analysis; the other models are sensitivity analyses."
        }
        (PrimaryModel::Mixed, _, _) => {
            "The primary analysis is the random-intercept mixed model, as chosen for this analysis; the other models are sensitivity analyses."
        }
        (PrimaryModel::Ancova, _, _) => {
            "The primary analysis is the ANCOVA at each week, as chosen for this analysis; the mixed models are sensitivity analyses."
        }
    }
}
