//! The coordinator's desk: the pages a study team works from every day. It reads across the
//! capabilities below it (enrolment, randomisation, groups, questionnaires, safety) for one
//! person or one queue at a time, and changes nothing except through their services.

pub mod cell;
pub mod pages;
pub mod queues;
pub mod register;
