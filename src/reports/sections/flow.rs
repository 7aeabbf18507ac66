//! Participant flow: the CONSORT diagram and its counts per arm.

use trialdesk_charts as c;

use super::{Figure, Section, Table};
use crate::reports::Report;

pub(super) fn section(report: &Report) -> Option<Section> {
    let consort = report.consort.as_ref()?;
    let title = format!("CONSORT flow: {}", report.study_code);
    let figure = Figure::drawn("consort", "Participant flow (CONSORT 2010)", c::consort(&title, consort));
    let rows = consort
        .arms
        .iter()
        .map(|a| {
            vec![
                a.arm.clone(),
                a.allocated.to_string(),
                a.received.map_or_else(|| "withheld (blinded)".to_owned(), |r| r.to_string()),
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
    notes.push(format!(
        "Emergency unblindings: {} (each audited, with its reason; CONSORT item 17 asks for them).",
        report.emergency_unblindings
    ));
    Some(Section {
        title: "Participant flow".into(),
        intro: format!(
            "{} assessed for eligibility, {} excluded, {} randomised.",
            consort.assessed, consort.excluded, consort.randomised
        ),
        figures: figure.into_iter().collect(),
        tables: vec![Table {
            caption: "CONSORT counts per arm".into(),
            headers: ["Arm", "Allocated", "Received", "Lost to follow-up", "Discontinued", "Analysed"]
                .map(String::from)
                .to_vec(),
            rows,
        }],
        notes,
    })
}
