//! ANCOVA at each post-baseline week: score ~ arm + baseline + covariates, by OLS.

use nalgebra::DVector;

use crate::design::{DesignBuilder, ModelRows};
use crate::error::AnalysisError;
use crate::ols;
use crate::rank::{Rank, dropped_note};
use crate::summary::{ArmEffect, Coefficient};

/// Each non-reference arm's adjusted difference, and every coefficient, per week.
/// A week whose model cannot be fitted is left out, with the reason in `notes`.
pub fn ancova(
    rows: &ModelRows,
    reference: &str,
    notes: &mut Vec<String>,
) -> Result<(Vec<ArmEffect>, Vec<Coefficient>), AnalysisError> {
    let mut weeks = rows.week.clone();
    weeks.sort_unstable();
    weeks.dedup();
    let (mut effects, mut coefficients) = (Vec::new(), Vec::new());
    for week in weeks {
        let subset: Vec<usize> = (0..rows.len()).filter(|&i| rows.week[i] == week).collect();
        let arms = rows.arm.present(&subset);
        let Some(reference) = rows.arm.code_of(reference).filter(|r| arms.len() >= 2 && arms.contains(r))
        else {
            notes.push(format!(
                "ANCOVA at week {week}: only one arm has scores, so there is nothing to compare"
            ));
            continue;
        };
        let mut design = DesignBuilder::new(&subset);
        design.column("intercept".into(), |_| 1.0);
        design.categorical("arm", &rows.arm, &arms, reference);
        design.column("baseline".into(), |r| rows.baseline[r]);
        design.covariates(&rows.covariates);
        let design = design.finish();
        let rank = Rank::of_cross_product(&design.x.tr_mul(&design.x));
        if let Some(why) = dropped_note(&design.names, &rank) {
            notes.push(format!("ANCOVA at week {week}: {why}"));
        }
        let x = design.x.select_columns(&rank.kept);
        let names: Vec<&String> = rank.kept.iter().map(|&j| &design.names[j]).collect();
        let y = DVector::from_iterator(subset.len(), subset.iter().map(|&i| rows.score[i]));
        let fit = match ols::fit(&x, &y) {
            Ok(fit) => fit,
            Err(AnalysisError::Model(why)) => {
                notes.push(format!("ANCOVA at week {week}: {why}"));
                continue;
            }
            Err(e) => return Err(e),
        };
        let t = fit.t_975();
        for (i, term) in names.into_iter().enumerate() {
            let (estimate, se) = (fit.beta[i], fit.se[i]);
            coefficients.push(Coefficient {
                week,
                term: term.clone(),
                estimate,
                se,
                t_value: estimate / se,
                p_value: fit.p_value(i),
            });
            if let Some(arm) = term.strip_prefix("arm[").and_then(|t| t.strip_suffix(']')) {
                effects.push(ArmEffect {
                    week,
                    arm: arm.to_string(),
                    estimate,
                    se,
                    ci_low: estimate - t * se,
                    ci_high: estimate + t * se,
                    p_value: fit.p_value(i),
                    df_resid: fit.df_resid,
                    n: subset.len() as u64,
                });
            }
        }
    }
    Ok((effects, coefficients))
}
