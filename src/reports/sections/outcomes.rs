//! One section per outcome instrument: mean scores and change from baseline over time, with
//! the descriptives, ANCOVA, MMRM, mixed model and standardised differences behind them.

use trialdesk_analysis::{Descriptive, Mmrm, mean_ci};
use trialdesk_charts as c;

use super::{Figure, Section, Table, num, p_value};
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
        let mut tables = vec![
            describe(&result.descriptives, format!("{name}: scores per arm and week")),
            describe(&result.change_from_baseline, format!("{name}: change from baseline")),
        ];
        tables.push(Table {
            caption: format!(
                "{name}: ANCOVA at each week (adjusted for baseline and strata), difference from {}",
                arm(&summary.reference_arm)
            ),
            headers: ["Week", "Arm", "n", "Estimate", "95% CI", "p"].map(String::from).to_vec(),
            rows: result
                .ancova
                .iter()
                .map(|e| {
                    vec![
                        e.week.to_string(),
                        arm(&e.arm),
                        e.n.to_string(),
                        num(Some(e.estimate), 2),
                        format!("{} to {}", num(Some(e.ci_low), 2), num(Some(e.ci_high), 2)),
                        p_value(e.p_value),
                    ]
                })
                .collect(),
        });
        let mut notes = result.notes.clone();
        if let Some(model) = result.mmrm.as_ref().filter(|m| m.converged) {
            let (more, note) = mmrm_tables(&name, model, &arm, &arm(&summary.reference_arm));
            tables.extend(more);
            notes.push(note);
        }
        if let Some(model) = &result.mixed_model {
            tables.push(Table {
                caption: format!(
                    "{name}: mixed model (REML), arm effect at each week, difference from {}",
                    arm(&summary.reference_arm)
                ),
                headers: ["Week", "Arm", "Estimate", "SE", "df", "95% CI", "p"].map(String::from).to_vec(),
                rows: model
                    .arm_effect_by_week
                    .iter()
                    .map(|e| {
                        vec![
                            e.week.to_string(),
                            arm(&e.arm),
                            num(Some(e.estimate), 2),
                            num(Some(e.se), 3),
                            df(e.df),
                            format!("{} to {}", num(Some(e.ci_low), 2), num(Some(e.ci_high), 2)),
                            p_value(e.p_value),
                        ]
                    })
                    .collect(),
            });
            let v = &model.variance_components;
            notes.push(format!(
                "Mixed model: {} observations from {} participants{}; variance between participants {}, {}residual {}; ICC {}; t-based intervals and tests on Satterthwaite degrees of freedom.",
                model.n_obs,
                model.n_participants,
                model.n_groups.map_or(String::new(), |g| format!(" in {g} groups")),
                num(Some(v.participant), 2),
                v.group.map_or(String::new(), |g| format!("between groups {}, ", num(Some(g), 2))),
                num(Some(v.residual), 2),
                num(Some(model.icc), 2)
            ));
        }
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
        let primary = summary
            .options
            .primary_week
            .map_or(String::new(), |w| format!(" The primary time point is week {w}."));
        sections.push(Section {
            title: format!("Outcome: {name}"),
            intro: format!("Lower scores are better for depression, anxiety and loneliness scales.{primary}"),
            figures,
            tables,
            notes,
        });
    }
    sections
}

/// The MMRM's arm effects and adjusted means, and a note on its fit.
/// Degrees of freedom as a table shows them: ∞ where a test is on the normal distribution.
fn df(df: Option<f64>) -> String {
    df.map_or_else(|| "∞".to_string(), |d| num(Some(d), 1))
}

fn mmrm_tables(
    name: &str,
    model: &Mmrm,
    arm: &dyn Fn(&str) -> String,
    reference: &str,
) -> (Vec<Table>, String) {
    let ci = |low: f64, high: f64| format!("{} to {}", num(Some(low), 2), num(Some(high), 2));
    let effects = Table {
        caption: format!(
            "{name}: MMRM (unstructured covariance over the weeks, REML), arm effect at each week, difference from {reference}"
        ),
        headers: ["Week", "Arm", "Estimate", "SE", "df", "95% CI", "p"].map(String::from).to_vec(),
        rows: model
            .arm_effect_by_week
            .iter()
            .map(|e| {
                vec![
                    e.week.to_string(),
                    arm(&e.arm),
                    num(Some(e.estimate), 2),
                    num(Some(e.se), 3),
                    df(e.df),
                    ci(e.ci_low, e.ci_high),
                    p_value(e.p_value),
                ]
            })
            .collect(),
    };
    let means = Table {
        caption: format!("{name}: MMRM adjusted means (at the mean baseline and covariates)"),
        headers: ["Week", "Arm", "Mean", "SE", "df", "95% CI"].map(String::from).to_vec(),
        rows: model
            .lsmeans
            .iter()
            .map(|m| {
                vec![
                    m.week.to_string(),
                    arm(&m.arm),
                    num(Some(m.estimate), 2),
                    num(Some(m.se), 3),
                    df(m.df),
                    ci(m.ci_low, m.ci_high),
                ]
            })
            .collect(),
    };
    let sds: Vec<String> = model
        .weeks
        .iter()
        .zip(&model.covariance)
        .enumerate()
        .map(|(i, (week, row))| format!("week {week} {}", num(Some(row[i].sqrt()), 2)))
        .collect();
    let note = format!(
        "MMRM: {} observations from {} participants; t-based intervals and tests on Satterthwaite degrees of freedom; estimated SD by week: {}.",
        model.n_obs,
        model.n_participants,
        sds.join(", ")
    );
    (vec![effects, means], note)
}
