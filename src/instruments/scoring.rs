//! Totals, bands, prorating and alert rules, exactly as each instrument's file says.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{AlertRule, Condition, Instrument};

/// A participant's answers to one instrument: item id → value, or `None` for an item they chose
/// to skip. Items never reached are simply absent; both count as missing.
pub type Answers = BTreeMap<String, Option<i32>>;

/// The score of one completed instrument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    /// `None` when too many items are missing, or a never-imputed item is.
    pub total: Option<i32>,
    /// Whether missing items were prorated.
    pub prorated: bool,
    /// Scored items answered.
    pub answered: i32,
    /// The band's English label (the stored value; pages translate it).
    pub band: Option<String>,
}

/// Scores answers by the instrument's rule: the sum of the scored items; with up to
/// `max_missing` of them missing (and no never-imputed one), the sum scaled to all items and
/// rounded half up; otherwise no total.
pub fn score(inst: &Instrument, answers: &Answers) -> Score {
    let mut sum = 0i64;
    let mut answered = 0i64;
    let mut n = 0i64;
    let mut never_imputed_missing = false;
    for item in inst.scored_items() {
        n += 1;
        match answers.get(item.id.get_ref()).copied().flatten() {
            Some(v) => {
                sum += i64::from(v);
                answered += 1;
            }
            None => never_imputed_missing |= *item.never_impute.get_ref(),
        }
    }
    let missing = n - answered;
    let total = if missing == 0 {
        Some(sum)
    } else if answered == 0
        || never_imputed_missing
        || missing > i64::from(*inst.scoring.max_missing.get_ref())
    {
        None
    } else {
        // round(sum × n / answered), halves up, in integers: no floating-point edge cases.
        Some((2 * sum * n + answered) / (2 * answered))
    };
    let total = total.map(|t| t as i32);
    Score {
        total,
        prorated: total.is_some() && missing > 0,
        answered: answered as i32,
        band: total.and_then(|t| band(inst, t)),
    }
}

/// The English label of the band a total falls in.
pub fn band(inst: &Instrument, total: i32) -> Option<String> {
    inst.scoring
        .bands
        .get_ref()
        .iter()
        .find(|b| (*b.min.get_ref()..=*b.max.get_ref()).contains(&total))
        .and_then(|b| b.label.get_ref().get("en").cloned())
}

/// Whether an item-level rule holds for one answer (used the moment an answer is saved, so an
/// urgent answer raises its alert before the questionnaire is submitted).
pub fn item_rule_holds(rule: &AlertRule, item: &str, value: Option<i32>) -> bool {
    if rule.item.get_ref() != item {
        return false;
    }
    match (rule.when.get_ref(), value) {
        (Condition::AtLeast, Some(v)) => rule.value.as_ref().is_some_and(|t| v >= *t.get_ref()),
        _ => false,
    }
}

/// Every rule that holds for a submitted instrument. `baseline_total` is the participant's
/// baseline total of the same instrument, when there is one (and this is not the baseline).
pub fn triggered<'a>(
    inst: &'a Instrument,
    answers: &Answers,
    score: &Score,
    baseline_total: Option<i32>,
) -> Vec<&'a AlertRule> {
    inst.alerts
        .iter()
        .filter(|rule| {
            let threshold = rule.value.as_ref().map(|v| *v.get_ref());
            let on_total = rule.item.get_ref() == "total";
            let value =
                if on_total { score.total } else { answers.get(rule.item.get_ref()).copied().flatten() };
            match rule.when.get_ref() {
                Condition::AtLeast => value.zip(threshold).is_some_and(|(v, t)| v >= t),
                Condition::Missing => value.is_none(),
                Condition::IncreaseFromBaseline => match (score.total, baseline_total, threshold) {
                    (Some(now), Some(base), Some(t)) => now - base >= t,
                    _ => false,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instruments::Library;

    fn lib() -> Library {
        Library::bundled()
    }

    /// Answers giving each scored item a value (None = skipped), in item order.
    fn answers(inst: &Instrument, values: &[Option<i32>]) -> Answers {
        inst.scored_items().zip(values).map(|(i, v)| (i.id.get_ref().clone(), *v)).collect()
    }

    /// All items answered, adding up to `total` with values spread from the first item on.
    fn answers_totalling(inst: &Instrument, total: i32) -> Answers {
        let lows: Vec<i32> = inst
            .scored_items()
            .map(|i| inst.options_of(i).first().map_or(0, |o| *o.value.get_ref()))
            .collect();
        let highs: Vec<i32> = inst
            .scored_items()
            .map(|i| inst.options_of(i).last().map_or(0, |o| *o.value.get_ref()))
            .collect();
        let mut left = total - lows.iter().sum::<i32>();
        let values: Vec<Option<i32>> = lows
            .iter()
            .zip(&highs)
            .map(|(lo, hi)| {
                let add = left.min(hi - lo);
                left -= add;
                Some(lo + add)
            })
            .collect();
        assert_eq!(left, 0, "{total} is out of range");
        answers(inst, &values)
    }

    /// The band facts of `../shared/reference/instruments.json`: (first total, last total, label).
    const PHQ9_BANDS: &[(i32, i32, &str)] = &[
        (0, 4, "Minimal or none"),
        (5, 9, "Mild"),
        (10, 14, "Moderate"),
        (15, 19, "Moderately severe"),
        (20, 27, "Severe"),
    ];
    const GAD7_BANDS: &[(i32, i32, &str)] =
        &[(0, 4, "Minimal"), (5, 9, "Mild"), (10, 14, "Moderate"), (15, 21, "Severe")];
    const UCLA3_BANDS: &[(i32, i32, &str)] = &[(3, 5, "Not lonely"), (6, 9, "Lonely")];

    #[test]
    fn every_band_edge_of_phq9_gad7_and_ucla3_falls_in_the_published_band() {
        let lib = lib();
        for (id, bands) in [("phq9", PHQ9_BANDS), ("gad7", GAD7_BANDS), ("ucla3", UCLA3_BANDS)] {
            let inst = lib.get(id).expect("bundled");
            for &(lo, hi, label) in bands {
                for total in [lo, hi] {
                    let s = score(inst, &answers_totalling(inst, total));
                    assert_eq!(s.total, Some(total), "{id} {total}");
                    assert_eq!(s.band.as_deref(), Some(label), "{id} total {total}");
                    assert!(!s.prorated);
                }
            }
            let (min, max) = (bands[0].0, bands[bands.len() - 1].1);
            assert_eq!((*inst.scoring.min.get_ref(), *inst.scoring.max.get_ref()), (min, max), "{id} range");
        }
    }

    #[test]
    fn phq9_prorates_up_to_two_missing_items_rounding_halves_up() {
        let lib = lib();
        let phq9 = lib.get("phq9").expect("bundled");
        // One missing (item 1), 8 answered summing 4: 4 × 9 / 8 = 4.5 → 5.
        let s = score(
            phq9,
            &answers(phq9, &[None, Some(1), Some(1), Some(1), Some(1), Some(0), Some(0), Some(0), Some(0)]),
        );
        assert_eq!((s.total, s.prorated, s.answered), (Some(5), true, 8));
        assert_eq!(s.band.as_deref(), Some("Mild"));
        // Two missing, 7 answered summing 10: 10 × 9 / 7 = 12.86 → 13.
        let s = score(
            phq9,
            &answers(phq9, &[None, None, Some(2), Some(2), Some(2), Some(2), Some(1), Some(1), Some(0)]),
        );
        assert_eq!((s.total, s.prorated), (Some(13), true));
        // Two missing summing 3: 3 × 9 / 7 = 3.86 → 4 (just inside "minimal").
        let s = score(
            phq9,
            &answers(phq9, &[None, None, Some(1), Some(1), Some(1), Some(0), Some(0), Some(0), Some(0)]),
        );
        assert_eq!((s.total, s.band.as_deref()), (Some(4), Some("Minimal or none")));
        // Three missing: no total.
        let s = score(
            phq9,
            &answers(phq9, &[None, None, None, Some(3), Some(3), Some(3), Some(3), Some(3), Some(0)]),
        );
        assert_eq!((s.total, s.prorated, s.band), (None, false, None));
    }

    #[test]
    fn phq9_item_9_is_never_imputed_so_a_missing_item_9_means_no_total() {
        let lib = lib();
        let phq9 = lib.get("phq9").expect("bundled");
        let mut a = answers(phq9, &[Some(1); 9]);
        a.insert("phq9_9".into(), None);
        assert_eq!(score(phq9, &a).total, None);
        a.remove("phq9_9");
        assert_eq!(score(phq9, &a).total, None, "an item never reached is missing too");
        let fired: Vec<&str> =
            triggered(phq9, &a, &score(phq9, &a), None).iter().map(|r| r.id.get_ref().as_str()).collect();
        assert_eq!(fired, ["item9_unanswered"]);
    }

    #[test]
    fn phq9_item_10_is_not_added_to_the_total() {
        let lib = lib();
        let phq9 = lib.get("phq9").expect("bundled");
        let mut a = answers_totalling(phq9, 7);
        a.insert("phq9_10".into(), Some(3));
        assert_eq!(score(phq9, &a).total, Some(7));
    }

    #[test]
    fn gad7_prorates_exactly_one_missing_item_and_no_more() {
        let lib = lib();
        let gad7 = lib.get("gad7").expect("bundled");
        // 6 answered summing 3: 3 × 7 / 6 = 3.5 → 4.
        let s = score(gad7, &answers(gad7, &[Some(1), Some(1), Some(1), Some(0), Some(0), Some(0), None]));
        assert_eq!((s.total, s.prorated), (Some(4), true));
        // 6 answered summing 13: 13 × 7 / 6 = 15.17 → 15, "Severe".
        let s = score(gad7, &answers(gad7, &[Some(3), Some(3), Some(3), Some(2), Some(1), Some(1), None]));
        assert_eq!((s.total, s.band.as_deref()), (Some(15), Some("Severe")));
        let s = score(gad7, &answers(gad7, &[Some(3), Some(3), Some(3), Some(2), Some(1), None, None]));
        assert_eq!(s.total, None);
    }

    #[test]
    fn ucla3_is_never_prorated() {
        let lib = lib();
        let ucla3 = lib.get("ucla3").expect("bundled");
        let s = score(ucla3, &answers(ucla3, &[Some(3), Some(3), None]));
        assert_eq!((s.total, s.prorated, s.answered), (None, false, 2));
    }

    #[test]
    fn alert_rules_fire_at_their_thresholds_and_not_below() {
        let lib = lib();
        let phq9 = lib.get("phq9").expect("bundled");
        let fired = |a: &Answers, baseline| -> Vec<String> {
            triggered(phq9, a, &score(phq9, a), baseline).iter().map(|r| r.id.get_ref().clone()).collect()
        };
        let mut a = answers_totalling(phq9, 19);
        a.insert("phq9_9".into(), Some(0));
        let s19 = score(phq9, &a).total.expect("total");
        assert!(fired(&a, None).is_empty(), "19 with item 9 at 0: {:?}", fired(&a, None));
        assert_eq!(fired(&a, Some(s19 - 4)), Vec::<String>::new(), "4 above baseline is not 5");
        assert_eq!(fired(&a, Some(s19 - 5)), ["worsened_from_baseline"]);
        let mut b = answers_totalling(phq9, 20);
        b.insert("phq9_1".into(), Some(3));
        b.insert("phq9_9".into(), Some(1));
        let ids = fired(&b, None);
        assert!(
            ids.contains(&"item9_endorsed".to_owned()) && ids.contains(&"total_severe".to_owned()),
            "{ids:?}"
        );
        let rule = phq9.alerts.iter().find(|r| r.id.get_ref() == "item9_endorsed").expect("rule");
        assert!(item_rule_holds(rule, "phq9_9", Some(1)));
        assert!(!item_rule_holds(rule, "phq9_9", Some(0)));
        assert!(!item_rule_holds(rule, "phq9_9", None));
        assert!(!item_rule_holds(rule, "phq9_8", Some(3)));
    }
}
