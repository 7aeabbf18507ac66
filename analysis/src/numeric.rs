//! Derivatives by central differences, for the quantities that have no closed form worth writing:
//! five-point stencils, whose error is O(h⁴), so a step of 1e-3 on a log scale leaves both the
//! truncation and the rounding error far below what the figures are reported to.

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// ∂f/∂x_k for a matrix-valued f.
pub fn derivative(
    f: impl Fn(&[f64]) -> Option<DMatrix<f64>>,
    x: &[f64],
    k: usize,
    h: f64,
) -> Option<DMatrix<f64>> {
    let at = |steps: f64| {
        let mut shifted = x.to_vec();
        shifted[k] += steps * h;
        f(&shifted)
    };
    let (m2, m1, p1, p2) = (at(-2.0)?, at(-1.0)?, at(1.0)?, at(2.0)?);
    Some((m2 - p2 + (p1 - m1) * 8.0) / (12.0 * h))
}

/// The Hessian of a scalar f at x.
pub fn hessian(f: impl Fn(&[f64]) -> Option<f64>, x: &[f64], h: f64) -> Option<DMatrix<f64>> {
    let k = x.len();
    let at = |steps: &[(usize, f64)]| {
        let mut shifted = x.to_vec();
        for &(i, s) in steps {
            shifted[i] += s * h;
        }
        f(&shifted)
    };
    let f0 = f(x)?;
    let mut hessian = DMatrix::zeros(k, k);
    for i in 0..k {
        let (m2, m1, p1, p2) = (at(&[(i, -2.0)])?, at(&[(i, -1.0)])?, at(&[(i, 1.0)])?, at(&[(i, 2.0)])?);
        hessian[(i, i)] = (-p2 + 16.0 * p1 - 30.0 * f0 + 16.0 * m1 - m2) / (12.0 * h * h);
        for j in 0..i {
            let corner = |a: f64, b: f64| at(&[(i, a), (j, b)]);
            let mixed = (corner(1.0, 1.0)? - corner(1.0, -1.0)? - corner(-1.0, 1.0)? + corner(-1.0, -1.0)?)
                / (4.0 * h * h);
            hessian[(i, j)] = mixed;
            hessian[(j, i)] = mixed;
        }
    }
    Some(hessian)
}

/// Satterthwaite's degrees of freedom for c'β: 2(c'Φc)² / (g'Ag), with g_k = c'(∂Φ/∂θ_k)c and A
/// the covariance of θ̂; `None` where that is not a positive number (a variance at its boundary).
pub fn satterthwaite_df(
    c: &DVector<f64>,
    phi: &DMatrix<f64>,
    derivatives: &[DMatrix<f64>],
    theta_cov: &DMatrix<f64>,
) -> Option<f64> {
    let variance = c.dot(&(phi * c));
    let g = DVector::from_iterator(derivatives.len(), derivatives.iter().map(|d| c.dot(&(d * c))));
    let df = 2.0 * variance * variance / g.dot(&(theta_cov * &g));
    (df.is_finite() && df > 0.0).then_some(df)
}

/// The two-sided p of a test statistic on `dist`; NaN when the statistic is undefined (an
/// estimate of exactly zero with no spread at all: 0/0). statrs' Student t panics on NaN rather
/// than answer, and a perfect fit in a small simulated arm must not take the report down.
pub fn two_sided_p(dist: &impl ContinuousCDF<f64, f64>, statistic: f64) -> f64 {
    if statistic.is_nan() { f64::NAN } else { 2.0 * dist.sf(statistic.abs()) }
}

/// A two-sided test and 95% CI of an estimate on t(df), or on the normal distribution when there
/// are no degrees of freedom to use: (ci_low, ci_high, p).
pub fn t_interval(estimate: f64, se: f64, df: Option<f64>) -> (f64, f64, f64) {
    let (quantile, p) = match df.and_then(|df| StudentsT::new(0.0, 1.0, df).ok()) {
        Some(t) => (t.inverse_cdf(0.975), two_sided_p(&t, estimate / se)),
        None => {
            let normal = Normal::standard();
            (normal.inverse_cdf(0.975), two_sided_p(&normal, estimate / se))
        }
    };
    (estimate - quantile * se, estimate + quantile * se, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undefined_statistic_has_an_undefined_p_instead_of_a_panic() {
        let t = StudentsT::new(0.0, 1.0, 10.0).expect("t");
        assert!(two_sided_p(&t, f64::NAN).is_nan());
        assert_eq!(two_sided_p(&t, f64::INFINITY), 0.0);
        assert!((two_sided_p(&t, 0.0) - 1.0).abs() < 1e-12);
        let (_, _, p) = t_interval(0.0, 0.0, Some(10.0));
        assert!(p.is_nan());
    }

    #[test]
    fn the_hessian_of_a_known_function_is_found_to_many_digits() {
        // f = x²y + e^y: ∂²/∂x² = 2y, ∂²/∂x∂y = 2x, ∂²/∂y² = e^y.
        let f = |v: &[f64]| Some(v[0] * v[0] * v[1] + v[1].exp());
        let h = hessian(f, &[1.5, 0.3], 1e-3).unwrap_or_else(|| panic!("finite"));
        assert!((h[(0, 0)] - 0.6).abs() < 1e-8);
        assert!((h[(0, 1)] - 3.0).abs() < 1e-8 && (h[(1, 0)] - 3.0).abs() < 1e-8);
        assert!((h[(1, 1)] - 0.3f64.exp()).abs() < 1e-8);
    }

    #[test]
    fn a_t_interval_is_wider_than_the_normal_one_and_tends_to_it() {
        let (low, high, p) = t_interval(1.0, 0.5, Some(10.0));
        assert!(
            (high - 1.0 - 0.5 * 2.228_138_851_986_273_5).abs() < 1e-9
                && (1.0 - low - (high - 1.0)).abs() < 1e-12
        );
        assert!(p > 0.05 && p < 0.1);
        let (_, normal_high, _) = t_interval(1.0, 0.5, None);
        assert!((normal_high - 1.0 - 0.5 * 1.959_963_984_540_054).abs() < 1e-9);
    }
}
