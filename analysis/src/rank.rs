//! Which columns of a design are aliased, found as R's `lm` finds them: columns are taken in order,
//! and a column whose part not explained by the columns kept before it is negligible is dropped
//! (R reports its coefficient as `NA`). A second copy of the baseline, a constant covariate beside
//! the intercept, age in months beside age in years, or an arm × week cell with no rows all end
//! here, named, instead of as a rounding-sized pivot that makes every figure wrong.
//!
//! The test runs on the cross-product X'X scaled to unit diagonal, so a column's pivot is the share
//! of its squared length that the kept columns do not explain. R's QR drops a column below 1e-7 of
//! its length (1e-14 of the square); squaring X into X'X costs precision, so the limit here is
//! 1e-10 of the square (a residual length below 1e-5 of the column's).

use nalgebra::{DMatrix, DVector};

const PIVOT_TOLERANCE: f64 = 1e-10;

/// The columns kept, and for each dropped column the null vector of X that shows how it is made
/// of the kept ones.
#[derive(Debug, Clone)]
pub struct Rank {
    pub kept: Vec<usize>,
    pub dropped: Vec<usize>,
    null_basis: Vec<DVector<f64>>,
}

impl Rank {
    /// Reveals the rank of X from its cross-product X'X.
    pub fn of_cross_product(xtx: &DMatrix<f64>) -> Self {
        let p = xtx.nrows();
        let scale: Vec<f64> = (0..p).map(|j| xtx[(j, j)].max(0.0).sqrt()).collect();
        let scaled = DMatrix::from_fn(p, p, |i, j| {
            if scale[i] > 0.0 && scale[j] > 0.0 { xtx[(i, j)] / (scale[i] * scale[j]) } else { 0.0 }
        });
        let mut kept: Vec<usize> = Vec::with_capacity(p);
        let mut dropped = Vec::new();
        for j in 0..p {
            if scale[j] == 0.0 {
                dropped.push(j);
                continue;
            }
            let pivot = match explained_by(&scaled, &kept, j) {
                Some(coefficients) => {
                    let cross = DVector::from_iterator(kept.len(), kept.iter().map(|&k| scaled[(k, j)]));
                    1.0 - cross.dot(&coefficients)
                }
                None if kept.is_empty() => 1.0,
                None => 0.0,
            };
            if pivot > PIVOT_TOLERANCE {
                kept.push(j);
            } else {
                dropped.push(j);
            }
        }
        // Each dropped column regressed on every kept one: x_j − X_K b = 0 gives a null vector.
        let null_basis = dropped
            .iter()
            .map(|&j| {
                let mut v = DVector::zeros(p);
                v[j] = 1.0;
                if let Some(b) = explained_by(&scaled, &kept, j) {
                    for (&k, coefficient) in kept.iter().zip(b.iter()) {
                        // Back from the unit-length columns to the columns as given.
                        v[k] = -coefficient * if scale[j] > 0.0 { scale[j] / scale[k] } else { 0.0 };
                    }
                }
                v
            })
            .collect();
        Rank { kept, dropped, null_basis }
    }

    /// Whether c'β has one value whatever the dropped coefficients are: c is orthogonal to the
    /// null space of X.
    pub fn estimable(&self, c: &DVector<f64>) -> bool {
        let size = c.amax().max(1.0);
        self.null_basis.iter().all(|n| c.dot(n).abs() <= 1e-6 * size * n.amax().max(1.0))
    }

    /// c restricted to the kept columns: with the dropped coefficients at zero (as R reports
    /// them), an estimable c'β is c_kept'β_kept.
    pub fn restrict(&self, c: &DVector<f64>) -> DVector<f64> {
        DVector::from_iterator(self.kept.len(), self.kept.iter().map(|&k| c[k]))
    }
}

/// The note that names the dropped columns, if any.
pub fn dropped_note(names: &[String], rank: &Rank) -> Option<String> {
    let dropped: Vec<String> = rank.dropped.iter().map(|&j| format!("`{}`", names[j])).collect();
    (!dropped.is_empty()).then(|| {
        let which = if dropped.len() == 1 { "it" } else { "them" };
        format!(
            "dropped {}: the data cannot tell {which} from the other terms (R reports NA)",
            dropped.join(", ")
        )
    })
}

/// The coefficients of column j on the columns `kept`, from the scaled cross-product; `None`
/// when nothing is kept yet, or when rounding makes the kept columns' Gram matrix fail to factor
/// (they are independent by construction, so that is a column explained to the last digit).
fn explained_by(scaled: &DMatrix<f64>, kept: &[usize], j: usize) -> Option<DVector<f64>> {
    if kept.is_empty() {
        return None;
    }
    let gram = scaled.select_rows(kept).select_columns(kept);
    let cross = DVector::from_iterator(kept.len(), kept.iter().map(|&k| scaled[(k, j)]));
    gram.cholesky().map(|c| c.solve(&cross))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(columns: &[&[f64]]) -> DMatrix<f64> {
        let n = columns[0].len();
        DMatrix::from_fn(n, columns.len(), |i, j| columns[j][i])
    }

    #[test]
    fn a_column_that_is_a_multiple_of_another_is_dropped_and_named_by_position() {
        let x = design(&[&[1.0; 5], &[50.1, 42.3, 61.0, 38.7, 55.5], &[601.2, 507.6, 732.0, 464.4, 666.0]]);
        let rank = Rank::of_cross_product(&x.tr_mul(&x));
        assert_eq!(rank.kept, vec![0, 1]);
        assert_eq!(rank.dropped, vec![2]);
    }

    #[test]
    fn a_constant_column_beside_the_intercept_and_an_empty_column_are_dropped() {
        let x = design(&[&[1.0; 4], &[0.0; 4], &[3.0; 4], &[1.0, 2.0, 4.0, 8.0]]);
        let rank = Rank::of_cross_product(&x.tr_mul(&x));
        assert_eq!(rank.kept, vec![0, 3]);
        assert_eq!(rank.dropped, vec![1, 2]);
    }

    #[test]
    fn a_contrast_touching_an_aliased_column_is_not_estimable_and_one_that_avoids_it_is() {
        let x = design(&[&[1.0; 4], &[1.0, 2.0, 4.0, 8.0], &[0.0; 4]]);
        let rank = Rank::of_cross_product(&x.tr_mul(&x));
        assert!(rank.estimable(&DVector::from_vec(vec![1.0, 2.0, 0.0])));
        assert!(!rank.estimable(&DVector::from_vec(vec![0.0, 0.0, 1.0])));
        // A column that is the sum of two others: the sum of their coefficients minus its own is
        // not estimable, but the difference of the two is.
        let x = design(&[
            &[1.0, 0.0, 1.0, 0.0],
            &[0.0, 1.0, 0.0, 1.0],
            &[1.0, 1.0, 1.0, 1.0],
            &[1.0, 2.0, 3.0, 5.0],
        ]);
        let rank = Rank::of_cross_product(&x.tr_mul(&x));
        assert_eq!(rank.dropped, vec![2]);
        assert!(rank.estimable(&DVector::from_vec(vec![1.0, -1.0, 0.0, 0.0])));
        assert!(!rank.estimable(&DVector::from_vec(vec![0.0, 0.0, 1.0, 0.0])));
        assert!(!rank.estimable(&DVector::from_vec(vec![1.0, 1.0, -1.0, 0.0])));
        // The mean of the rows where the first column is 1: estimable however it is written.
        assert!(rank.estimable(&DVector::from_vec(vec![1.0, 0.0, 1.0, 0.0])));
        assert!(rank.estimable(&DVector::from_vec(vec![0.0, 1.0, 1.0, 0.0])));
    }

    #[test]
    fn a_design_of_full_rank_keeps_every_column() {
        let x = design(&[&[1.0; 5], &[1.0, 0.0, 1.0, 0.0, 1.0], &[2.0, 3.5, 1.0, 7.0, 4.0]]);
        let rank = Rank::of_cross_product(&x.tr_mul(&x));
        assert_eq!(rank.kept, vec![0, 1, 2]);
        assert!(rank.dropped.is_empty());
    }
}
