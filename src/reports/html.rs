//! The report as one self-contained HTML page: tables, and charts as inline SVG.

use askama::Template;

use super::Report;
use super::charts::Drawn;

/// A table ready to show: headers and formatted cells.
pub struct Table {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub struct Figure {
    pub caption: String,
    pub svg: String,
}

pub struct Section {
    pub title: String,
    pub intro: String,
    pub figures: Vec<Figure>,
    pub tables: Vec<Table>,
    pub notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    report: &'a Report,
    in_app: bool,
    sections: Vec<Section>,
}

fn num(v: Option<f64>, places: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.places$}").replace('-', "−"),
        _ => "–".into(),
    }
}

fn p_value(p: f64) -> String {
    if p < 0.001 { "<0.001".into() } else { format!("{p:.3}") }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |r| format!("{:.0}%", 100.0 * r))
}

/// Renders the page; `in_app` adds a link back to the overview.
pub fn render(report: &Report, charts: &[Drawn], in_app: bool) -> Result<String, askama::Error> {
    let figure = |name: &str| {
        charts
            .iter()
            .find(|c| c.name == name)
            .map(|c| Figure { caption: c.caption.clone(), svg: svg_body(&c.rendered.svg) })
    };
    let arm = |value: &str| report.arm_names.get(value).cloned().unwrap_or_else(|| value.to_string());
    let mut sections = Vec::new();

    if let Some(consort) = &report.consort {
        let rows = consort
            .arms
            .iter()
            .map(|a| {
                vec![
                    a.arm.clone(),
                    a.allocated.to_string(),
                    a.received.to_string(),
                    a.lost_to_follow_up.to_string(),
                    a.discontinued.to_string(),
                    a.analysed.to_string(),
                ]
            })
            .collect();
        let mut notes: Vec<String> = consort
            .exclusion_reasons
            .iter()
            .map(|(r, n)| format!("Excluded before randomisation — {r}: {n}"))
            .collect();
        notes.push("Received: attended at least one group session (group arms); analysed: baseline and primary time point of the first instrument.".into());
        sections.push(Section {
            title: "Participant flow".into(),
            intro: format!(
                "{} assessed for eligibility, {} excluded, {} randomised.",
                consort.assessed, consort.excluded, consort.randomised
            ),
            figures: figure("consort").into_iter().collect(),
            tables: vec![Table {
                caption: "CONSORT counts per arm".into(),
                headers: ["Arm", "Allocated", "Received", "Lost to follow-up", "Discontinued", "Analysed"]
                    .map(String::from)
                    .to_vec(),
                rows,
            }],
            notes,
        });
    }
    if let (Some(curve), Some(diversity)) = (&report.recruitment, &report.diversity) {
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
        sections.push(Section {
            title: "Recruitment and diversity".into(),
            intro: format!(
                "{randomised} of {} randomised ({}).",
                curve.target,
                pct((curve.target > 0).then(|| randomised as f64 / curve.target as f64))
            ),
            figures: [figure("recruitment"), figure("diversity")].into_iter().flatten().collect(),
            tables,
            notes: Vec::new(),
        });
    }
    if !report.retention.is_empty() || !report.attendance.is_empty() {
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
        sections.push(Section {
            title: "Retention and attendance".into(),
            intro: "Completion counts a time point once its window has closed; attendance counts recorded member-sessions.".into(),
            figures: [figure("completion"), figure("attendance")].into_iter().flatten().collect(),
            tables,
            notes: Vec::new(),
        });
    }
    if let Some(summary) = &report.outcomes {
        for (id, result) in &summary.instruments {
            let name = report.instrument_names.get(id).cloned().unwrap_or_else(|| id.clone());
            let describe = |rows: &[trialdesk_analysis::Descriptive], caption: String| Table {
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
            if let Some(model) = &result.mixed_model {
                tables.push(Table {
                    caption: format!(
                        "{name}: mixed model (REML), arm effect at each week, difference from {}",
                        arm(&summary.reference_arm)
                    ),
                    headers: ["Week", "Arm", "Estimate", "SE", "95% CI", "p"].map(String::from).to_vec(),
                    rows: model
                        .arm_effect_by_week
                        .iter()
                        .map(|e| {
                            vec![
                                e.week.to_string(),
                                arm(&e.arm),
                                num(Some(e.estimate), 2),
                                num(Some(e.se), 3),
                                format!("{} to {}", num(Some(e.ci_low), 2), num(Some(e.ci_high), 2)),
                                p_value(e.p_value),
                            ]
                        })
                        .collect(),
                });
                let v = &model.variance_components;
                notes.push(format!(
                    "Mixed model: {} observations from {} participants{}; variance between participants {}, {}residual {}; ICC {}.",
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
                headers: ["Week", "Arm", "Cohen's d (95% CI)", "Hedges' g (95% CI)"]
                    .map(String::from)
                    .to_vec(),
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
                intro: format!(
                    "Lower scores are better for depression, anxiety and loneliness scales.{primary}"
                ),
                figures: [figure(&format!("{id}-trajectory")), figure(&format!("{id}-change"))]
                    .into_iter()
                    .flatten()
                    .collect(),
                tables,
                notes,
            });
        }
    }
    Page { report, in_app, sections }.render()
}

/// The SVG element without its XML declaration, to place inline.
fn svg_body(svg: &str) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg.to_string(),
    }
}
