//! The pages' words in each language: Fluent files under `locales/{en,es}/`, embedded at compile
//! time. A staff page takes its language from the account, a participant's page from their link
//! (docs/decisions/0005). `tests/architecture/locales.rs` checks every key used exists in every
//! language, since the compiler cannot.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};

use crate::toml_file::LocalText;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Fluent wraps each placeholder in Unicode isolation marks by default. Every language
        // here is written left to right, and the marks would ride along when a coordinator
        // copies a study id or a phone number out of a sentence.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The BCP 47 code, as stored on an account and written in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language's name in itself, as a chooser shows it whatever the page's language.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
        }
    }

    /// The first of the browser's preferred languages that the pages speak (`Accept-Language`,
    /// already ranked), for a visitor not signed in.
    pub fn preferred<'a>(ranked: impl IntoIterator<Item = &'a str>) -> Lang {
        ranked
            .into_iter()
            .find_map(|tag| Lang::parse(tag.split('-').next().unwrap_or(tag).to_ascii_lowercase().as_str()))
            .unwrap_or_default()
    }

    /// The loader's identifier, parsed once: a grid page looks up hundreds of phrases.
    fn id(self) -> &'static LanguageIdentifier {
        static IDS: LazyLock<[LanguageIdentifier; 2]> =
            LazyLock::new(|| Lang::ALL.map(|l| l.code().parse().expect("a valid language code")));
        &IDS[self as usize]
    }
}

/// A number a phrase counts, whichever integer type holds it and whether a template passes it
/// by reference or not.
pub trait Count {
    fn count(&self) -> i64;
}

macro_rules! count_for {
    ($($t:ty),*) => {$(
        impl Count for $t {
            #[allow(clippy::cast_possible_wrap)]
            fn count(&self) -> i64 {
                *self as i64
            }
        }
    )*};
}
count_for!(i32, i64, u32, u64, usize);

impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

/// Looks up a page's words in one language. Every page struct holds one as `tr`, so templates
/// write `{{ tr.t("nav-overview") }}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    pub fn language(&self) -> Lang {
        self.lang
    }

    /// The language code, for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.lang.code()
    }

    /// The code of the language a page offers to switch to (the next the pages speak).
    pub fn other_lang(&self) -> &'static str {
        let at = Lang::ALL.iter().position(|l| *l == self.lang).unwrap_or(0);
        Lang::ALL[(at + 1) % Lang::ALL.len()].code()
    }

    /// The phrase `key`.
    pub fn t(&self, key: &str) -> String {
        self.lookup(key, None)
    }

    /// The phrase `key` with the number `$n` (Fluent picks the plural form).
    pub fn n(&self, key: &str, n: impl Count) -> String {
        let args = HashMap::from([(Cow::Borrowed("n"), FluentValue::from(n.count()))]);
        self.lookup(key, Some(&args))
    }

    /// The phrase `key` with the number `$n` (for the plural form) and one placeholder more.
    pub fn n_a(&self, key: &str, n: impl Count, name: &'static str, value: impl Display) -> String {
        let args = HashMap::from([
            (Cow::Borrowed("n"), FluentValue::from(n.count())),
            (Cow::Borrowed(name), FluentValue::from(value.to_string())),
        ]);
        self.lookup(key, Some(&args))
    }

    /// A date as people write it in this language ("February 11, 2031", "11 de febrero de 2031").
    pub fn long_date(&self, d: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let month = self.t(&format!("month-{}", d.month()));
        self.args("date-long", &[("month", &month), ("day", &d.day()), ("year", &d.year())])
    }

    /// The same with its weekday ("Tuesday, February 11, 2031", "martes 11 de febrero de 2031").
    pub fn long_day(&self, d: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let weekday = self.word("weekday", &d.weekday().to_string().to_lowercase());
        self.a2("date-long-day", &("weekday", weekday), &("date", self.long_date(d)))
    }

    /// The phrase `key` with one placeholder. (Askama passes a template's arguments by
    /// reference, so the name is any `&str`.)
    pub fn a(&self, key: &str, name: &str, value: impl Display) -> String {
        let args = HashMap::from([(Cow::Owned(name.to_owned()), FluentValue::from(value.to_string()))]);
        self.lookup(key, Some(&args))
    }

    /// The phrase `key` with two placeholders.
    /// The pairs are borrowed because askama passes a template's arguments by reference.
    pub fn a2<A: Display, B: Display>(
        &self,
        key: &str,
        (name1, value1): &(&'static str, A),
        (name2, value2): &(&'static str, B),
    ) -> String {
        let args = HashMap::from([
            (Cow::Borrowed(*name1), FluentValue::from(value1.to_string())),
            (Cow::Borrowed(*name2), FluentValue::from(value2.to_string())),
        ]);
        self.lookup(key, Some(&args))
    }

    /// The phrase `key` with any number of placeholders (Rust code; templates use `a` and `a2`).
    pub fn args(&self, key: &str, args: &[(&'static str, &dyn Display)]) -> String {
        let args: HashMap<_, _> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.to_string())))
            .collect();
        self.lookup(key, Some(&args))
    }

    /// The phrase `key` when the locales have it, else `fallback`: for words chosen at run time
    /// (an error code from a service, say) whose English the service already wrote.
    pub fn or(&self, key: &str, fallback: &str) -> String {
        LOCALES.try_lookup(self.lang.id(), key).unwrap_or_else(|| fallback.to_owned())
    }

    /// The word for a stored value (`word("role", "coordinator")` looks up `role-coordinator`),
    /// else the value itself.
    pub fn word(&self, prefix: &str, value: &str) -> String {
        self.or(&format!("{prefix}-{value}"), value)
    }

    /// A protocol text (a question, a label) in this language, else in English.
    pub fn pick<'a>(&self, text: &'a LocalText) -> &'a str {
        text.get(self.lang.code()).or_else(|| text.get("en")).map_or("", String::as_str)
    }

    fn lookup(&self, key: &str, args: Option<&HashMap<Cow<'static, str>, FluentValue<'_>>>) -> String {
        // A key missing from every language shows itself rather than nothing, so the locales
        // test and a reader of the page both see it.
        LOCALES.try_lookup_complete(self.lang.id(), key, args).unwrap_or_else(|| key.to_owned())
    }
}
