//! Recruitment against its target and enrolment against the diversity targets.

use trialdesk_charts as c;

use super::{Figure, Section, Table, pct};
use crate::reports::Report;

pub(super) fn section(report: &Report) -> Option<Section> {
    let (curve, diversity) = (report.recruitment.as_ref()?, report.diversity.as_ref()?);
    let mut figures = Vec::new();
    {
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
        figures.extend(Figure::drawn("recruitment", "Recruitment over time", c::lines(&chart)));
    }
    if !diversity.targets.is_empty() {
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
        figures.extend(Figure::drawn(
            "diversity",
            "Enrolment by race and ethnicity against the protocol's targets",
            c::bars(&chart),
        ));
    }
    let randomised = curve.cumulative.last().map_or(0, |(_, n)| *n);
    let mut tables = vec![Table {
        caption: "Diversity targets".into(),
        headers: ["Target", "Enrolled", "Share", "Minimum", "Met"].map(String::from).to_vec(),
        rows: diversity
            .targets
            .iter()
            .map(|t| {
                vec![
                    t.label.clone(),
                    t.count.to_string(),
                    pct(Some(t.share)),
                    pct(Some(t.min_share)),
                    if t.met { "yes" } else { "not yet" }.into(),
                ]
            })
            .collect(),
    }];
    for (caption, counts) in
        [("Enrolment by race", &diversity.by_race), ("Enrolment by ethnicity", &diversity.by_ethnicity)]
    {
        tables.push(Table {
            caption: caption.into(),
            headers: ["Group", "Enrolled", "Share"].map(String::from).to_vec(),
            rows: counts
                .iter()
                .map(|(g, n)| {
                    vec![
                        g.clone(),
                        n.to_string(),
                        pct((diversity.enrolled > 0).then(|| *n as f64 / diversity.enrolled as f64)),
                    ]
                })
                .collect(),
        });
    }
    if report.sites.len() > 1 {
        tables.push(by_site(report));
    }
    Some(Section {
        title: "Recruitment and diversity".into(),
        intro: format!(
            "{randomised} of {} randomised ({}).",
            curve.target,
            pct((curve.target > 0).then(|| randomised as f64 / curve.target as f64))
        ),
        figures,
        tables,
        notes: Vec::new(),
    })
}

/// Each site against its own target, with its share of each diversity target.
fn by_site(report: &Report) -> Table {
    let targets: Vec<String> = report
        .sites
        .first()
        .map(|s| s.diversity.iter().map(|d| d.label.clone()).collect())
        .unwrap_or_default();
    let mut headers: Vec<String> =
        ["Site", "Status", "Screened", "Enrolled", "Randomised", "Target", "Of target"]
            .map(String::from)
            .to_vec();
    headers.extend(targets.iter().map(|t| format!("{t} (share)")));
    let rows = report
        .sites
        .iter()
        .map(|s| {
            let mut row = vec![
                format!("{} ({})", s.name, s.site),
                s.status.clone(),
                s.screened.to_string(),
                s.enrolled.to_string(),
                s.randomised.to_string(),
                s.target.map_or_else(|| "none".to_owned(), |t| t.to_string()),
                pct(s.target.filter(|t| *t > 0).map(|t| s.randomised as f64 / f64::from(t))),
            ];
            row.extend(s.diversity.iter().map(|d| pct(d.share)));
            row
        })
        .collect();
    Table { caption: "Recruitment by site, against each site's target".into(), headers, rows }
}
