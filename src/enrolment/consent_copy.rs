//! The participant's copy of an e-consent: exactly what was signed, its hash, and the PDF that is
//! e-mailed to them. The PDF is made when the message is sent, from the consent record and the
//! protocol, so the typed name never sits in the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use krilla::Document;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use sha2::{Digest, Sha256};

use super::participants;
use crate::db::DbConn;
use crate::db::schema::consents;
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// What a participant signed on their link.
#[derive(Debug, Clone)]
pub struct Signed<'a> {
    pub study_id: &'a str,
    pub form_version: &'a str,
    pub language: &'a str,
    pub form_text: &'a str,
    pub signature_name: &'a str,
    pub signed_at: NaiveDateTime,
}

impl Signed<'_> {
    /// SHA-256 over the parts, each preceded by its length, so that no text can move across a
    /// boundary and keep the hash. Anyone with the record and the protocol can compute it again.
    pub fn hash(&self) -> String {
        let at = self.signed_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
        let mut h = Sha256::new();
        for part in [
            self.study_id,
            self.form_version,
            self.language,
            self.form_text,
            self.signature_name,
            at.as_str(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// The words around the form on the copy, in the language it was signed in.
struct Words {
    copy_of: &'static str,
    signed_by: &'static str,
    signed_at: &'static str,
    version: &'static str,
    study_number: &'static str,
    hash: &'static str,
    keep: &'static str,
}

const EN: Words = Words {
    copy_of: "Your copy of the consent form you signed",
    signed_by: "Signed by typing the name",
    signed_at: "Date and time",
    version: "Form version",
    study_number: "Study number",
    hash: "SHA-256 of the signed content",
    keep: "Keep this copy. The study team holds the same record; the code above shows that nothing was changed.",
};

const ES: Words = Words {
    copy_of: "Su copia del formulario de consentimiento que firmó",
    signed_by: "Firmado escribiendo el nombre",
    signed_at: "Fecha y hora",
    version: "Versión del formulario",
    study_number: "Número de estudio",
    hash: "SHA-256 del contenido firmado",
    keep: "Guarde esta copia. El equipo del estudio tiene el mismo registro; el código de arriba muestra que nada se cambió.",
};

/// Everything the copy shows.
pub struct Copy<'a> {
    pub signed: Signed<'a>,
    pub study_name: &'a str,
    pub form_title: &'a str,
    /// The signing time on the study's clock, with the zone named.
    pub local_time: String,
    pub hash: &'a str,
}

const PAGE_W: f32 = 595.0; // A4, in points
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BODY_SIZE: f32 = 10.5;
const LINE: f32 = 15.0;
/// Characters per line at the body size: DejaVu Sans averages a little over half an em per
/// character, so 84 fit within the margins with room to spare.
const COLUMNS: usize = 84;

/// One line of the copy: bold or not, its size, its text, and the space above it.
struct Line {
    bold: bool,
    size: f32,
    text: String,
    before: f32,
}

/// The copy's lines, wrapped to the page width.
fn lines(copy: &Copy<'_>) -> Vec<Line> {
    let words = if copy.signed.language == "es" { &ES } else { &EN };
    let mut out = Vec::new();
    let mut add = |bold, size, text: &str, before: f32| {
        for (i, l) in textwrap::wrap(text, COLUMNS).into_iter().enumerate() {
            out.push(Line { bold, size, text: l.into_owned(), before: if i == 0 { before } else { 0.0 } });
        }
    };
    add(true, 15.0, copy.form_title, 0.0);
    add(false, BODY_SIZE, copy.study_name, 4.0);
    add(false, BODY_SIZE, words.copy_of, 4.0);
    for paragraph in copy.signed.form_text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        add(false, BODY_SIZE, &paragraph.split_whitespace().collect::<Vec<_>>().join(" "), 8.0);
    }
    let facts = [
        (words.signed_by, copy.signed.signature_name),
        (words.signed_at, copy.local_time.as_str()),
        (words.version, copy.signed.form_version),
        (words.study_number, copy.signed.study_id),
        (words.hash, copy.hash),
    ];
    for (i, (label, value)) in facts.into_iter().enumerate() {
        add(true, BODY_SIZE, label, if i == 0 { 20.0 } else { 6.0 });
        add(false, BODY_SIZE, value, 0.0);
    }
    add(false, BODY_SIZE, words.keep, 12.0);
    out
}

/// The PDF copy of a stored e-consent, made now; `None` when there is nothing to send (voided, or
/// witnessed by staff rather than signed on a link). Refuses when the protocol's text for that
/// version no longer hashes to what was signed: the copy must be what the participant saw.
pub fn for_consent(conn: &mut DbConn, consent_id: &str) -> Result<Option<Vec<u8>>, ServiceError> {
    // Read here rather than through `consent` (which hashes with this file): no import cycle.
    type Row = (String, String, String, String, NaiveDateTime, Option<NaiveDateTime>, Option<String>);
    let row: Option<Row> = consents::table
        .find(consent_id)
        .select((
            consents::participant_id,
            consents::form_version,
            consents::language,
            consents::signature_name,
            consents::signed_at,
            consents::voided_at,
            consents::content_hash,
        ))
        .first(conn)
        .optional()?;
    let Some((participant_id, form_version, language, signature_name, signed_at, None, Some(hash))) = row
    else {
        return Ok(None);
    };
    let hash = hash.as_str();
    let (protocol, _) = crate::protocol::store::current_parsed(conn)?;
    let form = protocol.consent_forms.iter().find(|f| *f.version.get_ref() == form_version);
    let text = form.and_then(|f| f.text.as_ref()).and_then(|t| t.get_ref().get(&language));
    let (Some(form), Some(text)) = (form, text) else {
        return Err(ServiceError::conflict(
            "consent_text_missing",
            format!("the protocol no longer has the {language} text of form {form_version}"),
        ));
    };
    let participant = participants::find(conn, &Scope::All, &participant_id)?
        .ok_or_else(|| ServiceError::NotFound("participant".into()))?;
    let signed = Signed {
        study_id: &participant.study_id,
        form_version: &form_version,
        language: &language,
        form_text: text,
        signature_name: &signature_name,
        signed_at,
    };
    if signed.hash() != hash {
        return Err(ServiceError::conflict(
            "consent_text_changed",
            format!("the text of form {form_version} changed after it was signed"),
        ));
    }
    let copy = Copy {
        signed,
        study_name: &protocol.study.name,
        form_title: crate::instruments::local(form.title.get_ref(), &language),
        local_time: signed_at
            .and_utc()
            .with_timezone(&protocol.time_zone())
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        hash,
    };
    pdf(&copy).map(Some).map_err(|e| ServiceError::Internal(anyhow::anyhow!(e)))
}

/// Where each line goes: pages of (line, baseline), a page broken where the next line would pass
/// the bottom margin.
fn pages(lines: &[Line]) -> Vec<Vec<(&Line, f32)>> {
    let mut pages: Vec<Vec<(&Line, f32)>> = vec![Vec::new()];
    let mut y = MARGIN;
    for line in lines {
        let step = line.before + LINE.max(line.size * 1.3);
        if y + step > PAGE_H - MARGIN && pages.last().is_some_and(|p| !p.is_empty()) {
            pages.push(Vec::new());
            y = MARGIN;
        }
        y += step;
        pages.last_mut().expect("a page").push((line, y));
    }
    pages
}

/// The copy as a PDF, with the fonts embedded (subset) so it reads the same everywhere.
pub fn pdf(copy: &Copy<'_>) -> Result<Vec<u8>, String> {
    let regular =
        Font::new(trialdesk_charts::REGULAR_FACE.into(), 0).ok_or("the bundled font does not load")?;
    let bold = Font::new(trialdesk_charts::BOLD_FACE.into(), 0).ok_or("the bundled font does not load")?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new().title(copy.form_title.to_owned()).language(copy.signed.language.to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("bad page size")?;
    let lines = lines(copy);
    for placed in pages(&lines) {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (line, y) in placed {
            let font = if line.bold { bold.clone() } else { regular.clone() };
            surface.draw_text(
                Point::from_xy(MARGIN, y),
                font,
                line.size,
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| format!("the PDF could not be written: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(name: &str) -> Signed<'_> {
        Signed {
            study_id: "CON-0001",
            form_version: "1.0",
            language: "en",
            form_text: "I agree.",
            signature_name: name,
            signed_at: NaiveDateTime::parse_from_str("2027-01-02 15:04:05", "%Y-%m-%d %H:%M:%S")
                .expect("time"),
        }
    }

    #[test]
    fn the_hash_changes_with_any_part_and_not_otherwise() {
        let a = signed("Ana Ortiz");
        assert_eq!(a.hash(), signed("Ana Ortiz").hash());
        assert_ne!(a.hash(), signed("Ana Ortiz ").hash());
        // Moving text across a boundary changes it too.
        let moved = Signed { form_text: "I agree.A", signature_name: "na Ortiz", ..a.clone() };
        assert_ne!(a.hash(), moved.hash());
    }

    #[test]
    fn a_long_form_runs_onto_more_pages_with_every_line_once_in_order_inside_the_margins() {
        let text = vec!["Paragraph text that goes on. ".repeat(40); 12].join("\n\n");
        let s = Signed { form_text: &text, ..signed("Ana Ortiz") };
        let copy = Copy {
            signed: s,
            study_name: "CONNECT",
            form_title: "Consent",
            local_time: "now".into(),
            hash: "ab",
        };
        let all = lines(&copy);
        assert!(all.iter().all(|l| l.text.chars().count() <= COLUMNS));
        let placed = pages(&all);
        assert!(placed.len() >= 2, "{} pages", placed.len());
        let flat: Vec<&str> = placed.iter().flatten().map(|(l, _)| l.text.as_str()).collect();
        assert_eq!(flat, all.iter().map(|l| l.text.as_str()).collect::<Vec<_>>());
        assert!(placed.iter().flatten().all(|(_, y)| *y > MARGIN && *y <= PAGE_H - MARGIN));
        assert!(pdf(&copy).expect("pdf").starts_with(b"%PDF-"));
    }
}
