//! The long format's vocabulary, shared by the reader (`input.rs`) and the coded rows
//! (`long.rs`): the required column names, where rows came from, and how a covariate enters a model.

pub const PARTICIPANT: &str = "participant_id";
pub const ARM: &str = "arm";
pub const WEEK: &str = "week";
pub const INSTRUMENT: &str = "instrument";
pub const SCORE: &str = "total_score";
pub const GROUP: &str = "group_id";

/// Where rows came from, to say where a bad one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Line numbers count the header as line 1.
    Csv,
    Parquet,
    /// Built in memory (the server's own export).
    Frame,
}

impl Source {
    pub(crate) fn locate(self, row: u64) -> String {
        match self {
            Source::Csv => format!("row {} (line {})", row + 1, row + 2),
            Source::Parquet | Source::Frame => format!("row {}", row + 1),
        }
    }
}

/// A covariate column and how it enters a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariate {
    pub name: String,
    /// Text columns are categorical, with treatment contrasts against their first level.
    pub categorical: bool,
}
