//! The rows a model is fitted to and the design matrices built from them.

use std::collections::BTreeSet;

use nalgebra::DMatrix;
use polars::prelude::*;

use crate::error::AnalysisError;
use crate::input::{ARM, Covariate, GROUP, PARTICIPANT, SCORE, WEEK};

/// A covariate's values on the model rows.
#[derive(Debug, Clone)]
pub enum Values {
    Numeric(Vec<f64>),
    Categorical(Vec<String>),
}

/// Post-baseline scores with the same participant's baseline and complete covariates.
#[derive(Debug, Clone)]
pub struct ModelRows {
    pub participant: Vec<String>,
    pub arm: Vec<String>,
    pub week: Vec<i64>,
    pub score: Vec<f64>,
    pub baseline: Vec<f64>,
    pub group: Vec<Option<String>>,
    pub covariates: Vec<(String, Values)>,
}

impl ModelRows {
    /// Rows of one instrument's scores that every model can use.
    pub fn build(
        scores: &LazyFrame,
        baseline_week: i64,
        covariates: &[Covariate],
    ) -> Result<Self, AnalysisError> {
        let baseline = scores
            .clone()
            .filter(col(WEEK).eq(lit(baseline_week)).and(col(SCORE).is_not_null()))
            .select([col(PARTICIPANT), col(SCORE).alias("baseline")])
            .unique_stable(None, UniqueKeepStrategy::First);
        let mut complete = col(SCORE).is_not_null().and(col(WEEK).neq(lit(baseline_week)));
        for c in covariates {
            complete = complete.and(col(c.name.as_str()).is_not_null());
        }
        let frame = scores
            .clone()
            .filter(complete)
            .inner_join(baseline, col(PARTICIPANT), col(PARTICIPANT))
            .sort([PARTICIPANT, WEEK], SortMultipleOptions::default())
            .collect()?;
        let text = |name: &str| -> Result<Vec<String>, AnalysisError> {
            Ok(frame.column(name)?.str()?.iter().map(|v| v.unwrap_or_default().to_string()).collect())
        };
        let numbers = |name: &str| -> Result<Vec<f64>, AnalysisError> {
            let cast = frame.column(name)?.cast(&DataType::Float64)?;
            Ok(cast.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        };
        let mut values = Vec::with_capacity(covariates.len());
        for c in covariates {
            let v = if c.categorical {
                Values::Categorical(text(&c.name)?)
            } else {
                Values::Numeric(numbers(&c.name)?)
            };
            values.push((c.name.clone(), v));
        }
        Ok(ModelRows {
            participant: text(PARTICIPANT)?,
            arm: text(ARM)?,
            week: frame.column(WEEK)?.i64()?.iter().map(Option::unwrap_or_default).collect(),
            score: numbers(SCORE)?,
            baseline: numbers("baseline")?,
            group: frame.column(GROUP)?.str()?.iter().map(|v| v.map(str::to_string)).collect(),
            covariates: values,
        })
    }

    pub fn len(&self) -> usize {
        self.score.len()
    }
}

/// Sorted distinct values among `rows`.
pub fn levels<'a>(values: impl Iterator<Item = &'a String>) -> Vec<String> {
    values.collect::<BTreeSet<_>>().into_iter().cloned().collect()
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

    /// Treatment contrasts: one indicator per level other than `reference`.
    pub fn categorical(&mut self, prefix: &str, values: &[String], levels: &[String], reference: &str) {
        for level in levels.iter().filter(|l| l.as_str() != reference) {
            self.column(format!("{prefix}[{level}]"), |r| f64::from(u8::from(values[r] == *level)));
        }
    }

    /// Covariates in the order given: numeric as they are, text by treatment contrasts against the
    /// first level present.
    pub fn covariates(&mut self, covariates: &[(String, Values)]) {
        for (name, values) in covariates {
            match values {
                Values::Numeric(v) => self.column(name.clone(), |r| v[r]),
                Values::Categorical(v) => {
                    let present = levels(self.rows.iter().map(|&r| &v[r]));
                    if let Some(first) = present.first() {
                        let first = first.clone();
                        self.categorical(name, v, &present, &first);
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
