//! Parses a protocol file and checks it, naming the line and column of every problem.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveTime};
use toml::Spanned;

use super::{Anchor, AnswerType, ArmKind, Method, Protocol};
use crate::instruments::Library;
use crate::toml_file::{FileError, locate};

/// Languages the participant-facing text ships in.
pub const SUPPORTED_LANGUAGES: &[&str] = &["en", "es"];

/// One problem in a protocol file, located by 1-based line and column.
pub type ProtocolError = FileError;

/// Parses protocol text already checked when it was stored: the file's structure only.
pub fn parse_checked(text: &str) -> Result<Protocol, Vec<ProtocolError>> {
    toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        vec![locate(text, &span, e.message().trim().to_owned())]
    })
}

/// Parses and checks protocol text; returns every problem found, in file order.
pub fn check(text: &str, library: &Library) -> Result<Protocol, Vec<ProtocolError>> {
    let protocol: Protocol = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        vec![locate(text, &span, e.message().trim().to_owned())]
    })?;
    let mut checker = Checker { text, library, errors: Vec::new() };
    checker.study(&protocol);
    checker.arms(&protocol);
    checker.strata_and_randomisation(&protocol);
    checker.eligibility(&protocol);
    checker.targets_and_groups(&protocol);
    checker.affinity_tags(&protocol);
    checker.assessments(&protocol);
    checker.consent_forms(&protocol);
    checker.staff_names(&protocol);
    checker.surveys_and_safety(&protocol);
    for (span, message) in super::blinding::problems(&protocol) {
        checker.errors.push(locate(text, &span, message));
    }
    let mut errors = checker.errors;
    if errors.is_empty() {
        Ok(protocol)
    } else {
        errors.sort_by_key(|e| (e.line, e.column));
        Err(errors)
    }
}

mod tags;
mod text;

struct Checker<'a> {
    text: &'a str,
    library: &'a Library,
    errors: Vec<ProtocolError>,
}

impl Checker<'_> {
    fn err<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        self.errors.push(locate(self.text, &at.span(), message.into()));
    }

    /// Flags the second and later occurrences of a value.
    fn unique<'s>(&mut self, what: &str, items: impl IntoIterator<Item = &'s Spanned<String>>) {
        let mut seen = HashSet::new();
        for item in items {
            if !seen.insert(item.get_ref().as_str()) {
                self.err(item, format!("duplicate {what} `{}`", item.get_ref()));
            }
        }
    }

    fn positive(&mut self, what: &str, value: &Spanned<i64>) {
        if *value.get_ref() <= 0 {
            self.err(value, format!("{what} must be a positive whole number, not {}", value.get_ref()));
        }
    }

    fn identifier(&mut self, what: &str, value: &Spanned<String>) {
        let v = value.get_ref();
        let ok = !v.is_empty()
            && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && v.starts_with(|c: char| c.is_ascii_lowercase());
        if !ok {
            self.err(
                value,
                format!("{what} `{v}` must be lower-case letters, digits and _, starting with a letter"),
            );
        }
    }

    fn study(&mut self, p: &Protocol) {
        let s = &p.study;
        let code = s.code.get_ref();
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            self.err(&s.code, "study code must be upper-case letters, digits and -");
        }
        let prefix = s.id_prefix.get_ref();
        if prefix.is_empty() || prefix.len() > 8 || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
            self.err(&s.id_prefix, "id_prefix must be 1 to 8 upper-case letters");
        }
        if s.languages.get_ref().is_empty() {
            self.err(&s.languages, "at least one language is needed");
        }
        for lang in s.languages.get_ref() {
            if !SUPPORTED_LANGUAGES.contains(&lang.get_ref().as_str()) {
                self.err(
                    lang,
                    format!(
                        "unsupported language `{}`; supported: {}",
                        lang.get_ref(),
                        SUPPORTED_LANGUAGES.join(", ")
                    ),
                );
            }
        }
        self.unique("language", s.languages.get_ref());
        if s.time_zone.get_ref().parse::<chrono_tz::Tz>().is_err() {
            self.err(
                &s.time_zone,
                format!(
                    "unknown time zone `{}`; use an IANA name such as America/New_York",
                    s.time_zone.get_ref()
                ),
            );
        }
    }

    fn arms(&mut self, p: &Protocol) {
        if p.arms.len() < 2 {
            self.errors.push(locate(self.text, &(0..0), "a trial needs at least two [[arms]]".into()));
        }
        self.unique("arm id", p.arms.iter().map(|a| &a.id));
        self.unique("arm code", p.arms.iter().map(|a| &a.code));
        for arm in &p.arms {
            self.identifier("arm id", &arm.id);
            let code = arm.code.get_ref();
            if code.is_empty() || code.len() > 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
                self.err(&arm.code, "arm code must be 1 to 3 upper-case letters (shown to blinded roles)");
            }
            self.positive("ratio", &arm.ratio);
            match (&arm.wait_weeks, arm.kind) {
                (None, ArmKind::Waitlist) => self.err(&arm.id, "a waitlist arm needs wait_weeks"),
                (Some(w), ArmKind::Waitlist) => self.positive("wait_weeks", w),
                (Some(w), _) => self.err(w, "wait_weeks applies to waitlist arms only"),
                (None, _) => {}
            }
        }
    }

    fn strata_and_randomisation(&mut self, p: &Protocol) {
        self.unique("stratification factor", p.stratification.iter().map(|f| &f.id));
        for factor in &p.stratification {
            self.identifier("factor id", &factor.id);
            if p.randomisation.stratify_by_site && factor.id.get_ref() == super::SITE_FACTOR {
                self.err(
                    &factor.id,
                    "`site` is the factor stratify_by_site adds; give this factor another id",
                );
            }
            if factor.levels.len() < 2 {
                self.err(&factor.id, "a stratification factor needs at least two levels");
            }
            self.unique("level", &factor.levels);
            for level in &factor.levels {
                self.identifier("level", level);
            }
            let languages: Vec<String> =
                p.study.languages.get_ref().iter().map(|l| l.get_ref().clone()).collect();
            if let Some(labels) = &factor.level_labels {
                let values: Vec<&str> = factor.levels.iter().map(|l| l.get_ref().as_str()).collect();
                self.labels("level", labels, &values, &languages);
            }
        }
        let r = &p.randomisation;
        let ratio_sum: i64 = p.arms.iter().map(|a| (*a.ratio.get_ref()).max(0)).sum();
        match r.method.get_ref() {
            Method::StratifiedBlocks => match &r.block_sizes {
                None => self.err(&r.method, "stratified_blocks needs block_sizes"),
                Some(sizes) if sizes.get_ref().is_empty() => self.err(sizes, "block_sizes must not be empty"),
                Some(sizes) => {
                    for size in sizes.get_ref() {
                        let n = *size.get_ref();
                        if ratio_sum > 0 && (n <= 0 || n % ratio_sum != 0) {
                            self.err(size, format!("block size {n} is not a positive multiple of the allocation ratio sum {ratio_sum}"));
                        }
                    }
                    let mut seen = HashSet::new();
                    for size in sizes.get_ref() {
                        if !seen.insert(*size.get_ref()) {
                            self.err(size, format!("duplicate block size {}", size.get_ref()));
                        }
                    }
                }
            },
            Method::Minimisation => {
                if p.stratification.is_empty() && !r.stratify_by_site {
                    self.err(
                        &r.method,
                        "minimisation needs at least one stratification factor (or stratify_by_site)",
                    );
                }
                // Below 1 / slots the coin would favour the other arms; at 1 the next arm is
                // known to anyone who knows the counts. (Stored versions are not checked again.)
                let slots: i64 = p.arms.iter().map(|a| (*a.ratio.get_ref()).max(1)).sum();
                match &r.probability {
                    None => self.err(&r.method, "minimisation needs probability (e.g. 0.8)"),
                    Some(pr) if !(*pr.get_ref() > 1.0 / slots as f64 && *pr.get_ref() < 1.0) => {
                        self.err(
                            pr,
                            format!(
                                "probability must be above 1/{slots} (one arm slot in {slots}) and below 1: at 1 the next arm can be worked out from the counts"
                            ),
                        );
                    }
                    Some(_) => {}
                }
                if let Some(weights) = &r.weights {
                    for (factor, weight) in weights.get_ref() {
                        let known = p.stratification.iter().any(|f| f.id.get_ref() == factor)
                            || (r.stratify_by_site && factor == super::SITE_FACTOR);
                        if !known {
                            self.err(
                                weight,
                                format!("weights names `{factor}`, which is not a stratification factor"),
                            );
                        } else if !(weight.get_ref().is_finite() && *weight.get_ref() > 0.0) {
                            self.err(weight, format!("the weight of `{factor}` must be a number above 0"));
                        }
                    }
                }
                if r.imbalance.is_none() {
                    self.err(&r.method, "minimisation needs imbalance = \"range\" or \"variance\"");
                }
            }
            Method::Simple if r.stratify_by_site => {
                self.err(&r.method, "stratify_by_site needs stratified_blocks or minimisation: simple randomisation has no strata");
            }
            Method::Simple => {}
        }
        if *r.method.get_ref() != Method::StratifiedBlocks
            && let Some(sizes) = &r.block_sizes
        {
            self.err(sizes, "block_sizes applies to stratified_blocks only");
        }
        if *r.method.get_ref() != Method::Minimisation
            && let Some(pr) = &r.probability
        {
            self.err(pr, "probability applies to minimisation only");
        }
        if *r.method.get_ref() != Method::Minimisation
            && let Some(weights) = &r.weights
        {
            self.err(weights, "weights apply to minimisation only");
        }
    }

    fn eligibility(&mut self, p: &Protocol) {
        let languages: Vec<String> =
            p.study.languages.get_ref().iter().map(|l| l.get_ref().clone()).collect();
        if p.eligibility.is_empty() {
            self.errors.push(locate(
                self.text,
                &(0..0),
                "at least one [[eligibility]] criterion is needed".into(),
            ));
        }
        self.unique("criterion id", p.eligibility.iter().map(|c| &c.id));
        for c in &p.eligibility {
            self.identifier("criterion id", &c.id);
            self.local_text("question", &c.question, &languages);
            match c.answer {
                AnswerType::Boolean => match &c.qualifying {
                    Some(q) if q.get_ref().is_bool() => {}
                    Some(q) => self.err(q, "a boolean question's qualifying answer must be true or false"),
                    None => self.err(&c.id, "a boolean question needs qualifying = true or false"),
                },
                AnswerType::Choice => self.choice(c, &languages),
                AnswerType::Integer => match (&c.min, &c.max) {
                    (None, None) => self.err(&c.id, "an integer question needs min, max or both"),
                    (Some(lo), Some(hi)) if lo.get_ref() > hi.get_ref() => self.err(hi, "max is below min"),
                    _ => {}
                },
            }
            if c.answer != AnswerType::Integer {
                for bound in [&c.min, &c.max].into_iter().flatten() {
                    self.err(bound, "min and max apply to integer questions only");
                }
            }
        }
    }

    fn choice(&mut self, c: &super::Criterion, languages: &[String]) {
        let Some(options) = &c.options else {
            return self.err(&c.id, "a choice question needs options");
        };
        self.unique("option", options.get_ref());
        let values: Vec<&str> = options.get_ref().iter().map(|o| o.get_ref().as_str()).collect();
        match &c.option_labels {
            None => self.err(&c.id, "a choice question needs [eligibility.option_labels]: each option's wording in every study language"),
            Some(labels) => self.labels("option", labels, &values, languages),
        }
        let offered: HashSet<&str> = options.get_ref().iter().map(|o| o.get_ref().as_str()).collect();
        let Some(q) = &c.qualifying else {
            return self.err(&c.id, "a choice question needs qualifying = [options that qualify]");
        };
        let Some(list) = q.get_ref().as_array() else {
            return self.err(q, "qualifying must be a list of options");
        };
        if list.is_empty() {
            self.err(q, "at least one option must qualify");
        }
        for v in list {
            match v.as_str() {
                Some(s) if offered.contains(s) => {}
                _ => self.err(q, format!("qualifying answer {v} is not one of the options")),
            }
        }
    }

    fn targets_and_groups(&mut self, p: &Protocol) {
        self.positive("enrolment target", &p.enrolment.target);
        for t in &p.enrolment.diversity_targets {
            let share = *t.min_share.get_ref();
            if !(share > 0.0 && share <= 1.0) {
                self.err(&t.min_share, "min_share must be above 0 and at most 1");
            }
            match p.stratification.iter().find(|f| f.id.get_ref() == t.factor.get_ref()) {
                None => {
                    self.err(&t.factor, format!("unknown stratification factor `{}`", t.factor.get_ref()))
                }
                Some(f) => {
                    for level in &t.levels {
                        if !f.levels.iter().any(|l| l.get_ref() == level.get_ref()) {
                            self.err(
                                level,
                                format!("`{}` is not a level of `{}`", level.get_ref(), f.id.get_ref()),
                            );
                        }
                    }
                }
            }
        }
        let g = &p.groups;
        for (what, v) in [
            ("capacity", &g.capacity),
            ("min_to_launch", &g.min_to_launch),
            ("sessions", &g.sessions),
            ("session_minutes", &g.session_minutes),
            ("interval_days", &g.interval_days),
            ("adequate_dose", &g.adequate_dose),
        ] {
            self.positive(what, v);
        }
        if g.min_to_launch.get_ref() > g.capacity.get_ref() {
            self.err(&g.min_to_launch, "min_to_launch exceeds capacity");
        }
        if g.adequate_dose.get_ref() > g.sessions.get_ref() {
            self.err(&g.adequate_dose, "adequate_dose exceeds the number of sessions");
        }
    }

    fn assessments(&mut self, p: &Protocol) {
        if p.assessments.is_empty() {
            self.errors.push(locate(
                self.text,
                &(0..0),
                "at least one [[assessments]] time point is needed".into(),
            ));
        }
        self.unique("time point id", p.assessments.iter().map(|t| &t.id));
        if let Some(t) = p.assessments.iter().filter(|t| t.primary).nth(1) {
            self.err(&t.id, "only one time point can be primary");
        }
        let languages: Vec<String> =
            p.study.languages.get_ref().iter().map(|l| l.get_ref().clone()).collect();
        for t in &p.assessments {
            self.identifier("time point id", &t.id);
            if let Some(title) = &t.title {
                self.local_text("time point title", title, &languages);
            }
            for w in [&t.window_before_days, &t.window_after_days] {
                if *w.get_ref() < 0 {
                    self.err(w, "window days cannot be negative");
                }
            }
            if t.instruments.get_ref().is_empty() {
                self.err(&t.instruments, "a time point needs at least one instrument");
            }
            self.unique("instrument", t.instruments.get_ref());
            let library = self.library;
            for i in t.instruments.get_ref() {
                let Some(inst) = library.get(i.get_ref()) else {
                    let known: Vec<&str> = library.ids().collect();
                    self.err(i, format!("unknown instrument `{}`; known: {}", i.get_ref(), known.join(", ")));
                    continue;
                };
                for lang in p.study.languages.get_ref() {
                    if !inst.languages().any(|l| l == lang.get_ref()) {
                        self.err(
                            i,
                            format!(
                                "{} has no `{}` wording, a language of the study",
                                i.get_ref(),
                                lang.get_ref()
                            ),
                        );
                    }
                }
            }
        }
        self.overlapping_windows(p, Anchor::Randomisation);
        self.overlapping_windows(p, Anchor::GroupStart);
    }

    fn overlapping_windows(&mut self, p: &Protocol, anchor: Anchor) {
        let mut points: Vec<_> = p.assessments.iter().filter(|t| t.anchor == anchor).collect();
        points.sort_by_key(|t| *t.offset_days.get_ref());
        for pair in points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let a_end = a.offset_days.get_ref() + a.window_after_days.get_ref();
            let b_start = b.offset_days.get_ref() - b.window_before_days.get_ref();
            if b_start <= a_end {
                self.err(&b.offset_days, format!(
                    "the window of `{}` (from day {b_start}) overlaps the window of `{}` (to day {a_end})",
                    b.id.get_ref(), a.id.get_ref()));
            }
        }
    }

    fn consent_forms(&mut self, p: &Protocol) {
        let languages: Vec<String> =
            p.study.languages.get_ref().iter().map(|l| l.get_ref().clone()).collect();
        if p.consent_forms.is_empty() {
            self.errors.push(locate(
                self.text,
                &(0..0),
                "at least one [[consent_forms]] version is needed".into(),
            ));
        }
        self.unique("consent form version", p.consent_forms.iter().map(|c| &c.version));
        for form in &p.consent_forms {
            if NaiveDate::parse_from_str(form.approved_on.get_ref(), "%Y-%m-%d").is_err() {
                self.err(&form.approved_on, "approved_on must be a date written YYYY-MM-DD");
            }
            self.local_text("consent form title", &form.title, &languages);
            if let Some(text) = &form.text {
                self.local_text("consent form text", text, &languages);
            }
            if let Some(site) = &form.site
                && crate::sites::parse_code(site.get_ref()).is_err()
            {
                self.err(
                    site,
                    "site must be a site code: lowercase letters, digits, `-` or `_`, starting with a letter",
                );
            }
        }
    }

    fn surveys_and_safety(&mut self, p: &Protocol) {
        let s = &p.surveys;
        let mut last = 0;
        for d in s.reminder_days.get_ref() {
            if *d.get_ref() <= last {
                self.err(d, "reminder days must be positive and increasing (days after the window opens)");
            }
            last = *d.get_ref();
        }
        if *s.link_valid_days.get_ref() < 1 {
            self.err(&s.link_valid_days, "link_valid_days must be at least 1");
        }
        if NaiveTime::parse_from_str(s.invite_time.get_ref(), "%H:%M").is_err() {
            self.err(&s.invite_time, "invite_time must be a wall-clock time written HH:MM");
        }
        let safety = &p.safety;
        for minutes in [&safety.urgent_acknowledge_minutes, &safety.notify_acknowledge_minutes] {
            if *minutes.get_ref() < 1 {
                self.err(minutes, "acknowledgement windows must be at least one minute");
            }
        }
        let languages: Vec<String> =
            p.study.languages.get_ref().iter().map(|l| l.get_ref().clone()).collect();
        self.local_text("crisis_resources", &safety.crisis_resources, &languages);
    }
}
