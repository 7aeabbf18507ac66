//! `trialdesk randomisation`: replay, describe (CONSORT 8–10) and simulate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;

use super::engine::ALGORITHM;
use super::simulate::{Plan, simulate};
use crate::protocol::{self, Protocol, store};
use crate::settings::Settings;
use crate::startup;

#[derive(Debug, Subcommand)]
pub enum RandomisationCmd {
    /// Re-derive every allocation from the secret key and report any that differ (exit 1).
    Replay,
    /// Print CONSORT items 8–10: sequence generation, type, concealment, implementation.
    Describe {
        /// Describe this protocol file instead of the protocol in force.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Run the randomisation many times over simulated participants: the spread of the final
    /// split, the largest imbalances, and how often guessing the arm that is behind is right.
    Simulate {
        /// Simulate this protocol file instead of the protocol in force.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Participants per run (default: the protocol's enrolment target).
        #[arg(long)]
        participants: Option<usize>,
        /// Runs, each with its own key.
        #[arg(long, default_value_t = 1000)]
        runs: usize,
        /// Sites to spread participants over, when the protocol stratifies by site.
        #[arg(long, default_value_t = 3)]
        sites: usize,
    },
}

/// A protocol file, checked as a new version would be.
fn read_file(settings: &Settings, file: &Path) -> anyhow::Result<Protocol> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    protocol::check(&text, &startup::instruments(settings)?)
        .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e[0]))
}

/// The protocol in force and the algorithm it randomises with.
fn in_force(settings: &Settings) -> anyhow::Result<(Arc<Protocol>, String)> {
    let mut conn = startup::open(settings)?;
    let stored = store::current(&mut conn)?.context("no protocol is stored yet")?;
    let protocol = stored.parsed().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((protocol, stored.randomisation_algorithm))
}

pub fn run(settings: &Settings, cmd: RandomisationCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        RandomisationCmd::Describe { file: Some(file) } => {
            let protocol = read_file(settings, &file)?;
            print!("{}", super::describe(&protocol, ALGORITHM));
            Ok(ExitCode::SUCCESS)
        }
        RandomisationCmd::Describe { file: None } => {
            let (protocol, algorithm) = in_force(settings)?;
            print!("{}", super::describe(&protocol, &algorithm));
            Ok(ExitCode::SUCCESS)
        }
        RandomisationCmd::Simulate { file, participants, runs, sites } => {
            let (protocol, algorithm) = match file {
                Some(file) => (Arc::new(read_file(settings, &file)?), ALGORITHM.to_owned()),
                None => in_force(settings)?,
            };
            let participants = participants
                .unwrap_or_else(|| protocol.enrolment.target.get_ref().max(&1).to_owned() as usize);
            let plan = Plan { participants, runs, sites };
            print!("{}", simulate(&protocol, &algorithm, &plan));
            Ok(ExitCode::SUCCESS)
        }
        RandomisationCmd::Replay => {
            let mut conn = startup::open(settings)?;
            let key = super::StudyKey::derive(&settings.secret_key(false)?);
            let report = super::replay(&mut conn, &key)?;
            if report.mismatches.is_empty() {
                println!("all {} allocations reproduced from the key", report.allocations_checked);
                Ok(ExitCode::SUCCESS)
            } else {
                for m in &report.mismatches {
                    eprintln!("{m}");
                }
                eprintln!(
                    "{} of {} allocations checked do not match",
                    report.mismatches.len(),
                    report.allocations_checked
                );
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
