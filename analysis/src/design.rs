//! The rows a model is fitted to and the design matrices built from them.

use std::collections::HashMap;

use nalgebra::DMatrix;
use polars::prelude::*;

use crate::error::AnalysisError;
use crate::input::{ARM, Covariate, GROUP, PARTICIPANT, SCORE, WEEK};

/// Text values as codes into their sorted distinct levels: models compare and count codes, and
/// no string is copied per row.
#[derive(Debug, Clone)]
pub struct Coded {
    /// `None` where the value is missing (or empty).
    pub codes: Vec<Option<u32>>,
    pub levels: Vec<String>,
}

impl Coded {
    fn new(column: &StringChunked) -> Self {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        let first_seen: Vec<Option<u32>> = column
            .iter()
            .map(|v| {
                v.filter(|v| !v.is_empty()).map(|v| {
                    let next = seen.len() as u32;
                    *seen.entry(v).or_insert(next)
                })
            })
            .collect();
        // Renumber in sorted order, so that "first level" means what it does in R and patsy.
        let mut levels: Vec<(&str, u32)> = seen.into_iter().collect();
        levels.sort_unstable();
        let mut rank = vec![0u32; levels.len()];
        for (sorted, (_, code)) in levels.iter().enumerate() {
            rank[*code as usize] = sorted as u32;
        }
        Coded {
            codes: first_seen.into_iter().map(|c| c.map(|c| rank[c as usize])).collect(),
            levels: levels.into_iter().map(|(l, _)| l.to_string()).collect(),
        }
    }

    pub fn code_of(&self, level: &str) -> Option<u32> {
        self.levels.iter().position(|l| l == level).map(|i| i as u32)
    }

    /// The codes that occur among `rows`, in level order.
    pub fn present(&self, rows: &[usize]) -> Vec<u32> {
        let mut seen = vec![false; self.levels.len()];
        for &r in rows {
            if let Some(c) = self.codes[r] {
                seen[c as usize] = true;
            }
        }
        (0..self.levels.len() as u32).filter(|&c| seen[c as usize]).collect()
    }
}

/// A covariate's values on the model rows.
#[derive(Debug, Clone)]
pub enum Values {
    Numeric(Vec<f64>),
    Categorical(Coded),
}

/// Post-baseline scores with the same participant's baseline and complete covariates.
#[derive(Debug, Clone)]
pub struct ModelRows {
    pub participant: Coded,
    pub arm: Coded,
    pub week: Vec<i64>,
    pub score: Vec<f64>,
    pub baseline: Vec<f64>,
    pub group: Coded,
    pub covariates: Vec<(String, Values)>,
}

/// The column holding each row's baseline score in [`paired`] rows.
pub const BASELINE: &str = "baseline";

/// One instrument's post-baseline scores joined with the same participant's baseline score, in
/// input order (so every fit is reproducible); collected once for the change scores and the
/// models.
pub fn paired(scores: &LazyFrame, baseline_week: i64) -> Result<LazyFrame, AnalysisError> {
    // One baseline per participant: `input::prepare` refused duplicate rows.
    let baseline = scores
        .clone()
        .filter(col(WEEK).eq(lit(baseline_week)).and(col(SCORE).is_not_null()))
        .select([col(PARTICIPANT), col(SCORE).alias(BASELINE)]);
    let mut args = JoinArgs::new(JoinType::Inner);
    args.maintain_order = MaintainOrderJoin::Left;
    let frame = scores
        .clone()
        .filter(col(SCORE).is_not_null().and(col(WEEK).neq(lit(baseline_week))))
        .join(baseline, [col(PARTICIPANT)], [col(PARTICIPANT)], args)
        .collect()?;
    Ok(frame.lazy())
}

impl ModelRows {
    /// The [`paired`] rows every model can use: those with complete covariates.
    pub fn build(paired: &LazyFrame, covariates: &[Covariate]) -> Result<Self, AnalysisError> {
        let mut complete = lit(true);
        for c in covariates {
            complete = complete.and(col(c.name.as_str()).is_not_null());
        }
        let frame = paired.clone().filter(complete).collect()?;
        let coded =
            |name: &str| -> Result<Coded, AnalysisError> { Ok(Coded::new(frame.column(name)?.str()?)) };
        let numbers = |name: &str| -> Result<Vec<f64>, AnalysisError> {
            let cast = frame.column(name)?.cast(&DataType::Float64)?;
            Ok(cast.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        };
        let mut values = Vec::with_capacity(covariates.len());
        for c in covariates {
            let v = if c.categorical {
                Values::Categorical(coded(&c.name)?)
            } else {
                Values::Numeric(numbers(&c.name)?)
            };
            values.push((c.name.clone(), v));
        }
        Ok(ModelRows {
            participant: coded(PARTICIPANT)?,
            arm: coded(ARM)?,
            week: frame.column(WEEK)?.i64()?.iter().map(Option::unwrap_or_default).collect(),
            score: numbers(SCORE)?,
            baseline: numbers(BASELINE)?,
            group: coded(GROUP)?,
            covariates: values,
        })
    }

    pub fn len(&self) -> usize {
        self.score.len()
    }
}

/// A design matrix whose columns are named as in the summary (`intercept`, `arm[B]`, ...).
pub struct Design {
    pub names: Vec<String>,
    pub x: DMatrix<f64>,
}

/// Builds columns one at a time over a fixed set of rows.
pub struct DesignBuilder<'a> {
    rows: &'a [usize],
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl<'a> DesignBuilder<'a> {
    pub fn new(rows: &'a [usize]) -> Self {
        DesignBuilder { rows, names: Vec::new(), columns: Vec::new() }
    }

    pub fn column(&mut self, name: String, value: impl Fn(usize) -> f64) {
        self.names.push(name);
        self.columns.push(self.rows.iter().map(|&r| value(r)).collect());
    }

    /// Treatment contrasts: one indicator per code in `present` other than `reference`.
    pub fn categorical(&mut self, prefix: &str, values: &Coded, present: &[u32], reference: u32) {
        for &code in present.iter().filter(|&&c| c != reference) {
            let name = format!("{prefix}[{}]", values.levels[code as usize]);
            self.column(name, |r| f64::from(u8::from(values.codes[r] == Some(code))));
        }
    }

    /// Covariates in the order given: numeric as they are, text by treatment contrasts against the
    /// first level present.
    pub fn covariates(&mut self, covariates: &[(String, Values)]) {
        for (name, values) in covariates {
            match values {
                Values::Numeric(v) => self.column(name.clone(), |r| v[r]),
                Values::Categorical(v) => {
                    let present = v.present(self.rows);
                    if let Some(&first) = present.first() {
                        self.categorical(name, v, &present, first);
                    }
                }
            }
        }
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn finish(self) -> Design {
        let (n, p) = (self.rows.len(), self.columns.len());
        let x = DMatrix::from_fn(n, p, |i, j| self.columns[j][i]);
        Design { names: self.names, x }
    }
}
