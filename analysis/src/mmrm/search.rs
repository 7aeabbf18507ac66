//! Finding Σ̂: argmin's BFGS on θ with the analytic gradient, from the covariance of the OLS
//! residuals, then Newton steps with the Hessian (central differences of the analytic gradient),
//! which the degrees of freedom need anyway. A search counts as converged only when the Hessian
//! is positive definite and the Newton decrement g'H⁻¹g, the likelihood still to gain, is below
//! 1e-8; otherwise the caller reports why and no figure.

use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient, State, TerminationReason};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::BFGS;
use nalgebra::{DMatrix, DVector};

use super::reml::{Evaluation, Reduced};

/// The likelihood still to gain below which the search has converged.
const DECREMENT: f64 = 1e-8;
const NEWTON_STEPS: usize = 8;

pub struct Optimum {
    pub theta: Vec<f64>,
    pub fit: Evaluation,
    /// The inverse Hessian of −2ℓ_R in θ: 2 × its inverse is the covariance of θ̂.
    pub hessian_inverse: DMatrix<f64>,
}

/// Why there is no optimum to report.
pub struct NotConverged(pub String);

struct Problem<'a>(&'a Reduced);

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, theta: &Vec<f64>) -> Result<f64, ArgminError> {
        Ok(self.0.evaluate(&self.0.factor(theta)).map_or(f64::INFINITY, |e| e.minus_two_ll))
    }
}

impl Gradient for Problem<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, theta: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        let fit = self.0.evaluate(&self.0.factor(theta)).ok_or_else(|| {
            ArgminError::msg("the covariance left the positive definite matrices to working precision")
        })?;
        Ok(self.0.gradient(theta, &fit))
    }
}

/// θ of the covariance of the OLS residuals (pairwise, over the participants with both weeks);
/// its diagonal alone when that is not positive definite.
fn start(reduced: &Reduced) -> Result<Vec<f64>, NotConverged> {
    let t = reduced.t;
    let identity = DMatrix::identity(t, t);
    let ols = reduced
        .evaluate(&identity)
        .ok_or_else(|| NotConverged("the fixed effects cannot be estimated from these rows".into()))?;
    let mut sums = DMatrix::zeros(t, t);
    let mut counts = DMatrix::zeros(t, t);
    reduced.residual_products(&ols, |a, b, product, count| {
        sums[(a, b)] += product;
        counts[(a, b)] += count;
    });
    let mut sigma = sums.component_div(&counts.map(|c: f64| c.max(1.0)));
    if let Some(theta) = reduced.theta_of(&sigma) {
        return Ok(theta);
    }
    sigma.fill_lower_triangle(0.0, 1);
    sigma.fill_upper_triangle(0.0, 1);
    let floor = sigma.diagonal().amax().max(1.0) * 1e-6;
    for i in 0..t {
        sigma[(i, i)] = sigma[(i, i)].max(floor);
    }
    reduced.theta_of(&sigma).ok_or_else(|| NotConverged("no starting covariance is positive definite".into()))
}

/// The Hessian of −2ℓ_R in θ by central differences of the analytic gradient.
fn hessian(reduced: &Reduced, theta: &[f64]) -> Option<DMatrix<f64>> {
    let m = theta.len();
    let mut h = DMatrix::zeros(m, m);
    for k in 0..m {
        let step = 1e-5 * theta[k].abs().max(1.0);
        let at = |shift: f64| {
            let mut t = theta.to_vec();
            t[k] += shift;
            reduced.evaluate(&reduced.factor(&t)).map(|fit| reduced.gradient(&t, &fit))
        };
        let (up, down) = (at(step)?, at(-step)?);
        for i in 0..m {
            h[(i, k)] = (up[i] - down[i]) / (2.0 * step);
        }
    }
    Some((&h + h.transpose()) * 0.5)
}

/// The REML estimate of θ, with at most `max_iters` BFGS iterations.
pub fn optimise(reduced: &Reduced, max_iters: u64) -> Result<Optimum, NotConverged> {
    let theta0 = start(reduced)?;
    let m = theta0.len();
    let identity: Vec<Vec<f64>> =
        (0..m).map(|i| (0..m).map(|j| f64::from(u8::from(i == j))).collect()).collect();
    let bfgs = BFGS::new(MoreThuenteLineSearch::new())
        .with_tolerance_grad(1e-6)
        .and_then(|b| b.with_tolerance_cost(0.0))
        .map_err(|e| NotConverged(e.to_string()))?;
    let (mut theta, iterations, stopped) = match Executor::new(Problem(reduced), bfgs)
        .configure(|s| s.param(theta0.clone()).inv_hessian(identity).max_iters(max_iters))
        .run()
    {
        Ok(result) => {
            let state = result.state();
            let best = state.get_best_param().cloned().unwrap_or(theta0);
            let reason = state.get_termination_reason().cloned();
            (best, state.get_iter(), reason)
        }
        // A line search that cannot go on near the optimum is not a failure in itself: what
        // counts is the decrement checked below.
        Err(e) => (theta0, 0, Some(TerminationReason::SolverExit(e.to_string()))),
    };
    if matches!(stopped, Some(TerminationReason::MaxItersReached)) {
        return Err(NotConverged(format!(
            "the REML search stopped after {iterations} iterations without converging"
        )));
    }
    let not_converged = |why: &str| NotConverged(format!("the REML search did not converge: {why}"));
    for _ in 0..=NEWTON_STEPS {
        let fit = reduced
            .evaluate(&reduced.factor(&theta))
            .ok_or_else(|| not_converged("the covariance is singular"))?;
        let g = DVector::from_vec(reduced.gradient(&theta, &fit));
        let h = hessian(reduced, &theta).ok_or_else(|| not_converged("the covariance is singular"))?;
        let chol = h.clone().cholesky().ok_or_else(|| {
            not_converged("the likelihood is not at a maximum (its curvature is not negative)")
        })?;
        let step = chol.solve(&g);
        let decrement = g.dot(&step);
        if decrement < DECREMENT {
            return Ok(Optimum { theta, fit, hessian_inverse: chol.inverse() });
        }
        let next: Vec<f64> = theta.iter().zip(step.iter()).map(|(t, s)| t - s).collect();
        match reduced.evaluate(&reduced.factor(&next)) {
            Some(better) if better.minus_two_ll <= fit.minus_two_ll + 1e-9 => theta = next,
            _ => {
                return Err(not_converged(
                    "a Newton step from the BFGS optimum does not improve the likelihood",
                ));
            }
        }
    }
    Err(not_converged("the Newton steps did not settle"))
}
