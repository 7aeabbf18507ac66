//! Message texts in English and Spanish. Values are filled in at send time.

/// What a message says: subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub subject: String,
    pub body: String,
}

/// Values a template may use, resolved when the message is sent.
#[derive(Debug, Clone, Default)]
pub struct Values {
    /// The recipient's name (read from contact details or the staff account at send time).
    pub name: String,
    pub study_name: String,
    pub study_id: String,
    pub group_name: String,
    pub session_number: i32,
    /// The session's length.
    pub minutes: i32,
    /// The session's start on the group's wall clock, with the zone.
    pub local_start: String,
    /// Roster lines (moderators only).
    pub roster: Vec<String>,
    pub notice: String,
    /// The participant's personal survey link (made at send time).
    pub link: String,
    /// The time point's name and the last day to answer.
    pub timepoint: String,
    pub due: String,
    /// The group's video meeting, its moderator's first name, and its weekly day and time.
    pub meeting_url: String,
    pub moderator: String,
    pub weekly: String,
}

/// The welcome a participant gets when randomised.
pub fn welcome(lang: &str, v: &Values) -> Text {
    match lang {
        "es" => Text {
            subject: format!("Bienvenida al estudio {}", v.study_name),
            body: format!(
                "Hola {},\n\nGracias por participar en el estudio {}. Su número de estudio es {}.\n\
                 Le escribiremos cuando su grupo de apoyo esté listo, con la fecha y la hora.\n\n\
                 Si tiene preguntas, responda a este correo.\n",
                v.name, v.study_name, v.study_id
            ),
        },
        _ => Text {
            subject: format!("Welcome to the {} study", v.study_name),
            body: format!(
                "Hello {},\n\nThank you for taking part in the {} study. Your study number is {}.\n\
                 We will write to you when your support group is ready, with its day and time.\n\n\
                 If you have questions, reply to this e-mail.\n",
                v.name, v.study_name, v.study_id
            ),
        },
    }
}

/// The copy of a consent form the participant signed on their link (the PDF is attached).
pub fn consent_copy(lang: &str, v: &Values) -> Text {
    match lang {
        "es" => Text {
            subject: format!("Su copia del consentimiento: estudio {}", v.study_name),
            body: format!(
                "Hola {},\n\nGracias por firmar el formulario de consentimiento del estudio {}. Adjuntamos \
                 una copia en PDF con lo que firmó, la fecha y la hora. Guárdela.\n\n\
                 Puede dejar el estudio en cualquier momento: responda a este correo.\n",
                v.name, v.study_name
            ),
        },
        _ => Text {
            subject: format!("Your copy of your consent: the {} study", v.study_name),
            body: format!(
                "Hello {},\n\nThank you for signing the consent form of the {} study. Attached is a PDF copy \
                 of what you signed, with the date and time. Please keep it.\n\n\
                 You can leave the study at any time: reply to this e-mail.\n",
                v.name, v.study_name
            ),
        },
    }
}

/// A participant's reminder on the day of a session.
pub fn session_reminder(lang: &str, v: &Values) -> Text {
    match lang {
        "es" => Text {
            subject: format!("Hoy: sesión {} de {}", v.session_number, v.group_name),
            body: format!(
                "Hola {},\n\nLe recordamos que hoy tiene la sesión {} de su grupo «{}», a las {}.\n\
                 La sesión dura {} minutos. ¡Le esperamos!\n",
                v.name, v.session_number, v.group_name, v.local_start, v.minutes
            ),
        },
        _ => Text {
            subject: format!("Today: session {} of {}", v.session_number, v.group_name),
            body: format!(
                "Hello {},\n\nA reminder that session {} of your group \"{}\" is today, at {}.\n\
                 It lasts {} minutes. We look forward to seeing you.\n",
                v.name, v.session_number, v.group_name, v.local_start, v.minutes
            ),
        },
    }
}

/// A moderator's roster before a session.
pub fn moderator_roster(lang: &str, v: &Values) -> Text {
    let roster = v.roster.join("\n");
    match lang {
        "es" => Text {
            subject: format!("Lista: {} — sesión {}", v.group_name, v.session_number),
            body: format!(
                "Hola {},\n\nSesión {} de «{}», {}, {} minutos.\nParticipantes:\n{roster}\n",
                v.name, v.session_number, v.group_name, v.local_start, v.minutes
            ),
        },
        _ => Text {
            subject: format!("Roster: {} — session {}", v.group_name, v.session_number),
            body: format!(
                "Hello {},\n\nSession {} of \"{}\", {}, {} minutes.\nParticipants:\n{roster}\n",
                v.name, v.session_number, v.group_name, v.local_start, v.minutes
            ),
        },
    }
}

/// A participant's invitation to their questionnaires, and the reminders after it.
pub fn survey_invitation(lang: &str, v: &Values, reminder: bool) -> Text {
    match lang {
        "es" => Text {
            subject: if reminder {
                format!("Recordatorio: sus cuestionarios del estudio {}", v.study_name)
            } else {
                format!("Sus cuestionarios del estudio {} están listos", v.study_name)
            },
            body: format!(
                "Hola {},\n\nSus cuestionarios de «{}» están listos. Toman unos 5 minutos y puede \
                 contestarlos desde su teléfono o computadora:\n\n{}\n\nSus respuestas se guardan a medida \
                 que avanza. Por favor, complételos antes del {}.\nEste enlace es personal: no lo comparta.\n",
                v.name, v.timepoint, v.link, v.due
            ),
        },
        _ => Text {
            subject: if reminder {
                format!("Reminder: your {} study questionnaires", v.study_name)
            } else {
                format!("Your {} study questionnaires are ready", v.study_name)
            },
            body: format!(
                "Hello {},\n\nYour \"{}\" questionnaires are ready. They take about 5 minutes, on your \
                 phone or computer:\n\n{}\n\nYour answers are saved as you go. Please complete them by {}.\n\
                 This link is personal: please do not share it.\n",
                v.name, v.timepoint, v.link, v.due
            ),
        },
    }
}

/// The meeting link's line, or what to expect when the group has none yet.
fn meeting(lang: &str, v: &Values) -> String {
    match (lang, v.meeting_url.is_empty()) {
        ("es", false) => format!("Para unirse, abra este enlace a la hora de la sesión:\n{}", v.meeting_url),
        ("es", true) => "Le enviaremos el enlace de la videollamada antes de la primera sesión.".to_owned(),
        (_, false) => format!("To join, open this link at the time of the session:\n{}", v.meeting_url),
        (_, true) => "We will send you the video meeting link before the first session.".to_owned(),
    }
}

/// "Your group is ready": when it meets on the participant's clock, the first session, the link
/// and the moderator; the sessions are attached as a calendar file.
pub fn group_ready(lang: &str, v: &Values) -> Text {
    match lang {
        "es" => Text {
            subject: format!("Su grupo de apoyo está listo: {}", v.group_name),
            body: format!(
                "Hola {},\n\nSu grupo de apoyo «{}» está listo. Se reúne {} por videollamada, {} minutos cada vez, \
                 {} sesiones en total. La primera es el {}.\nSu moderador/a se llama {}.\n\n{}\n\n\
                 Adjuntamos las sesiones en un archivo de calendario: ábralo para añadirlas a su calendario.\n\
                 Si no puede asistir a una sesión, responda a este correo.\n",
                v.name,
                v.group_name,
                v.weekly,
                v.minutes,
                v.session_number,
                v.local_start,
                v.moderator,
                meeting(lang, v)
            ),
        },
        _ => Text {
            subject: format!("Your support group is ready: {}", v.group_name),
            body: format!(
                "Hello {},\n\nYour support group \"{}\" is ready. It meets {} by video call, {} minutes each time, \
                 {} sessions in all. The first is on {}.\nYour moderator is {}.\n\n{}\n\n\
                 The sessions are attached as a calendar file: open it to add them to your calendar.\n\
                 If you cannot come to a session, reply to this e-mail.\n",
                v.name,
                v.group_name,
                v.weekly,
                v.minutes,
                v.session_number,
                v.local_start,
                v.moderator,
                meeting(lang, v)
            ),
        },
    }
}

/// A session moved (`local_start` is its new time) or cancelled (`local_start` empty); `due` is
/// when it was to be.
pub fn session_changed(lang: &str, v: &Values) -> Text {
    match (lang, v.local_start.is_empty()) {
        ("es", true) => Text {
            subject: format!("Sesión cancelada: {}", v.group_name),
            body: format!(
                "Hola {},\n\nLa sesión {} de su grupo «{}», prevista para el {}, se canceló. \
                 Las demás sesiones siguen igual.\n",
                v.name, v.session_number, v.group_name, v.due
            ),
        },
        ("es", false) => Text {
            subject: format!("Cambio de horario: {}", v.group_name),
            body: format!(
                "Hola {},\n\nLa sesión {} de su grupo «{}», prevista para el {}, se pasó al {}.\n\n{}\n",
                v.name,
                v.session_number,
                v.group_name,
                v.due,
                v.local_start,
                meeting(lang, v)
            ),
        },
        (_, true) => Text {
            subject: format!("Session cancelled: {}", v.group_name),
            body: format!(
                "Hello {},\n\nSession {} of your group \"{}\", planned for {}, is cancelled. \
                 The other sessions stay as they were.\n",
                v.name, v.session_number, v.group_name, v.due
            ),
        },
        (_, false) => Text {
            subject: format!("New time: {}", v.group_name),
            body: format!(
                "Hello {},\n\nSession {} of your group \"{}\", planned for {}, has moved to {}.\n\n{}\n",
                v.name,
                v.session_number,
                v.group_name,
                v.due,
                v.local_start,
                meeting(lang, v)
            ),
        },
    }
}

/// To a waitlisted participant on the day their wait ends.
pub fn waitlist_ended(lang: &str, v: &Values) -> Text {
    match lang {
        "es" => Text {
            subject: format!("Su espera terminó: estudio {}", v.study_name),
            body: format!(
                "Hola {},\n\nSu tiempo de espera en el estudio {} terminó: ahora le buscamos un grupo de apoyo. \
                 Le escribiremos cuando esté listo, con el día y la hora.\n",
                v.name, v.study_name
            ),
        },
        _ => Text {
            subject: format!("Your wait is over: the {} study", v.study_name),
            body: format!(
                "Hello {},\n\nYour waiting period in the {} study is over: we are now finding you a support group. \
                 We will write when it is ready, with its day and time.\n",
                v.name, v.study_name
            ),
        },
    }
}

/// A safety alert to a clinician: who (by study id), what rule, by when; never the answers.
pub fn safety_alert(v: &Values) -> Text {
    Text {
        subject: format!("[{}] {} — {}", v.study_name, v.notice, v.study_id),
        body: format!(
            "Hello {},\n\n{}\nParticipant: {}\nAcknowledge by: {}\n\nOpen the alert in trialdesk: {}\n\n\
             If it is not acknowledged in time it goes to the next safety contact.\n",
            v.name, v.notice, v.study_id, v.due, v.link
        ),
    }
}

/// A notice to an admin (always in English: staff-facing).
pub fn admin_notice(v: &Values) -> Text {
    Text {
        subject: format!("[{}] {}", v.study_name, v.notice),
        body: format!(
            "Hello {},\n\n{}\n\nThe audit trail records who, when and why; admins see it under notices in trialdesk.\n",
            v.name, v.notice
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_welcome_is_in_the_participants_language() {
        let v = Values {
            name: "Ana".into(),
            study_name: "CONNECT".into(),
            study_id: "CON-0007".into(),
            ..Values::default()
        };
        assert!(welcome("es", &v).body.contains("Su número de estudio es CON-0007"));
        assert!(welcome("en", &v).body.contains("Your study number is CON-0007"));
    }
}
