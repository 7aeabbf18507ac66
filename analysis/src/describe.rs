//! Descriptive statistics, change from baseline, completion and standardised effect sizes.

use polars::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::design::BASELINE;
use crate::error::AnalysisError;
use crate::input::{ARM, PARTICIPANT, SCORE, WEEK};
use crate::summary::{Completion, Descriptive, EffectSize};

const VALUE: &str = "value";

/// n, mean, SD, quartiles (type 7), min and max of `value` per arm × week.
fn describe(lf: LazyFrame) -> Result<Vec<Descriptive>, AnalysisError> {
    let v = || col(VALUE);
    let linear = QuantileMethod::Linear;
    let table = lf
        .group_by([col(ARM), col(WEEK)])
        .agg([
            v().count().cast(DataType::UInt64).alias("n"),
            v().mean().alias("mean"),
            v().std(1).alias("sd"),
            v().median().alias("median"),
            v().quantile(lit(0.25), linear).alias("q1"),
            v().quantile(lit(0.75), linear).alias("q3"),
            v().min().cast(DataType::Float64).alias("min"),
            v().max().cast(DataType::Float64).alias("max"),
        ])
        .sort([ARM, WEEK], SortMultipleOptions::default())
        .collect()?;
    let arms = table.column(ARM)?.str()?;
    let weeks = table.column(WEEK)?.i64()?;
    let n = table.column("n")?.u64()?;
    let float = |name: &str| -> Result<Vec<Option<f64>>, AnalysisError> {
        Ok(table.column(name)?.cast(&DataType::Float64)?.f64()?.iter().collect())
    };
    let (mean, sd, median, q1, q3, min, max) = (
        float("mean")?,
        float("sd")?,
        float("median")?,
        float("q1")?,
        float("q3")?,
        float("min")?,
        float("max")?,
    );
    let mut rows = Vec::with_capacity(table.height());
    for i in 0..table.height() {
        let count = n.get(i).unwrap_or(0);
        let present = |x: Option<f64>| if count == 0 { None } else { x.filter(|v| v.is_finite()) };
        rows.push(Descriptive {
            arm: arms.get(i).unwrap_or_default().to_string(),
            week: weeks.get(i).unwrap_or_default(),
            n: count,
            mean: present(mean[i]),
            sd: if count < 2 { None } else { present(sd[i]) },
            median: present(median[i]),
            q1: present(q1[i]),
            q3: present(q3[i]),
            min: present(min[i]),
            max: present(max[i]),
        });
    }
    Ok(rows)
}

/// Scores of one instrument per arm × week.
pub fn descriptives(scores: &LazyFrame) -> Result<Vec<Descriptive>, AnalysisError> {
    describe(scores.clone().select([col(ARM), col(WEEK), col(SCORE).alias(VALUE)]))
}

/// Score minus the same participant's baseline, per arm × post-baseline week.
/// From [`crate::design::paired`] rows: score minus baseline.
pub fn change_from_baseline(paired: &LazyFrame) -> Result<Vec<Descriptive>, AnalysisError> {
    describe(paired.clone().select([col(ARM), col(WEEK), (col(SCORE) - col(BASELINE)).alias(VALUE)]))
}

/// Everyone in each arm anywhere in the data: the denominator of completion.
pub fn randomised_per_arm(all: &LazyFrame) -> LazyFrame {
    all.clone().group_by([col(ARM)]).agg([col(PARTICIPANT).n_unique().alias("randomised")])
}

/// Participants with a score at each week, out of everyone in the arm anywhere in the data
/// (`per_arm`, from [`randomised_per_arm`]).
pub fn completion(scores: &LazyFrame, per_arm: &LazyFrame) -> Result<Vec<Completion>, AnalysisError> {
    let per_arm = per_arm.clone();
    let table = scores
        .clone()
        .group_by([col(ARM), col(WEEK)])
        .agg([col(SCORE).count().alias("completed")])
        .inner_join(per_arm, col(ARM), col(ARM))
        .sort([ARM, WEEK], SortMultipleOptions::default())
        .collect()?;
    let arms = table.column(ARM)?.str()?;
    let weeks = table.column(WEEK)?.i64()?;
    let done = table.column("completed")?.cast(&DataType::UInt64)?;
    let total = table.column("randomised")?.cast(&DataType::UInt64)?;
    let (done, total) = (done.u64()?, total.u64()?);
    Ok((0..table.height())
        .map(|i| {
            let (completed, randomised) = (done.get(i).unwrap_or(0), total.get(i).unwrap_or(0));
            Completion {
                arm: arms.get(i).unwrap_or_default().to_string(),
                week: weeks.get(i).unwrap_or_default(),
                randomised,
                completed,
                rate: if randomised == 0 { 0.0 } else { completed as f64 / randomised as f64 },
            }
        })
        .collect())
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
