# El marco de cada página del personal: navegación, acceso, cuenta, páginas de error, resumen.

skip-to-content = Ir al contenido
back-to-overview = Volver al resumen

nav-label = Cuenta
nav-overview = Resumen
nav-participants = Participantes
nav-screening = Preselección
nav-questionnaires = Cuestionarios
nav-alerts = Alertas de seguridad
nav-report = Informe del ensayo
nav-api-docs = Documentación de la API
nav-account = Cuenta
nav-sign-out = Cerrar sesión

role-admin = administrador
role-coordinator = coordinador
role-clinician = clínico
role-moderator = moderador
role-statistician_blinded = estadístico (enmascarado)
role-statistician_unblinded = estadístico (no enmascarado)

forbidden-title = No disponible para su función
forbidden-text = Esta página es para el personal que puede { $what }; la función { $role } no puede. Si su trabajo lo necesita, pídalo a un administrador.
not-found-title = No encontrado
not-found-text = No hay { $what } en esta dirección, o pertenece a un centro que su cuenta no cubre.

# El resumen (página de inicio)
home-study = Estudio { $code } · versión del protocolo { $version }
home-randomisation-started = aleatorización iniciada el { $when }
home-randomisation-not-started = aleatorización no iniciada
home-attention = Requiere atención
home-recruitment = Reclutamiento
home-arms = Brazos
home-arm-code-heading = Código
home-arm-heading = Brazo
home-ratio-heading = Proporción
home-blinding = Enmascaramiento
home-targets = Metas
home-enrolment-target = Meta de inscripción: { $n }
home-diversity-target = { $label }: al menos { $share } %
home-groups = Grupos de hasta { $capacity }, { $sessions } sesiones de { $minutes } minutos
home-schedule = Calendario de evaluaciones
home-timepoint = { $label } (día { $day }, { $instruments })
home-blind-roles = Enmascarados a la asignación: { $roles }.
home-blind-process-shown = Los datos del proceso (grupos, sesiones, asistencia, mensajes) se les muestran: todos los brazos se imparten igual.
home-blind-process-withheld = Los datos del proceso (grupos, sesiones, asistencia, mensajes) se les ocultan: los brazos difieren en qué o cuándo imparten, así que revelarían cada brazo.
home-blind-you-codes = Usted está enmascarado: ve los brazos solo por sus códigos.
home-blind-you-none = Usted está enmascarado: no ve el brazo de nadie. En una emergencia, la página de una alerta de seguridad ofrece desenmascarar a ese participante: queda auditado y se avisa a todos los administradores.
home-attention-alerts = Alertas de seguridad: { $open_n } sin reconocer ({ $overdue_n } vencidas), { $acknowledged_n } reconocidas y sin cerrar
home-attention-queue = { $queue }: { $n }
home-attention-questionnaires = Cuestionarios: { $open_n } abiertos ({ $overdue_n } con la fecha objetivo vencida), { $missed_n } no completados
home-recruit-screened = Preseleccionados { $screened_n }: { $eligible_n } elegibles hasta ahora, { $ineligible_n } no cumplen los criterios, { $declined_n } no quisieron participar
home-recruit-enrolled = Inscritos { $enrolled_n }, aleatorizados { $randomised_n } de los { $target } previstos ({ $share } %), retirados { $withdrawn_n }
home-arm-code = Brazo { $code }
home-recruit-arm = { $arm }: { $n } aleatorizados
home-diversity-none-yet = aún no hay inscritos
home-diversity-share = { $share } % de los inscritos
home-diversity-met = alcanzada
home-diversity-not-met = aún no alcanzada
home-recruit-diversity = { $label }: { $now } (meta de al menos { $target } %, { $state })
home-site-no-target = sin meta
home-site-target = meta { $target }, { $share } %
home-recruit-site = Centro { $name } ({ $site }, { $status }): preseleccionados { $screened_n }, inscritos { $enrolled_n }, aleatorizados { $randomised_n } ({ $target })
site-status-open = abierto
site-status-closed = cerrado

# Lo que nombra una página 404, y su camino de vuelta
thing-participant-record = ningún expediente de participante
thing-safety-alert = ninguna alerta de seguridad
thing-screening = ninguna preselección
thing-work-queue = ninguna lista de trabajo
way-back-to-the-overview = Volver al resumen
way-back-to-the-safety-alerts-queue = Volver a la lista de alertas de seguridad
way-back-to-the-screening-log = Volver al registro de preselección
way-back-to-the-participants = Volver a los participantes

# Lo que una página 403 dice que la función no puede hacer
permission-own-account = usar su propia cuenta
permission-read-protocol = leer el protocolo
permission-amend-protocol = modificar el protocolo
permission-manage-users = gestionar usuarios
permission-manage-sites = gestionar centros
permission-read-audit-trail = leer el registro de auditoría
permission-screen = preseleccionar
permission-enrol = inscribir
permission-read-participants = ver participantes
permission-read-contact-details = ver datos de contacto
permission-randomise = aleatorizar
permission-emergency-unblinding = usar el desenmascaramiento de emergencia
permission-read-notices = leer avisos
permission-manage-groups = gestionar grupos
permission-read-groups = ver grupos
permission-record-attendance = registrar asistencia
permission-read-outbox = leer la bandeja de salida
permission-retry-messages = volver a enviar un mensaje fallido
permission-read-assessments = ver evaluaciones
permission-manage-assessments = gestionar evaluaciones
permission-handle-safety-alerts = atender alertas de seguridad
permission-configure-safety-contacts = configurar contactos de seguridad
permission-export-analysis-data = exportar datos de análisis
permission-read-trial-reports = leer informes del ensayo

# Iniciar sesión
login-title = Iniciar sesión
login-email = Correo electrónico
login-password = Contraseña
login-submit = Iniciar sesión
login-no-account = ¿Aún no tiene cuenta? Un administrador la crea con
login-wrong = el correo electrónico o la contraseña son incorrectos, o la cuenta está desactivada
login-too-many = demasiados intentos; vuelva a intentarlo en { $seconds } segundos

# La cuenta propia
account-title = Su cuenta
account-must-change = Inició sesión con una contraseña de un solo uso. Elija la suya para continuar.
account-password-heading = Cambiar su contraseña
account-current-password = Contraseña actual
account-new-password = Contraseña nueva (al menos 12 caracteres)
account-change-password = Cambiar la contraseña
account-problem-current-wrong = La contraseña actual es incorrecta.
account-problem-new-same = La contraseña nueva debe ser distinta de la actual.
account-problem-new-short = La contraseña nueva debe tener al menos 12 caracteres.
account-problem-new-long = La contraseña nueva debe tener como máximo 1024 bytes.
account-language-heading = Idioma
account-language-legend = El idioma de sus páginas
account-language-save = Guardar el idioma
account-language-saved = Sus páginas ahora están en el idioma que eligió.

# Páginas de error
error-400-title = No se pudo leer el formulario
error-400-text = No se entendió algo de lo enviado. Vuelva atrás, revise el formulario y envíelo de nuevo.
error-403-title = El formulario había caducado
error-403-text = Por su seguridad, un formulario solo funciona desde la página de la que vino y por un tiempo limitado. Vuelva atrás, recargue la página y envíelo de nuevo.
error-404-title = No encontrado
error-404-text = No hay nada en esta dirección. Puede que el enlace esté mal escrito o que la página se haya movido.
error-409-title = Eso no se puede hacer ahora
error-409-text = El expediente cambió desde que se mostró la página. Vuelva atrás y recárguela para ver cómo está.
error-413-title = Se envió demasiado
error-413-text = El formulario era más grande de lo que acepta el servidor.
error-500-title = Algo salió mal de nuestro lado
error-500-text = Nada de lo que usted hizo lo causó, y no se guardó nada a medias. El fallo quedó registrado; vuelva a intentarlo en un momento y avise al administrador del estudio si vuelve a ocurrir.

# Un brazo tal como la política de enmascaramiento deja verlo
arm-code = Brazo { $code }
arm-withheld = Brazo oculto (enmascarado)

# Los tokens de API propios
account-tokens-heading = Tokens de API
account-tokens-intro = Un token permite que un script u otro programa use la API en su nombre, con su función y sus centros. Dé a cada uno un nombre que diga dónde se usa, y revóquelo cuando deje de usarse.
account-tokens-none = No tiene tokens de API.
account-token-shown-once = Su token nuevo se muestra solo esta vez. Cópielo ahora en el programa que lo usará: no se puede volver a mostrar.
account-token-copy = Copiar el token
account-token-copied = Copiado
account-token-name = Nombre
account-token-created = Creado
account-token-expires = Vence
account-token-last-used = Último uso
account-token-state = Estado
account-token-never = nunca
account-token-unused = sin usar todavía
account-token-expired = vencido
account-token-revoked-on = revocado el { $when }
account-token-revoke = Revocar
account-token-revoke-label = Revocar el token { $name }
account-token-revoked = El token se revocó: ya no funciona.
account-token-name-label = Nombre de un token nuevo (dónde se usará)
account-token-days-label = Días hasta que venza (de 1 a 365; 90 si lo deja vacío)
account-token-make = Crear un token
account-token-problem-name = Dé al token un nombre de 1 a 100 caracteres.
account-token-problem-days = Indique un número entero de días de 1 a 365, o déjelo vacío.

# La dirección de calendario personal
account-calendar-heading = Calendario
account-calendar-intro = Sus sesiones pueden aparecer en Google Calendar, Outlook o el Calendario de Apple, al día cuando una sesión se mueve o se cancela. Cree su dirección de calendario personal y suscríbase a ella en la aplicación. Solo contiene nombres de grupos y horarios, nunca el nombre de un participante; aun así, cualquiera que tenga la dirección puede leerla, así que no la comparta.
account-calendar-none = Todavía no tiene una dirección de calendario.
account-calendar-make = Crear mi dirección de calendario
account-calendar-shown-once = Su dirección de calendario se muestra solo esta vez. Suscríbase ahora, o cópiela: no se puede volver a mostrar (siempre puede crear una nueva).
account-calendar-open = Suscribirme en mi aplicación de calendario
account-calendar-copy = Copiar la dirección
account-calendar-how = Google Calendar: Otros calendarios, +, Desde URL, y péguela. Outlook: Agregar calendario, Suscribirse desde la web. Calendario de Apple: Archivo, Nueva suscripción a calendario.
account-calendar-unread = Creó una dirección de calendario el { $made }; ninguna aplicación de calendario la ha leído todavía.
account-calendar-in-use = Creó una dirección de calendario el { $made }; una aplicación de calendario la leyó por última vez el { $read }.
account-calendar-replace = Crear una dirección nueva (la anterior deja de funcionar)
account-calendar-revoke = Desactivar mi dirección de calendario
account-calendar-revoked = Su dirección de calendario se desactivó: las aplicaciones de calendario ya no pueden leerla.

# Inicio de sesión en dos pasos
login-code-title = Escriba su código de acceso
login-code-label = Código
login-code-hint = El código de 6 cifras que su aplicación de autenticación muestra ahora para trialdesk, o uno de sus códigos de recuperación.
login-code-submit = Iniciar sesión
login-code-start-again = Empezar de nuevo con su correo electrónico y contraseña
login-code-wrong = Ese código es incorrecto o ya se usó. Espere al siguiente código de su aplicación o use un código de recuperación.
login-code-missing = Escriba el código que muestra su aplicación de autenticación.
account-two-factor-heading = Inicio de sesión en dos pasos
account-two-factor-on = Activado: inicia sesión con su contraseña y un código de su aplicación de autenticación.
account-two-factor-off = Desactivado: inicia sesión solo con su contraseña.
account-two-factor-manage = Gestionar el inicio de sesión en dos pasos
two-factor-title = Inicio de sesión en dos pasos
two-factor-back = Volver a su cuenta
two-factor-required = Su función inicia sesión en dos pasos: su contraseña y un código de una aplicación de autenticación en su teléfono. Configúrelo para continuar.
two-factor-intro = Después de su contraseña, escribirá un código de 6 cifras de una aplicación de autenticación (como Google Authenticator, Microsoft Authenticator, FreeOTP o un gestor de contraseñas). Quien conozca su contraseña seguirá sin poder entrar como usted.
two-factor-start = Configurar el inicio de sesión en dos pasos
two-factor-step-scan = Abra su aplicación de autenticación, añada una cuenta y escanee este código.
two-factor-qr-label = Código QR para su aplicación de autenticación
two-factor-step-type = O escriba esta clave en la aplicación en lugar de escanear:
two-factor-step-code = El código de 6 cifras que muestra ahora la aplicación
two-factor-confirm = Activar el inicio de sesión en dos pasos
two-factor-problem-code = Ese no es el código que muestra ahora la aplicación. Compruebe que la aplicación tiene la clave de arriba y que la hora de su teléfono es correcta.
two-factor-now-on = El inicio de sesión en dos pasos está activado.
two-factor-codes-heading = Sus códigos de recuperación
two-factor-codes-once = Cada código le permite entrar una vez si pierde su teléfono. Solo se muestran ahora: imprímalos o guárdelos en un gestor de contraseñas.
two-factor-codes-copy = Copiar los códigos
two-factor-on = El inicio de sesión en dos pasos está activado: entra con su contraseña y un código de su aplicación de autenticación.
two-factor-codes-left = { $n ->
    [one] Le queda 1 código de recuperación sin usar.
   *[other] Le quedan { $n } códigos de recuperación sin usar.
}
two-factor-renew-heading = Códigos de recuperación nuevos
two-factor-renew-intro = Crea diez códigos nuevos; los que tiene ahora dejan de funcionar.
two-factor-renew = Crear códigos de recuperación nuevos
two-factor-off-heading = Desactivar el inicio de sesión en dos pasos
two-factor-off-intro = Iniciará sesión solo con su contraseña.
two-factor-off-required = Su función necesita el inicio de sesión en dos pasos, así que se le pedirá configurarlo de nuevo enseguida: hágalo para pasar a un teléfono o aplicación nuevos.
two-factor-off = Desactivar el inicio de sesión en dos pasos
two-factor-turned-off = El inicio de sesión en dos pasos está desactivado.
