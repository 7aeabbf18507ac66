//! Parses and checks an instrument file, reporting every problem with its line and column.

use std::collections::HashSet;

use toml::Spanned;

use super::{AnswerOption, Condition, Instrument, Severity};
use crate::toml_file::LocalText;
use crate::toml_file::{FileError, locate};

/// Parses and checks instrument text; returns every problem found, in file order.
pub fn check(text: &str) -> Result<Instrument, Vec<FileError>> {
    let inst: Instrument = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        vec![locate(text, &span, e.message().trim().to_owned())]
    })?;
    let mut c =
        Checker { text, errors: Vec::new(), languages: inst.stem.get_ref().keys().cloned().collect() };
    c.identity(&inst);
    c.items(&inst);
    c.scoring(&inst);
    c.alerts(&inst);
    if c.errors.is_empty() {
        Ok(inst)
    } else {
        c.errors.sort_by_key(|e| (e.line, e.column));
        Err(c.errors)
    }
}

struct Checker<'a> {
    text: &'a str,
    errors: Vec<FileError>,
    languages: Vec<String>,
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Checker<'_> {
    fn err<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        self.errors.push(locate(self.text, &at.span(), message.into()));
    }

    /// Every text must be in English and in each language the stem is in.
    fn worded(&mut self, what: &str, text: &Spanned<LocalText>) {
        let t = text.get_ref();
        if !t.contains_key("en") {
            self.err(text, format!("{what} needs an English (`en`) wording"));
        }
        for lang in self.languages.clone() {
            if !t.contains_key(&lang) {
                self.err(text, format!("{what} has no `{lang}` wording, though the stem does"));
            }
        }
        if t.values().any(|v| v.trim().is_empty()) {
            self.err(text, format!("{what} has an empty wording"));
        }
    }

    fn identity(&mut self, i: &Instrument) {
        if !is_identifier(i.id.get_ref()) {
            self.err(&i.id, "id must be lower-case letters, digits and `_`, starting with a letter");
        }
        self.worded("name", &i.name);
        self.worded("stem", &i.stem);
        for lang in self.languages.clone() {
            if !i.sources.get_ref().contains_key(&lang) {
                self.err(&i.sources, format!("sources must say where the `{lang}` wording comes from"));
            }
        }
        self.options("options", &i.options);
    }

    fn options(&mut self, what: &str, options: &Spanned<Vec<AnswerOption>>) {
        if options.get_ref().len() < 2 {
            self.err(options, format!("{what} needs at least two answers"));
        }
        let mut last = None;
        for o in options.get_ref() {
            if last.is_some_and(|l| *o.value.get_ref() <= l) {
                self.err(&o.value, "option values must increase, each one once");
            }
            last = Some(*o.value.get_ref());
            self.worded("option label", &o.label);
        }
    }

    fn items(&mut self, i: &Instrument) {
        let mut seen = HashSet::new();
        for item in i.items.get_ref() {
            let id = item.id.get_ref();
            if !seen.insert(id.clone()) {
                self.err(&item.id, format!("duplicate item `{id}`"));
            }
            if !is_identifier(id) {
                self.err(&item.id, "item ids must be lower-case letters, digits and `_`");
            }
            if id == "total" {
                self.err(&item.id, "`total` names the score in alert rules; choose another item id");
            }
            self.worded("item text", &item.text);
            if let Some(own) = &item.options {
                self.options("item options", own);
            }
            let scored = *item.scored.get_ref();
            if *item.never_impute.get_ref() && !scored {
                self.err(&item.never_impute, "never_impute applies to scored items only");
            }
            if let Some(s) = &item.show_if_any_scored_above
                && scored
            {
                self.err(s, "only unscored items may be conditional; every scored item is asked");
            }
            for other in &item.omit_with {
                if !is_identifier(other.get_ref()) {
                    self.err(other, "omit_with lists instrument ids");
                }
            }
        }
        if i.scored_items().next().is_none() {
            self.err(&i.items, "at least one item must be scored");
        }
    }

    fn scoring(&mut self, i: &Instrument) {
        let s = &i.scoring;
        let (lowest, highest) = i.scored_items().fold((0, 0), |(lo, hi), item| {
            let values: Vec<i32> = i.options_of(item).iter().map(|o| *o.value.get_ref()).collect();
            (lo + values.iter().min().copied().unwrap_or(0), hi + values.iter().max().copied().unwrap_or(0))
        });
        if *s.min.get_ref() != lowest {
            self.err(&s.min, format!("min must be {lowest}: the sum of the scored items' lowest answers"));
        }
        if *s.max.get_ref() != highest {
            self.err(&s.max, format!("max must be {highest}: the sum of the scored items' highest answers"));
        }
        let scored = i.scored_items().count() as i32;
        if !(0..scored).contains(s.max_missing.get_ref()) {
            self.err(&s.max_missing, format!("max_missing must be from 0 to {}", scored - 1));
        }
        // Bands must tile the range: each starts one above the last one's end.
        let mut next = *s.min.get_ref();
        for b in s.bands.get_ref() {
            self.worded("band label", &b.label);
            if *b.min.get_ref() != next {
                self.err(&b.min, format!("this band must start at {next}, so that bands cover the range without gaps or overlaps"));
            }
            if b.max.get_ref() < b.min.get_ref() {
                self.err(&b.max, "a band's max must not be below its min");
            }
            next = *b.max.get_ref() + 1;
        }
        if !s.bands.get_ref().is_empty() && next != *s.max.get_ref() + 1 {
            self.err(&s.bands, format!("the last band must end at the scale's max, {}", s.max.get_ref()));
        }
    }

    fn alerts(&mut self, i: &Instrument) {
        let mut seen = HashSet::new();
        for a in &i.alerts {
            if !seen.insert(a.id.get_ref().clone()) {
                self.err(&a.id, format!("duplicate alert `{}`", a.id.get_ref()));
            }
            let on_total = a.item.get_ref() == "total";
            if !on_total && i.item(a.item.get_ref()).is_none() {
                self.err(&a.item, format!("no item `{}`; name an item or `total`", a.item.get_ref()));
            }
            match (a.when.get_ref(), &a.value) {
                (Condition::Missing, Some(v)) => self.err(v, "`missing` takes no value"),
                (Condition::Missing, None) if on_total => {
                    self.err(&a.when, "`missing` applies to an item; a missing total is not an alert")
                }
                (Condition::AtLeast | Condition::IncreaseFromBaseline, None) => {
                    self.err(&a.when, "this condition needs a `value`")
                }
                (Condition::IncreaseFromBaseline, Some(_)) if !on_total => {
                    self.err(&a.when, "`increase_from_baseline` applies to the total")
                }
                _ => {}
            }
            if a.crisis_resources && *a.severity.get_ref() != Severity::Urgent {
                self.err(&a.severity, "crisis resources are shown for urgent alerts only");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_instruments_pass_their_own_check() {
        for (name, text) in super::super::BUNDLED {
            if let Err(errors) = check(text) {
                panic!("{name}: {errors:?}");
            }
        }
    }

    #[test]
    fn a_band_gap_and_a_wrong_range_are_reported_with_line_and_column() {
        let text = super::super::BUNDLED[2]
            .1
            .replace("min = 6\nmax = 9", "min = 7\nmax = 9")
            .replace("max = 9\nmax_missing", "max = 10\nmax_missing");
        let errors = check(&text).expect_err("broken");
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(messages.iter().any(|m| m.contains("max must be 9")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("must start at 6")), "{messages:?}");
        assert!(errors.iter().all(|e| e.line > 1 && e.column >= 1));
    }

    #[test]
    fn a_missing_spanish_wording_and_an_unknown_alert_item_are_reported() {
        let text = super::super::BUNDLED[2]
            .1
            .replace(", es = \"¿Con qué frecuencia se siente excluido(a)?\"", "")
            .replace("item = \"total\"", "item = \"ucla3_9\"");
        let messages: Vec<String> =
            check(&text).expect_err("broken").iter().map(ToString::to_string).collect();
        assert!(messages.iter().any(|m| m.contains("no `es` wording")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("no item `ucla3_9`")), "{messages:?}");
    }
}
