//! The survey pages' language and dates. Their own words (buttons, headings, messages) are the
//! `survey-…` keys of `locales/`; instrument wording comes from the instrument files.

use crate::i18n::{Lang, Tr};

/// The words of a participant's page in their language (English for any other): the phrases
/// are the `survey-…` keys of `locales/*/survey.ftl`.
pub fn ui(lang: &str) -> Tr {
    Tr::new(Lang::parse(lang).unwrap_or_default())
}

/// A date as people write it: "December 4, 2026" or "4 de diciembre de 2026".
pub fn long_date(lang: &str, date: chrono::NaiveDate) -> String {
    ui(lang).long_date(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_people_write_them_in_each_language() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).expect("date");
        assert_eq!(long_date("en", d), "December 4, 2026");
        assert_eq!(long_date("es", d), "4 de diciembre de 2026");
    }
}
