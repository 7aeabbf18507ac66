//! Concealed, reproducible randomisation: exactly once per participant, only when eligible,
//! consented and not withdrawn; replayable from the secret key; emergency unblinding.

mod allocate;
mod consort;
pub mod engine;
mod numbers;
pub mod pages;
mod replay;
pub mod routes;
mod simulate;
mod unblinding;

pub use allocate::*;
pub use consort::*;
pub use replay::*;
pub use simulate::{Plan, simulate};
pub use unblinding::*;
