//! Affinity tags: unique ids, a label in every study language, a field the enrolment record has,
//! and values that field takes.

use super::Checker;
use crate::protocol::Protocol;
use crate::protocol::tags::{FIELDS, value_text};

/// Whether `value` is one the enrolment field `field` takes (`Some(false)` if not), or the field
/// is unknown (`None`).
fn takes(p: &Protocol, field: &str, value: &str) -> Option<bool> {
    if let Some((_, values)) = FIELDS.iter().find(|(f, _)| *f == field) {
        return Some(values.contains(&value));
    }
    Some(match field {
        "preferred_language" => p.study.languages.get_ref().iter().any(|l| l.get_ref() == value),
        factor => p
            .stratification
            .iter()
            .find(|f| f.id.get_ref() == factor)?
            .levels
            .iter()
            .any(|l| l.get_ref() == value),
    })
}

impl Checker<'_> {
    pub(super) fn affinity_tags(&mut self, p: &Protocol) {
        let tags = &p.groups.affinity_tags;
        self.unique("affinity tag", tags.iter().map(|t| &t.id));
        let languages: Vec<String> =
            p.study.languages.get_ref().iter().map(|l| l.get_ref().clone()).collect();
        for t in tags {
            let id = t.id.get_ref();
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                self.err(&t.id, format!("affinity tag id `{id}` must be lower-case letters, digits and `_`"));
            }
            self.local_text(&format!("affinity tag `{id}`'s label"), &t.label, &languages);
            let field = t.field.get_ref();
            if takes(p, field, "").is_none() {
                let factors: Vec<&str> = p.stratification.iter().map(|f| f.id.get_ref().as_str()).collect();
                self.err(
                    &t.field,
                    format!(
                        "`{field}` is not an enrolment field; use one of {}, preferred_language{}",
                        FIELDS.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", "),
                        if factors.is_empty() {
                            String::new()
                        } else {
                            format!(" or a stratification factor ({})", factors.join(", "))
                        }
                    ),
                );
                continue;
            }
            if t.values.get_ref().is_empty() {
                self.err(&t.values, format!("affinity tag `{id}` needs at least one value of `{field}`"));
            }
            for v in t.values.get_ref() {
                match value_text(v.get_ref()) {
                    Some(text) if takes(p, field, &text) == Some(true) => {}
                    _ => self.err(v, format!("{} is not a value `{field}` takes", v.get_ref())),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::instruments::Library;
    use crate::protocol::{BUNDLED, check};

    fn problems(text: &str) -> Vec<String> {
        match check(text, &Library::bundled()) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn the_bundled_tags_hold_and_a_tag_given_by_a_field_or_value_that_does_not_exist_is_located() {
        let p = check(BUNDLED, &Library::bundled()).expect("valid");
        let ids: Vec<&str> = p.groups.affinity_tags.iter().map(|t| t.id.get_ref().as_str()).collect();
        assert_eq!(ids, ["newly_diagnosed", "later_stage"]);
        assert_eq!(p.groups.tag_label("later_stage", "es"), "etapa avanzada");

        let field = BUNDLED.replace("field = \"disease_course\"", "field = \"diagnosis\"");
        let found = problems(&field);
        assert!(found.len() == 1 && found[0].contains("`diagnosis` is not an enrolment field"), "{found:?}");
        let line =
            BUNDLED[..BUNDLED.find("field = \"disease_course\"").expect("field")].matches('\n').count() + 1;
        assert!(found[0].starts_with(&format!("line {line}, column 9:")), "{found:?}");

        let value = BUNDLED.replace("\"primary_progressive\"]", "\"progressive\"]");
        assert!(
            problems(&value)
                .iter()
                .any(|p| p.contains("\"progressive\" is not a value `disease_course` takes"))
        );
        let flag = BUNDLED.replace("values = [true]", "values = [\"yes\"]");
        assert!(
            problems(&flag).iter().any(|p| p.contains("`newly_diagnosed` takes")),
            "{:?}",
            problems(&flag)
        );
        let twice = BUNDLED.replace("id = \"later_stage\"", "id = \"newly_diagnosed\"");
        assert!(problems(&twice).iter().any(|p| p.contains("duplicate affinity tag `newly_diagnosed`")));
        let english = BUNDLED.replace(
            "label = { en = \"later stage\", es = \"etapa avanzada\" }",
            "label = { en = \"later stage\" }",
        );
        assert!(
            problems(&english).iter().any(|p| p.contains("has no `es` text")),
            "{:?}",
            problems(&english)
        );
    }

    #[test]
    fn a_tag_may_be_given_by_a_stratification_factor_level() {
        let text = format!(
            "{BUNDLED}\n[[groups.affinity_tags]]\nid = \"black\"\nlabel = {{ en = \"Black\", es = \"Negro(a)\" }}\nfield = \"race_ethnicity\"\nvalues = [\"black\"]\n"
        );
        // The extra array of tables must follow [groups]; appended at the end it still belongs there.
        let p = check(&text, &Library::bundled());
        assert!(p.is_ok_and(|p| p.groups.tag("black").is_some_and(|t| t.given_by("black"))));
        let wrong = text.replace("values = [\"black\"]\n", "values = [\"blue\"]\n");
        assert!(
            problems(&wrong).iter().any(|p| p.contains("\"blue\" is not a value `race_ethnicity` takes"))
        );
    }
}
