//! `trialdesk demo`: a CONNECT-style trial of about six months, simulated into the configured
//! database so a new user sees the whole product in one command, then `serve` shows it.
//!
//! Everything goes through the service layer the HTTP handlers call (screening, enrolment,
//! consent, randomisation, groups, attendance, answers, alerts): the demo writes no trial data of
//! its own, so what `serve` shows is what the product would have recorded. Time comes from the
//! process clock (`db::clock`), which the demo moves forward day by day from 28 weeks ago to the
//! present; the real scheduler functions (`assessments::sweep`, `safety::escalate_due`) run at
//! each step as the background pass would have.
//!
//! Files: `accounts` (staff), `recruitment` (screening to randomisation, withdrawals), `groups`
//! (forming, launching, attendance), `questionnaires` (who answers what, and the scores),
//! `safety` (the clinician's work), `wrapup` (the outbox, the summary), `random` (the dice).

mod accounts;
mod groups;
mod questionnaires;
mod random;
mod recruitment;
mod safety;
mod wrapup;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::audit::{Actor, Context};
use crate::db::{self, Backend, DbConn, clock};
use crate::protocol::Protocol;
use crate::randomisation::StudyKey;
use crate::settings::Settings;

/// What `trialdesk demo` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    /// Where the report goes.
    pub out: PathBuf,
    /// How many people are screened (about 40% are randomised).
    pub screened: u32,
}

/// How far back the simulated trial starts: a week of set-up, 16 weeks of recruitment, and
/// enough after it that most participants reached week 12 and the earliest week 24.
const WEEKS_SIMULATED: i64 = 28;

/// Marks every audit entry the demo causes (the `request_id` column), beside its actor.
const DEMO_REQUEST: &str = "demo";

/// The simulation's state: one connection, the dice, and what it has planned so far.
pub(crate) struct Sim {
    conn: DbConn,
    /// The simulated clock, entered on the demo's thread.
    clock: clock::Clock,
    /// The questionnaires, as `serve` would load them.
    library: Arc<crate::instruments::Library>,
    dice: random::Dice,
    protocol: Arc<Protocol>,
    tz: chrono_tz::Tz,
    key: StudyKey,
    /// The real present when the demo started: nothing is simulated at or after it.
    end: NaiveDateTime,
    staff: accounts::Staff,
    /// Randomised participants, by participant id.
    people: BTreeMap<String, recruitment::Person>,
    /// Questionnaire plans, by assessment id.
    plans: BTreeMap<String, questionnaires::Plan>,
    /// Sessions whose attendance is recorded.
    sessions_done: BTreeSet<String>,
    /// Alerts the clinician has finished with (closed), and the one left for the user to see.
    alerts: safety::Desk,
    /// How big the demo is, for the few things sized to it (withdrawals, item-9 answers).
    expected_randomised: usize,
}

impl Sim {
    /// The UTC instant of a wall-clock time on a day in the study's zone.
    fn local(&self, day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
        let t = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
        crate::calendar::local_to_utc(day, t, self.tz).naive_utc()
    }

    /// Moves the clock to `t` (or leaves it where it is, if events already ran past `t`). False
    /// once `t` reaches the real present: the simulation stops there.
    fn at(&mut self, t: NaiveDateTime) -> bool {
        if t >= self.end {
            return false;
        }
        // Already there (earlier events ran late): the clock just runs on.
        self.clock.travel_to(t).is_ok() || db::now() < self.end
    }

    /// Moves the clock on by a few minutes (between one person's steps).
    fn after_minutes(&mut self, lo: i64, hi: i64) -> bool {
        let minutes = self.dice.between(lo, hi);
        self.at(db::now() + Duration::minutes(minutes))
    }

    /// Today in the study's zone, by the simulated clock.
    fn today(&self) -> NaiveDate {
        self.protocol.today()
    }

    /// A staff member acting, as the HTTP handlers record them; the request id marks the demo.
    fn as_user(&self, user: &accounts::Account) -> Context {
        Context { actor: Actor::user(&user.id, user.role.as_str()), request_id: Some(DEMO_REQUEST.into()) }
    }

    /// The demo itself (set-up that no staff member would do: accounts, contacts).
    fn as_demo() -> Context {
        Context { actor: Actor::cli_named(Some("demo".into())), request_id: Some(DEMO_REQUEST.into()) }
    }
}

/// Runs the demo against the configured database; refuses a database already in use.
pub fn run(settings: &Settings, options: &Options) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let url = &settings.database_url;
    let mut conn = db::connect(url).with_context(|| format!("connecting to {url}"))?;
    match url.backend() {
        Backend::Sqlite => {
            db::migrate(&mut conn)?;
        }
        Backend::Postgres => {
            if db::has_pending_migrations(&mut conn)? {
                anyhow::bail!(
                    "the PostgreSQL database has pending migrations: run `trialdesk migrate` first"
                );
            }
        }
    }
    let participants: i64 = db::schema::participants::table.count().get_result(&mut conn)?;
    if participants > 0 {
        eprintln!(
            "{url} already holds {participants} participant(s): the demo only fills an empty database.\n\
             Run it against a new one, e.g. `trialdesk --database-url sqlite://demo.db demo`."
        );
        return Ok(ExitCode::FAILURE);
    }
    let library = Arc::new(crate::startup::instruments(settings)?);
    let end = db::now();
    let tz: chrono_tz::Tz = {
        let text = match &settings.protocol_file {
            Some(path) => {
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
            }
            None => crate::protocol::BUNDLED.to_owned(),
        };
        let protocol = crate::protocol::check(&text, &library)
            .map_err(|e| anyhow::anyhow!("the protocol does not check: {}", e[0]))?;
        protocol.time_zone()
    };
    let first_day = end.and_utc().with_timezone(&tz).date_naive() - Duration::weeks(WEEKS_SIMULATED);
    let start = crate::calendar::local_to_utc(first_day, NaiveTime::MIN + Duration::hours(8), tz).naive_utc();
    // The audit trail's timestamps only move forward: a database with entries after the
    // simulated start (a server already ran on it) cannot take six months of history before them.
    let latest: Option<NaiveDateTime> =
        db::schema::audit_log::table.select(diesel::dsl::max(db::schema::audit_log::at)).first(&mut conn)?;
    if let Some(latest) = latest.filter(|l| *l > start) {
        eprintln!(
            "{url} has audit entries up to {latest} UTC: the demo writes the six months before today \
             and the audit trail cannot go back in time.\n\
             Run it against a new database, e.g. `trialdesk --database-url sqlite://demo.db demo`."
        );
        return Ok(ExitCode::FAILURE);
    }
    // The simulated present, on this thread only: the services it calls read it through db::now().
    let clock = clock::Clock::default();
    clock.start_simulation_at(start);
    let _simulated = clock.enter();
    // The protocol goes in as `serve` would load it, dated at the simulated start.
    crate::startup::prepare_database(&mut conn, settings, &library)?;
    let (protocol, _) =
        crate::protocol::store::current_parsed(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = StudyKey::derive(&settings.secret_key(true)?);
    // A demo database is rebuilt by running the demo again, so it need not wait for the disk at
    // each of its ~20,000 commits (this connection only; `serve` opens its own).
    match url.backend() {
        Backend::Sqlite => conn.batch_execute("PRAGMA synchronous = OFF")?,
        Backend::Postgres => conn.batch_execute("SET synchronous_commit = off")?,
    }
    let staff = accounts::create(&mut conn)?;
    let expected_randomised = (options.screened as usize * 2).div_ceil(5);
    let mut sim = Sim {
        conn,
        clock: clock.clone(),
        library,
        dice: random::Dice::new(options.seed),
        protocol,
        tz,
        key,
        end,
        staff,
        people: BTreeMap::new(),
        plans: BTreeMap::new(),
        sessions_done: BTreeSet::new(),
        alerts: safety::Desk::default(),
        expected_randomised,
    };
    println!("Simulating {WEEKS_SIMULATED} weeks of CONNECT from {first_day} (seed {})…", options.seed);
    let arrivals = recruitment::arrivals(&mut sim, first_day + Duration::weeks(1), options.screened);
    let mut day = first_day;
    let mut next_arrival = 0;
    while sim.at(sim.local(day, 0, 5)) {
        let now = db::now();
        crate::assessments::sweep(&mut sim.conn, now).map_err(|e| anyhow::anyhow!("sweep: {e}"))?;
        crate::safety::escalate_due(&mut sim.conn, now)?;
        let todays = arrivals[next_arrival..].iter().take_while(|d| **d == day).count();
        recruitment::screen_day(&mut sim, day, todays)?;
        next_arrival += todays;
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            groups::form(&mut sim, day)?;
            safety::office_hours(&mut sim, day)?;
        }
        recruitment::withdrawals(&mut sim, day)?;
        questionnaires::evening(&mut sim, day)?;
        groups::attendance(&mut sim, day)?;
        day += Duration::days(1);
    }
    // The present: one more scheduler pass, then the clock is the wall clock again.
    sim.at(end - Duration::seconds(1));
    let now = db::now();
    crate::assessments::sweep(&mut sim.conn, now).map_err(|e| anyhow::anyhow!("sweep: {e}"))?;
    crate::safety::escalate_due(&mut sim.conn, now)?;
    let cancelled = wrapup::retire_past_messages(&mut sim.conn)?;
    sim.clock.reset().map_err(|e| anyhow::anyhow!("{e}"))?;
    sim.staff.issue_passwords(&mut sim.conn)?;
    let out = &options.out;
    // The simulation's own connection: the database is prepared already.
    for written in crate::reports::write_report(&mut sim.conn, &sim.library, out, false)? {
        println!("wrote {written}");
    }
    wrapup::summary(&mut sim, cancelled, started.elapsed(), out)?;
    Ok(ExitCode::SUCCESS)
}
