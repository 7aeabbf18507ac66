//! Statistical validation of the allocation algorithms over at least 10,000 simulated
//! participants each. The key is fixed, so every run draws the same numbers: these tests are exact
//! checks of the algorithm's behaviour on a long sequence, not flaky samples.

use super::*;

const KEY: [u8; 32] = [7; 32];
const OTHER_KEY: [u8; 32] = [8; 32];
const PARTICIPANTS: usize = 10_000;

/// A reproducible stream of simulated participants' levels, independent of the allocation key.
fn population(factor_levels: &[usize], n: usize) -> Vec<Vec<usize>> {
    let mut s = Stream::new(&[42; 32], "population");
    (0..n).map(|_| factor_levels.iter().map(|&l| s.below(l as u64) as usize).collect()).collect()
}

fn stratum_key(levels: &[usize]) -> String {
    levels.iter().map(ToString::to_string).collect::<Vec<_>>().join(";")
}

/// Allocates a population by stratified permuted blocks; returns the arm of each participant.
fn by_blocks(key: &[u8; 32], people: &[Vec<usize>], ratios: &[u32], sizes: &[u32]) -> Vec<usize> {
    let mut sequences: std::collections::HashMap<String, (BlockSequence, usize)> = Default::default();
    people
        .iter()
        .map(|levels| {
            let k = stratum_key(levels);
            let (seq, next) =
                sequences.entry(k.clone()).or_insert_with(|| (BlockSequence::new(key, &k, ratios, sizes), 0));
            let arm = seq.arm_at(*next);
            *next += 1;
            arm
        })
        .collect()
}

/// Allocates a population by minimisation over all factors.
fn by_minimisation(people: &[Vec<usize>], factor_levels: &[usize], ratios: &[u32], p: f64) -> Vec<usize> {
    let mut counts: Vec<Vec<Vec<u32>>> =
        factor_levels.iter().map(|&l| vec![vec![0; ratios.len()]; l]).collect();
    people
        .iter()
        .enumerate()
        .map(|(i, levels)| {
            let arm = minimise(&KEY, i as i64 + 1, &counts, levels, ratios, Imbalance::Range, p);
            for (f, &l) in levels.iter().enumerate() {
                counts[f][l][arm] += 1;
            }
            arm
        })
        .collect()
}

/// Sum over factors and levels of |arm 0 − arm 1| at the end.
fn marginal_imbalance(people: &[Vec<usize>], arms: &[usize], factor_levels: &[usize]) -> u32 {
    let mut total = 0;
    for (f, &levels) in factor_levels.iter().enumerate() {
        for level in 0..levels {
            let (mut a, mut b) = (0i64, 0i64);
            for (p, &arm) in people.iter().zip(arms) {
                if p[f] == level {
                    if arm == 0 { a += 1 } else { b += 1 }
                }
            }
            total += (a - b).unsigned_abs() as u32;
        }
    }
    total
}

#[test]
fn within_every_stratum_the_imbalance_never_exceeds_half_the_largest_block() {
    let factor_levels = [3, 2];
    let people = population(&factor_levels, PARTICIPANTS);
    let arms = by_blocks(&KEY, &people, &[1, 1], &[2, 4, 6]);
    let mut running: std::collections::HashMap<String, i64> = Default::default();
    for (levels, arm) in people.iter().zip(&arms) {
        let d = running.entry(stratum_key(levels)).or_default();
        *d += if *arm == 0 { 1 } else { -1 };
        assert!(d.abs() <= 3, "stratum {levels:?} reached an imbalance of {d}");
    }
}

#[test]
fn a_two_to_one_design_is_never_more_than_part_of_one_block_away_from_two_to_one() {
    // Blocks of 3 (two A, one B) or 6 (four A, two B); at a block's end a = 2b exactly, and
    // within a block of 6 the deviation a − 2b lies between −4 (both B first) and +4 (four A first).
    let people = population(&[2], PARTICIPANTS);
    let arms = by_blocks(&KEY, &people, &[2, 1], &[3, 6]);
    let mut running: std::collections::HashMap<String, (i64, i64)> = Default::default();
    let mut exact = 0;
    for (levels, arm) in people.iter().zip(&arms) {
        let (a, b) = running.entry(stratum_key(levels)).or_default();
        if *arm == 0 {
            *a += 1
        } else {
            *b += 1
        }
        let deviation = *a - 2 * *b;
        assert!((-4..=4).contains(&deviation), "A={a} B={b}");
        exact += usize::from(deviation == 0);
    }
    assert!(exact > PARTICIPANTS / 6, "blocks end often: {exact} exact points");
}

#[test]
fn three_arms_by_blocks_stay_within_one_block_of_equal_thirds_at_every_step() {
    let people = population(&[3], PARTICIPANTS);
    let arms = by_blocks(&KEY, &people, &[1, 1, 1], &[3, 6]);
    let mut running: std::collections::HashMap<String, [i64; 3]> = Default::default();
    for (levels, arm) in people.iter().zip(&arms) {
        let counts = running.entry(stratum_key(levels)).or_default();
        counts[*arm] += 1;
        let spread = counts.iter().max().unwrap_or(&0) - counts.iter().min().unwrap_or(&0);
        assert!(spread <= 2, "{counts:?}");
    }
}

#[test]
fn stratified_blocks_match_the_overall_ratio_within_binomial_tolerance() {
    let people = population(&[3, 2], PARTICIPANTS);
    let arms = by_blocks(&KEY, &people, &[2, 1], &[3, 6]);
    let share = arms.iter().filter(|&&a| a == 0).count() as f64 / PARTICIPANTS as f64;
    let sd = (2.0 / 9.0 / PARTICIPANTS as f64).sqrt();
    assert!((share - 2.0 / 3.0).abs() < 4.0 * sd, "share {share}");
}

#[test]
fn minimisation_by_variance_with_three_arms_balances_every_margin_and_the_totals() {
    let factor_levels = [3, 2, 2];
    let people = population(&factor_levels, PARTICIPANTS);
    let mut counts: Vec<Vec<Vec<u32>>> = factor_levels.iter().map(|&l| vec![vec![0; 3]; l]).collect();
    let mut totals = [0u32; 3];
    for (i, levels) in people.iter().enumerate() {
        let arm = minimise(&KEY, i as i64 + 1, &counts, levels, &[1, 1, 1], Imbalance::Variance, 0.8);
        for (f, &l) in levels.iter().enumerate() {
            counts[f][l][arm] += 1;
        }
        totals[arm] += 1;
    }
    let sd = (2.0 / 9.0 / PARTICIPANTS as f64).sqrt();
    for t in totals {
        assert!((f64::from(t) / PARTICIPANTS as f64 - 1.0 / 3.0).abs() < 4.0 * sd, "{totals:?}");
    }
    for level in counts.iter().flatten() {
        let spread = level.iter().max().unwrap_or(&0) - level.iter().min().unwrap_or(&0);
        assert!(spread <= 12, "a margin drifted: {level:?}");
    }
}

#[test]
fn simple_randomisation_matches_the_ratio_within_binomial_tolerance() {
    for (ratios, expected) in [(vec![1, 1], 0.5), (vec![2, 1], 2.0 / 3.0), (vec![1, 1, 1], 1.0 / 3.0)] {
        let n = PARTICIPANTS as f64;
        let first = (1..=PARTICIPANTS as i64).filter(|&seq| simple(&KEY, seq, &ratios) == 0).count() as f64;
        let sd = (expected * (1.0 - expected) / n).sqrt();
        let share = first / n;
        assert!(
            (share - expected).abs() < 4.0 * sd,
            "ratios {ratios:?}: arm A share {share}, expected {expected} ± {}",
            4.0 * sd
        );
    }
}

#[test]
fn minimisation_keeps_marginal_imbalance_lower_than_stratified_blocks_with_four_factors() {
    // 100 trials of 100 participants (10,000 in all); 3 × 2 × 2 × 3 = 36 strata is more than a
    // small trial can fill, which is exactly when blocks leave margins unbalanced.
    let factor_levels = [3, 2, 2, 3];
    let (mut blocks, mut biased_coin, mut deterministic) = (0, 0, 0);
    for trial in 0..100u8 {
        let mut s = Stream::new(&[trial; 32], "trial");
        let people: Vec<Vec<usize>> =
            (0..100).map(|_| factor_levels.iter().map(|&l| s.below(l as u64) as usize).collect()).collect();
        let key = [trial.wrapping_add(100); 32];
        blocks += marginal_imbalance(&people, &by_blocks(&key, &people, &[1, 1], &[2, 4, 6]), &factor_levels);
        biased_coin += marginal_imbalance(
            &people,
            &by_minimisation(&people, &factor_levels, &[1, 1], 0.8),
            &factor_levels,
        );
        deterministic += marginal_imbalance(
            &people,
            &by_minimisation(&people, &factor_levels, &[1, 1], 1.0),
            &factor_levels,
        );
    }
    // The biased coin (p = 0.8) trades some balance for unpredictability; still clearly better.
    assert!(biased_coin * 5 < blocks * 4, "minimisation (p = 0.8) {biased_coin} vs blocks {blocks}");
    assert!(deterministic * 2 < blocks, "minimisation (p = 1) {deterministic} vs blocks {blocks}");
}

#[test]
fn minimisation_with_a_two_to_one_ratio_allocates_about_two_thirds_to_the_first_arm() {
    let factor_levels = [3, 2];
    let people = population(&factor_levels, PARTICIPANTS);
    let arms = by_minimisation(&people, &factor_levels, &[2, 1], 0.8);
    let share = arms.iter().filter(|&&a| a == 0).count() as f64 / PARTICIPANTS as f64;
    assert!((share - 2.0 / 3.0).abs() < 0.02, "share {share}");
}

#[test]
fn the_same_key_gives_the_same_sequence_and_another_key_a_different_one() {
    let people = population(&[3, 2], PARTICIPANTS);
    let a = by_blocks(&KEY, &people, &[1, 1], &[2, 4, 6]);
    let b = by_blocks(&KEY, &people, &[1, 1], &[2, 4, 6]);
    let c = by_blocks(&OTHER_KEY, &people, &[1, 1], &[2, 4, 6]);
    assert_eq!(a, b);
    let differing = a.iter().zip(&c).filter(|(x, y)| x != y).count();
    assert!(differing > PARTICIPANTS / 4, "only {differing} allocations differ under another key");
}

#[test]
fn block_sizes_are_drawn_from_every_allowed_size() {
    let mut seq = BlockSequence::new(&KEY, "s", &[1, 1], &[2, 4, 6]);
    seq.arm_at(PARTICIPANTS);
    // Reconstruct block boundaries: a block of 1:1 ends where the running difference is 0 and
    // the length since the last end is one of the sizes; all three sizes must appear.
    let mut seen = std::collections::BTreeSet::new();
    let (mut start, mut d) = (0usize, 0i64);
    for (i, arm) in seq.arms.iter().enumerate() {
        d += if *arm == 0 { 1 } else { -1 };
        if d == 0 && [2, 4, 6].contains(&(i + 1 - start)) {
            seen.insert(i + 1 - start);
            start = i + 1;
        }
    }
    assert!(seen.contains(&2) && seen.contains(&4) && seen.contains(&6), "{seen:?}");
}

/// Allocates a population by slot minimisation (v2); returns each participant's arm.
fn by_slots(
    key: &[u8; 32],
    people: &[Vec<usize>],
    factor_levels: &[usize],
    ratios: &[u32],
    weights: &[f64],
    p: f64,
) -> Vec<usize> {
    let slots: u32 = ratios.iter().sum();
    let mut counts: Vec<Vec<Vec<f64>>> =
        factor_levels.iter().map(|&l| vec![vec![0.0; slots as usize]; l]).collect();
    people
        .iter()
        .enumerate()
        .map(|(i, levels)| {
            let slot = minimise_slots(key, i as i64 + 1, &counts, levels, weights, Imbalance::Range, p);
            for (f, &l) in levels.iter().enumerate() {
                counts[f][l][slot] += 1.0;
            }
            slot_arm(ratios, slot)
        })
        .collect()
}

/// The share of keys that put the k-th participant in arm 0, for k = 1..=first.
fn arm_zero_share_by_position(
    first: usize,
    allocate: impl Fn(&[u8; 32], &[Vec<usize>]) -> Vec<usize>,
) -> Vec<f64> {
    const KEYS: u32 = 4_000;
    let mut hits = vec![0u32; first];
    for k in 0..KEYS {
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(&k.to_le_bytes());
        let mut s = Stream::new(&key, "population");
        let people: Vec<Vec<usize>> =
            (0..first).map(|_| vec![s.below(2) as usize, s.below(3) as usize]).collect();
        for (position, arm) in allocate(&key, &people).into_iter().enumerate() {
            hits[position] += u32::from(arm == 0);
        }
    }
    hits.into_iter().map(|h| f64::from(h) / f64::from(KEYS)).collect()
}

#[test]
fn slot_minimisation_at_2_to_1_gives_every_allocation_two_thirds_to_the_larger_arm_over_many_keys() {
    let shares = arm_zero_share_by_position(12, |key, people| {
        by_slots(key, people, &[2, 3], &[2, 1], &[1.0, 1.0], 0.8)
    });
    // Four standard errors of a proportion of 2/3 over 4,000 keys: 0.030.
    for (position, share) in shares.iter().enumerate() {
        assert!((share - 2.0 / 3.0).abs() < 0.03, "allocation {}: {share}", position + 1);
    }
    // v1 scaled counts by the ratio instead, and drifted: the first allocation went to the larger
    // arm whenever the coin allowed (0.8).
    let v1 = arm_zero_share_by_position(3, |key, people| {
        let mut counts: Vec<Vec<Vec<u32>>> = vec![vec![vec![0; 2]; 2], vec![vec![0; 2]; 3]];
        people
            .iter()
            .enumerate()
            .map(|(i, levels)| {
                let arm = minimise(key, i as i64 + 1, &counts, levels, &[2, 1], Imbalance::Range, 0.8);
                for (f, &l) in levels.iter().enumerate() {
                    counts[f][l][arm] += 1;
                }
                arm
            })
            .collect()
    });
    assert!((v1[0] - 0.8).abs() < 0.03, "{v1:?}");
}

#[test]
fn with_equal_ratios_and_unit_weights_slot_minimisation_makes_v1s_draws() {
    let levels = [2, 3, 4];
    let people = population(&levels, 3_000);
    let v1 = by_minimisation(&people, &levels, &[1, 1], 0.8);
    let v2 = by_slots(&KEY, &people, &levels, &[1, 1], &[1.0, 1.0, 1.0], 0.8);
    assert_eq!(v1, v2, "protocols stored before v2 keep their sequence");
}

#[test]
fn a_factor_weighted_three_times_ends_closer_to_balance_than_the_same_factor_weighted_once() {
    let levels = [4, 4];
    let people = population(&levels, PARTICIPANTS);
    let imbalance_of_first = |weights: &[f64]| {
        let arms = by_slots(&KEY, &people, &levels, &[1, 1], weights, 0.8);
        marginal_imbalance(&people, &arms, &[4])
    };
    let (heavy, light) = (imbalance_of_first(&[3.0, 1.0]), imbalance_of_first(&[1.0, 3.0]));
    assert!(heavy < light, "weighted 3: {heavy}, weighted 1: {light}");
}
