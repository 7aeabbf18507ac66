//! The rows a model is fitted to and the design matrices built from them.

use nalgebra::DMatrix;

pub use crate::coded::{Coded, Values};
use crate::long::LongData;

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

/// One instrument's post-baseline rows that have a score, each with the same participant's
/// baseline score, in input order (so every fit is reproducible); found once for the change
/// scores and the models.
#[derive(Debug, Default)]
pub struct Paired {
    /// Rows of the [`LongData`].
    pub rows: Vec<usize>,
    pub baseline: Vec<f64>,
}

/// Pairs `rows` (one instrument's) with their participant's baseline; one baseline per
/// participant, since `LongData` refused duplicate rows.
pub fn paired(data: &LongData, rows: &[usize], baseline_week: i64) -> Paired {
    let mut baseline = vec![f64::NAN; data.participant.levels.len()];
    for &r in rows.iter().filter(|&&r| data.week[r] == baseline_week) {
        if let Some(p) = data.participant.codes[r] {
            baseline[p as usize] = data.score[r];
        }
    }
    let mut out = Paired::default();
    for &r in rows.iter().filter(|&&r| data.week[r] != baseline_week && !data.score[r].is_nan()) {
        let Some(p) = data.participant.codes[r] else { continue };
        let b = baseline[p as usize];
        if !b.is_nan() {
            out.rows.push(r);
            out.baseline.push(b);
        }
    }
    out
}

impl ModelRows {
    /// The [`paired`] rows every model can use: those with complete covariates.
    pub fn build(data: &LongData, paired: &Paired) -> Self {
        let complete: Vec<usize> = (0..paired.rows.len())
            .filter(|&i| data.covariates.iter().all(|(_, v)| v.is_present(paired.rows[i])))
            .collect();
        let rows: Vec<usize> = complete.iter().map(|&i| paired.rows[i]).collect();
        ModelRows {
            participant: data.participant.subset(&rows),
            arm: data.arm.subset(&rows),
            week: rows.iter().map(|&r| data.week[r]).collect(),
            score: rows.iter().map(|&r| data.score[r]).collect(),
            baseline: complete.iter().map(|&i| paired.baseline[i]).collect(),
            group: data.group.subset(&rows),
            covariates: data.covariates.iter().map(|(c, v)| (c.name.clone(), v.subset(&rows))).collect(),
        }
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
    /// Column after column, as nalgebra lays out a matrix.
    data: Vec<f64>,
}

impl<'a> DesignBuilder<'a> {
    pub fn new(rows: &'a [usize]) -> Self {
        DesignBuilder { rows, names: Vec::new(), data: Vec::new() }
    }

    pub fn column(&mut self, name: String, value: impl Fn(usize) -> f64) {
        self.names.push(name);
        self.data.extend(self.rows.iter().map(|&r| value(r)));
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
        let (n, p) = (self.rows.len(), self.names.len());
        let x = DMatrix::from_vec(n, p, self.data);
        Design { names: self.names, x }
    }
}

/// One instrument's model rows from the validation data set `tests/data/two_arm.csv`, for unit
/// tests of the models.
#[cfg(test)]
pub fn validation_rows(instrument: &str, covariates: &[&str], groups: bool) -> ModelRows {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/two_arm.csv");
    let covariates: Vec<String> = covariates.iter().map(|c| c.to_string()).collect();
    let data = crate::input::load(&path, &covariates, groups).unwrap_or_else(|e| panic!("{e}"));
    let code = data.instrument.code_of(instrument).unwrap_or_else(|| panic!("{instrument} is in the file"));
    ModelRows::build(&data, &paired(&data, &data.rows_by_instrument[code as usize], 0))
}
