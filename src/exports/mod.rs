//! Statisticians' exports: tidy long CSV, wide CSV and Parquet, with a codebook and load scripts
//! for R and Stata.
//!
//! De-identified by design (HIPAA Safe Harbor): no names, contact details, free text or internal
//! ids leave; calendar dates become study days counted from randomisation unless a limited data
//! set with dates is asked for; groups and moderators appear as short codes (G01, M01). Blinded
//! statisticians get arm codes (A, B). Rows are read a page of participants at a time and written
//! as they come, so memory stays flat however large the trial.

pub mod codebook;
mod long;
pub mod pages;
pub mod read;
pub mod records;
pub mod routes;
mod spec;
mod wide;
pub mod write;

pub use read::{Source, for_each_page};
pub use spec::*;
