//! Checked long data, coded once: one row per participant × week × instrument.

use polars::prelude::*;
use rayon::prelude::*;

use crate::coded::{Coded, Values};
use crate::columns::{ARM, Covariate, GROUP, INSTRUMENT, PARTICIPANT, SCORE, Source, WEEK};
use crate::error::AnalysisError;

/// The rows of a checked file or frame, in input order, with every text column coded.
#[derive(Debug, Clone)]
pub struct LongData {
    pub participant: Coded,
    pub arm: Coded,
    pub instrument: Coded,
    pub group: Coded,
    pub week: Vec<i64>,
    /// NaN where missing.
    pub score: Vec<f64>,
    /// In the order asked for; text columns are categorical.
    pub covariates: Vec<(Covariate, Values)>,
    /// Each instrument's rows, in input order, by instrument code.
    pub rows_by_instrument: Vec<Vec<usize>>,
    /// Distinct weeks, ascending.
    pub weeks: Vec<i64>,
}

impl LongData {
    /// Codes a frame whose required columns `input::prepare` has checked and converted, and
    /// refuses a second row for the same participant, instrument and week.
    pub(crate) fn code(
        frame: &DataFrame,
        covariates: Vec<Covariate>,
        source: Source,
    ) -> Result<Self, AnalysisError> {
        let text = |name: &str| -> Result<&StringChunked, AnalysisError> { Ok(frame.column(name)?.str()?) };
        let mut columns = vec![text(PARTICIPANT)?, text(ARM)?, text(INSTRUMENT)?, text(GROUP)?];
        for c in covariates.iter().filter(|c| c.categorical) {
            columns.push(text(&c.name)?);
        }
        // Side by side: participant ids, with many levels, take about as long as the rest together.
        let mut coded = columns.into_par_iter().map(Coded::new).collect::<Vec<_>>().into_iter();
        let mut next = || coded.next().expect("each column was coded, in order");
        let (participant, arm, instrument, group) = (next(), next(), next(), next());
        let mut values = Vec::with_capacity(covariates.len());
        for c in &covariates {
            values.push(if c.categorical {
                Values::Categorical(next())
            } else {
                Values::Numeric(numbers(frame.column(&c.name)?.f64()?))
            });
        }
        let week: Vec<i64> = frame.column(WEEK)?.i64()?.into_no_null_iter().collect();
        let score = numbers(frame.column(SCORE)?.f64()?);
        // Few distinct weeks among many rows: a sorted set by insertion beats sorting every row.
        let mut weeks: Vec<i64> = Vec::new();
        let mut last = None;
        for &w in &week {
            if last != Some(w) {
                if let Err(at) = weeks.binary_search(&w) {
                    weeks.insert(at, w);
                }
                last = Some(w);
            }
        }
        let mut rows_by_instrument = vec![Vec::new(); instrument.levels.len()];
        for (r, code) in instrument.codes.iter().enumerate() {
            if let Some(code) = code {
                rows_by_instrument[*code as usize].push(r);
            }
        }
        let data = LongData {
            participant,
            arm,
            instrument,
            group,
            week,
            score,
            covariates: covariates.into_iter().zip(values).collect(),
            rows_by_instrument,
            weeks,
        };
        data.check_duplicates(source)?;
        Ok(data)
    }

    pub fn len(&self) -> usize {
        self.week.len()
    }

    pub fn is_empty(&self) -> bool {
        self.week.is_empty()
    }

    /// Two rows for the same participant, instrument and week make every statistic ambiguous.
    /// Reports the earliest row that repeats one before it.
    fn check_duplicates(&self, source: Source) -> Result<(), AnalysisError> {
        // One bit per participant × week, reused for each instrument.
        let words = self.weeks.len().div_ceil(64);
        let mut seen = vec![0u64; self.participant.levels.len() * words];
        let key = |r: usize| -> Option<(usize, u64)> {
            let p = self.participant.codes[r]? as usize;
            let w = self.weeks.binary_search(&self.week[r]).ok()?;
            Some((p * words + w / 64, 1 << (w % 64)))
        };
        let mut earliest: Option<usize> = None;
        for rows in &self.rows_by_instrument {
            seen.fill(0);
            for &r in rows {
                let Some((word, bit)) = key(r) else { continue };
                if seen[word] & bit != 0 {
                    earliest = Some(earliest.map_or(r, |e| e.min(r)));
                    break;
                }
                seen[word] |= bit;
            }
        }
        let Some(second) = earliest else { return Ok(()) };
        // Only now, on failure, find the row it repeats.
        let same =
            |r: usize| self.instrument.codes[r] == self.instrument.codes[second] && key(r) == key(second);
        let first = (0..second).find(|&r| same(r)).unwrap_or(second);
        Err(AnalysisError::BadValue {
            column: PARTICIPANT.into(),
            location: source.locate(second as u64),
            problem: format!(
                "participant `{}` already has a {} score at week {} ({})",
                self.participant.level(second).unwrap_or_default(),
                self.instrument.level(second).unwrap_or_default(),
                self.week[second],
                source.locate(first as u64)
            ),
        })
    }

    /// How many participants each arm has anywhere in the data, by arm code: the denominator of
    /// completion.
    pub fn randomised_per_arm(&self) -> Vec<u64> {
        let arms = self.arm.levels.len();
        let mut seen = vec![false; arms * self.participant.levels.len()];
        let mut counts = vec![0u64; arms];
        for (p, a) in self.participant.codes.iter().zip(&self.arm.codes) {
            if let (Some(p), Some(a)) = (p, a) {
                let cell = &mut seen[*p as usize * arms + *a as usize];
                if !*cell {
                    *cell = true;
                    counts[*a as usize] += 1;
                }
            }
        }
        counts
    }
}

/// Numbers with NaN where missing.
fn numbers(column: &Float64Chunked) -> Vec<f64> {
    column.iter().map(|v| v.unwrap_or(f64::NAN)).collect()
}
