//! The states of groups, sessions, attendance and a participant's path through the group arms.

use crate::db::text_enum::text_enum;

text_enum! {
    /// A group's state: forming until it launches at its minimum size, active while its sessions
    /// run, completed after the last one.
    pub enum GroupStatus {
        Forming = "forming",
        Active = "active",
        Completed = "completed",
    }
}

impl GroupStatus {
    /// Whether members can still join (forming or active groups take people from the queue).
    pub fn takes_members(self) -> bool {
        !matches!(self, GroupStatus::Completed)
    }
}

text_enum! {
    /// A session's state: scheduled (held once its time has passed) or cancelled.
    pub enum SessionStatus {
        Scheduled = "scheduled",
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// Attendance at one session.
    pub enum Presence {
        Present = "present",
        Absent = "absent",
        Excused = "excused",
    }
}

text_enum! {
    /// A participant's phase in the group arms, recorded with the day it began.
    pub enum PhaseKind {
        /// Waitlisted: waiting out the arm's wait before joining the queue.
        Waiting = "waiting",
        /// In the queue for a group.
        Queued = "queued",
        /// A member of a running group.
        InGroup = "in_group",
        /// After the group's last session.
        FollowUp = "follow_up",
    }
}
