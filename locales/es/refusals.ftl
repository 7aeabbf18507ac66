# La negativa de un servicio en un formulario (web/page.rs, Problems::from_refusal). Quien lee en
# inglés ve las palabras del propio servicio, que nombran el expediente; estas son para los demás
# idiomas, así que dicen la regla sin los detalles. `refusal-<campo>` para el problema de un campo,
# `refusal-<código>` para un conflicto (docs/errors.md).

# Campos
refusal-reason = indique el motivo (de 1 a 1000 caracteres); queda en el registro de auditoría
refusal-full-name = debe tener de 1 a 200 caracteres
refusal-contact = indique un correo electrónico, un número de teléfono o ambos
refusal-email = debe ser un correo electrónico como nombre@ejemplo.org
refusal-phone = debe ser un número de teléfono de 7 a 15 dígitos
refusal-signature-name = debe ser el nombre completo del participante tal como figura en su expediente
refusal-language = debe ser uno de los idiomas del estudio
refusal-preferred-language = debe ser uno de los idiomas del estudio
refusal-time-zone = debe ser el nombre de una zona horaria, como America/Chicago
refusal-screening-id = no hay ninguna preselección con este identificador
refusal-attempted-at-future = está en el futuro
refusal-attempted-at-before-enrolment = es anterior a la inscripción del participante
refusal-note = debe tener como máximo 2000 caracteres
refusal-site = no hay ningún centro con ese código

# Conflictos
refusal-already_consented = el participante ya firmó esta versión del formulario de consentimiento
refusal-consent_form_outdated = se aprobó un formulario de consentimiento más reciente desde que se mostró la página; recárguela
refusal-already_voided = el consentimiento ya se anuló
refusal-no_consent_text = el formulario vigente no tiene texto en ese idioma
refusal-nothing_open = el participante no tiene ningún cuestionario abierto ahora
refusal-no_email = el participante no tiene correo electrónico registrado: cree un enlace y léaselo
refusal-no_consent_form_in_force = el protocolo no tiene ningún formulario de consentimiento aprobado para hoy
refusal-already_enrolled = esta preselección ya se inscribió
refusal-duplicate_person = esta persona ya está inscrita (mismo correo electrónico o teléfono)
refusal-strata_frozen = los estratos de un participante aleatorizado no pueden cambiar: la asignación los usó
refusal-screening_not_eligible = solo se puede inscribir una preselección elegible
refusal-screening_closed = la preselección ya se cerró
refusal-already_randomised = el participante ya está aleatorizado
refusal-not_consented = la aleatorización requiere el consentimiento
refusal-not_eligible = la aleatorización requiere una preselección elegible
refusal-reconsent_required = el consentimiento vigente fue reemplazado y debe firmarse de nuevo
refusal-strata_outdated = las respuestas de estratificación ya no coinciden con el protocolo: corríjalas primero
refusal-withdrawn = el participante se retiró
refusal-site_closed = el centro está cerrado a nuevas preselecciones e inscripciones
refusal-not_open = este cuestionario ya no está abierto
refusal-not_completed = solo se corrige un cuestionario ya enviado; el participante todavía puede cambiar sus respuestas
refusal-already_revoked = el enlace ya se revocó
refusal-not_yet_held = la asistencia se puede registrar una vez que la sesión haya empezado
refusal-cancelled = la sesión se canceló
refusal-name = debe ser una línea de 1 a 100 caracteres
refusal-arm-id = elija un brazo que tenga grupos
refusal-moderator-id = elija un moderador activo
refusal-affinity-tags = elija entre las afinidades ofrecidas
refusal-weekday = elija un día de la semana
refusal-local-time = debe ser una hora como 18:30
refusal-start-date = debe ser una fecha como 2027-03-01
refusal-capacity = debe estar entre el mínimo para empezar y 50, y ser al menos el número de miembros
refusal-meeting-url = debe ser una dirección web como https://meet.example.org/sala
refusal-name_taken = ya existe un grupo con este nombre
refusal-has_members = el idioma y la afinidad de un grupo no cambian una vez que tiene miembros
refusal-already_launched = el grupo ya empezó
refusal-empty_group = el grupo todavía no tiene miembros
refusal-group_completed = el grupo terminó; sus miembros quedan como estaban
refusal-unchanged = este texto ya es la versión en vigor
refusal-amendment_invalidates_allocations = la aleatorización ha empezado, así que los brazos, sus códigos, los estratos y el método no pueden cambiar
refusal-content = el protocolo no puede guardarse así
