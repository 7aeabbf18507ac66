# El expediente de un participante (/participants/{ $id }): sus acciones, consentimiento, cuestionarios, enlaces personales, intentos de contacto, alertas y cronología.

record-all-participants = Todos los participantes
record-back-to = Volver a { $id }
record-not-found-what = ningún expediente de participante
record-back-to-participants = Volver a los participantes
record-problem-reason = indique el motivo (de 1 a 1000 caracteres); se guarda en el registro de auditoría

# Avisos después de un formulario (?done=…)
record-done-consent = Consentimiento registrado.
record-done-void = El consentimiento se anuló. Permanece en el expediente, tachado, con el motivo.
record-done-invitation = Se está enviando al correo electrónico del participante una invitación con un enlace nuevo.
record-done-withdrawal = Retiro registrado: se detuvieron los cuestionarios y los mensajes a este participante.
record-done-attempt = Intento de contacto registrado.
record-done-correction = El expediente se corrigió.
record-done-revocation = El enlace se revocó: ya no abre nada.
record-done-enrolment = Inscrito. Ahora registre el consentimiento.

# Los datos del expediente
record-status = Estado
record-status-enrolled = inscrito
record-status-consented = con consentimiento
record-status-randomised = aleatorizado
record-status-withdrawn = retirado
record-status-enrolled-reconsent = inscrito: debe volver a dar su consentimiento al formulario vigente
record-status-randomised-reconsent = aleatorizado: debe volver a dar su consentimiento al formulario vigente
record-site = Centro
record-enrolled = Inscrito
record-their-zone = Su zona horaria
record-language = Idioma
record-language-en = Inglés
record-language-es = Español
record-arm = Brazo
record-arm-hidden = oculto para su función
record-arm-not-randomised = no aleatorizado
record-group = Grupo
record-phase = Fase
record-phase-waiting = en espera
record-phase-queued = en cola
record-phase-in_group = en grupo
record-phase-follow_up = seguimiento
record-withdrawn = Retirado
record-withdrawn-data-not-used = no se deben usar los datos
record-times-zone = Las horas están en la zona horaria del estudio, { $zone }.
record-randomise = Aleatorizar
record-correct = Corregir el expediente
record-withdraw = Retirar del estudio

# Datos de contacto
record-contact-heading = Datos de contacto
record-contact-name = Nombre
record-contact-phone = Teléfono
record-contact-email = Correo electrónico
record-contact-none = no hay ninguno registrado
record-contact-show = Mostrar los datos de contacto
record-contact-audited = (cada consulta queda en el registro de auditoría)

# Consentimiento, registrado por el personal
consent-heading = Consentimiento
consent-none = No hay ningún consentimiento registrado.
consent-line = Formulario { $version }, { $signed }, en { $language }, { $how }
consent-language-en = inglés
consent-language-es = español
consent-how-witnessed = con el personal como testigo
consent-how-own-link = firmado en su propio enlace
consent-hash-before = (SHA-256
consent-hash-after = , se envió una copia en PDF por correo electrónico)
consent-voided = anulado el { $when }: { $reason }
consent-void-summary = Anular: se registró por error
consent-void-reason-label = Por qué se registró por error
consent-void-button = Anular este consentimiento
consent-record-before = Registrar el consentimiento al formulario
consent-record-after = , con usted como testigo.
consent-signature-label = Nombre que el participante escribió o firmó (como figura en su expediente)
consent-language-label = Idioma en que se leyó el formulario
consent-record-button = Registrar el consentimiento

# Cuestionarios
record-questionnaires-heading = Cuestionarios
record-schedule-none = Aún no hay ninguno programado: el calendario empieza con la aleatorización.
record-schedule-label = Calendario de cuestionarios
record-col-timepoint = Punto temporal
record-col-state = Estado
record-col-target = Día objetivo
record-col-window = Ventana
record-col-completed = Completado
record-col-scores = Puntuaciones
record-window = del { $from } al { $to }
record-window-group = cuando empiece el grupo
record-score-none = sin puntuación

# Enlaces personales
link-heading = Enlaces personales
link-none = El personal aún no ha creado ningún enlace personal (las invitaciones llevan el suyo).
link-dates = Creado el { $created }, vence el { $expires }
link-state-revoked = revocado el { $when }
link-state-expired = vencido
link-state-unused = aún no se ha usado
link-state-used = usado por última vez el { $when }
link-revoke-label = Por qué revocarlo
link-revoke-button = Revocar
link-make = Crear un enlace personal nuevo
link-invite = Enviar ahora una invitación nueva por correo electrónico
link-new-heading = Enlace personal nuevo
link-new-shown-once = Se muestra solo esta vez: no se guarda. Léalo en voz alta, péguelo en un mensaje o deje que el participante escanee el código.
link-copy = Copiar el enlace
link-copied = Copiado
link-qr-label = Código QR del enlace nuevo, para escanear con la cámara de un teléfono

# Intentos de contacto
record-attempts-heading = Intentos de contacto
record-attempts-none = Ninguno registrado.
record-attempt-record = Registrar un intento de contacto
record-channel-call = Llamada telefónica
record-channel-text_message = Mensaje de texto
record-channel-mail = Correo electrónico
record-channel-video = Videollamada
record-channel-in_person = En persona
record-outcome-reached = Se le localizó
record-outcome-left_message = Se dejó un mensaje
record-outcome-no_answer = No contestó
record-outcome-wrong_number = Número o dirección equivocados
record-outcome-asked_not_to_be_contacted = Pidió que no se le contacte

# Alertas de seguridad
record-alerts-heading = Alertas de seguridad
record-alert-open = abierta
record-alert-acknowledged = reconocida
record-alert-closed = cerrada

# Cronología
timeline-heading = Cronología
timeline-screened = preseleccionado
timeline-enrolled = inscrito
timeline-consented = consentimiento dado
timeline-consent_voided = consentimiento anulado
timeline-randomised = aleatorizado
timeline-unblinded = desenmascarado
timeline-withdrawn = retirado
timeline-contact_attempt = intento de contacto

# Aleatorizar (/participants/{ $id }/randomise)
randomise-title = Aleatorizar a { $id }
randomise-check = Revise estos datos antes de continuar: la asignación no se puede deshacer y usa exactamente estos valores.
randomise-study-id = Número de estudio
randomise-site = Centro
randomise-method = Método
randomise-method-simple = simple
randomise-method-stratified_blocks = bloques estratificados
randomise-method-minimisation = minimización
randomise-wrong-before = Si algún valor es incorrecto, no aleatorice:
randomise-wrong-link = corrija el expediente
randomise-wrong-after = primero.
randomise-now = Aleatorizar a { $id } ahora
randomise-refused-withdrawn = { $id } se retiró del estudio.
randomise-refused-reconsent = Hay un nuevo formulario de consentimiento vigente: registre primero el nuevo consentimiento.
randomise-refused-no-consent = El consentimiento aún no está registrado: regístrelo primero en la página del participante.
randomise-conflict-withdrawn = { $id } se retiró del estudio
randomise-conflict-not-consented = { $id } no ha dado su consentimiento

# Asignación (/participants/{ $id }/allocation)
allocation-title = Asignación de { $id }
allocation-heading = { $id } está aleatorizado
allocation-again = { $id } ya estaba aleatorizado: no se asignó nada nuevo. Esta es la asignación que se hizo entonces.
allocation-allocated-to = Asignado a
allocation-hidden = oculto para su función
allocation-when = Cuándo
allocation-times = Las horas están en la zona horaria del estudio, { $zone }. El mensaje de bienvenida y el calendario de cuestionarios siguen por sí solos.

# Retiro (/participants/{ $id }/withdraw)
withdraw-action = Retirar a { $id }
withdraw-heading = Retirar a { $id } del estudio
withdraw-intro = Cuando usted confirme, esto se detiene de inmediato:
withdraw-pending = { $n ->
    [one] { $n } cuestionario aún sin responder pasa a "no aplica";
   *[other] { $n } cuestionarios aún sin responder pasan a "no aplica";
}
withdraw-no-messages = no se le vuelve a enviar ninguna invitación, recordatorio ni otro mensaje;
withdraw-no-links = sus enlaces personales ya no abren nada.
withdraw-record-stays = Su expediente se conserva, con el motivo, en el registro de auditoría.
withdraw-not-recorded = El retiro no se registró:
withdraw-reason-label = Motivo del retiro
withdraw-keep-legend = ¿Se pueden conservar y analizar los datos recopilados hasta ahora?
withdraw-keep-yes = Sí, conservarlos
withdraw-keep-no = No, no usarlos
withdraw-problem-keep-data = elija si se pueden conservar los datos recopilados hasta ahora

# Detalles de la cronología (la cronología de la API dice lo mismo en inglés)
timeline-detail-screened = elegible, referido por { $source }
timeline-detail-consented = formulario { $version } ({ $language })
timeline-detail-consented-own-link = formulario { $version } ({ $language }, firmado en su enlace)
timeline-detail-voided = consentimiento al formulario { $version } anulado: { $reason }
timeline-detail-unblinded = desenmascaramiento de emergencia por el usuario { $account }
timeline-detail-data-kept = se conservan los datos
timeline-detail-data-not-used = los datos no se usarán
