//! Recruitment: people screened on weekdays over 16 weeks, about a third ineligible (each with
//! the criterion they failed), some eligible people declining or not enrolled (with reasons), the
//! rest enrolled, consented and randomised in one visit by the coordinator. The mix of race and
//! ethnicity sits near the protocol's target (70% Black or Latinx); half the Latinx participants
//! prefer Spanish. Names and e-mails are plainly fake: demo-participant-017@example.invalid.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde_json::{Value, json};

use super::Sim;
use crate::enrolment::participants::NewParticipant;
use crate::enrolment::screening::{NewScreening, Outcome};
use crate::enrolment::{AgeBand, DiseaseCourse, Ethnicity, Race, Sex, consent, participants, screening};
use crate::sites::Scope;

/// A randomised participant and the traits that drive what they do in the simulation.
#[derive(Debug, Clone)]
pub struct Person {
    pub study_id: String,
    pub arm: String,
    /// Random intercepts (standard deviations) of depression, anxiety and loneliness; correlated.
    pub depression: f64,
    pub anxiety: f64,
    pub loneliness: f64,
    /// Chance of answering a follow-up questionnaire.
    pub adherence: f64,
    /// Chance of attending the first session (it decays over the twelve).
    pub attendance: f64,
    /// When and why they withdraw, if they do, and whether their data may be kept.
    pub withdrawal: Option<(NaiveDate, &'static str, bool)>,
    /// The time point at which they endorse PHQ-9 item 9, if any.
    pub item9_at: Option<&'static str>,
}

/// The day of each screening, in order: weekdays of 16 weeks from `from`.
pub fn arrivals(sim: &mut Sim, from: NaiveDate, n: u32) -> Vec<NaiveDate> {
    let weekdays: Vec<NaiveDate> = (0..16 * 7)
        .map(|d| from + Duration::days(d))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let mut days: Vec<NaiveDate> = (0..n).map(|_| weekdays[sim.dice.below(weekdays.len())]).collect();
    days.sort();
    days
}

/// Who comes through the door, and what becomes of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Ineligible(&'static str),
    Declined(Option<&'static str>),
    NotEnrolled(&'static str),
    Enrolled { consents: bool },
}

fn fate(sim: &mut Sim) -> Fate {
    let r = sim.dice.unit();
    if r < 0.36 {
        Fate::Ineligible(sim.dice.pick(&[
            ("age", 0.05),
            ("has_ms", 0.25),
            ("us_resident", 0.10),
            ("video_access", 0.25),
            ("attendance_commitment", 0.35),
        ]))
    } else if r < 0.51 {
        Fate::Declined(sim.dice.pick(&[
            (Some("Not interested in talking about MS in a group"), 0.3),
            (Some("Worried about the time commitment"), 0.3),
            (Some("Prefers in-person support"), 0.2),
            (None, 0.2),
        ]))
    } else if r < 0.61 {
        Fate::NotEnrolled(sim.dice.pick(&[
            ("Could not be reached after three attempts", 0.6),
            ("Taking part in another trial", 0.2),
            ("The group times did not suit their schedule", 0.2),
        ]))
    } else {
        Fate::Enrolled { consents: !sim.dice.chance(0.03) }
    }
}

/// The answers to the eligibility questions, failing `fail` if given.
fn answers(sim: &mut Sim, age: i64, fail: Option<&str>) -> BTreeMap<String, Value> {
    let mut a = BTreeMap::from([
        ("age".to_owned(), json!(age)),
        ("has_ms".to_owned(), json!(true)),
        ("us_resident".to_owned(), json!(true)),
        ("video_access".to_owned(), json!(true)),
        ("attendance_commitment".to_owned(), json!("yes")),
    ]);
    match fail {
        Some("age") => a.insert("age".into(), json!(17)),
        Some("attendance_commitment") => {
            let answer = if sim.dice.chance(0.5) { "no" } else { "unsure" };
            a.insert("attendance_commitment".into(), json!(answer))
        }
        Some(other) => a.insert(other.into(), json!(false)),
        None => None,
    };
    a
}

/// Demographics and strata: (race, ethnicity, stratum level, language).
fn background(sim: &mut Sim) -> (Race, Ethnicity, &'static str, &'static str) {
    match sim.dice.pick(&[("black", 0.40), ("latinx", 0.32), ("other", 0.28)]) {
        "black" => (Race::Black, Ethnicity::NotHispanicLatinx, "black", "en"),
        "latinx" => {
            let race = sim.dice.pick(&[
                (Race::White, 0.45),
                (Race::Other, 0.25),
                (Race::MoreThanOne, 0.15),
                (Race::Black, 0.10),
                (Race::PreferNotToSay, 0.05),
            ]);
            let language = if sim.dice.chance(0.5) { "es" } else { "en" };
            (race, Ethnicity::HispanicLatinx, "latinx", language)
        }
        _ => {
            let race = sim.dice.pick(&[
                (Race::White, 0.70),
                (Race::Asian, 0.12),
                (Race::MoreThanOne, 0.08),
                (Race::AmericanIndianAlaskaNative, 0.04),
                (Race::Other, 0.03),
                (Race::PreferNotToSay, 0.03),
            ]);
            let ethnicity =
                if sim.dice.chance(0.95) { Ethnicity::NotHispanicLatinx } else { Ethnicity::PreferNotToSay };
            (race, ethnicity, "other", "en")
        }
    }
}

fn age(sim: &mut Sim) -> (AgeBand, i64) {
    let (band, lo) = sim.dice.pick(&[
        ((AgeBand::From18To29, 18), 0.08),
        ((AgeBand::From30To39, 30), 0.20),
        ((AgeBand::From40To49, 40), 0.27),
        ((AgeBand::From50To59, 50), 0.25),
        ((AgeBand::From60To69, 60), 0.15),
        ((AgeBand::From70To79, 70), 0.05),
    ]);
    let hi = if lo == 18 { 29 } else { lo + 9 };
    (band, sim.dice.between(lo, hi))
}

/// The day's screenings, from 09:00, each taking the coordinator a while.
pub fn screen_day(sim: &mut Sim, day: NaiveDate, count: usize) -> anyhow::Result<()> {
    if count == 0 || !sim.at(sim.local(day, 9, 0)) {
        return Ok(());
    }
    for _ in 0..count {
        if !sim.after_minutes(5, 40) {
            return Ok(());
        }
        screen_one(sim)?;
    }
    Ok(())
}

fn screen_one(sim: &mut Sim) -> anyhow::Result<()> {
    // The lead clinic refers three in five; the second clinic's own coordinator screens the rest.
    let site = sim.dice.pick(&[(crate::sites::DEFAULT_SITE, 0.6), (super::accounts::SECOND_SITE, 0.4)]);
    let screener = if site == crate::sites::DEFAULT_SITE {
        sim.staff.coordinator.clone()
    } else {
        sim.staff.site_coordinator.clone()
    };
    let ctx = sim.as_user(&screener);
    let fate = fate(sim);
    let (band, years) = age(sim);
    let fail = match fate {
        Fate::Ineligible(criterion) => Some(criterion),
        _ => None,
    };
    let referral = sim.dice.pick(&[
        ("Neurology clinic", 0.35),
        ("MS society newsletter", 0.2),
        ("Social media", 0.2),
        ("Community health worker", 0.15),
        ("Self-referral", 0.1),
    ]);
    let new = NewScreening {
        screened_at: crate::db::now(),
        referral_source: referral.into(),
        answers: answers(sim, years, fail),
        declined: match fate {
            Fate::Declined(reason) => Some(reason.map(str::to_owned)),
            _ => None,
        },
        site: Some(site.to_owned()),
    };
    let s = screening::record(&mut sim.conn, &ctx, &Scope::All, new)
        .map_err(|e| anyhow::anyhow!("screening: {e}"))?;
    let consents = match fate {
        Fate::NotEnrolled(reason) => {
            screening::close(&mut sim.conn, &ctx, &Scope::All, &s.id, Outcome::Other, reason)
                .map_err(|e| anyhow::anyhow!("closing a screening: {e}"))?;
            return Ok(());
        }
        Fate::Enrolled { consents } => consents,
        _ => return Ok(()),
    };
    let n = screening::list(&mut sim.conn, &Scope::All, None)?.len();
    let name = format!("Demo Participant {n:03}");
    let (race, ethnicity, level, language) = background(sim);
    let newly_diagnosed = sim.dice.chance(0.25);
    let new = NewParticipant {
        screening_id: s.id.clone(),
        full_name: name.clone(),
        email: Some(format!("demo-participant-{n:03}@example.invalid")),
        phone: None,
        strata: BTreeMap::from([
            ("race_ethnicity".to_owned(), level.to_owned()),
            ("newly_diagnosed".to_owned(), if newly_diagnosed { "yes" } else { "no" }.to_owned()),
        ]),
        race,
        ethnicity,
        sex: sim.dice.pick(&[(Sex::Female, 0.72), (Sex::Male, 0.27), (Sex::PreferNotToSay, 0.01)]),
        age_band: band,
        newly_diagnosed,
        disease_course: sim.dice.pick(&[
            (DiseaseCourse::RelapsingRemitting, 0.70),
            (DiseaseCourse::SecondaryProgressive, 0.12),
            (DiseaseCourse::PrimaryProgressive, 0.10),
            (DiseaseCourse::ClinicallyIsolated, 0.03),
            (DiseaseCourse::Unknown, 0.05),
        ]),
        preferred_language: language.into(),
        time_zone: None,
    };
    if !sim.after_minutes(5, 15) {
        return Ok(());
    }
    let p = participants::enrol(&mut sim.conn, &ctx, &Scope::All, new)
        .map_err(|e| anyhow::anyhow!("enrolment: {e}"))?;
    if !consents || !sim.after_minutes(10, 25) {
        return Ok(());
    }
    consent::record(&mut sim.conn, &ctx, &Scope::All, &p.id, &name, None, language)
        .map_err(|e| anyhow::anyhow!("consent: {e}"))?;
    if !sim.after_minutes(2, 6) {
        return Ok(());
    }
    let (allocation, _, _) = crate::randomisation::randomise(&mut sim.conn, &ctx, &sim.key, &p.id)
        .map_err(|e| anyhow::anyhow!("randomisation: {e}"))?;
    let person = traits(sim, &p.study_id, allocation.arm_id);
    sim.people.insert(p.id, person);
    Ok(())
}

/// A new participant's hidden traits; a few are chosen to withdraw or to endorse PHQ-9 item 9.
fn traits(sim: &mut Sim, study_id: &str, arm: String) -> Person {
    let ordinal = sim.people.len() + 1;
    let expected = sim.expected_randomised.max(10);
    let depression = sim.dice.normal();
    let anxiety = 0.6 * depression + 0.8 * sim.dice.normal();
    let loneliness = 0.4 * depression + 0.92 * sim.dice.normal();
    let today = sim.today();
    let withdrawal = if ordinal == expected / 7 + 2 {
        let day = today + Duration::days(sim.dice.between(35, 70));
        Some((day, "Too much going on at work and at home to keep taking part", true))
    } else if ordinal == expected / 2 + 3 {
        let day = today + Duration::days(sim.dice.between(35, 70));
        Some((day, "MS relapse: wants to focus on treatment; asked that no more data be collected", false))
    } else {
        None
    };
    // 3 to 5 PHQ-9 item-9 answers of 1 or more in the full demo (1 in the smallest).
    let flags = (expected / 22).clamp(1, 5);
    let item9_at = (1..=flags)
        .find(|k| ordinal == k * expected / (flags + 1))
        .map(|k| if k % 2 == 1 { "baseline" } else { "week6" });
    Person {
        study_id: study_id.to_owned(),
        arm,
        depression,
        anxiety,
        loneliness,
        adherence: (0.87 + 0.1 * sim.dice.normal()).clamp(0.5, 0.99),
        attendance: (0.86 + 0.1 * sim.dice.normal()).clamp(0.4, 0.99),
        withdrawal,
        item9_at,
    }
}

/// The day's withdrawals, recorded by the coordinator in the afternoon.
pub fn withdrawals(sim: &mut Sim, day: NaiveDate) -> anyhow::Result<()> {
    let leaving: Vec<(String, &'static str, bool)> = sim
        .people
        .iter()
        .filter_map(|(id, p)| p.withdrawal.filter(|w| w.0 == day).map(|w| (id.clone(), w.1, w.2)))
        .collect();
    if leaving.is_empty() || !sim.at(sim.local(day, 15, 0)) {
        return Ok(());
    }
    let ctx = sim.as_user(&sim.staff.coordinator.clone());
    for (id, reason, keep) in leaving {
        consent::withdraw(&mut sim.conn, &ctx, &Scope::All, &id, reason, keep)
            .map_err(|e| anyhow::anyhow!("withdrawal: {e}"))?;
        sim.after_minutes(5, 20);
    }
    Ok(())
}
