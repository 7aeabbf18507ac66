//! Descriptive statistics, change from baseline, completion and standardised effect sizes.

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::statistics::Statistics;

use crate::design::Paired;
use crate::long::LongData;
use crate::summary::{Completion, Descriptive, EffectSize};

/// One instrument's descriptives of its scores (`rows`) and of their change from baseline
/// (`paired`): n, mean, SD (n − 1), median, quartiles (type 7), min and max per arm × week, in
/// arm then week order; missing values are not counted, but a cell with only missing values is
/// listed (n = 0).
///
/// Each cell's values are sorted once, for all three quantiles. polars' group-by sorts a cell
/// once per quantile, which made these figures the slowest part of the analysis.
pub fn describe(data: &LongData, rows: &[usize], paired: &Paired) -> (Vec<Descriptive>, Vec<Descriptive>) {
    let scores = Cells::collect(data, rows.iter().map(|&r| (r, data.score[r])));
    let changes = paired.rows.iter().zip(&paired.baseline).map(|(&r, &b)| (r, data.score[r] - b));
    (scores.describe(data), Cells::collect(data, changes).describe(data))
}

/// Values per arm × week: cell `arm × weeks + week index`, `None` where no row fell.
struct Cells {
    cells: Vec<Option<Vec<f64>>>,
}

impl Cells {
    /// Values given with their row; a row without an arm belongs to no arm's figures.
    fn collect(data: &LongData, values: impl Iterator<Item = (usize, f64)>) -> Self {
        let weeks = data.weeks.len();
        let mut cells = vec![None; data.arm.levels.len() * weeks];
        for (r, v) in values {
            let (Some(arm), Ok(week)) = (data.arm.codes[r], data.weeks.binary_search(&data.week[r])) else {
                continue;
            };
            let cell: &mut Vec<f64> = cells[arm as usize * weeks + week].get_or_insert_default();
            if !v.is_nan() {
                cell.push(v);
            }
        }
        Cells { cells }
    }

    fn describe(self, data: &LongData) -> Vec<Descriptive> {
        let weeks = data.weeks.len();
        let mut out = Vec::new();
        for (i, cell) in self.cells.into_iter().enumerate() {
            let Some(mut values) = cell else { continue };
            values.sort_unstable_by(f64::total_cmp);
            let n = values.len();
            out.push(Descriptive {
                arm: data.arm.levels[i / weeks].clone(),
                week: data.weeks[i % weeks],
                n: n as u64,
                mean: (n > 0).then(|| values.iter().mean()),
                sd: (n >= 2).then(|| values.iter().std_dev()),
                median: quantile_7(&values, 0.5),
                q1: quantile_7(&values, 0.25),
                q3: quantile_7(&values, 0.75),
                min: values.first().copied(),
                max: values.last().copied(),
            });
        }
        out
    }
}

/// The `p` quantile of sorted values by linear interpolation between order statistics: R's
/// type 7, numpy's and polars' default. statrs offers only type 8.
fn quantile_7(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = last as f64 * p;
    let below = h.floor() as usize;
    let above = (below + 1).min(last);
    Some(sorted[below] + (h - below as f64) * (sorted[above] - sorted[below]))
}

/// Participants with a score at each arm × week of the `descriptives`, out of everyone in the arm
/// anywhere in the data (`randomised`, by arm code, from [`LongData::randomised_per_arm`]).
pub fn completion(data: &LongData, descriptives: &[Descriptive], randomised: &[u64]) -> Vec<Completion> {
    descriptives
        .iter()
        .map(|d| {
            let randomised = data.arm.code_of(&d.arm).map_or(0, |a| randomised[a as usize]);
            Completion {
                arm: d.arm.clone(),
                week: d.week,
                randomised,
                completed: d.n,
                rate: if randomised == 0 { 0.0 } else { d.n as f64 / randomised as f64 },
            }
        })
        .collect()
}

/// Cohen's d on the pooled SD and Hedges' g, each arm against the reference, at each week after
/// baseline, from the descriptives of the raw scores.
pub fn effect_sizes(descriptives: &[Descriptive], reference: &str, baseline_week: i64) -> Vec<EffectSize> {
    let z = z_975();
    let mut out = Vec::new();
    let mut weeks: Vec<i64> = descriptives.iter().map(|d| d.week).filter(|w| *w != baseline_week).collect();
    weeks.sort_unstable();
    weeks.dedup();
    for week in weeks {
        let at = |arm: &str| descriptives.iter().find(|d| d.week == week && d.arm == arm);
        let Some(reference_row) = at(reference) else { continue };
        for row in descriptives.iter().filter(|d| d.week == week && d.arm != reference) {
            if let Some(effect) = effect_size(row, reference_row, z) {
                out.push(effect);
            }
        }
    }
    out
}

fn effect_size(arm: &Descriptive, reference: &Descriptive, z: f64) -> Option<EffectSize> {
    let (n1, n2) = (arm.n as f64, reference.n as f64);
    let (s1, s2) = (arm.sd?, reference.sd?);
    let pooled_sd = (((n1 - 1.0) * s1 * s1 + (n2 - 1.0) * s2 * s2) / (n1 + n2 - 2.0)).sqrt();
    if pooled_sd <= 0.0 || !pooled_sd.is_finite() {
        return None;
    }
    let mean_difference = arm.mean? - reference.mean?;
    let d = mean_difference / pooled_sd;
    // Hedges' small-sample correction, J = 1 − 3 / (4(n1 + n2) − 9).
    let j = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0);
    let se_d = ((n1 + n2) / (n1 * n2) + d * d / (2.0 * (n1 + n2))).sqrt();
    let g = j * d;
    let se_g = j * se_d;
    Some(EffectSize {
        week: arm.week,
        arm: arm.arm.clone(),
        n_arm: arm.n,
        n_reference: reference.n,
        mean_difference,
        pooled_sd,
        cohens_d: d,
        cohens_d_ci_low: d - z * se_d,
        cohens_d_ci_high: d + z * se_d,
        hedges_g: g,
        hedges_g_ci_low: g - z * se_g,
        hedges_g_ci_high: g + z * se_g,
    })
}

/// The normal quantile for a two-sided 95% interval.
pub fn z_975() -> f64 {
    Normal::standard().inverse_cdf(0.975)
}

/// The t-based 95% confidence interval of a mean: mean ± t(n−1) · SD / √n.
pub fn mean_ci(d: &Descriptive) -> Option<(f64, f64)> {
    let (mean, sd) = (d.mean?, d.sd?);
    let t = statrs::distribution::StudentsT::new(0.0, 1.0, d.n as f64 - 1.0).ok()?.inverse_cdf(0.975);
    let half = t * sd / (d.n as f64).sqrt();
    Some((mean - half, mean + half))
}

#[cfg(test)]
mod tests {
    use super::quantile_7;

    #[test]
    fn quantiles_interpolate_between_order_statistics_as_r_type_7_does() {
        // R: quantile(c(1, 2, 4, 8), c(0.25, 0.5, 0.75), type = 7) gives 1.75, 3, 5.
        let sorted = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile_7(&sorted, 0.25), Some(1.75));
        assert_eq!(quantile_7(&sorted, 0.5), Some(3.0));
        assert_eq!(quantile_7(&sorted, 0.75), Some(5.0));
        assert_eq!(quantile_7(&[7.0], 0.75), Some(7.0));
        assert_eq!(quantile_7(&[], 0.5), None);
    }
}
