//! Small-sample inference for the random-intercept model's contrasts: Satterthwaite's degrees of
//! freedom as lmerTest computes them, and Kenward–Roger's adjusted covariance and degrees of
//! freedom as pbkrtest computes them. Both rest on Φ = (X'V⁻¹X)⁻¹, the plain GLS covariance of β̂
//! that lme4 reports.

use nalgebra::{DMatrix, DVector};

use super::{Evaluation, Reduced};
use crate::numeric;

/// The step, on the log scale of the variance parameters, of the finite differences.
const STEP: f64 = 1e-3;

/// Satterthwaite: df = 2(c'Φc)² / (g'Ag), with g = ∂(c'Φc)/∂φ and A the covariance of φ̂ (twice
/// the inverse observed Hessian of −2ℓ_R) over φ = (log σ², log λ…). lmerTest takes the same
/// quantities in lme4's parameters (θ, σ); the result does not depend on the parametrisation.
pub struct Satterthwaite {
    phi: DMatrix<f64>,
    derivatives: Vec<DMatrix<f64>>,
    a: DMatrix<f64>,
}

impl Satterthwaite {
    /// `None` when the likelihood is flat in a variance (one at its boundary): there is then no
    /// covariance of the estimates to build the degrees of freedom from.
    pub fn new(reduced: &Reduced, theta: &[f64], fit: &Evaluation) -> Option<Self> {
        let mut at = vec![fit.sigma2.ln()];
        at.extend_from_slice(theta);
        let hessian = numeric::hessian(|x| full_minus_two_ll(reduced, x), &at, STEP)?;
        let a = hessian.cholesky()?.inverse() * 2.0;
        let derivatives = (0..at.len())
            .map(|k| numeric::derivative(|x| gls_covariance(reduced, x), &at, k, STEP))
            .collect::<Option<Vec<_>>>()?;
        Some(Satterthwaite { phi: gls_covariance(reduced, &at)?, derivatives, a })
    }

    pub fn df(&self, c: &DVector<f64>) -> Option<f64> {
        numeric::satterthwaite_df(c, &self.phi, &self.derivatives, &self.a)
    }
}

/// −2ℓ_R with σ² a parameter (not profiled), at φ = (log σ², log λp[, log λg]): from the profiled
/// value, since the two differ only in the terms in σ².
fn full_minus_two_ll(reduced: &Reduced, phi: &[f64]) -> Option<f64> {
    let e = reduced.evaluate(phi[1].exp(), phi.get(2).map_or(0.0, |g| g.exp()))?;
    let df = reduced.residual_df();
    let sigma2 = phi[0].exp();
    Some(e.minus_two_ll - df * e.sigma2.ln() - df + df * sigma2.ln() + df * e.sigma2 / sigma2)
}

/// Φ = σ²(X'H⁻¹X)⁻¹ at φ.
fn gls_covariance(reduced: &Reduced, phi: &[f64]) -> Option<DMatrix<f64>> {
    let e = reduced.evaluate(phi[1].exp(), phi.get(2).map_or(0.0, |g| g.exp()))?;
    Some(e.chol.inverse() * phi[0].exp())
}

/// Kenward–Roger for the model with a random intercept per participant and no group effect:
/// V = σ²ₚZZ' + σ²I is linear in (σ²ₚ, σ²) with G₁ = ZZ', G₂ = I, and every block
/// σ²I + σ²ₚJ of V has a closed-form inverse, so P_i = X'V⁻¹G_iV⁻¹X, Q_ij = X'V⁻¹G_iV⁻¹G_jV⁻¹X
/// and tr(V⁻¹G_iV⁻¹G_j) are sums over the participants grouped by their number of rows.
pub struct KenwardRoger {
    phi: DMatrix<f64>,
    /// Φ + 2Φ[Σ W_ij(Q_ij − P_iΦP_j)]Φ.
    pub adjusted: DMatrix<f64>,
    p: [DMatrix<f64>; 2],
    /// 2 × the inverse of the expected REML information of (σ²ₚ, σ²).
    w: DMatrix<f64>,
}

impl KenwardRoger {
    pub fn new(reduced: &Reduced, lambda: f64, fit: &Evaluation) -> Option<Self> {
        let p = reduced.q - 1;
        let sigma2 = fit.sigma2;
        let a = 1.0 / sigma2;
        let xx = reduced.zz.view((0, 0), (p, p)).into_owned();
        let phi = fit.chol.inverse() * sigma2;
        // Per block of k rows, with c = λ/(1 + kλ) and V⁻¹ = (I − cJ)/σ²: the weights of S_k
        // (Σ sⱼsⱼ' over those blocks, X's part) in each product, from J² = kJ.
        let mut p1 = DMatrix::zeros(p, p);
        let mut p2 = xx.clone() * a * a;
        let mut q11 = DMatrix::zeros(p, p);
        let mut q12 = DMatrix::zeros(p, p);
        let mut q22 = xx * a.powi(3);
        let mut k_trace = DMatrix::<f64>::zeros(2, 2);
        for (k, count, sss) in &reduced.by_rows {
            let s = sss.view((0, 0), (p, p));
            let c = lambda / (1.0 + k * lambda);
            let e = 1.0 - c * k;
            p1 += s * (a * a * e * e);
            p2 -= s * (a * a * (2.0 * c - c * c * k));
            q11 += s * (a.powi(3) * e.powi(3) * k);
            q12 += s * (a.powi(3) * e.powi(3));
            q22 -= s * (a.powi(3) * (3.0 * c - 3.0 * c * c * k + c.powi(3) * k * k));
            k_trace[(0, 0)] += count * a * a * e * e * k * k;
            k_trace[(0, 1)] += count * a * a * e * e * k;
            k_trace[(1, 1)] += count * a * a * k * (1.0 - 2.0 * c + c * c * k);
        }
        k_trace[(1, 0)] = k_trace[(0, 1)];
        let ps = [p1, p2];
        let q = |i: usize, j: usize| match (i, j) {
            (0, 0) => &q11,
            (1, 1) => &q22,
            _ => &q12,
        };
        let information = DMatrix::from_fn(2, 2, |i, j| {
            k_trace[(i, j)] - 2.0 * phi.component_mul(q(i, j)).sum() + (&phi * &ps[i] * &phi * &ps[j]).trace()
        });
        let w = information.try_inverse()? * 2.0;
        let mut u = DMatrix::zeros(p, p);
        for i in 0..2 {
            for j in 0..2 {
                u += (q(i, j) - &ps[i] * &phi * &ps[j]) * w[(i, j)];
            }
        }
        let adjusted = &phi + &phi * u * &phi * 2.0;
        Some(KenwardRoger { phi, adjusted, p: ps, w })
    }

    /// For one contrast (q = 1) pbkrtest's formulas reduce to df = 2 / A with
    /// A = Σ W_ij b_i b_j / (c'Φc)², b_i = c'ΦP_iΦc.
    pub fn df(&self, c: &DVector<f64>) -> Option<f64> {
        let v = c.dot(&(&self.phi * c));
        let phi_c = &self.phi * c;
        let b: Vec<f64> = self.p.iter().map(|p| phi_c.dot(&(p * &phi_c))).collect();
        let a: f64 = (0..2)
            .flat_map(|i| (0..2).map(move |j| (i, j)))
            .map(|(i, j)| self.w[(i, j)] * b[i] * b[j])
            .sum::<f64>()
            / (v * v);
        let df = 2.0 / a;
        (df.is_finite() && df > 0.0).then_some(df)
    }
}
