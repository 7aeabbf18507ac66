//! The study team, made through the users service as `trialdesk user create` makes them: an
//! admin, a coordinator, three moderators, both statisticians and a clinician, each with a
//! one-time password that must be changed at first sign-in. The clinician is the first safety
//! contact and the admin the second, so an alert nobody acknowledges escalates visibly.

use crate::auth::{self, Role, users};
use crate::db::DbConn;

use super::Sim;

/// One account and its one-time password (printed at the end, never stored in clear).
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub password: String,
}

/// The team.
#[derive(Debug, Clone)]
pub struct Staff {
    pub admin: Account,
    pub coordinator: Account,
    pub moderators: Vec<Account>,
    pub clinician: Account,
    pub others: Vec<Account>,
}

impl Staff {
    /// Everyone, admin first.
    pub fn all(&self) -> Vec<&Account> {
        let mut v = vec![&self.admin, &self.coordinator, &self.clinician];
        v.extend(self.moderators.iter());
        v.extend(self.others.iter());
        v
    }
}

fn account(conn: &mut DbConn, email: &str, name: &str, role: Role) -> anyhow::Result<Account> {
    let password = auth::one_time_password()?;
    let user = users::create(conn, &Sim::as_demo(), email, name, role, auth::hash_password(&password)?)
        .map_err(|e| anyhow::anyhow!("creating {email}: {e}"))?;
    Ok(Account { id: user.id, email: user.email, role, password })
}

/// Creates the team and the safety contact list.
pub fn create(conn: &mut DbConn) -> anyhow::Result<Staff> {
    let admin = account(conn, "demo-admin@example.invalid", "Demo Admin", Role::Admin)?;
    let coordinator =
        account(conn, "demo-coordinator@example.invalid", "Demo Coordinator", Role::Coordinator)?;
    let clinician = account(conn, "demo-clinician@example.invalid", "Demo Clinician", Role::Clinician)?;
    let mut moderators = Vec::new();
    for n in 1..=3 {
        moderators.push(account(
            conn,
            &format!("demo-moderator-{n}@example.invalid"),
            &format!("Demo Moderator {n}"),
            Role::Moderator,
        )?);
    }
    let others = vec![
        account(
            conn,
            "demo-statistician-blinded@example.invalid",
            "Demo Statistician (blinded)",
            Role::StatisticianBlinded,
        )?,
        account(
            conn,
            "demo-statistician-unblinded@example.invalid",
            "Demo Statistician (unblinded)",
            Role::StatisticianUnblinded,
        )?,
    ];
    crate::safety::set_contacts(conn, &Sim::as_demo(), &[clinician.id.clone(), admin.id.clone()])
        .map_err(|e| anyhow::anyhow!("safety contacts: {e}"))?;
    Ok(Staff { admin, coordinator, moderators, clinician, others })
}
