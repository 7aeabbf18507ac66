//! The states of an outgoing message and whom it is for.

use crate::db::text_enum::text_enum;

text_enum! {
    /// A message's state: pending until sent, failed after its last retry, or cancelled (the
    /// participant withdrew, the questionnaire was completed, the session was cancelled).
    pub enum Status {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// Who a message is addressed to.
    pub enum RecipientKind {
        Participant = "participant",
        User = "user",
    }
}

text_enum! {
    /// What a message is.
    pub enum Kind {
        /// To a participant when randomised.
        Welcome = "welcome",
        /// To a participant on the day of a group session.
        SessionReminder = "session_reminder",
        /// To a moderator before each session: who is in the group.
        ModeratorRoster = "moderator_roster",
        /// To an admin: something needs their attention (emergency unblinding).
        AdminNotice = "admin_notice",
        /// To a participant when an assessment window opens, with their personal link.
        SurveyInvitation = "survey_invitation",
        /// To a participant a few days later, while the questionnaires are still not sent.
        SurveyReminder = "survey_reminder",
        /// To a safety contact: an answer needs a clinician (never the answer itself).
        SafetyAlert = "safety_alert",
        /// To a participant who signed the consent form on their link: their PDF copy.
        ConsentCopy = "consent_copy",
        /// To a participant whose group starts (or who joins a running one): its day and time,
        /// meeting link and moderator, with the sessions as a calendar file.
        GroupReady = "group_ready",
        /// To a participant whose session was moved or cancelled.
        SessionChanged = "session_changed",
        /// To a waitlisted participant on the day their wait ends.
        WaitlistEnded = "waitlist_ended",
    }
}

impl Kind {
    /// Messages to the participant themself (cancelled when they withdraw).
    pub fn is_to_participant(self) -> bool {
        matches!(
            self,
            Kind::Welcome
                | Kind::SessionReminder
                | Kind::SurveyInvitation
                | Kind::SurveyReminder
                | Kind::GroupReady
                | Kind::SessionChanged
                | Kind::WaitlistEnded
        )
    }
}
