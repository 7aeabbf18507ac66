//! The restricted likelihood of an MMRM, its gradient and the derivatives of the fixed effects'
//! covariance, all from the data reduced once.
//!
//! Participant i's scores y_i at the weeks they have (their *pattern* P) have covariance Σ_P, the
//! rows and columns of the unstructured Σ at those weeks. Every quantity REML needs is a sum over
//! participants of Z_i'Σ_P⁻¹Z_i with Z_i = [X_i | y_i], and that sum is Σ_ab (Σ_P⁻¹)_ab S_P^ab
//! with S_P^ab = Σ_i z_ia z_ib' (z_ia = row a of Z_i). So the data are summed once into S per
//! pattern, and each evaluation costs O(patterns × weeks² × p²), whatever the number of
//! participants.
//!
//! Σ = LL' with L lower triangular; the parameters θ are L's entries, with the diagonal on a log
//! scale, so every θ gives a positive definite Σ.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use nalgebra::{DMatrix, DVector};

/// Participants summed per pattern at a time: bounds the stacked block that is multiplied.
const CHUNK: usize = 4096;

pub struct Pattern {
    /// The week indices observed, ascending.
    pub weeks: Vec<usize>,
    pub count: f64,
    /// S_P^ab for positions a, b of `weeks`, at `a * weeks.len() + b`; (p + 1) × (p + 1).
    blocks: Vec<DMatrix<f64>>,
}

impl Pattern {
    fn block(&self, a: usize, b: usize) -> &DMatrix<f64> {
        &self.blocks[a * self.weeks.len() + b]
    }
}

/// The data reduced to sums per pattern.
pub struct Reduced {
    /// Weeks (the order of Σ's rows).
    pub t: usize,
    /// Fixed effects.
    pub p: usize,
    pub n_obs: usize,
    pub patterns: Vec<Pattern>,
}

/// Everything one value of Σ gives.
pub struct Evaluation {
    /// −2 × the restricted log-likelihood.
    pub minus_two_ll: f64,
    pub beta: DVector<f64>,
    /// (X'V⁻¹X)⁻¹, the covariance of β̂ for this Σ.
    pub cov_beta: DMatrix<f64>,
    /// Σ_P⁻¹ per pattern.
    inverses: Vec<DMatrix<f64>>,
}

impl Reduced {
    /// `visits[i]`: participant i's (week index, row of `x`) pairs, ascending by week, each week
    /// at most once.
    pub fn new(x: &DMatrix<f64>, y: &[f64], visits: &[Vec<(usize, usize)>], t: usize) -> Self {
        let p = x.ncols();
        let q = p + 1;
        let mut by_pattern: BTreeMap<Vec<usize>, Vec<usize>> = BTreeMap::new();
        for (i, v) in visits.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            by_pattern.entry(v.iter().map(|&(week, _)| week).collect()).or_default().push(i);
        }
        let n_obs = visits.iter().map(Vec::len).sum();
        let patterns = by_pattern
            .into_iter()
            .map(|(weeks, members)| {
                let k = weeks.len();
                let width = k * q;
                let mut gram = DMatrix::zeros(width, width);
                for chunk in members.chunks(CHUNK) {
                    // One participant per row: their visits' [x | y] side by side.
                    let mut z = DMatrix::zeros(chunk.len(), width);
                    for (r, &i) in chunk.iter().enumerate() {
                        for (a, &(_, row)) in visits[i].iter().enumerate() {
                            for c in 0..p {
                                z[(r, a * q + c)] = x[(row, c)];
                            }
                            z[(r, a * q + p)] = y[row];
                        }
                    }
                    gram += z.tr_mul(&z);
                }
                let blocks = (0..k * k)
                    .map(|ab| gram.view(((ab / k) * q, (ab % k) * q), (q, q)).into_owned())
                    .collect();
                Pattern { weeks, count: members.len() as f64, blocks }
            })
            .collect();
        Reduced { t, p, n_obs, patterns }
    }

    /// L from θ: the lower triangle column by column, the diagonal on a log scale.
    pub fn factor(&self, theta: &[f64]) -> DMatrix<f64> {
        let mut l = DMatrix::zeros(self.t, self.t);
        for (k, (i, j)) in self.positions().enumerate() {
            l[(i, j)] = if i == j { theta[k].exp() } else { theta[k] };
        }
        l
    }

    /// θ from a positive definite Σ; `None` when it is not.
    pub fn theta_of(&self, sigma: &DMatrix<f64>) -> Option<Vec<f64>> {
        let l = sigma.clone().cholesky()?.unpack();
        Some(self.positions().map(|(i, j)| if i == j { l[(i, j)].ln() } else { l[(i, j)] }).collect())
    }

    /// The (row, column) of L each θ sets, in θ's order.
    fn positions(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.t).flat_map(move |j| (j..self.t).map(move |i| (i, j)))
    }

    /// −2ℓ_R and what follows from it at Σ = LL'; `None` where Σ or X'V⁻¹X is not positive
    /// definite to working precision.
    pub fn evaluate(&self, l: &DMatrix<f64>) -> Option<Evaluation> {
        let (p, q) = (self.p, self.p + 1);
        let sigma = l * l.transpose();
        let mut m = DMatrix::<f64>::zeros(q, q);
        let mut log_det = 0.0;
        let mut inverses = Vec::with_capacity(self.patterns.len());
        for pattern in &self.patterns {
            let k = pattern.weeks.len();
            let chol = sigma.select_rows(&pattern.weeks).select_columns(&pattern.weeks).cholesky()?;
            log_det += pattern.count * chol.ln_determinant();
            let w = chol.inverse();
            for a in 0..k {
                for b in 0..k {
                    let weight = w[(a, b)];
                    m.zip_apply(pattern.block(a, b), |m, s| *m += weight * s);
                }
            }
            inverses.push(w);
        }
        let xx = m.view((0, 0), (p, p)).into_owned();
        let xy = m.view((0, p), (p, 1)).into_owned();
        let chol = xx.cholesky()?;
        let beta = chol.solve(&xy).column(0).into_owned();
        let rss = m[(p, p)] - xy.column(0).dot(&beta);
        let df = (self.n_obs - p) as f64;
        let minus_two_ll = log_det + chol.ln_determinant() + rss + df * (2.0 * PI).ln();
        if !minus_two_ll.is_finite() {
            return None;
        }
        Some(Evaluation { minus_two_ll, beta, cov_beta: chol.inverse(), inverses })
    }

    /// ∂(−2ℓ_R)/∂Σ as a symmetric matrix A (d(−2ℓ_R) = tr(A dΣ)): per pattern
    /// A_P = n_P Σ_P⁻¹ − Σ_P⁻¹(T_P + R_P)Σ_P⁻¹, with T_P[a,b] = tr(C S_P^ab) over X's block
    /// (C = (X'V⁻¹X)⁻¹) and R_P[a,b] = the residuals' cross-product, summed into Σ's places.
    pub fn sigma_gradient(&self, fit: &Evaluation) -> DMatrix<f64> {
        let p = self.p;
        let u = residual_vector(&fit.beta);
        let mut a_full = DMatrix::zeros(self.t, self.t);
        for (pattern, w) in self.patterns.iter().zip(&fit.inverses) {
            let k = pattern.weeks.len();
            let spread = DMatrix::from_fn(k, k, |a, b| {
                let s = pattern.block(a, b);
                fit.cov_beta.component_mul(&s.view((0, 0), (p, p))).sum() + u.dot(&(s * &u))
            });
            let a_p = w * pattern.count - w * spread * w;
            for a in 0..k {
                for b in 0..k {
                    a_full[(pattern.weeks[a], pattern.weeks[b])] += a_p[(a, b)];
                }
            }
        }
        a_full
    }

    /// For each pattern and pair of its weeks (as Σ's indices): the residuals' cross-product
    /// summed over the pattern's participants, and how many they are.
    pub fn residual_products(&self, fit: &Evaluation, mut f: impl FnMut(usize, usize, f64, f64)) {
        let u = residual_vector(&fit.beta);
        for pattern in &self.patterns {
            let k = pattern.weeks.len();
            for a in 0..k {
                for b in 0..k {
                    f(pattern.weeks[a], pattern.weeks[b], u.dot(&(pattern.block(a, b) * &u)), pattern.count);
                }
            }
        }
    }

    /// ∂(−2ℓ_R)/∂θ.
    pub fn gradient(&self, theta: &[f64], fit: &Evaluation) -> Vec<f64> {
        let l = self.factor(theta);
        // d(−2ℓ) = tr(A dΣ) = 2 tr(L'A dL), so the gradient in L is 2AL.
        let g = self.sigma_gradient(fit) * &l * 2.0;
        self.positions().map(|(i, j)| if i == j { g[(i, j)] * l[(i, j)] } else { g[(i, j)] }).collect()
    }

    /// ∂Σ/∂θ_k for every k.
    fn sigma_derivatives(&self, theta: &[f64]) -> Vec<DMatrix<f64>> {
        let l = self.factor(theta);
        self.positions()
            .map(|(i, j)| {
                // Σ = LL': ∂Σ/∂L_ij = e_i l_j' + l_j e_i', l_j being L's column j.
                let mut d = DMatrix::zeros(self.t, self.t);
                for r in 0..self.t {
                    d[(i, r)] += l[(r, j)];
                    d[(r, i)] += l[(r, j)];
                }
                if i == j { d * l[(i, i)] } else { d }
            })
            .collect()
    }

    /// ∂(X'V⁻¹X)⁻¹/∂θ_k = C Q_k C with Q_k = X'V⁻¹(∂V/∂θ_k)V⁻¹X, for every k.
    pub fn cov_beta_derivatives(&self, theta: &[f64], fit: &Evaluation) -> Vec<DMatrix<f64>> {
        let p = self.p;
        self.sigma_derivatives(theta)
            .iter()
            .map(|d| {
                let mut q = DMatrix::zeros(p, p);
                for (pattern, w) in self.patterns.iter().zip(&fit.inverses) {
                    let k = pattern.weeks.len();
                    let d_p = d.select_rows(&pattern.weeks).select_columns(&pattern.weeks);
                    let weight = w * d_p * w;
                    for a in 0..k {
                        for b in 0..k {
                            let w = weight[(a, b)];
                            q.zip_apply(&pattern.block(a, b).view((0, 0), (p, p)), |q, s| *q += w * s);
                        }
                    }
                }
                &fit.cov_beta * q * &fit.cov_beta
            })
            .collect()
    }
}

/// u = (β; −1), so that Z_i u = −(y_i − X_iβ): a residual's cross-product is u'S u.
fn residual_vector(beta: &DVector<f64>) -> DVector<f64> {
    let p = beta.len();
    let mut u = DVector::zeros(p + 1);
    u.rows_mut(0, p).copy_from(beta);
    u[p] = -1.0;
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    type Visits = Vec<Vec<(usize, usize)>>;

    /// Three weeks, some participants missing some of them, two fixed effects.
    fn small() -> Reduced {
        let (x, y, visits) = small_data();
        Reduced::new(&x, &y, &visits, 3)
    }

    fn small_data() -> (DMatrix<f64>, Vec<f64>, Visits) {
        let weeks_of =
            [vec![0, 1, 2], vec![0, 2], vec![1, 2], vec![0, 1, 2], vec![0], vec![0, 1, 2], vec![1]];
        let (mut rows, mut visits) = (Vec::new(), Vec::new());
        for (i, weeks) in weeks_of.iter().enumerate() {
            let mut v = Vec::new();
            for &w in weeks {
                v.push((w, rows.len()));
                let x = (i * 3 + w) as f64;
                rows.push((1.0, (x * 0.37).sin() + w as f64, 2.0 + (x * 1.3).cos() * 3.0 + w as f64));
            }
            visits.push(v);
        }
        let x = DMatrix::from_fn(rows.len(), 2, |r, c| if c == 0 { rows[r].0 } else { rows[r].1 });
        let y: Vec<f64> = rows.iter().map(|r| r.2).collect();
        (x, y, visits)
    }

    #[test]
    fn the_reduced_likelihood_equals_the_one_computed_with_a_dense_covariance() {
        let (x, y, visits) = small_data();
        let reduced = Reduced::new(&x, &y, &visits, 3);
        let l = reduced.factor(&[0.3, 0.4, -0.2, 0.1, 0.5, 0.2]);
        let sigma = &l * l.transpose();
        let n = y.len();
        let mut v = DMatrix::zeros(n, n);
        for participant in &visits {
            for &(a, r) in participant {
                for &(b, s) in participant {
                    v[(r, s)] = sigma[(a, b)];
                }
            }
        }
        let v_inv = v.clone().try_inverse().unwrap_or_else(|| panic!("V is invertible"));
        let xvx = x.transpose() * &v_inv * &x;
        let y = DVector::from_vec(y);
        let beta =
            xvx.clone().try_inverse().unwrap_or_else(|| panic!("invertible")) * x.transpose() * &v_inv * &y;
        let r = &y - &x * &beta;
        let dense = v.determinant().ln()
            + xvx.determinant().ln()
            + (r.transpose() * &v_inv * &r)[(0, 0)]
            + (n - 2) as f64 * (2.0 * PI).ln();
        let fit = reduced.evaluate(&l).unwrap_or_else(|| panic!("fits"));
        assert!((fit.minus_two_ll - dense).abs() < 1e-9 * dense.abs(), "{} vs {dense}", fit.minus_two_ll);
        assert!((fit.beta - beta).amax() < 1e-9);
    }

    #[test]
    fn the_gradient_matches_finite_differences_of_the_likelihood() {
        let reduced = small();
        let theta = [0.3, 0.4, -0.2, 0.1, 0.5, 0.2];
        let at = |t: &[f64]| reduced.evaluate(&reduced.factor(t)).map(|e| e.minus_two_ll).unwrap_or(f64::NAN);
        let fit =
            reduced.evaluate(&reduced.factor(&theta)).unwrap_or_else(|| panic!("Σ is positive definite"));
        let analytic = reduced.gradient(&theta, &fit);
        for k in 0..theta.len() {
            let h = 1e-6;
            let (mut up, mut down) = (theta.to_vec(), theta.to_vec());
            up[k] += h;
            down[k] -= h;
            let numeric = (at(&up) - at(&down)) / (2.0 * h);
            assert!(
                (numeric - analytic[k]).abs() < 1e-5 * numeric.abs().max(1.0),
                "θ{k}: {numeric} vs {}",
                analytic[k]
            );
        }
    }

    #[test]
    fn the_covariance_derivatives_match_finite_differences() {
        let reduced = small();
        let theta = [0.3, 0.4, -0.2, 0.1, 0.5, 0.2];
        let cov = |t: &[f64]| {
            reduced.evaluate(&reduced.factor(t)).map(|e| e.cov_beta).unwrap_or_else(|| panic!("fits"))
        };
        let fit = reduced.evaluate(&reduced.factor(&theta)).unwrap_or_else(|| panic!("fits"));
        let analytic = reduced.cov_beta_derivatives(&theta, &fit);
        for k in 0..theta.len() {
            let h = 1e-6;
            let (mut up, mut down) = (theta.to_vec(), theta.to_vec());
            up[k] += h;
            down[k] -= h;
            let numeric = (cov(&up) - cov(&down)) / (2.0 * h);
            assert!((numeric - &analytic[k]).amax() < 1e-6, "θ{k}");
        }
    }

    #[test]
    fn theta_and_sigma_convert_both_ways() {
        let reduced = small();
        let theta = vec![0.3, 0.4, -0.2, 0.1, 0.5, 0.2];
        let l = reduced.factor(&theta);
        let back = reduced.theta_of(&(&l * l.transpose())).unwrap_or_default();
        for (a, b) in theta.iter().zip(&back) {
            assert!((a - b).abs() < 1e-12);
        }
    }
}
