//! Where an assessment stands, and the filters of the coordinator's list.

use chrono::NaiveDateTime;

use crate::db::text_enum::text_enum;

text_enum! {
    /// An assessment's state: scheduled until its window opens, open until submitted (completed)
    /// or the window closes (missed); not applicable when the participant withdrew or the time
    /// point has no group to anchor on.
    pub enum Status {
        Scheduled = "scheduled",
        Open = "open",
        Completed = "completed",
        Missed = "missed",
        NotApplicable = "not_applicable",
    }
}

impl Status {
    /// Not yet finished one way or the other: the participant may still answer in the window.
    pub fn is_pending(self) -> bool {
        matches!(self, Status::Scheduled | Status::Open)
    }

    /// Finished: nothing about it changes again but a coordinator's correction.
    pub fn is_due_and_closed(self) -> bool {
        matches!(self, Status::Completed | Status::Missed)
    }

    /// What the export's codebook says each state means.
    pub fn meaning(self) -> &'static str {
        match self {
            Status::Scheduled => "Not yet open",
            Status::Open => "Window open",
            Status::Completed => "Completed",
            Status::Missed => "Window closed without a submission",
            Status::NotApplicable => "Not applicable (withdrawn, or no group)",
        }
    }

    /// Whether an assessment in this state, with this window, may be answered at `now`.
    pub fn is_answerable(
        self,
        opens_at: Option<NaiveDateTime>,
        closes_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> bool {
        self.is_pending() && opens_at.is_some_and(|o| o <= now) && closes_at.is_some_and(|c| now < c)
    }
}

/// Which assessments the coordinator's list shows (a query, not a stored state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Open now (overdue ones included).
    Open,
    /// Open and past the target date.
    Overdue,
    Missed,
    Scheduled,
    Completed,
    All,
}

impl Filter {
    const NAMES: [(Filter, &'static str); 6] = [
        (Filter::Open, "open"),
        (Filter::Overdue, "overdue"),
        (Filter::Missed, "missed"),
        (Filter::Scheduled, "scheduled"),
        (Filter::Completed, "completed"),
        (Filter::All, "all"),
    ];

    /// The name in a query string (`?status=overdue`).
    pub fn as_str(self) -> &'static str {
        Self::NAMES.iter().find(|(f, _)| *f == self).map_or("all", |(_, n)| n)
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(_, n)| *n == s).map(|(f, _)| *f)
    }
}
