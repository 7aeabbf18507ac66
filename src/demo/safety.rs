//! The clinician's side of the safety workflow, through `safety::take_step` as `/alerts` does.
//! An urgent alert (PHQ-9 item 9 endorsed) is acknowledged within the hour and the call
//! recorded; one is acknowledged late, after the real `escalate_due` has passed it to the next
//! safety contact, so the escalation shows. Follow-up notes close them at the next office hours.
//! "Notify" alerts (severe totals, worsening) are handled the next working day; the most recent
//! stay open in the queue, as they would on any given afternoon.

use chrono::{Duration, NaiveDate};

use super::Sim;
use crate::instruments::Severity;
use crate::safety::AlertStatus;
use crate::safety::{self, Step};

/// What the clinician has done so far.
#[derive(Debug, Default)]
pub struct Desk {
    pub urgent_seen: usize,
}

fn step(sim: &mut Sim, id: &str, step: Step, text: Option<&str>) -> anyhow::Result<()> {
    let ctx = sim.as_user(&sim.staff.clinician.clone());
    safety::take_step(&mut sim.conn, &ctx, id, step, text).map_err(|e| anyhow::anyhow!("alert {id}: {e}"))?;
    Ok(())
}

/// Right after a participant endorsed item 9: acknowledge, call, record what was done.
pub fn urgent(sim: &mut Sim, assessment_id: &str) -> anyhow::Result<()> {
    let open: Vec<String> = safety::list(&mut sim.conn, &crate::sites::Scope::All, true)?
        .into_iter()
        .filter(|(a, _)| {
            a.assessment_id == assessment_id
                && a.severity == Severity::Urgent
                && a.status == AlertStatus::Open
        })
        .map(|(a, _)| a.id)
        .collect();
    for id in open {
        sim.alerts.urgent_seen += 1;
        if sim.alerts.urgent_seen == 2 {
            // The clinician is in clinic: the alert passes its hour and goes to the next contact.
            if !sim.after_minutes(70, 80) {
                return Ok(());
            }
            safety::escalate_due(&mut sim.conn, crate::db::now())?;
            if !sim.after_minutes(15, 30) {
                return Ok(());
            }
        } else if !sim.after_minutes(10, 40) {
            return Ok(());
        }
        step(sim, &id, Step::Acknowledge, None)?;
        if !sim.after_minutes(20, 50) {
            return Ok(());
        }
        let action = "Phoned the participant the same day. C-SSRS screen: passive thoughts, no plan or intent. \
                      Safety plan made together; 988 and the MS nurse line given; their neurologist informed with consent.";
        step(sim, &id, Step::RecordAction, Some(action))?;
    }
    Ok(())
}

fn notify_action(rule: &str) -> &'static str {
    match rule {
        "phq9.total_severe" => {
            "Phoned the participant: low mood for some weeks, no thoughts of self-harm. Encouraged them to see their GP; sent the study's list of mental-health services."
        }
        "gad7.total_severe" => {
            "Phoned the participant: very anxious about a new MRI result. Talked it through; gave the MS nurse line and the referral list."
        }
        "phq9.item9_unanswered" => {
            "Phoned to ask about the question left blank: 'not at all'. Nothing further needed."
        }
        _ => {
            "Checked in by phone: a hard few weeks after a relapse. Offered a referral, which they declined for now; will look again at the next questionnaire."
        }
    }
}

/// The afternoon's alert work (weekdays at 14:00): notify alerts from before today, and closing
/// urgent alerts whose follow-up call has been made.
pub fn office_hours(sim: &mut Sim, day: NaiveDate) -> anyhow::Result<()> {
    if !sim.at(sim.local(day, 14, 0)) {
        return Ok(());
    }
    let now = crate::db::now();
    for (alert, _) in safety::list(&mut sim.conn, &crate::sites::Scope::All, true)? {
        if alert.status == AlertStatus::Open
            && alert.severity != Severity::Urgent
            && alert.created_at < now - Duration::hours(20)
        {
            step(sim, &alert.id, Step::Acknowledge, None)?;
            sim.after_minutes(3, 10);
            step(sim, &alert.id, Step::RecordAction, Some(notify_action(&alert.rule_id)))?;
            sim.after_minutes(1, 3);
            step(
                sim,
                &alert.id,
                Step::Close,
                Some("Reviewed at the weekly safety meeting: no further action."),
            )?;
            sim.after_minutes(1, 5);
        } else if alert.status == AlertStatus::Acknowledged
            && alert.action_at.is_some_and(|t| t < now - Duration::hours(18))
        {
            let note = "Follow-up call two days later: feeling safer, using the safety plan, keen to stay in the study.";
            step(sim, &alert.id, Step::Close, Some(note))?;
            sim.after_minutes(1, 5);
        }
    }
    Ok(())
}
