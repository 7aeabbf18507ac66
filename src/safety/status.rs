//! Where a safety alert stands: open until a clinician acknowledges it, then closed once the action
//! taken is recorded and the alert is closed.

use chrono::NaiveDateTime;

use crate::db::text_enum::text_enum;

text_enum! {
    /// A safety alert's state.
    pub enum AlertStatus {
        Open = "open",
        Acknowledged = "acknowledged",
        Closed = "closed",
    }
}

impl AlertStatus {
    /// Open alerts past their acknowledgement deadline: the ones that escalate and the queue flags.
    pub fn is_overdue(self, due_at: NaiveDateTime, now: NaiveDateTime) -> bool {
        self == AlertStatus::Open && due_at <= now
    }

    /// Waiting for a clinician to say they are handling it.
    pub fn awaits_acknowledgement(self) -> bool {
        self == AlertStatus::Open
    }

    /// Acknowledged: the action taken is recorded next, then the alert is closed.
    pub fn awaits_action(self) -> bool {
        self == AlertStatus::Acknowledged
    }

    /// The queue's order: open, then acknowledged, then closed.
    pub fn rank(self) -> u8 {
        match self {
            AlertStatus::Open => 0,
            AlertStatus::Acknowledged => 1,
            AlertStatus::Closed => 2,
        }
    }
}
