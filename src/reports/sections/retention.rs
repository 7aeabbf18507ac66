//! Retention (questionnaires completed of those due) and attendance per support group.

use trialdesk_charts as c;

use super::{Figure, Section, Table, num, pct};
use crate::reports::Report;

pub(super) fn section(report: &Report) -> Option<Section> {
    if report.retention.is_empty() && report.attendance.is_empty() {
        return None;
    }
    let mut figures = Vec::new();
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
        figures.extend(Figure::drawn("completion", "Completion by week and arm", c::bars(&chart)));
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
        figures.extend(Figure::drawn("attendance", "Attendance per group", c::bars(&chart)));
    }
    let mut tables = Vec::new();
    if !report.retention.is_empty() {
        tables.push(Table {
            caption: "Questionnaires completed of those due (window closed)".into(),
            headers: ["Arm", "Time point", "Week", "Due", "Completed", "Rate"].map(String::from).to_vec(),
            rows: report
                .retention
                .iter()
                .map(|r| {
                    vec![
                        r.arm.clone(),
                        r.timepoint.clone(),
                        r.week.to_string(),
                        r.due.to_string(),
                        r.completed.to_string(),
                        pct(r.rate),
                    ]
                })
                .collect(),
        });
    }
    if !report.attendance.is_empty() {
        tables.push(Table {
            caption: "Attendance per support group".into(),
            headers: ["Group", "Arm", "Members", "Sessions held", "Attendance", "Sessions per member"]
                .map(String::from)
                .to_vec(),
            rows: report
                .attendance
                .iter()
                .map(|g| {
                    vec![
                        g.group.clone(),
                        g.arm.clone(),
                        g.members.to_string(),
                        g.sessions_held.to_string(),
                        pct(g.rate),
                        num(g.mean_sessions_per_member, 1),
                    ]
                })
                .collect(),
        });
    }
    // A blinded report where groups would name the arms has no attendance (docs/blinding.md).
    let (title, intro) = if report.attendance.is_empty() {
        ("Retention", "Completion counts a time point once its window has closed.")
    } else {
        (
            "Retention and attendance",
            "Completion counts a time point once its window has closed; attendance counts recorded member-sessions.",
        )
    };
    Some(Section { title: title.into(), intro: intro.into(), figures, tables, notes: Vec::new() })
}
