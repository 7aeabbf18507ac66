//! The participant's survey pages, `/s/{token}/…`: server-rendered, no JavaScript, one
//! question per screen, English or Spanish. Answers are saved on every step; the review page
//! sends them, once. A link reaches only its own participant's questionnaires.

pub mod links;
pub mod pages;
pub mod text;
mod visit;
