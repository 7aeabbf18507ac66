//! The protocol's `[blinding]` section: which roles are kept blind to allocation, and whether
//! they may see process data (groups, sessions, attendance, messages). What each reader then sees
//! is decided in one place, `crate::blinding`; this file only says what the protocol asks for
//! and checks that it makes sense.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{ArmKind, Protocol};
use crate::auth::Role;

/// What blinded roles see of process data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessData {
    /// No group, session, attendance, dose or message data reaches a blinded reader.
    Withheld,
    /// Process data is shown: only allowed when every arm is delivered the same way and at the
    /// same time, so that it cannot tell the arms apart.
    Shown,
}

/// The `[blinding]` section. Absent: the blinded statistician is the only blinded role, and
/// process data is withheld from them whenever the arms differ in what or when they deliver.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blinding {
    /// Role names kept blind; `statistician_blinded` must be one of them.
    pub blinded_roles: Option<Spanned<Vec<Spanned<String>>>>,
    pub process_data: Option<Spanned<ProcessData>>,
}

/// Roles that can be kept blind, and why the others cannot.
pub fn blindable(role: Role) -> Result<(), &'static str> {
    match role {
        Role::StatisticianBlinded | Role::Clinician => Ok(()),
        Role::Admin => Err("admins hold the allocation list and answer emergency unblindings"),
        Role::Coordinator => Err("coordinators randomise and place people in groups, so they see each arm"),
        Role::Moderator => Err("moderators deliver the groups, so they know who is in them"),
        Role::StatisticianUnblinded => Err("this role is the unblinded statistician"),
    }
}

impl Protocol {
    /// Whether `role` is kept blind to allocation by this protocol.
    pub fn blinds(&self, role: Role) -> bool {
        match &self.blinding.blinded_roles {
            None => role == Role::StatisticianBlinded,
            // The blinded statistician is blind by definition, whatever the list says (the check
            // refuses a list without it).
            Some(list) => {
                role == Role::StatisticianBlinded
                    || list.get_ref().iter().any(|r| r.get_ref() == role.as_str())
            }
        }
    }

    /// The roles kept blind, in `Role::ALL` order.
    pub fn blinded_roles(&self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| self.blinds(*r)).collect()
    }

    /// Whether the arms differ in what they deliver or when: then group membership, session
    /// dates and attendance name the arm.
    pub fn arms_differ_in_delivery(&self) -> bool {
        let first = self.arms.first();
        self.arms.iter().any(|a| {
            a.kind == ArmKind::Waitlist
                || first.is_some_and(|f| f.delivers_groups != a.delivers_groups)
                || a.wait_weeks.as_ref().is_some_and(|w| *w.get_ref() > 0)
        })
    }

    /// Whether blinded roles see process data.
    pub fn blinded_see_process(&self) -> bool {
        match &self.blinding.process_data {
            Some(p) => *p.get_ref() == ProcessData::Shown && !self.arms_differ_in_delivery(),
            None => !self.arms_differ_in_delivery(),
        }
    }
}

/// Problems with the `[blinding]` section, each with the value it is about.
pub fn problems(p: &Protocol) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    if let Some(list) = &p.blinding.blinded_roles {
        let mut has_statistician = false;
        for name in list.get_ref() {
            match Role::parse(name.get_ref()) {
                None => out.push((
                    name.span(),
                    format!("`{}` is not a role; roles are {}", name.get_ref(), crate::auth::role_names()),
                )),
                Some(role) => {
                    has_statistician |= role == Role::StatisticianBlinded;
                    if let Err(why) = blindable(role) {
                        out.push((name.span(), format!("{} cannot be kept blind: {why}", name.get_ref())));
                    }
                }
            }
        }
        if !has_statistician {
            out.push((
                list.span(),
                "blinded_roles must include statistician_blinded (that role is blind by definition)".into(),
            ));
        }
    }
    if let Some(process) = &p.blinding.process_data
        && *process.get_ref() == ProcessData::Shown
        && p.arms_differ_in_delivery()
    {
        out.push((
            process.span(),
            "process_data cannot be \"shown\": the arms differ in what or when they deliver (a waitlist, or \
             groups in one arm only), so group, session and attendance data would name each arm"
                .into(),
        ));
    }
    out
}
