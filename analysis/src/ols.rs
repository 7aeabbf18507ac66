//! Ordinary least squares by QR decomposition, as statsmodels' OLS reports it.

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::error::AnalysisError;

pub struct Fit {
    pub beta: DVector<f64>,
    pub se: DVector<f64>,
    pub df_resid: f64,
    pub t: StudentsT,
}

impl Fit {
    /// Two-sided p for coefficient `i`.
    pub fn p_value(&self, i: usize) -> f64 {
        crate::numeric::two_sided_p(&self.t, self.beta[i] / self.se[i])
    }

    /// The t quantile for a two-sided 95% interval.
    pub fn t_975(&self) -> f64 {
        self.t.inverse_cdf(0.975)
    }
}

/// Fits y = Xβ + ε; fails when X is not of full column rank or leaves no residual degrees of freedom.
pub fn fit(x: &DMatrix<f64>, y: &DVector<f64>) -> Result<Fit, AnalysisError> {
    let (n, p) = x.shape();
    if n <= p {
        return Err(AnalysisError::Model(format!("{n} rows cannot estimate {p} coefficients")));
    }
    let qr = x.clone().qr();
    let r = qr.r();
    let scale = r.diagonal().amax();
    if r.diagonal().iter().any(|d| d.abs() <= scale * 1e-10) {
        return Err(AnalysisError::Model(
            "the design is collinear (a covariate is constant or redundant)".into(),
        ));
    }
    // Qᵀy without forming Q, which would be as tall as the data.
    let mut qty = y.clone();
    qr.q_tr_mul(&mut qty);
    let qty = qty.rows(0, p).into_owned();
    let beta = r
        .solve_upper_triangular(&qty)
        .ok_or_else(|| AnalysisError::Model("the design is singular".into()))?;
    let residuals = y - x * &beta;
    let df_resid = (n - p) as f64;
    let sigma2 = residuals.norm_squared() / df_resid;
    let r_inv = r
        .solve_upper_triangular(&DMatrix::identity(p, p))
        .ok_or_else(|| AnalysisError::Model("the design is singular".into()))?;
    // (X'X)⁻¹ = R⁻¹ R⁻ᵀ
    let cov = (&r_inv * r_inv.transpose()) * sigma2;
    let se = cov.diagonal().map(f64::sqrt);
    let t = StudentsT::new(0.0, 1.0, df_resid).map_err(|e| AnalysisError::Model(e.to_string()))?;
    Ok(Fit { beta, se, df_resid, t })
}
