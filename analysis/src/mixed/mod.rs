//! A linear mixed model fitted by REML: score ~ arm × week (week categorical) + baseline +
//! covariates, with a random intercept per participant and, optionally, a random effect for
//! support group among participants outside the reference arm (a partially nested design).
//!
//! With V = σ²H, H = I + λp·ZpZp' + λg·ZgZg', every quantity the restricted likelihood needs is a
//! quadratic form in H⁻¹. Because the participant blocks of H are "identity plus a constant", their
//! inverse has a closed form (Sherman–Morrison), and a group block is one more rank-one update of
//! those. So the data are reduced once to cross-products per participant, summed by the
//! participant's number of rows, and each likelihood evaluation costs O(p²·(weeks + groups)),
//! however many participants there are. σ² is profiled out; λ is searched on a log scale.

use std::collections::BTreeMap;

use argmin::core::{CostFunction, Error as ArgminError, Executor, State, TerminationReason};
use argmin::solver::brent::BrentOpt;
use argmin::solver::neldermead::NelderMead;
use nalgebra::{Cholesky, DMatrix, DVector, Dyn};

use crate::design::{DesignBuilder, ModelRows};
use crate::error::AnalysisError;
use crate::numeric;
use crate::rank::{Rank, dropped_note};
use crate::summary::{DfMethod, MixedModel, TEffect, VarianceComponents};
use small_sample::{KenwardRoger, Satterthwaite};

mod small_sample;

/// log λ is kept within these bounds: below, a variance is zero for every practical purpose.
const LOG_LAMBDA_MIN: f64 = -25.0;
const LOG_LAMBDA_MAX: f64 = 12.0;

/// The data reduced to what the restricted likelihood needs.
struct Reduced {
    /// Columns of X, then y.
    q: usize,
    n_obs: usize,
    /// Z'Z with Z = [X | y].
    zz: DMatrix<f64>,
    /// Per number of rows k: how many participants have k rows, and Σ sⱼsⱼ' over them (sⱼ = Zⱼ'1).
    by_rows: Vec<(f64, f64, DMatrix<f64>)>,
    /// Per group: per number of rows k, (how many members have k rows, Σ sⱼ over them).
    groups: Vec<Vec<(f64, f64, DVector<f64>)>>,
}

/// −2 × the restricted log-likelihood at given variance ratios, with what follows from it.
struct Evaluation {
    minus_two_ll: f64,
    beta: DVector<f64>,
    sigma2: f64,
    /// Of X'H⁻¹X; its inverse is only needed at the optimum.
    chol: Cholesky<f64, Dyn>,
}

impl Reduced {
    /// n − p: the denominator of σ̂².
    fn residual_df(&self) -> f64 {
        (self.n_obs - (self.q - 1)) as f64
    }

    fn new(x: DMatrix<f64>, y: &[f64], participant_rows: &[Vec<usize>], clusters: &[Option<usize>]) -> Self {
        let (n_obs, p) = x.shape();
        let q = p + 1;
        let mut z = x.insert_column(p, 0.0);
        z.column_mut(p).copy_from_slice(y);
        let zz = z.tr_mul(&z);
        let mut by_rows: BTreeMap<usize, (f64, DMatrix<f64>)> = BTreeMap::new();
        let n_groups = clusters.iter().flatten().max().map_or(0, |m| m + 1);
        let mut groups: Vec<BTreeMap<usize, (f64, DVector<f64>)>> = vec![BTreeMap::new(); n_groups];
        for (rows, cluster) in participant_rows.iter().zip(clusters) {
            if rows.is_empty() {
                continue;
            }
            let mut s = DVector::zeros(q);
            for &r in rows {
                s += z.row(r).transpose();
            }
            let k = rows.len();
            let entry = by_rows.entry(k).or_insert_with(|| (0.0, DMatrix::zeros(q, q)));
            entry.0 += 1.0;
            entry.1 += &s * s.transpose();
            if let Some(c) = cluster {
                let member = groups[*c].entry(k).or_insert_with(|| (0.0, DVector::zeros(q)));
                member.0 += 1.0;
                member.1 += s;
            }
        }
        let by_rows = by_rows.into_iter().map(|(k, (count, sss))| (k as f64, count, sss)).collect();
        let groups = groups
            .into_iter()
            .map(|g| g.into_iter().map(|(k, (count, s))| (k as f64, count, s)).collect())
            .collect();
        Reduced { q, n_obs, zz, by_rows, groups }
    }

    fn evaluate(&self, lambda_p: f64, lambda_g: f64) -> Option<Evaluation> {
        let (q, p) = (self.q, self.q - 1);
        let mut m = self.zz.clone();
        let mut log_det_h = 0.0;
        for (k, count, sss) in &self.by_rows {
            m -= sss * (lambda_p / (1.0 + k * lambda_p));
            log_det_h += count * (k * lambda_p).ln_1p();
        }
        for group in &self.groups {
            let mut t = DVector::zeros(q);
            let mut size = 0.0;
            for (k, count, s) in group {
                t += s / (1.0 + k * lambda_p);
                size += count * k / (1.0 + k * lambda_p);
            }
            m -= &t * t.transpose() * (lambda_g / (1.0 + lambda_g * size));
            log_det_h += (lambda_g * size).ln_1p();
        }
        let xx = m.view((0, 0), (p, p)).into_owned();
        let xy = m.view((0, p), (p, 1)).into_owned();
        let yy = m[(p, p)];
        let chol = xx.cholesky()?;
        let beta = chol.solve(&xy).column(0).into_owned();
        let rss = yy - xy.column(0).dot(&beta);
        let df = (self.n_obs - p) as f64;
        let sigma2 = rss / df;
        if sigma2.is_nan() || sigma2 <= 0.0 {
            return None;
        }
        let minus_two_ll = df * sigma2.ln()
            + log_det_h
            + chol.ln_determinant()
            + df * (1.0 + (2.0 * std::f64::consts::PI).ln());
        Some(Evaluation { minus_two_ll, beta, sigma2, chol })
    }

    fn cost(&self, log_lambda_p: f64, log_lambda_g: f64) -> f64 {
        let clamp = |v: f64| v.clamp(LOG_LAMBDA_MIN, LOG_LAMBDA_MAX).exp();
        self.evaluate(clamp(log_lambda_p), clamp(log_lambda_g)).map_or(f64::INFINITY, |e| e.minus_two_ll)
    }
}

struct ParticipantOnly<'a>(&'a Reduced);

impl CostFunction for ParticipantOnly<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, log_lambda: &f64) -> Result<f64, ArgminError> {
        Ok(self.0.cost(*log_lambda, LOG_LAMBDA_MIN))
    }
}

struct WithGroups<'a>(&'a Reduced);

impl CostFunction for WithGroups<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, log_lambda: &Vec<f64>) -> Result<f64, ArgminError> {
        Ok(self.0.cost(log_lambda[0], log_lambda[1]))
    }
}

fn optimiser(e: ArgminError) -> AnalysisError {
    AnalysisError::Model(format!("mixed model: the REML search failed: {e}"))
}

/// The REML estimates of log λp (and log λg with groups).
/// Iterations each search may take before it counts as not converged.
#[derive(Clone, Copy)]
struct Limits {
    brent: u64,
    nelder_mead: u64,
}

const LIMITS: Limits = Limits { brent: 500, nelder_mead: 2000 };

fn search(reduced: &Reduced, with_groups: bool, limits: Limits) -> Result<(f64, f64), AnalysisError> {
    let brent = BrentOpt::new(LOG_LAMBDA_MIN, LOG_LAMBDA_MAX).set_tolerance(1e-12, 1e-12);
    let result = Executor::new(ParticipantOnly(reduced), brent)
        .configure(|s| s.max_iters(limits.brent))
        .run()
        .map_err(optimiser)?;
    converged(result.state())?;
    let participant = result.state().get_best_param().copied().unwrap_or(0.0);
    if !with_groups {
        return Ok((participant, LOG_LAMBDA_MIN));
    }
    let start = participant.max(-3.0);
    let simplex = vec![vec![start, -2.0], vec![start + 1.0, -2.0], vec![start, 0.0]];
    let nelder_mead = NelderMead::new(simplex).with_sd_tolerance(1e-10).map_err(optimiser)?;
    let result = Executor::new(WithGroups(reduced), nelder_mead)
        .configure(|s| s.max_iters(limits.nelder_mead))
        .run()
        .map_err(optimiser)?;
    converged(result.state())?;
    let best = result.state().get_best_param().cloned().unwrap_or_else(|| vec![participant, LOG_LAMBDA_MIN]);
    Ok((best[0].clamp(LOG_LAMBDA_MIN, LOG_LAMBDA_MAX), best[1].clamp(LOG_LAMBDA_MIN, LOG_LAMBDA_MAX)))
}

/// An error, to be noted, unless the search stopped because it converged at a finite likelihood.
fn converged<S: State>(state: &S) -> Result<(), AnalysisError>
where
    S::Float: Into<f64>,
{
    let stopped = |why: String| {
        AnalysisError::Model(format!("mixed model: the REML search {why}; no figures are reported from it"))
    };
    match state.get_termination_reason() {
        Some(TerminationReason::SolverConverged) => {}
        Some(TerminationReason::MaxItersReached) => {
            return Err(stopped(format!("stopped after {} iterations without converging", state.get_iter())));
        }
        other => return Err(stopped(format!("stopped without converging ({other:?})"))),
    }
    if !state.get_best_cost().into().is_finite() {
        return Err(stopped("found no covariance at which the likelihood is finite".into()));
    }
    Ok(())
}

/// β̂ and −ℓ at log variance ratios `theta` (participant, then group).
fn at(reduced: &Reduced, theta: &[f64]) -> Option<(DVector<f64>, f64)> {
    let lambda_g = theta.get(1).map_or(0.0, |g| g.exp());
    reduced.evaluate(theta[0].exp(), lambda_g).map(|e| (e.beta, 0.5 * e.minus_two_ll))
}

/// The fixed effects' covariance as statsmodels reports it: the GLS covariance σ̂²(X'H⁻¹X)⁻¹
/// plus J·I⁻¹·J', the uncertainty the estimated variance ratios add (J = ∂β̂/∂log λ, I = the
/// observed restricted information for log λ, σ² profiled). Both derivatives are taken by
/// five-point central differences of the closed-form likelihood, which is cheap here. lme4 and
/// nlme report only the first term; it is kept alone when I is not positive definite (a ratio
/// at its boundary).
fn covariance(reduced: &Reduced, theta: &[f64], fit: &Evaluation) -> DMatrix<f64> {
    let gls = fit.chol.inverse() * fit.sigma2;
    let h = 1e-3;
    let beta = |t: &[f64]| {
        at(reduced, t).map(|(beta, _)| DMatrix::from_column_slice(beta.len(), 1, beta.as_slice()))
    };
    let jacobian: Option<Vec<DMatrix<f64>>> =
        (0..theta.len()).map(|k| numeric::derivative(beta, theta, k, h)).collect();
    let information = numeric::hessian(|t| at(reduced, t).map(|(_, half)| half), theta, h);
    match (jacobian, information.and_then(|i| i.cholesky())) {
        (Some(columns), Some(chol)) => {
            let jacobian = DMatrix::from_columns(&columns.iter().map(|c| c.column(0)).collect::<Vec<_>>());
            gls + &jacobian * chol.inverse() * jacobian.transpose()
        }
        _ => gls,
    }
}

/// Fits the model to every post-baseline row; `None`, with the reason in `notes`, when the data
/// cannot support it (one arm, fewer rows than coefficients, a search that does not converge).
pub fn fit(
    rows: &ModelRows,
    reference: &str,
    group_effect: bool,
    df_method: DfMethod,
    notes: &mut Vec<String>,
) -> Result<Option<MixedModel>, AnalysisError> {
    fit_limited(rows, reference, group_effect, df_method, notes, LIMITS)
}

fn fit_limited(
    rows: &ModelRows,
    reference: &str,
    group_effect: bool,
    df_method: DfMethod,
    notes: &mut Vec<String>,
    limits: Limits,
) -> Result<Option<MixedModel>, AnalysisError> {
    let all: Vec<usize> = (0..rows.len()).collect();
    let arms = rows.arm.present(&all);
    let mut weeks = rows.week.clone();
    weeks.sort_unstable();
    weeks.dedup();
    if weeks.is_empty() {
        notes.push(
            "mixed model: no participant has a baseline and a post-baseline score, so it is not fitted"
                .into(),
        );
        return Ok(None);
    }
    let Some(reference) = rows.arm.code_of(reference).filter(|r| arms.len() >= 2 && arms.contains(r)) else {
        notes
            .push("mixed model: only one arm has post-baseline scores, so there is no arm to compare".into());
        return Ok(None);
    };
    let others: Vec<u32> = arms.iter().copied().filter(|&a| a != reference).collect();
    let mut design = DesignBuilder::new(&all);
    design.column("intercept".into(), |_| 1.0);
    design.categorical("arm", &rows.arm, &arms, reference);
    for &week in &weeks[1..] {
        design.column(format!("week[{week}]"), |r| f64::from(u8::from(rows.week[r] == week)));
    }
    for &arm in &others {
        let name = &rows.arm.levels[arm as usize];
        for &week in &weeks[1..] {
            design.column(format!("arm[{name}]:week[{week}]"), |r| {
                f64::from(u8::from(rows.week[r] == week && rows.arm.codes[r] == Some(arm)))
            });
        }
    }
    design.column("baseline".into(), |r| rows.baseline[r]);
    design.covariates(&rows.covariates);
    // Where each arm's effect at each week lives: the arm's main effect, plus its interaction
    // with the week unless the week is the first (the reference level).
    let mut contrasts = Vec::new();
    for &arm in &others {
        let name = &rows.arm.levels[arm as usize];
        for &week in &weeks {
            let main = design.position(&format!("arm[{name}]"));
            let interaction = design.position(&format!("arm[{name}]:week[{week}]"));
            contrasts.push((name.clone(), week, main, interaction));
        }
    }
    let design = design.finish();
    let rank = Rank::of_cross_product(&design.x.tr_mul(&design.x));
    if let Some(why) = dropped_note(&design.names, &rank) {
        notes.push(format!("mixed model: {why}"));
    }
    let full_p = design.x.ncols();
    let x = design.x.select_columns(&rank.kept);
    if rows.len() <= x.ncols() {
        notes.push(format!(
            "mixed model: {} scores cannot estimate {} fixed effects and two variances, so it is not fitted",
            rows.len(),
            x.ncols()
        ));
        return Ok(None);
    }

    // Each participant's rows, and their support group when groups are modelled (outside the
    // reference arm only: the partially nested design).
    let mut participant_rows: Vec<Vec<usize>> = vec![Vec::new(); rows.participant.levels.len()];
    let mut group_of: Vec<Option<u32>> = vec![None; participant_rows.len()];
    for i in 0..rows.len() {
        let Some(j) = rows.participant.codes[i] else { continue };
        let j = j as usize;
        participant_rows[j].push(i);
        if group_effect && rows.arm.codes[i] != Some(reference) && group_of[j].is_none() {
            group_of[j] = rows.group.codes[i];
        }
    }
    // Groups numbered in first-seen order, as the likelihood sums them.
    // Group codes are dense: a slot per code, numbered in first-seen order.
    let mut group_index: Vec<Option<usize>> = vec![None; rows.group.levels.len()];
    let mut n_groups = 0;
    let clusters: Vec<Option<usize>> = group_of
        .iter()
        .map(|g| {
            g.map(|g| {
                *group_index[g as usize].get_or_insert_with(|| {
                    n_groups += 1;
                    n_groups - 1
                })
            })
        })
        .collect();
    let with_groups = group_effect && n_groups > 0;

    let reduced = Reduced::new(x, &rows.score, &participant_rows, &clusters);
    let (log_p, log_g) = match search(&reduced, with_groups, limits) {
        Ok(found) => found,
        Err(AnalysisError::Model(why)) => {
            notes.push(why);
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let (lambda_p, lambda_g) = (log_p.exp(), if with_groups { log_g.exp() } else { 0.0 });
    let fit = reduced
        .evaluate(lambda_p, lambda_g)
        .ok_or_else(|| AnalysisError::Model("mixed model: the design is collinear or fits exactly".into()))?;
    let theta: Vec<f64> = if with_groups { vec![log_p, log_g] } else { vec![log_p] };
    // Kenward–Roger replaces the covariance; Satterthwaite keeps statsmodels' and adds only df.
    let kenward_roger = match df_method {
        DfMethod::KenwardRoger if with_groups => {
            notes.push(
                "mixed model: Kenward–Roger is computed for the model without a group effect; these tests use Satterthwaite's degrees of freedom".into(),
            );
            None
        }
        DfMethod::KenwardRoger => KenwardRoger::new(&reduced, lambda_p, &fit),
        DfMethod::Satterthwaite => None,
    };
    let satterthwaite = kenward_roger.is_none().then(|| Satterthwaite::new(&reduced, &theta, &fit)).flatten();
    let (cov, used) = match &kenward_roger {
        Some(kr) => (kr.adjusted.clone(), DfMethod::KenwardRoger),
        None => (covariance(&reduced, &theta, &fit), DfMethod::Satterthwaite),
    };
    if kenward_roger.is_none() && satterthwaite.is_none() {
        notes.push("mixed model: a variance is at its boundary, so there are no small-sample degrees of freedom; its intervals and tests use the normal distribution".into());
    }
    let mut effects = Vec::with_capacity(contrasts.len());
    for (arm, week, main, interaction) in contrasts {
        let Some(main) = main else { continue };
        let mut c = DVector::zeros(full_p);
        c[main] = 1.0;
        if let Some(i) = interaction {
            c[i] = 1.0;
        }
        if !rank.estimable(&c) {
            notes.push(format!("mixed model: the effect of `{arm}` at week {week} is not estimable (an arm has no score there)"));
            continue;
        }
        let c = rank.restrict(&c);
        let estimate = c.dot(&fit.beta);
        let se = (c.transpose() * &cov * &c)[(0, 0)].sqrt();
        let df = match (&kenward_roger, &satterthwaite) {
            (Some(kr), _) => kr.df(&c),
            (None, Some(s)) => s.df(&c),
            (None, None) => None,
        };
        let (ci_low, ci_high, p_value) = numeric::t_interval(estimate, se, df);
        effects.push(TEffect {
            week,
            arm,
            estimate,
            se,
            df,
            df_method: used.name().into(),
            ci_low,
            ci_high,
            p_value,
        });
    }
    effects.sort_by(|a, b| (a.week, &a.arm).cmp(&(b.week, &b.arm)));
    let participant = lambda_p * fit.sigma2;
    let group = with_groups.then_some(lambda_g * fit.sigma2);
    Ok(Some(MixedModel {
        n_obs: rows.len() as u64,
        n_participants: participant_rows.iter().filter(|rows| !rows.is_empty()).count() as u64,
        n_groups: with_groups.then_some(n_groups as u64),
        arm_effect_by_week: effects,
        icc: participant / (participant + group.unwrap_or(0.0) + fit.sigma2),
        variance_components: VarianceComponents { participant, group, residual: fit.sigma2 },
        reml_log_likelihood: -0.5 * fit.minus_two_ll,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design;

    fn phq9_rows() -> ModelRows {
        design::validation_rows("phq9", &["age"], true)
    }

    #[test]
    fn a_search_stopped_early_is_noted_and_gives_no_model() {
        for (group_effect, limits) in
            [(false, Limits { brent: 2, ..LIMITS }), (true, Limits { nelder_mead: 3, ..LIMITS })]
        {
            let mut notes = Vec::new();
            let model = fit_limited(
                &phq9_rows(),
                "control",
                group_effect,
                DfMethod::Satterthwaite,
                &mut notes,
                limits,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            assert!(model.is_none(), "groups {group_effect}");
            assert!(
                notes.iter().any(|n| n.contains("without converging")),
                "groups {group_effect}: {notes:?}"
            );
        }
        let mut notes = Vec::new();
        let model = fit_limited(&phq9_rows(), "control", true, DfMethod::Satterthwaite, &mut notes, LIMITS)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(model.is_some() && notes.is_empty(), "{notes:?}");
    }
}
