//! Finding Σ̂: argmin's trust-region Newton method (Steihaug's conjugate gradients) on θ, from the
//! covariance of the OLS residuals, with the analytic gradient and the Hessian by central
//! differences of it, which the degrees of freedom need anyway. A trust region copes with the
//! indefinite curvature far from the optimum that stops a line search (BFGS did, on a small demo
//! trial). A search counts as converged only when the Hessian is positive definite and the Newton
//! decrement g'H⁻¹g, the likelihood still to gain, is below 1e-8; otherwise the caller reports
//! why and no figure.

use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient, Hessian, State};
use argmin::solver::trustregion::{Steihaug, TrustRegion};
use nalgebra::{DMatrix, DVector};

use super::reml::{Evaluation, Reduced};

/// The likelihood still to gain below which the search has converged.
const DECREMENT: f64 = 1e-8;

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

impl Hessian for Problem<'_> {
    type Param = Vec<f64>;
    type Hessian = Vec<Vec<f64>>;
    fn hessian(&self, theta: &Vec<f64>) -> Result<Vec<Vec<f64>>, ArgminError> {
        let h = hessian(self.0, theta).ok_or_else(|| {
            ArgminError::msg("the covariance left the positive definite matrices to working precision")
        })?;
        Ok(h.row_iter().map(|r| r.iter().copied().collect()).collect())
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

/// Why a search may not end: REML rising toward a covariance whose correlation matrix is singular
/// (weeks' scores perfectly correlated), which has no maximum inside the covariances.
fn toward_singular(reduced: &Reduced, theta: &[f64]) -> &'static str {
    let l = reduced.factor(theta);
    let sigma = &l * l.transpose();
    let sd = sigma.diagonal().map(f64::sqrt);
    let correlation = DMatrix::from_fn(sigma.nrows(), sigma.ncols(), |i, j| sigma[(i, j)] / (sd[i] * sd[j]));
    if correlation.symmetric_eigenvalues().min() < 1e-3 {
        ": the likelihood keeps rising toward a covariance in which the weeks' scores are perfectly correlated, so these data (few scores at some weeks) cannot support an unstructured covariance"
    } else {
        ""
    }
}

/// Trust-region iterations per round: argmin's trust region has no stopping rule of its own, so
/// it runs in short rounds and the Newton decrement decides between them.
const ROUND: u64 = 5;

/// The REML estimate of θ, with at most `max_iters` trust-region iterations.
pub fn optimise(reduced: &Reduced, max_iters: u64) -> Result<Optimum, NotConverged> {
    let mut theta = start(reduced)?;
    let not_converged = |why: &str| NotConverged(format!("the REML search did not converge: {why}"));
    let mut used = 0;
    loop {
        let fit = reduced
            .evaluate(&reduced.factor(&theta))
            .ok_or_else(|| not_converged("the covariance is singular"))?;
        let g = DVector::from_vec(reduced.gradient(&theta, &fit));
        if let Some(chol) = hessian(reduced, &theta).and_then(|h| h.cholesky())
            && g.dot(&chol.solve(&g)) < DECREMENT
        {
            return Ok(Optimum { theta, fit, hessian_inverse: chol.inverse() });
        }
        if used >= max_iters {
            return Err(NotConverged(format!(
                "the REML search stopped after {used} iterations without converging{}",
                toward_singular(reduced, &theta)
            )));
        }
        let iters = ROUND.min(max_iters - used);
        let solver = TrustRegion::new(Steihaug::new().with_max_iters(50));
        let result = Executor::new(Problem(reduced), solver)
            .configure(|s| s.param(theta.clone()).max_iters(iters))
            .run()
            .map_err(|e| not_converged(&e.to_string()))?;
        used += iters;
        theta = result
            .state()
            .get_best_param()
            .cloned()
            .ok_or_else(|| not_converged("no parameters came back"))?;
    }
}
