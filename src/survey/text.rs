//! The survey pages' own words, in English and Spanish. Instrument wording comes from the
//! instrument files; these are the buttons, headings and messages around it.

/// Page text in one language.
pub struct Ui {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub switch_label: &'static str,
    pub skip_to_content: &'static str,
    pub home_title: &'static str,
    pub home_intro: &'static str,
    pub nothing_open: &'static str,
    pub start: &'static str,
    pub resume: &'static str,
    pub answered_of: &'static str,
    pub due_by: &'static str,
    pub question_of: &'static str,
    pub next: &'static str,
    pub skip: &'static str,
    pub back: &'static str,
    pub choose_answer: &'static str,
    pub saved_note: &'static str,
    pub review_title: &'static str,
    pub review_intro: &'static str,
    pub not_answered: &'static str,
    pub change: &'static str,
    pub submit: &'static str,
    pub submit_note: &'static str,
    pub done_title: &'static str,
    pub done_text: &'static str,
    pub back_home: &'static str,
    pub help_link: &'static str,
    pub help_title: &'static str,
    pub support_title: &'static str,
    pub support_continue: &'static str,
    pub closed_title: &'static str,
    pub closed_text: &'static str,
    pub gone_title: &'static str,
    pub gone_expired: &'static str,
    pub gone_unknown: &'static str,
}

pub const EN: Ui = Ui {
    lang: "en",
    other_lang: "es",
    switch_label: "Ver en español",
    skip_to_content: "Skip to the question",
    home_title: "Your questionnaires",
    home_intro: "Thank you for taking part. Your answers are saved as you go: you can stop at any time and come back later, on this or another device, with the same link.",
    nothing_open: "There is nothing for you to fill in right now. We will send you a message when the next questionnaires are ready.",
    start: "Start",
    resume: "Continue",
    answered_of: "answered of",
    due_by: "Please complete by",
    question_of: "Question {n} of {total}",
    next: "Save and continue",
    skip: "Skip this question",
    back: "Back to the previous question",
    choose_answer: "Choose an answer, or skip this question.",
    saved_note: "Your answer is saved when you continue.",
    review_title: "Check your answers",
    review_intro: "You can change any answer before you send them. Once sent, they cannot be changed.",
    not_answered: "Not answered",
    change: "Change",
    submit: "Send my answers",
    submit_note: "Sending is final.",
    done_title: "Thank you",
    done_text: "Your answers have been sent to the study team.",
    back_home: "Back to your questionnaires",
    help_link: "Need help now?",
    help_title: "Help now",
    support_title: "You are not alone",
    support_continue: "Continue the questionnaire",
    closed_title: "This questionnaire is closed",
    closed_text: "It can no longer be answered, or your answers were already sent.",
    gone_title: "This link does not work",
    gone_expired: "This link has expired or has been replaced. The study team can send you a new one.",
    gone_unknown: "We could not find this link. Please check that you copied all of it, or ask the study team for a new one.",
};

pub const ES: Ui = Ui {
    lang: "es",
    other_lang: "en",
    switch_label: "View in English",
    skip_to_content: "Ir a la pregunta",
    home_title: "Sus cuestionarios",
    home_intro: "Gracias por participar. Sus respuestas se guardan a medida que avanza: puede parar en cualquier momento y volver más tarde, en este u otro dispositivo, con el mismo enlace.",
    nothing_open: "No tiene nada que llenar en este momento. Le enviaremos un mensaje cuando los próximos cuestionarios estén listos.",
    start: "Empezar",
    resume: "Continuar",
    answered_of: "contestadas de",
    due_by: "Por favor, complételo antes del",
    question_of: "Pregunta {n} de {total}",
    next: "Guardar y continuar",
    skip: "Saltar esta pregunta",
    back: "Volver a la pregunta anterior",
    choose_answer: "Elija una respuesta, o salte esta pregunta.",
    saved_note: "Su respuesta se guarda al continuar.",
    review_title: "Revise sus respuestas",
    review_intro: "Puede cambiar cualquier respuesta antes de enviarlas. Una vez enviadas, no se pueden cambiar.",
    not_answered: "Sin contestar",
    change: "Cambiar",
    submit: "Enviar mis respuestas",
    submit_note: "El envío es definitivo.",
    done_title: "Gracias",
    done_text: "Sus respuestas se enviaron al equipo del estudio.",
    back_home: "Volver a sus cuestionarios",
    help_link: "¿Necesita ayuda ahora?",
    help_title: "Ayuda ahora",
    support_title: "No está solo(a)",
    support_continue: "Continuar el cuestionario",
    closed_title: "Este cuestionario está cerrado",
    closed_text: "Ya no se puede contestar, o sus respuestas ya se enviaron.",
    gone_title: "Este enlace no funciona",
    gone_expired: "Este enlace venció o fue reemplazado. El equipo del estudio le puede enviar uno nuevo.",
    gone_unknown: "No encontramos este enlace. Revise que lo copió completo, o pida uno nuevo al equipo del estudio.",
};

/// The text for a language code (English for any other).
pub fn ui(lang: &str) -> &'static Ui {
    if lang == "es" { &ES } else { &EN }
}

/// A date as people write it: "December 4, 2026" or "4 de diciembre de 2026".
pub fn long_date(lang: &str, date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ES: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    let m = date.month0() as usize;
    if lang == "es" {
        format!("{} de {} de {}", date.day(), ES[m], date.year())
    } else {
        format!("{} {}, {}", EN[m], date.day(), date.year())
    }
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
