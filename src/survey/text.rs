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
    pub consent_card: &'static str,
    pub consent_card_text: &'static str,
    pub consent_read: &'static str,
    pub consent_intro: &'static str,
    pub consent_version: &'static str,
    pub consent_agree: &'static str,
    pub consent_agree_missing: &'static str,
    pub consent_name: &'static str,
    pub consent_name_hint: &'static str,
    pub consent_name_wrong: &'static str,
    pub consent_sign: &'static str,
    pub consent_signed: &'static str,
    pub consent_copy_sent: &'static str,
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
    consent_card: "Consent form",
    consent_card_text: "Before you take part, please read the consent form and sign it by typing your name.",
    consent_read: "Read and sign",
    consent_intro: "Please read the whole form. Take your time: your place is kept. If anything is unclear, ask the study team before you sign.",
    consent_version: "Form version",
    consent_agree: "I have read this form, my questions have been answered, and I agree to take part.",
    consent_agree_missing: "Tick the box to say that you agree, or close this page if you do not.",
    consent_name: "Your full name",
    consent_name_hint: "Type it as you gave it to the study team. Typing your name is your signature.",
    consent_name_wrong: "This name does not match the one the study team has for you. Type your full name as you gave it to them, or call the study team.",
    consent_sign: "Sign the consent form",
    consent_signed: "You signed the consent form. Thank you.",
    consent_copy_sent: "A PDF copy of what you signed is on its way to your e-mail.",
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
    consent_card: "Formulario de consentimiento",
    consent_card_text: "Antes de participar, lea el formulario de consentimiento y fírmelo escribiendo su nombre.",
    consent_read: "Leer y firmar",
    consent_intro: "Lea todo el formulario. Tómese su tiempo: su lugar se guarda. Si algo no está claro, pregunte al equipo del estudio antes de firmar.",
    consent_version: "Versión del formulario",
    consent_agree: "He leído este formulario, han respondido a mis preguntas y acepto participar.",
    consent_agree_missing: "Marque la casilla para indicar que acepta, o cierre esta página si no acepta.",
    consent_name: "Su nombre completo",
    consent_name_hint: "Escríbalo como se lo dio al equipo del estudio. Escribir su nombre es su firma.",
    consent_name_wrong: "Este nombre no coincide con el que tiene el equipo del estudio. Escriba su nombre completo como se lo dio, o llame al equipo del estudio.",
    consent_sign: "Firmar el consentimiento",
    consent_signed: "Usted firmó el formulario de consentimiento. Gracias.",
    consent_copy_sent: "Le enviamos por correo electrónico una copia en PDF de lo que firmó.",
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
