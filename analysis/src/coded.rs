//! Text columns as integer codes into their sorted distinct levels: every figure and model compares
//! and counts codes, and no string is hashed or copied after the data are read.

use std::sync::Arc;

use polars::prelude::*;

/// One text column, coded.
#[derive(Debug, Clone)]
pub struct Coded {
    /// `None` where the value is missing (or empty).
    pub codes: Vec<Option<u32>>,
    /// Sorted, so that "first level" means what it does in R and patsy. Shared by every subset.
    pub levels: Arc<[String]>,
}

impl Coded {
    pub fn new(column: &StringChunked) -> Self {
        let mut levels = FirstSeen::default();
        // Long data keeps a participant's rows together, so a value often repeats the row before:
        // comparing with it is cheaper than looking it up.
        let mut previous: Option<(&str, u32)> = None;
        let mut codes: Vec<Option<u32>> = column
            .iter()
            .map(|v| {
                let v = v.filter(|v| !v.is_empty())?;
                match previous {
                    Some((text, code)) if text == v => Some(code),
                    _ => {
                        let code = levels.code(v);
                        previous = Some((v, code));
                        Some(code)
                    }
                }
            })
            .collect();
        // Renumber in sorted order, so that "first level" means what it does in R and patsy.
        let mut sorted: Vec<(&str, u32)> = levels.all;
        sorted.sort_unstable();
        let mut rank = vec![0u32; sorted.len()];
        for (position, (_, code)) in sorted.iter().enumerate() {
            rank[*code as usize] = position as u32;
        }
        for code in codes.iter_mut().flatten() {
            *code = rank[*code as usize];
        }
        Coded { codes, levels: sorted.into_iter().map(|(l, _)| l.to_string()).collect() }
    }

    /// The values at `rows`, with the same levels.
    pub fn subset(&self, rows: &[usize]) -> Self {
        Coded { codes: rows.iter().map(|&r| self.codes[r]).collect(), levels: Arc::clone(&self.levels) }
    }

    pub fn code_of(&self, level: &str) -> Option<u32> {
        self.levels.binary_search_by(|l| l.as_str().cmp(level)).ok().map(|i| i as u32)
    }

    /// The level at row `r`, if any.
    pub fn level(&self, r: usize) -> Option<&str> {
        self.codes[r].map(|c| self.levels[c as usize].as_str())
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

/// Codes in order of first appearance.
#[derive(Default)]
struct FirstSeen<'a> {
    /// Every level with its code, in code order.
    all: Vec<(&'a str, u32)>,
    /// The same, for lookup once there are more than [`FirstSeen::FEW`].
    index: PlHashMap<&'a str, u32>,
}

impl<'a> FirstSeen<'a> {
    /// Up to this many levels (arms, sites, instruments), a scan beats hashing.
    const FEW: usize = 8;

    fn code(&mut self, value: &'a str) -> u32 {
        let found = if self.all.len() <= Self::FEW {
            self.all.iter().find(|(level, _)| *level == value).map(|&(_, code)| code)
        } else {
            self.index.get(value).copied()
        };
        found.unwrap_or_else(|| {
            let code = self.all.len() as u32;
            self.all.push((value, code));
            if self.all.len() > Self::FEW {
                if self.index.is_empty() {
                    self.index.extend(self.all.iter().copied());
                } else {
                    self.index.insert(value, code);
                }
            }
            code
        })
    }
}

/// A covariate's values: numbers (NaN where missing) or coded text.
#[derive(Debug, Clone)]
pub enum Values {
    Numeric(Vec<f64>),
    Categorical(Coded),
}

impl Values {
    pub fn is_present(&self, r: usize) -> bool {
        match self {
            Values::Numeric(v) => !v[r].is_nan(),
            Values::Categorical(c) => c.codes[r].is_some(),
        }
    }

    pub fn subset(&self, rows: &[usize]) -> Self {
        match self {
            Values::Numeric(v) => Values::Numeric(rows.iter().map(|&r| v[r]).collect()),
            Values::Categorical(c) => Values::Categorical(c.subset(rows)),
        }
    }
}
