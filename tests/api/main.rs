//! Integration tests: the real server, a real database (SQLite, or PostgreSQL with
//! `TRIALDESK_TEST_BACKEND=postgres`), real HTTP. One binary, so it links once.

mod fixtures;
mod helpers;

mod account_page;
mod accounts;
mod attacker;
mod audit_trail;
mod blinding;
mod browser;
mod cli;
mod coordinator;
mod copy;
mod corrections;
mod demo;
mod econsent;
mod enrolment;
mod errors;
mod export_pages;
mod exports;
mod fuzz;
mod group_pages;
mod groups;
mod migrations;
mod minimisation;
mod moderator;
mod outbox;
mod permissions;
mod privacy;
mod protocol;
mod protocol_pages;
mod randomisation;
mod register;
mod replica;
mod safety;
mod sessions;
mod sites;
mod spanish;
mod staff_pages;
mod surveys;
mod two_factor;
mod writer;
