//! The attacker of the blinding test: turns what a reader could read about each participant into
//! features, and predicts a label (the arm code) from them with a one-feature rule and with
//! L2-regularised logistic regression, each scored by repeated, stratified 10-fold
//! cross-validation so that a model that only memorises scores at chance.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// One thing known about a participant: a number or a category.
#[derive(Debug, Clone, PartialEq)]
pub enum Feature {
    Num(f64),
    Cat(String),
}

/// Everything known about the participants, by study id.
#[derive(Debug, Default)]
pub struct Dossier {
    pub features: BTreeMap<String, BTreeMap<String, Feature>>,
}

impl Dossier {
    pub fn put(&mut self, study_id: &str, name: impl Into<String>, value: Feature) {
        self.features.entry(study_id.to_owned()).or_default().insert(name.into(), value);
    }

    /// A JSON value, flattened: objects by key path, arrays by length and items, strings as
    /// categories (timestamps as days from `origin`), numbers and booleans as numbers.
    pub fn put_json(
        &mut self,
        study_id: &str,
        prefix: &str,
        value: &Value,
        origin: Option<chrono::NaiveDateTime>,
    ) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    self.put_json(study_id, &format!("{prefix}.{k}"), v, origin);
                }
            }
            Value::Array(items) => {
                self.put(study_id, format!("{prefix}.len"), Feature::Num(items.len() as f64));
                for (i, v) in items.iter().enumerate().take(20) {
                    self.put_json(study_id, &format!("{prefix}.{i}"), v, origin);
                }
            }
            Value::String(s) => {
                let feature = match (timestamp(s), origin) {
                    (Some(t), Some(o)) => Feature::Num((t - o).num_minutes() as f64 / 1440.0),
                    (Some(_), None) => return,
                    _ => Feature::Cat(s.clone()),
                };
                self.put(study_id, prefix, feature);
            }
            Value::Number(n) => self.put(study_id, prefix, Feature::Num(n.as_f64().unwrap_or(0.0))),
            Value::Bool(b) => self.put(study_id, prefix, Feature::Num(f64::from(u8::from(*b)))),
            Value::Null => self.put(study_id, prefix, Feature::Cat("null".into())),
        }
    }

    /// A CSV file's cells as features (one row per participant, or the cells that stay the same
    /// across a participant's rows in a long file), leaving out the columns `skip` accepts.
    pub fn put_csv(&mut self, prefix: &str, text: &str, skip: impl Fn(&str) -> bool) {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().expect("csv header").clone();
        let id_at = headers.iter().position(|h| h == "participant_id").expect("participant_id column");
        let mut seen: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
        for record in reader.records() {
            let record = record.expect("csv row");
            let id = record[id_at].to_owned();
            for (h, cell) in headers.iter().zip(record.iter()) {
                if skip(h) || h == "participant_id" {
                    continue;
                }
                let entry = seen.entry((id.clone(), h.to_owned())).or_insert_with(|| Some(cell.to_owned()));
                if entry.as_deref() != Some(cell) {
                    *entry = None;
                }
            }
        }
        for ((id, column), cell) in seen {
            let Some(cell) = cell else { continue };
            let feature = cell.parse::<f64>().map_or(Feature::Cat(cell), Feature::Num);
            self.put(&id, format!("{prefix}.{column}"), feature);
        }
    }
}

fn timestamp(s: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.fZ").ok()
}

/// The dossier as a numeric matrix: numbers standardised (missing: 0 and a flag), categories
/// one-hot for values held by at least two participants.
fn encode(dossier: &Dossier, ids: &[String]) -> (Vec<String>, Vec<Vec<f64>>) {
    let names: BTreeSet<&String> = dossier.features.values().flat_map(|f| f.keys()).collect();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    let mut column_names: Vec<String> = Vec::new();
    for name in names {
        let values: Vec<Option<&Feature>> = ids.iter().map(|id| dossier.features[id].get(name)).collect();
        let nums: Vec<Option<f64>> =
            values.iter().map(|v| if let Some(Feature::Num(x)) = v { Some(*x) } else { None }).collect();
        if nums.iter().any(Option::is_some) {
            let present: Vec<f64> = nums.iter().flatten().copied().collect();
            let mean = present.iter().sum::<f64>() / present.len() as f64;
            let sd = (present.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / present.len() as f64).sqrt();
            if sd > 0.0 {
                columns.push(nums.iter().map(|x| x.map_or(0.0, |x| (x - mean) / sd)).collect());
                column_names.push(name.clone());
            }
            if present.len() < ids.len() {
                columns.push(nums.iter().map(|x| f64::from(u8::from(x.is_none()))).collect());
                column_names.push(format!("{name} is missing"));
            }
            continue;
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for v in &values {
            let key = if let Some(Feature::Cat(s)) = v { s.as_str() } else { "" };
            *counts.entry(key).or_default() += 1;
        }
        for (level, n) in counts {
            if n >= 2 && n < ids.len() {
                columns.push(
                    values
                        .iter()
                        .map(|v| {
                            let key = if let Some(Feature::Cat(s)) = v { s.as_str() } else { "" };
                            f64::from(u8::from(key == level))
                        })
                        .collect(),
                );
                column_names.push(format!("{name} = {level}"));
            }
        }
    }
    (column_names, (0..ids.len()).map(|i| columns.iter().map(|c| c[i]).collect()).collect())
}

/// How many times the 10-fold cross-validation runs, each over another assignment of folds.
const REPEATS: usize = 3;

/// How well a model predicted, out of sample.
#[derive(Debug, Clone)]
pub struct Scores {
    /// Always guessing the commonest label.
    pub chance: f64,
    pub rule: f64,
    pub logistic: f64,
    pub participants: usize,
    pub features: usize,
    /// The feature the one-feature rule picks on everyone: where to look when it wins.
    pub telling_feature: String,
}

/// Predicts `labels` (two distinct values) from the dossier by 10-fold cross-validation.
pub fn attack(dossier: &Dossier, labels: &BTreeMap<String, String>) -> Scores {
    let ids: Vec<String> = labels.keys().filter(|id| dossier.features.contains_key(*id)).cloned().collect();
    let classes: BTreeSet<&String> = labels.values().collect();
    assert_eq!(classes.len(), 2, "the attacker tells two arms apart: {classes:?}");
    let positive = *classes.iter().next().expect("a class");
    let y: Vec<f64> = ids.iter().map(|id| f64::from(u8::from(&labels[id] == positive))).collect();
    let (names, x) = encode(dossier, &ids);
    let share = y.iter().sum::<f64>() / y.len() as f64;
    // Folds stratified by label, so that a fold's imbalance cannot push a model below chance;
    // the whole cross-validation is repeated over three fold assignments, since the rule a
    // search picks on one split is a noisy estimate of what the data hold.
    let (mut rule_hits, mut logistic_hits) = (0, 0);
    for repeat in 0..REPEATS {
        let mut fold_of = vec![0; ids.len()];
        for label in [0.0, 1.0] {
            let mut members: Vec<usize> = (0..ids.len()).filter(|&i| y[i] == label).collect();
            members.sort_by_key(|&i| mix((repeat * ids.len() + i) as u64));
            for (k, i) in members.into_iter().enumerate() {
                fold_of[i] = k % 10;
            }
        }
        for fold in 0..10 {
            let train: Vec<usize> = (0..ids.len()).filter(|&i| fold_of[i] != fold).collect();
            let test: Vec<usize> = (0..ids.len()).filter(|&i| fold_of[i] == fold).collect();
            let rule = best_rule(&x, &y, &train);
            let weights = logistic(&x, &y, &train);
            for &i in &test {
                rule_hits += usize::from(rule.predict(&x[i]) == (y[i] > 0.5));
                logistic_hits += usize::from((dot(&weights, &x[i]) > 0.0) == (y[i] > 0.5));
            }
        }
    }
    let n = (ids.len() * REPEATS) as f64;
    Scores {
        chance: share.max(1.0 - share),
        rule: rule_hits as f64 / n,
        logistic: logistic_hits as f64 / n,
        participants: ids.len(),
        features: x.first().map_or(0, Vec::len),
        telling_feature: names
            .get(best_rule(&x, &y, &(0..ids.len()).collect::<Vec<_>>()).column)
            .cloned()
            .unwrap_or_default(),
    }
}

/// SplitMix64's finaliser: a fixed, well-spread shuffle key for each (repeat, row).
fn mix(v: u64) -> u64 {
    let mut z = v.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// "Feature `column` above `threshold` means label `above`".
struct Rule {
    column: usize,
    threshold: f64,
    above: bool,
}

impl Rule {
    fn predict(&self, row: &[f64]) -> bool {
        (row.get(self.column).copied().unwrap_or(0.0) > self.threshold) == self.above
    }
}

/// The one-feature threshold rule that fits the training rows best.
fn best_rule(x: &[Vec<f64>], y: &[f64], train: &[usize]) -> Rule {
    let mut best = (0, Rule { column: 0, threshold: f64::INFINITY, above: true });
    let width = x.first().map_or(0, Vec::len);
    for column in 0..width {
        let mut values: Vec<f64> = train.iter().map(|&i| x[i][column]).collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        let step = (values.len() / 20).max(1);
        for threshold in values.iter().step_by(step) {
            // A rule must split off at least a tenth of the rows either way: one that singles out
            // a handful of rare values fits noise, not a way of telling the arms apart.
            let above_n = train.iter().filter(|&&i| x[i][column] > *threshold).count();
            if above_n * 10 < train.len() || (train.len() - above_n) * 10 < train.len() {
                continue;
            }
            for above in [true, false] {
                let rule = Rule { column, threshold: *threshold, above };
                let hits = train.iter().filter(|&&i| rule.predict(&x[i]) == (y[i] > 0.5)).count();
                if hits > best.0 {
                    best = (hits, rule);
                }
            }
        }
    }
    best.1
}

fn dot(w: &[f64], row: &[f64]) -> f64 {
    w[0] + w[1..].iter().zip(row).map(|(a, b)| a * b).sum::<f64>()
}

/// Logistic regression with an intercept and an L2 penalty, fitted by gradient descent.
fn logistic(x: &[Vec<f64>], y: &[f64], train: &[usize]) -> Vec<f64> {
    let width = x.first().map_or(0, Vec::len);
    let mut w = vec![0.0; width + 1];
    let (rate, penalty, n) = (0.5, 0.01, train.len() as f64);
    for _ in 0..300 {
        let mut grad = vec![0.0; width + 1];
        for &i in train {
            let p = 1.0 / (1.0 + (-dot(&w, &x[i])).exp());
            let err = p - y[i];
            grad[0] += err;
            for (g, v) in grad[1..].iter_mut().zip(&x[i]) {
                *g += err * v;
            }
        }
        for (j, g) in grad.iter().enumerate() {
            let shrink = if j == 0 { 0.0 } else { penalty * w[j] };
            w[j] -= rate * (g / n + shrink);
        }
    }
    w
}
