//! Questionnaires: when a window opens (the real `sweep` opens it), each participant decides
//! whether they will answer and on which evening — most within a few days of the invitation,
//! some after a reminder; baseline almost always, each follow-up with the participant's own
//! adherence (about 85%), so 10–20% of follow-ups are missed. They answer every item through
//! `responses::save_answer` and submit with `responses::submit`, as the survey pages do.
//!
//! Scores: baseline PHQ-9 about 10 ± 5, GAD-7 8 ± 4, UCLA-3 6.5 ± 1.5, from correlated random
//! intercepts plus noise. The groups lower PHQ-9 by about 2.5, GAD-7 by 1.2 and UCLA-3 by 0.8 by
//! week 12 in the intervention arm; the waitlist arm catches up by week 24, after its own groups.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::Sim;
use super::recruitment::Person;
use crate::assessments::responses::{self, Answer};
use crate::assessments::{self, Assessment, Filter};
use crate::audit::{Actor, Context};
use crate::instruments::{self, Instrument, Item};
use crate::protocol::ArmKind;

/// What a participant will do with one questionnaire.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub answers: bool,
    pub on: NaiveDate,
}

/// The evening's answering, from 18:00, one participant after another.
pub fn evening(sim: &mut Sim, day: NaiveDate) -> anyhow::Result<()> {
    if !sim.at(sim.local(day, 18, 0)) {
        return Ok(());
    }
    let protocol = sim.protocol.clone();
    let open = assessments::list(&mut sim.conn, &protocol, &crate::sites::Scope::All, Filter::Open, None)?;
    for listed in open {
        let a = listed.assessment;
        let Some(person) = sim.people.get(&a.participant_id).cloned() else { continue };
        let plan = match sim.plans.get(&a.id) {
            Some(p) => *p,
            None => {
                let p = plan(sim, &a, &person);
                sim.plans.insert(a.id.clone(), p);
                p
            }
        };
        if plan.answers && plan.on <= day {
            if !sim.after_minutes(2, 12) {
                return Ok(());
            }
            // One person after another: in a big demo the evening runs up to a window's close,
            // and whoever comes too late to finish before it (a visit takes up to a quarter of
            // an hour) has missed that questionnaire.
            let too_late = crate::db::now() + Duration::minutes(30);
            if a.closes_at.is_some_and(|closes| too_late >= closes) {
                continue;
            }
            answer(sim, &a, &person)?;
        }
    }
    Ok(())
}

fn plan(sim: &mut Sim, a: &Assessment, person: &Person) -> Plan {
    let tz = sim.tz;
    let local = |t: chrono::NaiveDateTime| t.and_utc().with_timezone(&tz).date_naive();
    let first = sim.today().max(a.opens_at.map_or(sim.today(), local));
    let last = a.closes_at.map_or(first, |c| local(c) - Duration::days(1));
    let forced = person.item9_at == Some(a.timepoint.as_str());
    let answers = forced
        || match a.timepoint.as_str() {
            "baseline" => sim.dice.chance(0.97),
            "week24" => sim.dice.chance(person.adherence - 0.05),
            _ => sim.dice.chance(person.adherence),
        };
    // Days until they get to it: often the first evening, sometimes after a reminder.
    let mut wait = 0;
    while sim.dice.chance(0.55) && wait < 10 {
        wait += 1;
    }
    Plan { answers, on: (first + Duration::days(wait)).min(last) }
}

/// The totals a participant's answers add up to at this time point.
fn totals(sim: &mut Sim, a: &Assessment, person: &Person) -> BTreeMap<&'static str, f64> {
    let intervention = sim
        .protocol
        .arms
        .iter()
        .any(|arm| *arm.id.get_ref() == person.arm && arm.kind == ArmKind::Intervention);
    // How much of the full effect of the groups a participant has had by this time point.
    let dose = match (a.timepoint.as_str(), intervention) {
        ("week6", true) => 0.6,
        ("week12", true) => 1.0,
        ("week12", false) => 0.1,
        ("week24", _) => 0.8,
        _ => 0.0,
    };
    let follow_up = if a.timepoint == "baseline" { 0.0 } else { 1.0 };
    let phq = 10.0 + 4.5 * person.depression - 2.5 * dose - 0.5 * follow_up + 2.2 * sim.dice.normal();
    let gad = 8.0 + 3.4 * person.anxiety - 1.2 * dose - 0.3 * follow_up + 2.0 * sim.dice.normal();
    let ucla = 6.5 + 1.1 * person.loneliness - 0.8 * dose + 0.9 * sim.dice.normal();
    BTreeMap::from([("phq9", phq), ("gad7", gad), ("ucla3", ucla)])
}

fn range(inst: &Instrument, item: &Item) -> (i32, i32) {
    let values = inst.options_of(item).iter().map(|o| *o.value.get_ref());
    (values.clone().min().unwrap_or(0), values.max().unwrap_or(0))
}

/// Item answers adding up to `total`, one point at a time on random items; `fixed` items keep
/// the value given.
fn spread(
    sim: &mut Sim,
    inst: &Instrument,
    total: f64,
    fixed: &BTreeMap<String, i32>,
) -> BTreeMap<String, i32> {
    let mut values: BTreeMap<String, i32> = BTreeMap::new();
    let mut free = Vec::new();
    for item in inst.scored_items() {
        let id = item.id.get_ref().clone();
        let (lo, hi) = range(inst, item);
        match fixed.get(&id) {
            Some(v) => {
                values.insert(id, *v);
            }
            None => {
                values.insert(id.clone(), lo);
                free.push((id, hi));
            }
        }
    }
    let room: i32 = free.iter().map(|(id, hi)| hi - values[id]).sum();
    let mut left = (total.round() as i32 - values.values().sum::<i32>()).clamp(0, room);
    while left > 0 {
        let open: Vec<&(String, i32)> = free.iter().filter(|(id, hi)| values[id] < *hi).collect();
        let (id, _) = open[sim.dice.below(open.len())];
        *values.entry(id.clone()).or_default() += 1;
        left -= 1;
    }
    values
}

/// Answers every item the visit asks, then submits, as the participant's pages would.
fn answer(sim: &mut Sim, a: &Assessment, person: &Person) -> anyhow::Result<()> {
    let ctx = Context { actor: Actor::participant(None), request_id: Some(super::DEMO_REQUEST.into()) };
    let library = sim.library.clone();
    let library = library.as_ref();
    let list = responses::instruments_of(library, a).map_err(|e| anyhow::anyhow!("{e}"))?;
    let totals = totals(sim, a, person);
    let mut values: BTreeMap<String, BTreeMap<String, i32>> = BTreeMap::new();
    for inst in &list {
        let mut fixed = BTreeMap::new();
        if inst.id() == "phq9" {
            let endorsed = person.item9_at == Some(a.timepoint.as_str());
            fixed.insert("phq9_9".to_owned(), if endorsed { sim.dice.between(1, 2) as i32 } else { 0 });
        }
        let total = totals.get(inst.id()).copied().unwrap_or(0.0);
        values.insert(inst.id().to_owned(), spread(sim, inst, total, &fixed));
    }
    let mut crisis = false;
    for (inst, item) in instruments::visit_items(&list) {
        let given = &values[inst.id()];
        let id = item.id.get_ref();
        let value = match given.get(id) {
            Some(v) => *v,
            None => {
                // An unscored follow-up ("how difficult have these problems made…"), asked only
                // when some answer is above its threshold, and answered by how severe they are.
                let threshold = item.show_if_any_scored_above.as_ref().map_or(-1, |t| *t.get_ref());
                if !given.values().any(|v| *v > threshold) {
                    continue;
                }
                let share =
                    f64::from(given.values().sum::<i32>()) / f64::from(*inst.scoring.max.get_ref()).max(1.0);
                let (lo, hi) = range(inst, item);
                (lo + (share * 4.0) as i32).clamp(lo, hi)
            }
        };
        let answer = Answer { instrument: inst.id().to_owned(), item: id.clone(), value: Some(value) };
        let saved = responses::save_answer(&mut sim.conn, &ctx, library, &a.id, &a.participant_id, &answer)
            .map_err(|e| anyhow::anyhow!("{}: answering {}: {e}", person.study_id, id))?;
        crisis |= saved.show_crisis_resources;
        let pause = crate::db::now() + Duration::seconds(sim.dice.between(8, 40));
        sim.at(pause);
    }
    responses::submit(&mut sim.conn, &ctx, library, &a.id, &a.participant_id)
        .map_err(|e| anyhow::anyhow!("{}: submitting: {e}", person.study_id))?;
    if crisis {
        super::safety::urgent(sim, &a.id)?;
    }
    Ok(())
}
