# Un cuestionario en el expediente de un participante (/participants/{ $id }/questionnaires/{ $aid }): sus respuestas y puntuaciones, ingresarlas en nombre del participante, corregir una.

answers-back-to = Volver a { $id }
answers-crisis-raised = Se generó una alerta de seguridad urgente y ya se está avisando al clínico del estudio.
answers-crisis-read = Léale esto al participante antes de terminar la llamada:
answers-state = Estado
answers-state-scheduled = programado
answers-state-open = abierto
answers-state-completed = completado
answers-state-missed = no completado
answers-state-not-applicable = no aplica
answers-entered-by-staff = ingresado por el personal en nombre del participante
answers-submitted = Enviado
answers-scores = Puntuaciones
answers-score-none = sin puntuación
answers-not-saved = No se guardó nada. Revise lo siguiente:
answers-enter-heading = Ingresar las respuestas en nombre del participante
answers-enter-intro = Lea en voz alta cada pregunta y sus respuestas, tal como están escritas, y marque lo que diga el participante. Al enviarlas, las respuestas se puntúan y las reglas de seguridad se aplican exactamente igual que en sus propias páginas.
answers-optional = (opcional)
answers-declined = Prefirió no responder
answers-enter-submit = Enviar las respuestas en su nombre
answers-heading = Respuestas
answers-no-questions = No hay preguntas.
answers-question = Pregunta
answers-answer = Respuesta
answers-answer-declined = prefirió no responder
answers-answer-none = sin responder
answers-correct-heading = Corregir una respuesta
answers-correct-intro = Para una respuesta registrada por error. El cuestionario se vuelve a puntuar; la respuesta anterior, la nueva y su motivo se guardan en el registro de auditoría.
answers-choose = Elija…
answers-right-answer = La respuesta correcta
answers-correct-reason = Por qué se corrige
answers-correct-submit = Corregir la respuesta

# Avisos después de un formulario (?done=…)
answers-done-entry = Se envió en nombre del participante y se puntuó.
answers-done-correction = Se corrigió la respuesta y el cuestionario se volvió a puntuar.

# Por qué se rechazaron las respuestas o una corrección
answers-problem-choose = elija una de las respuestas
answers-problem-required = elija una respuesta, o “prefirió no responder”
answers-problem-item = elija la pregunta que va a corregir
answers-problem-value = elija la respuesta correcta
answers-problem-not-an-answer = { $value } no es una respuesta a { $item }; se permite: { $allowed }
answers-problem-reason = indique el motivo (de 1 a 1000 caracteres); se guarda en el registro de auditoría

# Una alerta de seguridad (/alerts/{ $id })
alert-title = Alerta { $id }
alert-all = Todas las alertas
alert-heading-urgent = Alerta urgente: { $id }
alert-heading-safety = Alerta de seguridad: { $id }
alert-raised = Generada
alert-due = Reconocer antes de
alert-overdue = vencida
alert-state = Estado
alert-state-with-contact = { $status }, con el contacto de seguridad { $level }
alert-acknowledged = Reconocida
alert-not-yet = todavía no
alert-action = Medida tomada
alert-none-recorded = ninguna registrada
alert-closed = Cerrada
alert-not-closed = no
alert-reach = Contactar al participante
alert-prefers-en = prefiere inglés
alert-prefers-es = prefiere español
alert-phone = Teléfono:
alert-email = Correo electrónico:
alert-none-on-file = no consta ninguno
alert-unblind-intro = Usted está enmascarado a la asignación. Si la atención de este participante depende de su brazo:
alert-unblind-link = desenmascaramiento de emergencia
alert-acknowledge-submit = Reconocer: yo me encargo de esto
alert-action-submit = Registrar la medida
alert-close-label = Por qué se puede cerrar
alert-close-submit = Cerrar la alerta

# Por qué se rechazó un paso de una alerta
alert-problem-text = indique qué se hizo
alert-conflict-already-acknowledged = la alerta está { $status }
alert-conflict-not-acknowledged = la alerta está { $status }; reconózcala primero
alert-conflict-no-action-recorded = registre la medida tomada antes de cerrar la alerta

# El estado de una alerta, como palabra (tr.word("alert-status", …))
alert-status-open = abierta
alert-status-acknowledged = reconocida
alert-status-closed = cerrada

# La lista de alertas de seguridad (/alerts)
alerts-title = Alertas de seguridad
alerts-hint = Alertas abiertas y reconocidas, primero las más urgentes. Una alerta que no se reconoce antes de su hora límite pasa al siguiente contacto de seguridad.
alerts-none = No hay alertas abiertas.
alerts-participant = Participante
alerts-severity = Gravedad
alerts-why = Motivo
alerts-raised = Generada ({ $zone })
alerts-due = Reconocer antes de
alerts-status = Estado
alerts-urgent = Urgente
alerts-notify = Aviso
alerts-overdue = vencida
alerts-status-contact = { $status } (contacto { $level })

# La lista de cuestionarios (/assessments)
assessments-title = Cuestionarios
assessments-filters = Qué cuestionarios
assessments-filter-overdue = Pasada su fecha objetivo
assessments-filter-open = Todos los abiertos
assessments-filter-missed = No completados
assessments-none = Ninguno.
assessments-participant = Participante
assessments-timepoint = Punto temporal
assessments-target-date = Fecha objetivo
assessments-last-day = Último día
assessments-status = Estado
assessments-past-target = (pasada la fecha objetivo)
assessments-link-hint-before = Un enlace personal nuevo para un participante:
assessments-link-hint-after = (se muestra una sola vez, para enviarlo por mensaje de texto o leerlo en una llamada).
assessments-status-scheduled = programado
assessments-status-open = abierto
assessments-status-completed = completado
assessments-status-missed = no completado
assessments-status-not-applicable = no aplica

# Desenmascaramiento de emergencia (/unblinding/{ $id })
unblind-title = Desenmascaramiento de emergencia: { $id }
unblind-back-to-alert = Volver a la alerta
unblind-allocated = { $id } fue asignado a: { $arm }
unblind-shown-once = Esto se le muestra solo esta vez. Se avisó a todos los administradores y al estadístico no enmascarado, y el expediente del participante ahora indica que usted conoce su brazo. Compártalo solo con quienes lo necesiten para la atención del participante.
unblind-intro = Solo cuando la atención del participante depende de conocer su brazo. Lo verá una sola vez. El motivo, su nombre y la hora quedan en el registro de auditoría; se envía un correo electrónico a todos los administradores y al estadístico no enmascarado; el informe del ensayo cuenta el desenmascaramiento.
unblind-reason-label = Por qué se necesita conocer el brazo ahora
unblind-submit = Mostrar el brazo
unblind-problem-reason = Escriba por qué se necesita conocer el brazo ahora (hasta 1000 caracteres): se guarda en el registro de auditoría.
unblind-conflict-not-randomised = { $id } no ha sido aleatorizado

# La página del informe del ensayo (/reports): sus propias palabras alrededor del informe, cuyo cuerpo queda tal como se generó
report-title = { $name } · informe del ensayo
report-overview-link = ← Resumen
report-study = Estudio { $code }
report-generated = Generado el { $at }
report-blinded = Informe enmascarado: los brazos se muestran solo por su código (Arm A, Arm B).
report-methods = Métodos
report-methods-descriptives = Estadística descriptiva: n, media, DE (n−1), mediana y cuartiles por interpolación lineal (tipo 7 de R).
report-methods-ancova = ANCOVA en cada semana: MCO de la puntuación sobre el brazo y la puntuación basal{ $covariates } (contrastes de tratamiento), con IC del 95 % basados en la t.
report-methods-mmrm = MMRM: puntuación ~ semana + brazo × semana + basal × semana{ $covariates }, con una covarianza no estructurada entre las semanas posteriores a la basal, ajustado por REML; contribuye cada participante con puntuación basal y alguna posterior (datos faltantes al azar); medias ajustadas a la basal media; IC del 95 % y valores p basados en la t con los grados de libertad de Satterthwaite.
report-methods-mixed = Modelo mixto: puntuación ~ brazo × semana + basal{ $covariates } con un intercepto aleatorio por participante{ $groups ->
        [yes] {" "}y un efecto aleatorio por grupo de apoyo entre los participantes de los brazos grupales (un diseño parcialmente anidado)
       *[no] {""}
    }, ajustado por REML; { $df ->
        [kenward-roger] errores estándar y grados de libertad ajustados de Kenward–Roger.
       *[satterthwaite] errores estándar tal como los informa statsmodels, con IC del 95 % y valores p basados en la t con los grados de libertad de Satterthwaite.
    }
report-methods-effect-sizes = Tamaños del efecto: d de Cohen sobre la DE combinada y g de Hedges con su corrección para muestras pequeñas.
report-methods-primary-mmrm = El análisis principal es el MMRM, como piden las guías de ensayos para un resultado continuo repetido; el ANCOVA y el modelo de intercepto aleatorio son análisis de sensibilidad.
report-methods-primary-groups = El análisis principal es el modelo mixto con su término de grupo de apoyo: quienes están en el mismo grupo comparten moderador y compañeros, así que sus resultados están correlacionados (un diseño parcialmente anidado), lo que el MMRM no modela; el MMRM y el ANCOVA son análisis de sensibilidad.
report-methods-primary-chosen = El análisis principal es { $model ->
        [mmrm] el MMRM
        [mixed] el modelo mixto de intercepto aleatorio
       *[ancova] el ANCOVA en cada semana
    }, según se eligió para este análisis; los demás modelos son análisis de sensibilidad.
report-methods-software = Calculado con trialdesk { $version }, escrito en Rust (nalgebra, argmin y statrs); su conjunto de pruebas comprueba cada cifra frente a statsmodels y R (nlme, emmeans, lmerTest y pbkrtest).
