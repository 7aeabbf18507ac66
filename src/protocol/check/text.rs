//! The protocol's texts in each study language: every language present where a text is given,
//! and tables of labels that cover exactly the values they label.

use super::Checker;
use toml::Spanned;

use crate::protocol::{LocalText, Protocol};

impl Checker<'_> {
    pub(super) fn local_text(&mut self, what: &str, text: &Spanned<LocalText>, languages: &[String]) {
        for lang in languages {
            if text.get_ref().get(lang).is_none_or(|t| t.trim().is_empty()) {
                self.err(text, format!("{what} has no `{lang}` text; every study language needs one"));
            }
        }
    }

    /// A table of labels: one for each value, in every language, and none for anything else.
    pub(super) fn labels(
        &mut self,
        what: &str,
        labels: &Spanned<std::collections::BTreeMap<String, LocalText>>,
        values: &[&str],
        languages: &[String],
    ) {
        for v in values {
            match labels.get_ref().get(*v) {
                None => self.err(labels, format!("{what} `{v}` has no label")),
                Some(text) => {
                    for lang in languages {
                        if text.get(lang).is_none_or(|t| t.trim().is_empty()) {
                            self.err(
                                labels,
                                format!("{what} `{v}` has no `{lang}` label; every study language needs one"),
                            );
                        }
                    }
                }
            }
        }
        for key in labels.get_ref().keys().filter(|k| !values.contains(&k.as_str())) {
            self.err(labels, format!("`{key}` is labelled but is not one of the {what}s"));
        }
    }

    /// The staff-facing names given in each language (`label_text` of arms, stratification
    /// factors and time points; `label` stays the name exports and reports use).
    pub(super) fn staff_names(&mut self, p: &Protocol) {
        let languages: Vec<String> =
            p.study.languages.get_ref().iter().map(|l| l.get_ref().clone()).collect();
        let named = p.arms.iter().map(|a| ("the arm's label_text", &a.label_text));
        let named = named.chain(p.stratification.iter().map(|f| ("the factor's label_text", &f.label_text)));
        let named = named.chain(p.assessments.iter().map(|t| ("the time point's label_text", &t.label_text)));
        for (what, text) in named {
            if let Some(text) = text {
                self.local_text(what, text, &languages);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::protocol::BUNDLED;
    use crate::protocol::check::check;

    fn problems(text: &str) -> String {
        match check(text, &crate::instruments::Library::bundled()) {
            Ok(_) => String::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
        }
    }

    #[test]
    fn a_staff_name_given_in_some_languages_must_be_given_in_every_study_language() {
        assert_eq!(problems(BUNDLED), "", "the bundled protocol names arms, factors and time points in both");
        let half = BUNDLED.replace(
            "label_text = { en = \"Week 6\", es = \"Semana 6\" }",
            "label_text = { en = \"Week 6\" }",
        );
        let found = problems(&half);
        assert!(
            found.contains("the time point's label_text has no `es` text") && found.starts_with("line "),
            "{found}"
        );
        let arm = BUNDLED.replace(
            "es = \"Lista de espera (grupos de apoyo después de 12 semanas)\"",
            "fr = \"Liste d'attente\"",
        );
        assert!(problems(&arm).contains("the arm's label_text has no `es` text"), "{}", problems(&arm));
    }
}
