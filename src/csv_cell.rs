//! Text for a CSV cell that a spreadsheet will open: a cell beginning with `=`, `+`, `-`, `@`, a tab
//! or a carriage return runs as a formula in Excel, LibreOffice and Google Sheets, so such text is
//! prefixed with `'`, which spreadsheets show as text (OWASP, "CSV Injection"). Numbers are written
//! as numbers by their callers and never pass through here: `-3` must stay a number.

use std::borrow::Cow;

/// `text` as a spreadsheet shows it and never runs it.
pub fn text(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn formulas_are_neutralised_and_ordinary_text_is_untouched() {
        for formula in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(text(formula), format!("'{formula}"));
        }
        for plain in ["withdrew: moved away", "CON-0001", "", "[{\"field\":\"x\"}]", "2026-12-03"] {
            assert_eq!(text(plain), plain);
        }
    }
}
