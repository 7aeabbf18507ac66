//! What each reader may see of the allocation: the one policy every service applies to a
//! participant, a timeline, an export row, a report section or a page, from the protocol's
//! `[blinding]` section and the reader's role.
//!
//! Three things are decided here and nowhere else:
//! - **arms**: unblinded readers see ids and labels; the blinded statistician sees codes (A, B),
//!   which the analysis needs; other blinded roles see no arm at all, because a code seen beside
//!   one emergency unblinding would unblind every allocation to that person;
//! - **process data** (groups, sessions, attendance, dose, moderators, messages): withheld from
//!   blinded readers unless the protocol shows it, which it may only do when every arm delivers
//!   the same thing at the same time (`Protocol::blinded_see_process`); in a waitlist trial the
//!   date someone joins a group names their arm;
//! - **allocation parameters** (block sizes, the biased coin's probability and factor weights, the
//!   protocol's text): never shown to blinded readers, since they help predict allocations.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::audit::Change;
use crate::auth::Role;
use crate::i18n::Tr;
use crate::protocol::Protocol;

/// How a reader sees arms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arms {
    Label,
    Code,
    Hidden,
}

/// What one reader may see. Cheap to copy; build it once per request with [`Sight::of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sight {
    arms: Arms,
    process: bool,
    /// Block sizes, the minimisation probability and weights. Concealed from whoever randomises
    /// without writing the protocol (coordinators): knowing that blocks are of 2 and 4, a recruiter who
    /// has seen three allocations of a block can tell the fourth, and choose whom to enrol next.
    allocation: bool,
}

/// An arm as a reader may see it: blinded readers get the code only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArmView {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl ArmView {
    /// The same view with the label (if the reader sees it) in `lang`, as a staff page shows it.
    pub fn in_language(mut self, protocol: &Protocol, lang: &str) -> Self {
        if let (Some(_), Some(id)) = (&self.label, &self.id)
            && let Some(arm) = protocol.arms.iter().find(|a| a.id.get_ref() == id)
        {
            self.label = Some(arm.label_in(lang).to_owned());
        }
        self
    }

    /// The whole arm: id, code and label (unblinded readers, and an emergency unblinding).
    pub fn unblinded(protocol: &Protocol, arm_id: &str) -> Self {
        let arm = protocol.arms.iter().find(|a| a.id.get_ref() == arm_id);
        ArmView {
            code: arm.map_or_else(|| "?".to_owned(), |a| a.code.get_ref().clone()),
            id: Some(arm_id.to_owned()),
            label: arm.map(|a| a.label.clone()),
        }
    }
}

/// Audit actions about a participant that a reader without process data still sees: the
/// steps every arm goes through alike. Anything else (joining or moving groups, survey links,
/// contact reads, and whatever is added later) is process data until listed here.
const SAME_IN_EVERY_ARM: &[&str] = &[
    "create",
    "update",
    "correct",
    "enrol",
    "change_details",
    "change_contact",
    "consent",
    "void_consent",
    "withdraw",
    "randomise",
    "transfer",
    "emergency_unblinding",
];

impl Sight {
    /// Everything: unblinded staff, the command line and background jobs.
    pub const FULL: Sight = Sight { arms: Arms::Label, process: true, allocation: true };

    /// What `role` may see under `protocol`.
    pub fn of(protocol: &Protocol, role: Role) -> Sight {
        use crate::auth::Permission;
        if !protocol.blinds(role) {
            let recruits = Permission::Randomise.allows(role) && !Permission::AmendProtocol.allows(role);
            return Sight { allocation: !recruits, ..Sight::FULL };
        }
        let arms = if role == Role::StatisticianBlinded { Arms::Code } else { Arms::Hidden };
        Sight { arms, process: protocol.blinded_see_process(), allocation: false }
    }

    /// The blinded copy of an export or report: exactly what the blinded statistician gets, so
    /// a file made for blinded colleagues can be handed to them.
    pub fn blinded_copy(protocol: &Protocol) -> Sight {
        Sight::of(protocol, Role::StatisticianBlinded)
    }

    /// An export or report for `role`: their own sight, or the blinded copy when they ask for it.
    pub fn for_output(protocol: &Protocol, role: Role, asked_blinded: bool) -> Sight {
        let own = Sight::of(protocol, role);
        if asked_blinded && !own.is_blinded() { Sight::blinded_copy(protocol) } else { own }
    }

    /// Whether arms are codes or hidden for this reader.
    pub fn is_blinded(self) -> bool {
        self.arms != Arms::Label
    }

    /// Whether groups, sessions, attendance, dose, moderators and messages are shown.
    pub fn shows_process(self) -> bool {
        self.process
    }

    /// Whether block sizes, the minimisation probability and the protocol's text are shown.
    pub fn shows_allocation_parameters(self) -> bool {
        self.allocation && !self.is_blinded()
    }

    /// The arm `arm_id` as this reader sees it; `None` when arms are hidden from them.
    pub fn arm(self, protocol: &Protocol, arm_id: &str) -> Option<ArmView> {
        let full = ArmView::unblinded(protocol, arm_id);
        match self.arms {
            Arms::Label => Some(full),
            Arms::Code => Some(ArmView { code: full.code, id: None, label: None }),
            Arms::Hidden => None,
        }
    }

    /// The arm as a data value (exports): its code when blinded, its id otherwise.
    pub fn arm_value(self, protocol: &Protocol, arm_id: &str) -> String {
        match self.arm(protocol, arm_id) {
            Some(ArmView { id: Some(id), .. }) => id,
            Some(view) => view.code,
            None => String::new(),
        }
    }

    /// The arm as a report or export names it: `Arm A` when blinded, its label otherwise.
    pub fn arm_name(self, protocol: &Protocol, arm_id: &str) -> String {
        self.arm_name_in(protocol, arm_id, Tr::default())
    }

    /// The arm as a page in `tr`'s language names it (the label is the protocol's).
    pub fn arm_name_in(self, protocol: &Protocol, arm_id: &str, tr: Tr) -> String {
        match self.arm(protocol, arm_id).map(|a| a.in_language(protocol, tr.lang())) {
            Some(ArmView { label: Some(label), .. }) => label,
            Some(view) => tr.a("arm-code", "code", view.code),
            None => tr.t("arm-withheld"),
        }
    }

    /// Whether an audit entry about a participant, by its action, is shown.
    pub fn shows_participant_action(self, action: &str) -> bool {
        self.process || SAME_IN_EVERY_ARM.contains(&action)
    }

    /// Audit changes (JSON) with arm ids replaced as this reader sees arms.
    pub fn audit_changes(self, protocol: &Protocol, changes: &str) -> String {
        if !self.is_blinded() {
            return changes.to_owned();
        }
        let Ok(mut list) = serde_json::from_str::<Vec<Change>>(changes) else { return "[]".into() };
        for ch in list.iter_mut().filter(|c| c.field == "arm_id") {
            for v in [&mut ch.old, &mut ch.new].into_iter().flatten() {
                if let Some(id) = v.as_str() {
                    *v = match self.arm(protocol, id) {
                        Some(view) => Value::String(view.code),
                        None => Value::String("[withheld]".into()),
                    };
                }
            }
        }
        serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
    }

    /// The protocol as JSON for this reader: blinded readers get arm codes and ratios only (ids,
    /// labels, kinds and waits would say which code is the intervention) and no allocation
    /// parameters.
    pub fn protocol_json(self, protocol: &Protocol) -> serde_json::Result<Value> {
        let mut protocol = protocol.clone();
        if !self.shows_allocation_parameters() {
            protocol.randomisation.block_sizes = None;
            protocol.randomisation.probability = None;
            protocol.randomisation.weights = None;
        }
        let mut parsed = serde_json::to_value(&protocol)?;
        if self.is_blinded()
            && let Some(arms) = parsed.get_mut("arms").and_then(Value::as_array_mut)
        {
            for arm in arms {
                *arm = serde_json::json!({"code": arm["code"], "ratio": arm["ratio"]});
            }
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instruments::Library;
    use crate::protocol::{BUNDLED, check};

    fn with_blinding(section: &str) -> Protocol {
        check(&format!("{BUNDLED}\n[blinding]\n{section}\n"), &Library::bundled()).expect("valid protocol")
    }

    #[test]
    fn the_bundled_protocol_blinds_the_statistician_only_and_withholds_process_data_from_them() {
        let p = check(BUNDLED, &Library::bundled()).expect("valid");
        assert_eq!(p.blinded_roles(), vec![Role::StatisticianBlinded]);
        let s = Sight::of(&p, Role::StatisticianBlinded);
        assert!(s.is_blinded() && !s.shows_process() && !s.shows_allocation_parameters());
        assert_eq!(s.arm_value(&p, "waitlist"), "B");
        assert_eq!(Sight::of(&p, Role::Clinician), Sight::FULL);
        assert!(!s.shows_participant_action("join_group") && s.shows_participant_action("randomise"));
    }

    #[test]
    fn whoever_randomises_without_writing_the_protocol_is_not_shown_block_sizes() {
        let p = check(BUNDLED, &Library::bundled()).expect("valid");
        let coordinator = Sight::of(&p, Role::Coordinator);
        assert!(!coordinator.is_blinded() && !coordinator.shows_allocation_parameters());
        assert!(coordinator.protocol_json(&p).expect("json")["randomisation"]["block_sizes"].is_null());
        let admin = Sight::of(&p, Role::Admin);
        assert!(admin.shows_allocation_parameters(), "the admin writes the protocol, block sizes included");
        assert!(Sight::of(&p, Role::StatisticianUnblinded).shows_allocation_parameters());
    }

    #[test]
    fn a_blinded_clinician_sees_no_arm_at_all_not_even_its_code() {
        let p = with_blinding("blinded_roles = [\"statistician_blinded\", \"clinician\"]");
        let s = Sight::of(&p, Role::Clinician);
        assert!(s.arm(&p, "waitlist").is_none());
        assert_eq!(s.arm_name(&p, "waitlist"), "Arm withheld (blinded)");
        let changes = r#"[{"field":"arm_id","new":"waitlist"}]"#;
        assert!(!s.audit_changes(&p, changes).contains('B'), "{}", s.audit_changes(&p, changes));
    }

    #[test]
    fn an_unblinded_reader_asking_for_a_blinded_copy_gets_the_blinded_statisticians_view() {
        let p = check(BUNDLED, &Library::bundled()).expect("valid");
        let copy = Sight::for_output(&p, Role::StatisticianUnblinded, true);
        assert_eq!(copy, Sight::of(&p, Role::StatisticianBlinded));
        assert_eq!(Sight::for_output(&p, Role::StatisticianUnblinded, false), Sight::FULL);
    }

    #[test]
    fn the_protocol_check_names_roles_that_cannot_be_blind_and_process_data_a_waitlist_would_leak() {
        let text = format!(
            "{BUNDLED}\n[blinding]\nblinded_roles = [\"clinician\", \"coordinator\", \"nurse\"]\nprocess_data = \"shown\"\n"
        );
        let errors = check(&text, &Library::bundled()).expect_err("refused");
        let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let text_of = |needle: &str| all.iter().find(|e| e.contains(needle)).cloned();
        assert!(text_of("coordinator cannot be kept blind").is_some(), "{all:?}");
        assert!(text_of("`nurse` is not a role").is_some(), "{all:?}");
        assert!(text_of("must include statistician_blinded").is_some(), "{all:?}");
        assert!(text_of("process_data cannot be \"shown\"").is_some(), "{all:?}");
        let line = BUNDLED.lines().count() + 3;
        assert!(
            all.iter().any(|e| e.starts_with(&format!("line {line},"))),
            "errors carry the line: {all:?}"
        );
    }
}
