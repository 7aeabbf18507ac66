//! The report's charts, built from its figures.

use trialdesk_analysis::{Descriptive, mean_ci};
use trialdesk_charts as c;

use super::Report;

/// One drawn chart, with the file name stem and the caption the report gives it.
pub struct Drawn {
    pub name: String,
    pub caption: String,
    pub rendered: c::Rendered,
}

/// Every chart the report's figures allow; a chart with nothing to draw is left out.
pub fn draw(report: &Report) -> Vec<Drawn> {
    let mut out = Vec::new();
    let mut add = |name: String, caption: String, result: Result<c::Rendered, c::ChartError>| {
        if let Ok(rendered) = result {
            out.push(Drawn { name, caption, rendered });
        }
    };
    if let Some(consort) = &report.consort {
        let title = format!("CONSORT flow: {}", report.study_code);
        add("consort".into(), "Participant flow (CONSORT 2010)".into(), c::consort(&title, consort));
    }
    if let Some(curve) = &report.recruitment {
        let last = curve.cumulative.last().map_or(1, |(w, _)| *w).max(1) as f64;
        let chart = c::Lines {
            title: "Cumulative recruitment against target".into(),
            x_label: "Weeks since the first randomisation".into(),
            y_label: "Participants randomised".into(),
            series: vec![
                c::LineSeries {
                    name: "Randomised".into(),
                    points: curve.cumulative.iter().map(|(w, n)| (*w as f64, *n as f64)).collect(),
                    dashed: false,
                },
                c::LineSeries {
                    name: format!("Target ({})", curve.target),
                    points: vec![(0.0, curve.target as f64), (last, curve.target as f64)],
                    dashed: true,
                },
            ],
        };
        add("recruitment".into(), "Recruitment over time".into(), c::lines(&chart));
    }
    if let Some(diversity) = &report.diversity
        && !diversity.targets.is_empty()
    {
        let chart = c::Bars {
            title: "Enrolment against diversity targets".into(),
            x_label: "Target".into(),
            y_label: "Share of enrolled participants (%)".into(),
            categories: diversity.targets.iter().map(|t| t.label.clone()).collect(),
            series: vec![c::BarSeries {
                name: "Enrolled".into(),
                values: diversity.targets.iter().map(|t| Some(100.0 * t.share)).collect(),
            }],
            targets: Some(c::Target {
                name: "Minimum share".into(),
                values: diversity.targets.iter().map(|t| Some(100.0 * t.min_share)).collect(),
            }),
            y_max: Some(100.0),
        };
        add(
            "diversity".into(),
            "Enrolment by race and ethnicity against the protocol's targets".into(),
            c::bars(&chart),
        );
    }
    if !report.retention.is_empty() {
        let mut weeks: Vec<i64> = report.retention.iter().map(|r| r.week).collect();
        weeks.sort_unstable();
        weeks.dedup();
        let chart = c::Bars {
            title: "Questionnaire completion by week".into(),
            x_label: "Week".into(),
            y_label: "Completed of those due (%)".into(),
            categories: weeks.iter().map(|w| format!("Week {w}")).collect(),
            series: report
                .arm_names
                .values()
                .map(|arm| c::BarSeries {
                    name: arm.clone(),
                    values: weeks
                        .iter()
                        .map(|w| {
                            report
                                .retention
                                .iter()
                                .find(|r| &r.arm == arm && r.week == *w)
                                .and_then(|r| r.rate)
                                .map(|r| 100.0 * r)
                        })
                        .collect(),
                })
                .collect(),
            targets: None,
            y_max: Some(100.0),
        };
        add("completion".into(), "Completion by week and arm".into(), c::bars(&chart));
    }
    if !report.attendance.is_empty() {
        let chart = c::Bars {
            title: "Attendance per support group".into(),
            x_label: "Group".into(),
            y_label: "Member-sessions attended (%)".into(),
            categories: report.attendance.iter().map(|g| g.group.clone()).collect(),
            series: vec![c::BarSeries {
                name: "Attended".into(),
                values: report.attendance.iter().map(|g| g.rate.map(|r| 100.0 * r)).collect(),
            }],
            targets: None,
            y_max: Some(100.0),
        };
        add("attendance".into(), "Attendance per group".into(), c::bars(&chart));
    }
    if let Some(summary) = &report.outcomes {
        for (id, result) in &summary.instruments {
            let name = report.instrument_names.get(id).cloned().unwrap_or_else(|| id.clone());
            let trajectory =
                |rows: &[Descriptive], title: String, y: String, zero: Option<f64>| c::Trajectory {
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
                                    Some(c::Point {
                                        x: d.week as f64,
                                        mean: d.mean?,
                                        ci_low: low,
                                        ci_high: high,
                                    })
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
            add(
                format!("{id}-trajectory"),
                format!("{name}: mean score per arm with 95% confidence intervals"),
                c::trajectory(&means),
            );
            let change = trajectory(
                &result.change_from_baseline,
                format!("{name}: change from baseline"),
                format!("Change in {name} score (mean, 95% CI)"),
                Some(0.0),
            );
            add(
                format!("{id}-change"),
                format!("{name}: change from baseline per arm"),
                c::trajectory(&change),
            );
        }
    }
    out
}
