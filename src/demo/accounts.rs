//! The two sites and the study team, made through the services as `trialdesk site` and
//! `trialdesk user create` make them: an admin, a coordinator for both sites and one for the
//! second site only, three moderators, both statisticians and a clinician, each with a
//! one-time password that must be changed at first sign-in. The clinician is the first safety
//! contact and the admin the second, so an alert nobody acknowledges escalates visibly.

use crate::auth::{self, Role, users};
use crate::db::DbConn;
use crate::sites::{self, Scope};

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
    /// Works at every site; screens the lead site's referrals.
    pub coordinator: Account,
    /// Limited to the second site, as a clinic's own coordinator would be.
    pub site_coordinator: Account,
    pub moderators: Vec<Account>,
    pub clinician: Account,
    pub others: Vec<Account>,
}

impl Staff {
    /// Everyone, admin first.
    pub fn all(&self) -> Vec<&Account> {
        let mut v = vec![&self.admin, &self.coordinator, &self.site_coordinator, &self.clinician];
        v.extend(self.moderators.iter());
        v.extend(self.others.iter());
        v
    }
}

impl Staff {
    /// Gives every account the one-time password the demo prints, issued now (the wall clock):
    /// one-time passwords expire some hours after they are issued, so the ones made with the
    /// accounts at the replay's start, months back, would no longer sign in.
    pub fn issue_passwords(&mut self, conn: &mut DbConn) -> anyhow::Result<()> {
        let mut everyone =
            vec![&mut self.admin, &mut self.coordinator, &mut self.site_coordinator, &mut self.clinician];
        everyone.extend(self.moderators.iter_mut());
        everyone.extend(self.others.iter_mut());
        for account in everyone {
            let password = auth::one_time_password()?;
            let hash = auth::hash_password(&password)?;
            let reason = "the demo's printed one-time password, issued when the replay ended";
            users::set_password(conn, &Sim::as_demo(), &account.id, hash, true, reason)
                .map_err(|e| anyhow::anyhow!("{}: {e}", account.email))?;
            account.password = password;
        }
        Ok(())
    }
}

fn account(conn: &mut DbConn, email: &str, name: &str, role: Role) -> anyhow::Result<Account> {
    account_at(conn, email, name, role, &Scope::All)
}

fn account_at(
    conn: &mut DbConn,
    email: &str,
    name: &str,
    role: Role,
    scope: &Scope,
) -> anyhow::Result<Account> {
    let password = auth::one_time_password()?;
    let hash = auth::hash_password(&password)?;
    let user = users::create(conn, &Sim::as_demo(), email, name, role, hash, scope)
        .map_err(|e| anyhow::anyhow!("creating {email}: {e}"))?;
    Ok(Account { id: user.id, email: user.email, role, password })
}

/// The two recruiting sites: the lead clinic (the `main` site every database starts with) and a
/// second clinic, each with its recruitment target.
pub const SECOND_SITE: &str = "miami";

fn sites(conn: &mut DbConn) -> anyhow::Result<()> {
    let ctx = Sim::as_demo();
    let lead = sites::SiteChange {
        name: Some("Boston MS Center (lead site)".into()),
        recruitment_target: Some(60),
        reason: "demo set-up".into(),
    };
    sites::update(conn, &ctx, sites::DEFAULT_SITE, &lead)
        .map_err(|e| anyhow::anyhow!("the lead site: {e}"))?;
    let second = sites::NewSite {
        code: SECOND_SITE.into(),
        name: "Miami MS Clinic".into(),
        recruitment_target: Some(40),
    };
    sites::create(conn, &ctx, second).map_err(|e| anyhow::anyhow!("the second site: {e}"))?;
    Ok(())
}

/// Creates the sites, the team and the safety contact lists.
pub fn create(conn: &mut DbConn) -> anyhow::Result<Staff> {
    sites(conn)?;
    let admin = account(conn, "demo-admin@example.invalid", "Demo Admin", Role::Admin)?;
    let coordinator =
        account(conn, "demo-coordinator@example.invalid", "Demo Coordinator", Role::Coordinator)?;
    let miami = Scope::Sites([SECOND_SITE.to_owned()].into());
    let site_coordinator = account_at(
        conn,
        "demo-coordinator-miami@example.invalid",
        "Demo Coordinator (Miami)",
        Role::Coordinator,
        &miami,
    )?;
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
    crate::safety::set_contacts(conn, &Sim::as_demo(), None, &[clinician.id.clone(), admin.id.clone()])
        .map_err(|e| anyhow::anyhow!("safety contacts: {e}"))?;
    Ok(Staff { admin, coordinator, site_coordinator, moderators, clinician, others })
}
