//! A cell of the record status grid: one questionnaire time point of one participant, told by
//! shape and word, never by colour alone.

use crate::assessments::status::Status as AssessmentStatus;

/// A questionnaire time point's state in one participant's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// No assessment made yet (before randomisation, or anchored on a group not yet formed).
    NotYet,
    Scheduled,
    Open,
    /// Open, and its target date has passed.
    PastTarget,
    Completed,
    Missed,
    NotApplicable,
}

impl Cell {
    /// A shape and a word, so that no state is told by colour alone.
    pub fn shape(self) -> &'static str {
        match self {
            Cell::NotYet => "·",
            Cell::Scheduled => "○",
            Cell::Open => "◐",
            Cell::PastTarget => "▲",
            Cell::Completed => "●",
            Cell::Missed => "✕",
            Cell::NotApplicable => "–",
        }
    }

    /// The word in English, as the grid's CSV writes it.
    pub fn word(self) -> &'static str {
        match self {
            Cell::NotYet => "not scheduled",
            Cell::Scheduled => AssessmentStatus::Scheduled.as_str(),
            Cell::Open => AssessmentStatus::Open.as_str(),
            Cell::PastTarget => "past target",
            Cell::Completed => AssessmentStatus::Completed.as_str(),
            Cell::Missed => AssessmentStatus::Missed.as_str(),
            Cell::NotApplicable => "not applicable",
        }
    }

    /// The Fluent key of the word, for pages (`tr.t(cell.key())`); `word` stays English for the
    /// CSV of the grid.
    pub fn key(self) -> &'static str {
        match self {
            Cell::NotYet => "cell-not-yet",
            Cell::Scheduled => "cell-scheduled",
            Cell::Open => "cell-open",
            Cell::PastTarget => "cell-past-target",
            Cell::Completed => "cell-completed",
            Cell::Missed => "cell-missed",
            Cell::NotApplicable => "cell-not-applicable",
        }
    }

    /// The style hook (`cell-past_target`), an addition to the shape and the word.
    pub fn class(self) -> &'static str {
        match self {
            Cell::PastTarget => "late",
            Cell::Missed => AssessmentStatus::Missed.as_str(),
            Cell::Completed => "done",
            _ => "",
        }
    }

    pub const LEGEND: [Cell; 7] = [
        Cell::Completed,
        Cell::Open,
        Cell::PastTarget,
        Cell::Scheduled,
        Cell::Missed,
        Cell::NotApplicable,
        Cell::NotYet,
    ];
}
