//! A protocol as its readers read it: one table per part (the study, arms, randomisation,
//! eligibility, targets, groups, the schedule, consent forms, surveys and safety, blinding), in
//! the reader's language, and only what the reader's sight allows (a blinded reader sees arm
//! codes and ratios, and nobody who does not write the protocol sees block sizes).

use crate::blinding::Sight;
use crate::i18n::Tr;
use crate::instruments::Library;
use crate::protocol::{AnswerType, Criterion, Protocol};

/// One part of the protocol as a table: an anchor, a caption, column headings and rows.
pub struct Table {
    pub id: &'static str,
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A cell's text, and its language when that is not the page's: a text the protocol gives only
/// once (the study's name, a target's label) is in the study's first language.
pub struct Cell {
    pub text: String,
    pub lang: Option<String>,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell { text, lang: None }
    }
}

/// A text the protocol gives in one language only, marked with it when the page speaks another.
fn given(p: &Protocol, tr: Tr, text: &str) -> Cell {
    let first = p.study.languages.get_ref().first().map_or("en", |l| l.get_ref().as_str());
    Cell { text: text.to_owned(), lang: (first != tr.lang()).then(|| first.to_owned()) }
}

impl Table {
    fn new(id: &'static str, caption: String, head: Vec<String>) -> Self {
        Table { id, caption, head, rows: Vec::new() }
    }

    /// A two-column table of settings and their values.
    fn settings(id: &'static str, caption: String, tr: Tr) -> Self {
        Table::new(id, caption, vec![tr.t("protocol-setting"), tr.t("protocol-value")])
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.into_iter().map(Cell::from).collect());
    }

    fn setting(&mut self, tr: Tr, key: &str, value: impl ToString) {
        self.row(vec![tr.t(key), value.to_string()]);
    }
}

/// Every part of `p`, in the order of the file.
pub fn tables(p: &Protocol, sight: Sight, library: &Library, tr: Tr) -> Vec<Table> {
    let mut all = vec![study(p, tr), arms(p, sight, tr), randomisation(p, sight, tr)];
    all.extend(strata(p, tr));
    all.push(eligibility(p, tr));
    all.extend(targets(p, tr));
    all.push(groups(p, tr));
    all.push(schedule(p, library, tr));
    all.push(consent(p, tr));
    all.push(surveys_and_safety(p, tr));
    all.push(blinding(p, tr));
    all
}

fn yes_no(tr: Tr, yes: bool) -> String {
    tr.t(if yes { "protocol-yes" } else { "protocol-no" })
}

fn study(p: &Protocol, tr: Tr) -> Table {
    let mut t = Table::settings("study", tr.t("protocol-study"), tr);
    let s = &p.study;
    t.rows.push(vec![tr.t("protocol-study-name").into(), given(p, tr, &s.name)]);
    t.setting(tr, "protocol-study-code", s.code.get_ref());
    t.setting(tr, "protocol-id-prefix", format!("{}-0001", s.id_prefix.get_ref()));
    let languages: Vec<String> =
        s.languages.get_ref().iter().map(|l| tr.word("record-language", l.get_ref())).collect();
    t.setting(tr, "protocol-languages", languages.join(", "));
    t.setting(tr, "protocol-time-zone", s.time_zone.get_ref());
    t
}

fn arms(p: &Protocol, sight: Sight, tr: Tr) -> Table {
    if sight.is_blinded() {
        let mut t = Table::new(
            "arms",
            tr.t("protocol-arms"),
            vec![tr.t("protocol-arm-code"), tr.t("protocol-ratio")],
        );
        for a in &p.arms {
            t.row(vec![a.code.get_ref().clone(), a.ratio.get_ref().to_string()]);
        }
        return t;
    }
    let head = [
        "protocol-arm-code",
        "protocol-arm-name",
        "protocol-arm-kind",
        "protocol-ratio",
        "protocol-arm-groups",
    ];
    let mut t = Table::new("arms", tr.t("protocol-arms"), head.iter().map(|k| tr.t(k)).collect());
    for a in &p.arms {
        let groups = match (a.delivers_groups, &a.wait_weeks) {
            (true, Some(w)) => tr.n("protocol-groups-after", *w.get_ref()),
            (true, None) => tr.t("protocol-groups-now"),
            (false, _) => tr.t("protocol-no"),
        };
        let kind =
            serde_json::to_value(a.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        t.row(vec![
            a.code.get_ref().clone(),
            a.label_in(tr.lang()).to_owned(),
            tr.word("protocol-kind", &kind),
            a.ratio.get_ref().to_string(),
            groups,
        ]);
    }
    t
}

fn randomisation(p: &Protocol, sight: Sight, tr: Tr) -> Table {
    let r = &p.randomisation;
    let mut t = Table::settings("allocation", tr.t("protocol-randomisation"), tr);
    t.setting(tr, "protocol-method", tr.word("protocol-method", r.method.get_ref().as_str()));
    if sight.shows_allocation_parameters() {
        if let Some(sizes) = &r.block_sizes {
            let sizes: Vec<String> = sizes.get_ref().iter().map(|s| s.get_ref().to_string()).collect();
            t.setting(tr, "protocol-block-sizes", sizes.join(", "));
        }
        if let Some(probability) = &r.probability {
            t.setting(tr, "protocol-probability", probability.get_ref());
        }
    }
    if let Some(imbalance) = r.imbalance {
        let word = serde_json::to_value(imbalance).ok().and_then(|v| v.as_str().map(str::to_owned));
        t.setting(tr, "protocol-imbalance", tr.word("protocol-imbalance", &word.unwrap_or_default()));
    }
    t.setting(tr, "protocol-by-site", yes_no(tr, r.stratify_by_site));
    t
}

fn strata(p: &Protocol, tr: Tr) -> Option<Table> {
    if p.stratification.is_empty() {
        return None;
    }
    let mut t =
        Table::new("strata", tr.t("protocol-strata"), vec![tr.t("protocol-factor"), tr.t("protocol-levels")]);
    for f in &p.stratification {
        let levels: Vec<String> = f.levels.iter().map(|l| f.level_label(l.get_ref(), tr.lang())).collect();
        t.row(vec![f.label_in(tr.lang()).to_owned(), levels.join("; ")]);
    }
    Some(t)
}

fn eligibility(p: &Protocol, tr: Tr) -> Table {
    let head = vec![tr.t("protocol-question"), tr.t("protocol-qualifies")];
    let mut t = Table::new("eligibility", tr.t("protocol-eligibility"), head);
    for c in &p.eligibility {
        t.row(vec![tr.pick(c.question.get_ref()).to_owned(), qualifying(c, tr)]);
    }
    t
}

/// The answers that qualify, in words.
fn qualifying(c: &Criterion, tr: Tr) -> String {
    let value = c.qualifying.as_ref().map(|q| q.get_ref());
    match c.answer {
        AnswerType::Boolean => yes_no(tr, value.and_then(toml::Value::as_bool).unwrap_or(true)),
        AnswerType::Choice => {
            let options = value.and_then(toml::Value::as_array).into_iter().flatten();
            let words: Vec<String> =
                options.filter_map(toml::Value::as_str).map(|o| c.option_label(o, tr.lang())).collect();
            words.join("; ")
        }
        AnswerType::Integer => {
            match (c.min.as_ref().map(|m| *m.get_ref()), c.max.as_ref().map(|m| *m.get_ref())) {
                (Some(min), Some(max)) => tr.a2("protocol-between", &("min", min), &("max", max)),
                (Some(min), None) => tr.a("protocol-at-least", "min", min),
                (None, Some(max)) => tr.a("protocol-at-most", "max", max),
                (None, None) => tr.t("protocol-any-number"),
            }
        }
    }
}

fn targets(p: &Protocol, tr: Tr) -> Vec<Table> {
    let mut t = Table::settings("targets", tr.t("protocol-targets"), tr);
    t.setting(tr, "protocol-enrolment-target", p.enrolment.target.get_ref());
    let mut all = vec![t];
    if !p.enrolment.diversity_targets.is_empty() {
        let head = vec![tr.t("protocol-diversity"), tr.t("protocol-levels"), tr.t("protocol-min-share")];
        let mut d = Table::new("diversity", tr.t("protocol-diversity-targets"), head);
        for target in &p.enrolment.diversity_targets {
            let factor = p.stratification.iter().find(|f| f.id.get_ref() == target.factor.get_ref());
            let levels: Vec<String> = target
                .levels
                .iter()
                .map(|l| {
                    factor.map_or_else(|| l.get_ref().clone(), |f| f.level_label(l.get_ref(), tr.lang()))
                })
                .collect();
            let share = format!("{:.0}%", target.min_share.get_ref() * 100.0);
            d.rows.push(vec![given(p, tr, &target.label), levels.join("; ").into(), share.into()]);
        }
        all.push(d);
    }
    all
}

fn groups(p: &Protocol, tr: Tr) -> Table {
    let g = &p.groups;
    let mut t = Table::settings("groups", tr.t("protocol-groups"), tr);
    t.setting(tr, "protocol-capacity", g.capacity.get_ref());
    t.setting(tr, "protocol-min-to-launch", g.min_to_launch.get_ref());
    t.setting(tr, "protocol-sessions", g.sessions.get_ref());
    t.setting(tr, "protocol-session-minutes", g.session_minutes.get_ref());
    t.setting(tr, "protocol-interval-days", g.interval_days.get_ref());
    t.setting(tr, "protocol-adequate-dose", g.adequate_dose.get_ref());
    if !g.affinity_tags.is_empty() {
        let tags: Vec<String> = g
            .affinity_tags
            .iter()
            .map(|tag| {
                let values: Vec<String> = tag
                    .values
                    .get_ref()
                    .iter()
                    .filter_map(|v| crate::protocol::tags::value_text(v.get_ref()))
                    .collect();
                format!("{} ({} = {})", tag.label_in(tr.lang()), tag.field.get_ref(), values.join(" | "))
            })
            .collect();
        t.setting(tr, "protocol-affinity-tags", tags.join("; "));
    }
    t
}

fn schedule(p: &Protocol, library: &Library, tr: Tr) -> Table {
    let head = ["protocol-timepoint", "protocol-due", "protocol-window", "protocol-questionnaires"];
    let mut t = Table::new("schedule", tr.t("protocol-schedule"), head.iter().map(|k| tr.t(k)).collect());
    for tp in &p.assessments {
        let mut name = tp.label_in(tr.lang()).to_owned();
        if tp.primary && !name.contains(&tr.t("protocol-primary")) {
            name = format!("{name} ({})", tr.t("protocol-primary"));
        }
        let due = tr.args(
            "protocol-due-day",
            &[
                ("days", tp.offset_days.get_ref()),
                ("anchor", &tr.word("protocol-anchor", tp.anchor.as_str())),
            ],
        );
        let window = tr.a2(
            "protocol-window-days",
            &("before", tp.window_before_days.get_ref()),
            &("after", tp.window_after_days.get_ref()),
        );
        let names: Vec<String> = tp
            .instruments
            .get_ref()
            .iter()
            .map(|i| library.get(i.get_ref()).map_or_else(|| i.get_ref().clone(), |x| x.short_name.clone()))
            .collect();
        t.row(vec![name, due, window, names.join(", ")]);
    }
    t
}

fn consent(p: &Protocol, tr: Tr) -> Table {
    let head =
        ["protocol-consent-version", "protocol-approved-on", "protocol-consent-site", "protocol-econsent"];
    let mut t = Table::new("consent", tr.t("protocol-consent"), head.iter().map(|k| tr.t(k)).collect());
    for f in &p.consent_forms {
        t.row(vec![
            format!("{} — {}", f.version.get_ref(), tr.pick(f.title.get_ref())),
            f.approved_on.get_ref().clone(),
            f.site().map_or_else(|| tr.t("protocol-every-site"), str::to_owned),
            yes_no(tr, f.text.is_some()),
        ]);
    }
    t
}

fn surveys_and_safety(p: &Protocol, tr: Tr) -> Table {
    let (s, safety) = (&p.surveys, &p.safety);
    let mut t = Table::settings("surveys", tr.t("protocol-surveys"), tr);
    let days: Vec<String> = s.reminder_days.get_ref().iter().map(|d| d.get_ref().to_string()).collect();
    t.setting(tr, "protocol-reminder-days", days.join(", "));
    t.setting(tr, "protocol-link-days", s.link_valid_days.get_ref());
    t.setting(tr, "protocol-invite-time", s.invite_time.get_ref());
    t.setting(tr, "protocol-urgent-minutes", safety.urgent_acknowledge_minutes.get_ref());
    t.setting(tr, "protocol-notify-minutes", safety.notify_acknowledge_minutes.get_ref());
    t
}

fn blinding(p: &Protocol, tr: Tr) -> Table {
    let mut t = Table::settings("blinding", tr.t("protocol-blinding"), tr);
    let roles: Vec<String> = p.blinded_roles().iter().map(|r| tr.word("role", r.as_str())).collect();
    let roles = if roles.is_empty() { tr.t("protocol-nobody") } else { roles.join(", ") };
    t.setting(tr, "protocol-blinded-roles", roles);
    t.setting(tr, "protocol-blinded-process", yes_no(tr, p.blinded_see_process()));
    t
}
