//! After the simulation: the outbox messages of simulated days are withdrawn (their moment
//! passed; `serve` must not send six months of invitations and reminders on its first minute),
//! and a summary is printed with the staff accounts and what to do next.

use std::collections::BTreeMap;
use std::time::Duration;

use diesel::prelude::*;

use super::Sim;
use crate::audit::{self, Change, Event};
use crate::db::schema::{
    allocations, assessments, attendance, outbox, participants, safety_alerts, screenings,
};
use crate::db::{self, DbConn};
use crate::outbox::Message;

const WHY: &str = "simulated by `trialdesk demo`: its moment passed during the simulation, so it is not sent";

/// Marks every pending message already due as not to be sent, with the outbox's own
/// `drop_message`, and records that in one audit entry. Messages due later (invitations to
/// windows still ahead, reminders of sessions still to come) stay queued: that is the trial's
/// future, which `serve` runs as it would any other.
pub fn retire_past_messages(conn: &mut DbConn) -> anyhow::Result<usize> {
    let n = db::write_tx(conn, |c| -> QueryResult<usize> {
        let due: Vec<Message> = outbox::table
            .filter(outbox::status.eq(crate::outbox::Status::Pending))
            .filter(outbox::due_at.le(db::now()))
            .select(Message::as_select())
            .load(c)?;
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for m in &due {
            crate::outbox::drop_message(c, m, WHY)?;
            *kinds.entry(m.kind.as_str().to_owned()).or_default() += 1;
        }
        audit::append(
            c,
            &Sim::as_demo(),
            Event {
                action: "cancel_messages",
                entity: "outbox",
                entity_id: "demo",
                changes: vec![Change::set("cancelled", due.len()), Change::set("by_kind", &kinds)],
                reason: Some(WHY),
            },
        )?;
        Ok(due.len())
    })?;
    Ok(n)
}

fn count_by<T>(rows: Vec<T>, key: impl Fn(&T) -> String) -> BTreeMap<String, usize> {
    let mut map = BTreeMap::new();
    for r in &rows {
        *map.entry(key(r)).or_default() += 1;
    }
    map
}

fn show(map: &BTreeMap<String, usize>) -> String {
    map.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

/// Prints what the demo made, the accounts, and the next steps.
pub fn summary(sim: &mut Sim, cancelled: usize, took: Duration, out: &std::path::Path) -> anyhow::Result<()> {
    let c = &mut sim.conn;
    let screened = count_by(screenings::table.select(screenings::outcome).load::<String>(c)?, Clone::clone);
    let people: Vec<(String, Option<chrono::NaiveDateTime>)> =
        participants::table.select((participants::strata, participants::withdrawn_at)).load(c)?;
    let withdrawn = people.iter().filter(|p| p.1.is_some()).count();
    let by_site = count_by(participants::table.select(participants::site).load::<String>(c)?, Clone::clone);
    let strata = count_by(people, |(s, _)| {
        serde_json::from_str::<BTreeMap<String, String>>(s)
            .ok()
            .and_then(|m| m.get("race_ethnicity").cloned())
            .unwrap_or_default()
    });
    let arms = count_by(allocations::table.select(allocations::arm_id).load::<String>(c)?, Clone::clone);
    let groups = count_by(crate::groups::list(c, None)?, |g| g.status.as_str().to_owned());
    let marks: Vec<(String, crate::groups::Presence)> =
        attendance::table.select((attendance::session_id, attendance::status)).load(c)?;
    let sessions = marks.iter().map(|m| &m.0).collect::<std::collections::BTreeSet<_>>().len();
    let present = marks.iter().filter(|m| m.1 == crate::groups::Presence::Present).count();
    let visits = count_by(
        assessments::table
            .select((assessments::timepoint, assessments::status))
            .load::<(String, String)>(c)?,
        |(t, s)| format!("{t} {s}"),
    );
    let alerts = count_by(
        safety_alerts::table
            .select((safety_alerts::severity, safety_alerts::status))
            .load::<(String, String)>(c)?,
        |(sev, st)| format!("{sev} {st}"),
    );
    let pending: i64 =
        outbox::table.filter(outbox::status.eq(crate::outbox::Status::Pending)).count().get_result(c)?;
    let verified = audit::verify(c)?;

    println!();
    println!("Simulated in {:.1} s:", took.as_secs_f64());
    println!("  screened     {} ({})", screened.values().sum::<usize>(), show(&screened));
    println!("  randomised   {} ({}), {withdrawn} withdrawn", arms.values().sum::<usize>(), show(&arms));
    println!("  enrolled at  {}", show(&by_site));
    println!("  strata       {}", show(&strata));
    println!("  groups       {}", show(&groups));
    println!(
        "  sessions     {sessions} held, attendance {:.0}% ({present} of {} marks)",
        100.0 * present as f64 / marks.len().max(1) as f64,
        marks.len()
    );
    println!("  assessments  {}", show(&visits));
    println!("  alerts       {}", show(&alerts));
    println!("  outbox       {cancelled} past messages withdrawn unsent, {pending} future ones queued");
    match verified.problem {
        None => println!("  audit trail  intact: {} entries verified", verified.entries_checked),
        Some(p) => anyhow::bail!("the audit trail does not verify at entry {}: {}", p.seq, p.message),
    }
    println!();
    println!("Staff accounts (one-time passwords: each must be changed at first sign-in):");
    for a in sim.staff.all() {
        println!("  {:<24} {:<44} {}", a.role.as_str(), a.email, a.password);
    }
    println!("(Lost one? An admin can reset it, or `trialdesk user create` makes another account.)");
    println!();
    println!("Next steps:");
    println!("  the report:  {}", out.display());
    println!("  cargo run --release -- serve");
    println!("  sign in at http://127.0.0.1:8080/login as {}", sim.staff.admin.email);
    println!("      with the one-time password {}", sim.staff.admin.password);
    println!("  choose your own password; admins, coordinators and clinicians then set up two-step");
    println!("      sign-in with an authenticator app (the `two_factor_roles` setting)");
    println!("  then open /reports, /assessments and /alerts");
    Ok(())
}
