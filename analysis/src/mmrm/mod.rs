//! The mixed model for repeated measures (MMRM) that trial guidance asks of a repeated continuous
//! outcome: score ~ week + arm × week + baseline × week + covariates (week categorical), with an
//! unstructured covariance over the post-baseline weeks, fitted by REML. Every participant with a
//! baseline and any post-baseline score contributes (missing at random). Adjusted means and arm
//! contrasts get Satterthwaite degrees of freedom, as R's emmeans gives them for `nlme::gls`.
//!
//! `reml` holds the likelihood on data reduced once per pattern of observed weeks; `search` finds
//! its maximum. Aliased terms are dropped by name (`rank`), and a figure the data cannot estimate
//! (an arm with no rows at a week) is left out with a note rather than reported wrong.

mod reml;
mod search;

use nalgebra::{DMatrix, DVector};

use crate::design::{DesignBuilder, ModelRows};
use crate::numeric;
use crate::rank::{Rank, dropped_note};
use crate::summary::{AdjustedMean, DfMethod, Mmrm, TEffect};
use reml::Reduced;
use search::{NotConverged, Optimum};

/// BFGS iterations before the search counts as not converged.
const MAX_ITERS: u64 = 500;

/// Fits the MMRM; `None` with the reason in `notes` when the data cannot support it.
pub fn fit(rows: &ModelRows, reference: &str, notes: &mut Vec<String>) -> Option<Mmrm> {
    fit_with(rows, reference, notes, MAX_ITERS)
}

fn fit_with(rows: &ModelRows, reference_arm: &str, notes: &mut Vec<String>, max_iters: u64) -> Option<Mmrm> {
    let mut note = |why: String| notes.push(format!("MMRM: {why}"));
    let all: Vec<usize> = (0..rows.len()).collect();
    if all.is_empty() {
        note("no participant has a baseline and a post-baseline score, so it is not fitted".into());
        return None;
    }
    let arms = rows.arm.present(&all);
    let Some(reference) = rows.arm.code_of(reference_arm).filter(|r| arms.contains(r)) else {
        note(format!("the reference arm `{reference_arm}` has no post-baseline score, so it is not fitted"));
        return None;
    };
    if arms.len() < 2 {
        note(format!("only `{reference_arm}` has post-baseline scores, so there is no arm to compare"));
        return None;
    }
    let mut weeks = rows.week.clone();
    weeks.sort_unstable();
    weeks.dedup();
    let terms = Terms::build(rows, &all, &arms, reference, &weeks);
    let x = &terms.x;
    let rank = Rank::of_cross_product(&x.tr_mul(x));
    let aliased: Vec<String> = rank.dropped.iter().map(|&j| terms.names[j].clone()).collect();
    if let Some(why) = dropped_note(&terms.names, &rank) {
        note(why);
    }
    let p = rank.kept.len();
    if rows.len() <= p {
        note(format!(
            "{} scores cannot estimate {p} fixed effects and a covariance, so it is not fitted",
            rows.len()
        ));
        return None;
    }
    let week_index = |w: i64| weeks.binary_search(&w).unwrap_or_default();
    let mut visits: Vec<Vec<(usize, usize)>> = vec![Vec::new(); rows.participant.levels.len()];
    for (r, code) in rows.participant.codes.iter().enumerate() {
        if let Some(j) = code {
            visits[*j as usize].push((week_index(rows.week[r]), r));
        }
    }
    visits.iter_mut().for_each(|v| v.sort_unstable());
    if let Some((a, b)) = unpaired_weeks(&visits, weeks.len()) {
        note(format!(
            "no participant has scores at both week {} and week {}, so their covariance cannot be estimated and it is not fitted",
            weeks[a], weeks[b]
        ));
        return None;
    }
    let reduced = Reduced::new(&x.select_columns(&rank.kept), &rows.score, &visits, weeks.len());
    let mut model = Mmrm {
        n_obs: rows.len() as u64,
        n_participants: visits.iter().filter(|v| !v.is_empty()).count() as u64,
        weeks: weeks.clone(),
        arm_effect_by_week: Vec::new(),
        lsmeans: Vec::new(),
        covariance: Vec::new(),
        df_method: DfMethod::Satterthwaite.name().into(),
        converged: false,
        reml_log_likelihood: None,
        aliased,
    };
    let optimum = match search::optimise(&reduced, max_iters) {
        Ok(optimum) => optimum,
        Err(NotConverged(why)) => {
            note(format!("{why}; no figures are reported from it"));
            return Some(model);
        }
    };
    let inference = Inference::new(&reduced, &optimum);
    let levels = &rows.arm.levels;
    for (w, &week) in weeks.iter().enumerate() {
        for &arm in &arms {
            let name = &levels[arm as usize];
            let c = terms.mean_row(arm, w);
            if !rank.estimable(&c) {
                note(format!(
                    "arm `{name}` has no score at week {week}, so its adjusted mean there is not estimable"
                ));
                continue;
            }
            let t = inference.test(&rank.restrict(&c));
            model.lsmeans.push(AdjustedMean {
                week,
                arm: name.clone(),
                estimate: t.estimate,
                se: t.se,
                df: t.df,
                ci_low: t.ci.0,
                ci_high: t.ci.1,
            });
            if arm == reference {
                continue;
            }
            let c = c - terms.mean_row(reference, w);
            if !rank.estimable(&c) {
                note(format!(
                    "the effect of `{name}` at week {week} is not estimable (an arm has no score there)"
                ));
                continue;
            }
            let t = inference.test(&rank.restrict(&c));
            model.arm_effect_by_week.push(TEffect {
                week,
                arm: name.clone(),
                estimate: t.estimate,
                se: t.se,
                df: t.df,
                df_method: DfMethod::Satterthwaite.name().into(),
                ci_low: t.ci.0,
                ci_high: t.ci.1,
                p_value: t.p_value,
            });
        }
    }
    let l = reduced.factor(&optimum.theta);
    let sigma = &l * l.transpose();
    model.covariance = sigma.row_iter().map(|r| r.iter().copied().collect()).collect();
    model.reml_log_likelihood = Some(-0.5 * optimum.fit.minus_two_ll);
    model.converged = true;
    Some(model)
}

/// The first pair of weeks (as indices) that no participant has both of.
fn unpaired_weeks(visits: &[Vec<(usize, usize)>], t: usize) -> Option<(usize, usize)> {
    let mut together = DMatrix::<u64>::zeros(t, t);
    for v in visits {
        for &(a, _) in v {
            for &(b, _) in v {
                together[(a, b)] += 1;
            }
        }
    }
    (0..t).flat_map(|b| (0..=b).map(move |a| (a, b))).find(|&(a, b)| together[(a, b)] == 0)
}

/// The design with the places of the terms an adjusted mean sets.
struct Terms {
    names: Vec<String>,
    x: DMatrix<f64>,
    /// Column means: the reference grid's covariates (numeric at their means, categorical in
    /// proportion), as emmeans averages them.
    means: Vec<f64>,
    /// Columns from here on are the covariates.
    covariates_from: usize,
    week: Vec<Option<usize>>,
    arm: Vec<Option<usize>>,
    /// [arm][week]
    arm_week: Vec<Vec<Option<usize>>>,
    baseline: usize,
    baseline_week: Vec<Option<usize>>,
}

impl Terms {
    fn build(rows: &ModelRows, all: &[usize], arms: &[u32], reference: u32, weeks: &[i64]) -> Self {
        let levels = &rows.arm.levels;
        let mut design = DesignBuilder::new(all);
        design.column("intercept".into(), |_| 1.0);
        for &week in &weeks[1..] {
            design.column(format!("week[{week}]"), |r| f64::from(u8::from(rows.week[r] == week)));
        }
        design.categorical("arm", &rows.arm, arms, reference);
        for &arm in arms.iter().filter(|&&a| a != reference) {
            for &week in &weeks[1..] {
                design.column(format!("arm[{}]:week[{week}]", levels[arm as usize]), |r| {
                    f64::from(u8::from(rows.week[r] == week && rows.arm.codes[r] == Some(arm)))
                });
            }
        }
        design.column("baseline".into(), |r| rows.baseline[r]);
        for &week in &weeks[1..] {
            design.column(format!("baseline:week[{week}]"), |r| {
                if rows.week[r] == week { rows.baseline[r] } else { 0.0 }
            });
        }
        let covariates_from = design.position("baseline").map_or(0, |b| b + weeks.len());
        design.covariates(&rows.covariates);
        let week: Vec<Option<usize>> = weeks.iter().map(|w| design.position(&format!("week[{w}]"))).collect();
        let arm_name = |a: usize| &levels[a];
        let arm = (0..levels.len()).map(|a| design.position(&format!("arm[{}]", arm_name(a)))).collect();
        let arm_week = (0..levels.len())
            .map(|a| {
                weeks.iter().map(|w| design.position(&format!("arm[{}]:week[{w}]", arm_name(a)))).collect()
            })
            .collect();
        let baseline = design.position("baseline").unwrap_or_default();
        let baseline_week = weeks.iter().map(|w| design.position(&format!("baseline:week[{w}]"))).collect();
        let design = design.finish();
        let means = design.x.row_mean().iter().copied().collect();
        Terms {
            names: design.names,
            x: design.x,
            means,
            covariates_from,
            week,
            arm,
            arm_week,
            baseline,
            baseline_week,
        }
    }

    /// The reference grid's row for `arm` at week index `w`.
    fn mean_row(&self, arm: u32, w: usize) -> DVector<f64> {
        let mut c = DVector::zeros(self.names.len());
        c[0] = 1.0;
        for j in self.covariates_from..c.len() {
            c[j] = self.means[j];
        }
        let baseline = self.means[self.baseline];
        c[self.baseline] = baseline;
        let arm = arm as usize;
        for (place, value) in [
            (self.week[w], 1.0),
            (self.arm[arm], 1.0),
            (self.arm_week[arm][w], 1.0),
            (self.baseline_week[w], baseline),
        ] {
            if let Some(j) = place {
                c[j] = value;
            }
        }
        c
    }
}

/// A t test of c'β.
struct Test {
    estimate: f64,
    se: f64,
    df: Option<f64>,
    ci: (f64, f64),
    p_value: f64,
}

/// What every test needs from the optimum.
struct Inference<'a> {
    optimum: &'a Optimum,
    /// ∂(X'V⁻¹X)⁻¹/∂θ_k.
    derivatives: Vec<DMatrix<f64>>,
    /// The covariance of θ̂: twice the inverse Hessian of −2ℓ_R.
    theta_cov: DMatrix<f64>,
}

impl<'a> Inference<'a> {
    fn new(reduced: &Reduced, optimum: &'a Optimum) -> Self {
        Inference {
            optimum,
            derivatives: reduced.cov_beta_derivatives(&optimum.theta, &optimum.fit),
            theta_cov: &optimum.hessian_inverse * 2.0,
        }
    }

    /// With Satterthwaite's degrees of freedom (C = (X'V⁻¹X)⁻¹, A = Cov(θ̂)).
    fn test(&self, c: &DVector<f64>) -> Test {
        let fit = &self.optimum.fit;
        let estimate = c.dot(&fit.beta);
        let df = numeric::satterthwaite_df(c, &fit.cov_beta, &self.derivatives, &self.theta_cov);
        let se = c.dot(&(&fit.cov_beta * c)).sqrt();
        let (low, high, p_value) = numeric::t_interval(estimate, se, df);
        Test { estimate, se, df, ci: (low, high), p_value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design;

    fn phq9_rows() -> ModelRows {
        design::validation_rows("phq9", &["age"], false)
    }

    #[test]
    fn a_search_stopped_early_reports_that_it_did_not_converge_and_no_figure() {
        let mut notes = Vec::new();
        let model = fit_with(&phq9_rows(), "control", &mut notes, 1).unwrap_or_else(|| panic!("{notes:?}"));
        assert!(!model.converged);
        assert!(
            model.arm_effect_by_week.is_empty() && model.lsmeans.is_empty() && model.covariance.is_empty()
        );
        assert_eq!(model.reml_log_likelihood, None);
        assert!(
            notes.iter().any(|n| n.contains("stopped after 1 iterations without converging")),
            "{notes:?}"
        );
    }

    #[test]
    fn the_same_rows_with_room_to_search_converge() {
        let mut notes = Vec::new();
        let model =
            fit_with(&phq9_rows(), "control", &mut notes, MAX_ITERS).unwrap_or_else(|| panic!("{notes:?}"));
        assert!(model.converged, "{notes:?}");
        assert_eq!(model.arm_effect_by_week.len(), 3);
        assert!(notes.is_empty(), "{notes:?}");
    }
}
