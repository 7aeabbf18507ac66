//! trialdesk: one binary that runs a randomised trial of a group intervention.
//!
//! Start with `docs/ARCHITECTURE.md`: it maps these modules and how a request flows.

pub mod api;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod blinding;
pub mod calendar;
pub mod cli;
pub mod commands;
pub mod csv_cell;
pub mod db;
pub mod demo;
pub mod desk;
pub mod enrolment;
pub mod error;
pub mod exports;
pub mod groups;
pub mod i18n;
pub mod instruments;
pub mod jobs;
pub mod json;
pub mod outbox;
pub mod paging;
pub mod protocol;
pub mod randomisation;
pub mod reports;
pub mod safety;
pub mod service_error;
pub mod settings;
pub mod sites;
pub mod startup;
pub mod state;
pub mod survey;
pub mod telemetry;
pub mod toml_file;
pub mod web;
