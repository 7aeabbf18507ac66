# El registro de participantes (la cuadrícula de estado), las listas de trabajo de seguimiento, el formulario de intento de contacto.

# El registro de participantes (/participants)
grid-title = Participantes
grid-screen-new = Preseleccionar a una nueva persona que llama
grid-screening-log = Registro de preselección
grid-filter-label = Filtrar participantes
grid-search-contacts = Número de estudio, nombre, correo electrónico o teléfono
grid-search-id = Número de estudio
grid-filter-need = Requiere acción
grid-filter-no-filter = Sin filtro
grid-filter-any = Cualquiera
grid-filter-site = Centro
grid-filter-status = Estado
grid-filter-arm = Brazo
grid-filter-stratum = Estrato
grid-filter-language = Idioma
grid-filter-group = Grupo
grid-language-en = Inglés
grid-language-es = Español
grid-show = Mostrar
grid-clear-filters = Quitar los filtros
grid-searched-contacts = La búsqueda en los datos de contacto queda en el registro de auditoría, con cada participante que encontró.
grid-none = Ningún participante coincide.
grid-showing = Se muestran { $first }–{ $last } de { $total }.
grid-csv = Descargar esta vista como CSV
grid-sort-by = Ordenar por:
grid-sort-study-id = Número de estudio
grid-sort-site = Centro
grid-sort-enrolled = Fecha de inscripción
grid-sort-language = Idioma
grid-ascending = ascendente
grid-descending = descendente
grid-table-label = Participantes y sus cuestionarios
grid-col-study-id = Número de estudio
grid-col-site = Centro
grid-col-status = Estado
grid-col-arm = Brazo
grid-col-group = Grupo
grid-col-phase = Fase
grid-col-language = Idioma
grid-open-alerts = { $n ->
    [one] { $n } alerta de seguridad abierta
   *[other] { $n } alertas de seguridad abiertas
}
grid-phase-waiting = en espera
grid-phase-queued = en cola
grid-phase-in_group = en un grupo
grid-phase-follow_up = seguimiento
grid-arms = Brazos:
grid-key = Leyenda:
grid-pages = Páginas
grid-previous = Página anterior
grid-next = Página siguiente

# El estado de un participante (palabras guardadas: `status-<palabra>`)
status-enrolled = inscrito
status-consented = con consentimiento
status-randomised = aleatorizado
status-withdrawn = retirado

# La celda de un punto temporal de cuestionario en la cuadrícula (y en el expediente)
cell-not-yet = no programado
cell-scheduled = programado
cell-open = abierto
cell-past-target = pasada la fecha objetivo
cell-completed = completado
cell-missed = no completado
cell-not-applicable = no aplica

# Lo que requiere acción (el filtro de la cuadrícula, los títulos de las listas, el resumen)
need-unconsented = Aún sin consentimiento
need-awaiting_randomisation = Con consentimiento, en espera de aleatorización
need-awaiting_group = Aleatorizado, en espera de un grupo
need-overdue = Cuestionario pasado de su fecha objetivo

# Una lista de trabajo de seguimiento (/queues/…)
queue-overview = Resumen
queue-queues = Listas de trabajo:
queue-link-overdue = cuestionarios atrasados
queue-link-awaiting-randomisation = en espera de aleatorización
queue-link-awaiting-group = en espera de un grupo
queue-recorded = Se registró el intento de contacto.
queue-nothing = No hay nada pendiente.
queue-count = { $n ->
    [one] { $n } participante.
   *[other] { $n } participantes.
}
queue-phone-audited = Los números de teléfono que se muestran aquí quedan en el registro de auditoría como consultas de datos de contacto.
queue-col-participant = Participante
queue-col-site = Centro
queue-col-due = Pendiente
queue-col-phone = Teléfono
queue-col-last-contact = Último contacto ({ $zone })
queue-col-actions = Acciones
queue-phone-none = ninguno
queue-no-attempt = ninguno todavía
queue-last-attempt = { $when }, { $channel }: { $outcome }
queue-due-target = { $label }, fecha objetivo { $date }
queue-due-consented = { $n ->
    [one] dio su consentimiento hace { $n } día
   *[other] dio su consentimiento hace { $n } días
}
queue-due-queued = { $n ->
    [one] en la cola desde hace { $n } día
   *[other] en la cola desde hace { $n } días
}
queue-record-attempt = Registrar un intento de contacto
queue-record-attempt-with = con { $id }
queue-randomise = Aleatorizar
queue-new-link = Nuevo enlace
queue-new-link-for = para { $id }
queue-pages = Páginas
queue-previous = Página anterior
queue-next = Página siguiente

# Registrar un intento de contacto
attempt-title = Intento de contacto: { $id }
attempt-back-to-record = Volver a { $id }
attempt-back-to-queue = Volver a la lista
attempt-heading = Registrar un intento de contacto con { $id }
attempt-problems = No se registró el intento. Revise lo siguiente:
attempt-when = Cuándo ({ $zone })
attempt-how = Cómo
attempt-what-came = Qué resultado tuvo
attempt-note = Nota (opcional)
attempt-submit = Registrar el intento
attempt-problem-when = indique la fecha y la hora, por ejemplo 2026-12-03 14:30
attempt-problem-channel = elija cómo se comunicó con la persona
attempt-problem-outcome = elija qué resultado tuvo

# Cómo se contactó al participante (palabras guardadas: `channel-<palabra>`)
channel-call = Llamada telefónica
channel-text_message = Mensaje de texto
channel-mail = Correo electrónico
channel-video = Videollamada
channel-in_person = En persona

# Qué resultado tuvo un intento de contacto (palabras guardadas: `outcome-<palabra>`)
outcome-reached = Se habló con la persona
outcome-left_message = Se dejó un mensaje
outcome-no_answer = No contestó
outcome-wrong_number = Número o dirección equivocados
outcome-asked_not_to_be_contacted = Pidió que no se le contacte
