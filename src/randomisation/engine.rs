//! The allocation algorithms: pure, deterministic functions of the study key and the history.
//! No database and no HTTP here, so the statistical tests can run them 10,000 times a second.
//!
//! Every random draw comes from ChaCha20 seeded with HMAC-SHA256(study key, label), where the label
//! names what the draw is for (a stratum's block sequence, one allocation's coin). Integers are
//! drawn by rejection sampling on raw 64-bit output, not through `rand`'s range helpers, so the
//! sequence depends only on ChaCha20 and this file: a dependency update cannot change it.

use hmac::{Hmac, Mac};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use sha2::Sha256;

/// The algorithm names, stored with each protocol version and each allocation; bump the current
/// one if anything here changes how draws are made. v2 changed minimisation only (slots and factor
/// weights, [`minimise_slots`]); with equal ratios and no weights it makes the same draws as v1,
/// and blocks and simple randomisation are the same in both. (They are defined with the protocol,
/// whose versions record them.)
pub use crate::protocol::{ALGORITHM, ALGORITHM_V1};

/// A deterministic random stream for one purpose.
pub struct Stream(ChaCha20Rng);

impl Stream {
    /// The stream for `label` under `key`.
    pub fn new(key: &[u8; 32], label: &str) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(label.as_bytes());
        let seed: [u8; 32] = mac.finalize().into_bytes().into();
        Self(ChaCha20Rng::from_seed(seed))
    }

    /// A uniform integer in `0..n` (`n` > 0), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.0.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// A uniform number in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Shuffles in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// An index drawn with probability proportional to `weights`.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut x = self.below(total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if x < u64::from(*w) {
                return i;
            }
            x -= u64::from(*w);
        }
        weights.len().saturating_sub(1)
    }
}

/// Permuted blocks for one stratum: each block holds every arm in proportion to its ratio, in a
/// random order, and each block's size is drawn at random from the protocol's sizes.
pub struct BlockSequence {
    ratios: Vec<u32>,
    sizes: Vec<u32>,
    stream: Stream,
    arms: Vec<usize>,
}

impl BlockSequence {
    /// The sequence of `stratum` (its canonical key) under `key`.
    pub fn new(key: &[u8; 32], stratum: &str, ratios: &[u32], sizes: &[u32]) -> Self {
        Self {
            ratios: ratios.to_vec(),
            sizes: sizes.to_vec(),
            stream: Stream::new(key, &format!("blocks:{stratum}")),
            arms: Vec::new(),
        }
    }

    /// The arm (index into the protocol's arms) at `index` (0-based) of the stratum's sequence.
    pub fn arm_at(&mut self, index: usize) -> usize {
        while self.arms.len() <= index {
            self.push_block();
        }
        self.arms[index]
    }

    fn push_block(&mut self) {
        let ratio_sum: u32 = self.ratios.iter().sum();
        let size = self.sizes[self.stream.below(self.sizes.len() as u64) as usize];
        let repeats = (size / ratio_sum.max(1)).max(1);
        let mut block: Vec<usize> = self
            .ratios
            .iter()
            .enumerate()
            .flat_map(|(arm, ratio)| std::iter::repeat_n(arm, (ratio * repeats) as usize))
            .collect();
        self.stream.shuffle(&mut block);
        self.arms.extend(block);
    }
}

/// Simple (unrestricted) randomisation: each allocation an independent weighted draw.
pub fn simple(key: &[u8; 32], allocation_seq: i64, ratios: &[u32]) -> usize {
    Stream::new(key, &format!("simple:{allocation_seq}")).weighted(ratios)
}

/// How minimisation measures the imbalance of one level's counts across arms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imbalance {
    Range,
    Variance,
}

/// Pocock–Simon minimisation over the marginal counts (algorithm v1, kept for the trials that
/// started with it; new protocol versions use [`minimise_slots`]).
///
/// `counts[f][l][a]` is how many participants with level `l` of factor `f` are in arm `a`;
/// `levels[f]` is the new participant's level of factor `f`. Counts are divided by the arm's ratio
/// so unequal allocation is balanced to the ratio, not to equality. The arm with the least total
/// imbalance (ties broken at random) is chosen with `probability`, another arm otherwise
/// ([`biased_coin`]).
pub fn minimise(
    key: &[u8; 32],
    allocation_seq: i64,
    counts: &[Vec<Vec<u32>>],
    levels: &[usize],
    ratios: &[u32],
    imbalance: Imbalance,
    probability: f64,
) -> usize {
    let arms = ratios.len();
    let totals: Vec<f64> = (0..arms)
        .map(|candidate| {
            counts
                .iter()
                .zip(levels)
                .map(|(factor, &level)| {
                    let scaled: Vec<f64> = (0..arms)
                        .map(|a| {
                            let n = factor[level][a] + u32::from(a == candidate);
                            f64::from(n) / f64::from(ratios[a].max(1))
                        })
                        .collect();
                    spread(&scaled, imbalance)
                })
                .sum()
        })
        .collect();
    biased_coin(key, allocation_seq, &totals, probability)
}

/// The candidate with the least total imbalance (ties broken at random) with `probability`,
/// another candidate otherwise. Exactly three draws from the allocation's stream, in this order,
/// in every version: replay depends on it.
fn biased_coin(key: &[u8; 32], allocation_seq: i64, totals: &[f64], probability: f64) -> usize {
    let candidates = totals.len();
    let least = totals.iter().copied().fold(f64::INFINITY, f64::min);
    let best: Vec<usize> = (0..candidates).filter(|&c| (totals[c] - least).abs() < 1e-9).collect();
    let mut stream = Stream::new(key, &format!("minimisation:{allocation_seq}"));
    let preferred = best[stream.below(best.len() as u64) as usize];
    let coin = stream.unit();
    let others: Vec<usize> = (0..candidates).filter(|&c| c != preferred).collect();
    let other = others.get(stream.below(others.len().max(1) as u64) as usize).copied();
    match other {
        Some(o) if coin >= probability => o,
        _ => preferred,
    }
}

/// The arm a slot belongs to: arm `a` has `ratios[a]` slots, numbered arm after arm.
pub fn slot_arm(ratios: &[u32], slot: usize) -> usize {
    let mut end = 0;
    for (arm, ratio) in ratios.iter().enumerate() {
        end += *ratio as usize;
        if slot < end {
            return arm;
        }
    }
    ratios.len().saturating_sub(1)
}

/// Allocation-ratio-preserving minimisation with factor weights (Kuznetsova & Tymofyeyev,
/// Statist. Med. 2012;31:701–723): each arm gets one slot per unit of its ratio (2:1 gives slots
/// A, A, B), and Pocock–Simon minimisation with a biased coin runs over the slots as over arms
/// with equal allocation. Every rule is the same for every slot, so at every allocation, not only
/// in the long run, each slot is chosen with probability 1 / slots unconditionally and each arm
/// with its ratio's share; v1's counts scaled by the ratio drifted from it early on (0.80, 0.60,
/// 0.57 for the larger arm of 2:1 at the first allocations).
///
/// `counts[f][l][s]` is how many participants with level `l` of factor `f` took slot `s`
/// (fractional for allocations made before slots were recorded: their arm's count spread over its
/// slots); `weights[f]` multiplies factor `f`'s imbalance. Returns the slot. With one slot per arm
/// and unit weights it makes v1's draws exactly.
pub fn minimise_slots(
    key: &[u8; 32],
    allocation_seq: i64,
    counts: &[Vec<Vec<f64>>],
    levels: &[usize],
    weights: &[f64],
    imbalance: Imbalance,
    probability: f64,
) -> usize {
    let slots = counts.first().and_then(|f| f.first()).map_or(1, Vec::len);
    let totals: Vec<f64> = (0..slots)
        .map(|candidate| {
            counts
                .iter()
                .zip(levels)
                .zip(weights)
                .map(|((factor, &level), weight)| {
                    let with: Vec<f64> =
                        (0..slots).map(|s| factor[level][s] + f64::from(u8::from(s == candidate))).collect();
                    weight * spread(&with, imbalance)
                })
                .sum()
        })
        .collect();
    biased_coin(key, allocation_seq, &totals, probability)
}

/// How far apart `values` are: their range or their variance.
pub fn spread(values: &[f64], imbalance: Imbalance) -> f64 {
    match imbalance {
        Imbalance::Range => {
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            max - min
        }
        Imbalance::Variance => {
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)
        }
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
