//! `trialdesk randomisation simulate`: a protocol's randomisation run many times over simulated
//! participants, with what a study team needs to choose block sizes or a minimisation
//! probability: how the final split varies, how far arms drift apart overall, within a stratum
//! and within a factor's level, and how often a coordinator who guesses "the arm that is behind"
//! is right. Each run has its own key; participants' levels are drawn with equal probability.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use super::allocate::{Earlier, StudyKey, allocation_strata, compute_arm, ratios, stratum_key};
use super::engine::{Imbalance, Stream};
use crate::protocol::{Method, Protocol};

/// What to simulate.
pub struct Plan {
    pub participants: usize,
    pub runs: usize,
    /// Sites participants are spread over, when the protocol stratifies by site.
    pub sites: usize,
}

/// Per run: the final count per arm, the largest imbalances seen and the guesses' record.
struct Run {
    counts: Vec<usize>,
    overall: f64,
    stratum: f64,
    level: f64,
    /// The expected number of right guesses (a tie between k arms is right 1/k of the time).
    right: f64,
}

/// The largest distance of any arm from its share of `counts`' total (ratio-weighted target).
fn distance(counts: &[usize], ratios: &[u32]) -> f64 {
    let n: usize = counts.iter().sum();
    let sum: u32 = ratios.iter().sum();
    counts
        .iter()
        .zip(ratios)
        .map(|(&c, &r)| (c as f64 - n as f64 * f64::from(r) / f64::from(sum)).abs())
        .fold(0.0, f64::max)
}

/// The arms a coordinator would name as "behind": for minimisation the arm(s) that would leave
/// the least ratio-scaled marginal imbalance for this participant; otherwise the arm(s) furthest
/// below their ratio's share of the participant's stratum (blocks) or of everyone (simple).
fn behind(
    protocol: &Protocol,
    ratios: &[u32],
    stratum: &[usize],
    overall: &[usize],
    marginal: &[(f64, &Vec<usize>)],
) -> Vec<usize> {
    let arms = ratios.len();
    let score: Vec<f64> = match protocol.randomisation.method.get_ref() {
        Method::Minimisation => {
            let imbalance = match protocol.randomisation.imbalance {
                Some(crate::protocol::Imbalance::Variance) => Imbalance::Variance,
                _ => Imbalance::Range,
            };
            (0..arms)
                .map(|candidate| {
                    marginal
                        .iter()
                        .map(|(weight, counts)| {
                            let scaled: Vec<f64> = (0..arms)
                                .map(|a| {
                                    (counts[a] + usize::from(a == candidate)) as f64 / f64::from(ratios[a])
                                })
                                .collect();
                            weight * super::engine::spread(&scaled, imbalance)
                        })
                        .sum()
                })
                .collect()
        }
        Method::StratifiedBlocks => (0..arms).map(|a| stratum[a] as f64 / f64::from(ratios[a])).collect(),
        Method::Simple => (0..arms).map(|a| overall[a] as f64 / f64::from(ratios[a])).collect(),
    };
    let least = score.iter().copied().fold(f64::INFINITY, f64::min);
    (0..arms).filter(|&a| (score[a] - least).abs() < 1e-9).collect()
}

fn one_run(protocol: &Protocol, algorithm: &str, plan: &Plan, run: usize) -> Run {
    let mut seed = Stream::new(&[0; 32], &format!("simulate:key:{run}"));
    let mut key = [0u8; 32];
    key.iter_mut().for_each(|b| *b = seed.below(256) as u8);
    let key = StudyKey(key);
    let mut people = Stream::new(&[1; 32], &format!("simulate:people:{run}"));
    let ratios = ratios(protocol);
    let arms = ratios.len();
    let mut history: Vec<Earlier> = Vec::with_capacity(plan.participants);
    let mut overall = vec![0usize; arms];
    let mut strata_counts: HashMap<String, Vec<usize>> = HashMap::new();
    let mut level_counts: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let (mut worst_overall, mut worst_stratum, mut worst_level, mut right) = (0.0f64, 0.0f64, 0.0f64, 0.0);
    for i in 0..plan.participants {
        let levels: BTreeMap<String, String> = protocol
            .stratification
            .iter()
            .map(|f| {
                let pick = people.below(f.levels.len() as u64) as usize;
                (f.id.get_ref().clone(), f.levels[pick].get_ref().clone())
            })
            .collect();
        let site = format!("site-{}", 1 + people.below(plan.sites.max(1) as u64));
        let strata = allocation_strata(protocol, &serde_json::to_string(&levels).unwrap_or_default(), &site);
        let stratum = stratum_key(protocol, &strata);
        let in_stratum = strata_counts.entry(stratum.clone()).or_insert_with(|| vec![0; arms]);
        let index: usize = in_stratum.iter().sum();
        let marginal: Vec<(f64, &Vec<usize>)> = strata
            .iter()
            .filter_map(|(f, l)| {
                level_counts.get(&(f.clone(), l.clone())).map(|c| (protocol.randomisation.weight(f), c))
            })
            .collect();
        let guesses = behind(protocol, &ratios, in_stratum, &overall, &marginal);
        let (arm, slot) =
            compute_arm(&key, protocol, algorithm, i as i64 + 1, &stratum, index, &strata, &history);
        if guesses.contains(&arm) {
            right += 1.0 / guesses.len() as f64;
        }
        overall[arm] += 1;
        let in_stratum = strata_counts.entry(stratum).or_insert_with(|| vec![0; arms]);
        in_stratum[arm] += 1;
        worst_stratum = worst_stratum.max(distance(in_stratum, &ratios));
        for (factor, level) in &strata {
            let counts = level_counts.entry((factor.clone(), level.clone())).or_insert_with(|| vec![0; arms]);
            counts[arm] += 1;
            worst_level = worst_level.max(distance(counts, &ratios));
        }
        worst_overall = worst_overall.max(distance(&overall, &ratios));
        history.push(Earlier { strata, arm, slot });
    }
    Run { counts: overall, overall: worst_overall, stratum: worst_stratum, level: worst_level, right }
}

/// The value below which `share` of `values` fall (nearest rank).
fn quantile(values: &mut [f64], share: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((share * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// Runs the plan and returns the report, as text.
pub fn simulate(protocol: &Protocol, algorithm: &str, plan: &Plan) -> String {
    let runs: Vec<Run> = (0..plan.runs).map(|r| one_run(protocol, algorithm, plan, r)).collect();
    let ratios = ratios(protocol);
    let sum: u32 = ratios.iter().sum();
    let mut out = String::new();
    let method = protocol.randomisation.method.get_ref().as_str();
    let _ = writeln!(
        out,
        "{} runs of {} participants, {method}, ratio {}, algorithm {algorithm}\n",
        plan.runs,
        plan.participants,
        ratios.iter().map(u32::to_string).collect::<Vec<_>>().join(":")
    );
    let _ = writeln!(out, "Final split (participants per arm across runs):");
    let _ = writeln!(
        out,
        "  {:<24} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "arm", "target", "mean", "2.5%", "97.5%", "max"
    );
    for (a, arm) in protocol.arms.iter().enumerate() {
        let mut n: Vec<f64> = runs.iter().map(|r| r.counts[a] as f64).collect();
        let target = plan.participants as f64 * f64::from(ratios[a]) / f64::from(sum);
        let mean = n.iter().sum::<f64>() / n.len().max(1) as f64;
        let (low, high, max) = (quantile(&mut n, 0.025), quantile(&mut n, 0.975), quantile(&mut n, 1.0));
        let _ = writeln!(
            out,
            "  {:<24} {target:>7.1} {mean:>7.1} {low:>7.0} {high:>7.0} {max:>7.0}",
            arm.id.get_ref()
        );
    }
    let _ = writeln!(
        out,
        "\nLargest imbalance during a run (participants from the target split; median, 95th percentile, max):"
    );
    for (label, pick) in [
        ("overall", (|r: &Run| r.overall) as fn(&Run) -> f64),
        ("within a stratum", |r: &Run| r.stratum),
        ("within a factor's level", |r: &Run| r.level),
    ] {
        let mut values: Vec<f64> = runs.iter().map(pick).collect();
        let (median, p95, max) =
            (quantile(&mut values, 0.5), quantile(&mut values, 0.95), quantile(&mut values, 1.0));
        let _ = writeln!(out, "  {label:<24} {median:>7.1} {p95:>7.1} {max:>7.1}");
    }
    let guesses = (plan.runs * plan.participants) as f64;
    let right: f64 = runs.iter().map(|r| r.right).sum();
    let largest = f64::from(ratios.iter().copied().max().unwrap_or(1)) / f64::from(sum);
    let _ = writeln!(
        out,
        "\nPredictability: a coordinator who knows every earlier allocation and names the arm that is behind is right {:.1}% of the time (always naming the largest arm: {:.1}%).",
        100.0 * right / guesses.max(1.0),
        100.0 * largest
    );
    out
}
