# Preselección de quien llama, el resultado, el registro, la corrección de una preselección; inscripción; corrección de un expediente.

# El formulario de preselección (y el de corrección)
screen-title = Preselección de una persona que llama
screen-correct-title = Corregir una preselección
screen-log-link = Registro de preselección
screen-correct-intro = Cambie lo que se ingresó mal e indique por qué. La elegibilidad se evalúa de nuevo; las respuestas anteriores y las nuevas, y su motivo, se guardan en el registro de auditoría.
screen-back-to-screening = Volver a la preselección
screen-intro = Haga cada pregunta tal como está escrita. Las respuestas deciden la elegibilidad; nada de lo que se anota aquí identifica a la persona que llama.
screen-problems = No se registró la preselección. Revise lo siguiente:
screen-site = Centro
screen-source = ¿Cómo se enteró del estudio?
screen-yes = Sí
screen-no = No
screen-correct-reason = Motivo de la corrección
screen-correct-submit = Corregir la preselección
screen-if-eligible = Si es elegible
screen-declined = No quiso participar
screen-decline-reason = Por qué no quiso participar (opcional)
screen-submit = Registrar la preselección
screen-problem-answer = responda esta pregunta
screen-problem-whole-number = escriba un número entero, por ejemplo 42
screen-problem-source = indique cómo se enteró del estudio la persona que llama (hasta 100 caracteres)

# El resultado de una preselección
screening-title = Resultado de la preselección
screening-log-link = Registro de preselección
screening-screen-another = Preseleccionar a otra persona que llama
screening-heading-eligible = Elegible
screening-heading-ineligible = No elegible
screening-heading-declined = Elegible, no quiso participar
screening-heading-enrolled = Inscrito en el estudio
screening-heading-other = No inscrito
screening-corrected = Se corrigió la preselección; la elegibilidad se evaluó de nuevo.
screening-screened = Fecha de preselección
screening-site = Centro
screening-source = Se enteró del estudio por
screening-reason = Motivo
screening-criteria-not-met = Criterios no cumplidos
screening-correct-link = Corregir esta preselección
screening-correct-hint = (si se ingresó mal; con un motivo, que se guarda en el registro de auditoría)
screening-enrol = Inscribir a esta persona

# El registro de preselección
screenings-title = Registro de preselección
screenings-screen-new = Preseleccionar a una nueva persona que llama
screenings-filter-label = Filtrar el registro
screenings-outcome = Resultado
screenings-any = Cualquiera
screenings-show = Mostrar
screenings-count = { $n ->
    [one] { $n } preselección.
   *[other] { $n } preselecciones.
}
screenings-download = Descargar como CSV
screenings-table-label = Preselecciones
screenings-col-screened = Fecha y hora ({ $zone })
screenings-col-site = Centro
screenings-col-source = Origen
screenings-col-outcome = Resultado
screenings-col-failed = Criterios no cumplidos

# El resultado guardado de una preselección, como lo muestra el registro
outcome-screen-eligible = elegible
outcome-screen-ineligible = no elegible
outcome-screen-declined = no quiso participar
outcome-screen-other = otro
outcome-screen-enrolled = inscrito

# Inscribir a un participante
enrol-title = Inscribir a un participante
enrol-back-to-screening = Volver a la preselección
enrol-intro = Los datos de contacto se guardan aparte del expediente del estudio y solo los ven las funciones que los necesitan.
enrol-problems = No se inscribió al participante. Revise lo siguiente:
enrol-open-existing = Abrir { $id }
enrol-full-name = Nombre completo
enrol-email = Correo electrónico
enrol-phone = Número de teléfono
enrol-contact-hint = Un correo electrónico, un número de teléfono o ambos.
enrol-language = Idioma de los mensajes y cuestionarios
enrol-choose = Elija…
enrol-submit = Inscribir
enrol-problem-choose-one = elija una opción
enrol-problem-full-name = escriba el nombre completo del participante
enrol-problem-bad-choice = una opción no es de las que ofrece el formulario ({ $error })

# Datos demográficos y zona horaria (el formulario de inscripción y la corrección de un expediente)
enrol-prefers-not-to-say = Prefiere no decirlo
enrol-race = Raza
enrol-race-american-indian = Indígena de las Américas o nativo de Alaska
enrol-race-asian = Asiático
enrol-race-black = Negro o afroamericano
enrol-race-pacific-islander = Nativo de Hawái u otra isla del Pacífico
enrol-race-white = Blanco
enrol-race-more-than-one = Más de una raza
enrol-race-other = Otra
enrol-ethnicity = Origen étnico
enrol-ethnicity-hispanic = Hispano o latino/a/x
enrol-ethnicity-not-hispanic = No hispano ni latino/a/x
enrol-sex = Sexo
enrol-sex-female = Femenino
enrol-sex-male = Masculino
enrol-sex-intersex = Intersexual
enrol-age = Edad
enrol-age-18-29 = 18–29
enrol-age-30-39 = 30–39
enrol-age-40-49 = 40–49
enrol-age-50-59 = 50–59
enrol-age-60-69 = 60–69
enrol-age-70-79 = 70–79
enrol-age-80-89 = 80–89
enrol-age-90-over = 90 o más
enrol-newly-diagnosed = Diagnóstico de EM en los últimos dos años
enrol-yes = Sí
enrol-no = No
enrol-disease-course = Curso de la EM
enrol-course-relapsing-remitting = Remitente-recurrente
enrol-course-secondary-progressive = Secundaria progresiva
enrol-course-primary-progressive = Primaria progresiva
enrol-course-clinically-isolated = Síndrome clínicamente aislado
enrol-course-unknown = Se desconoce
enrol-zone = Zona horaria (para las horas de sus mensajes)
enrol-zone-study = La del estudio ({ $zone })
enrol-zone-eastern = Este (Nueva York)
enrol-zone-central = Centro (Chicago)
enrol-zone-mountain = Montaña (Denver)
enrol-zone-arizona = Arizona (Phoenix)
enrol-zone-pacific = Pacífico (Los Ángeles)
enrol-zone-alaska = Alaska (Anchorage)
enrol-zone-hawaii = Hawái (Honolulu)
enrol-zone-atlantic = Atlántico (Puerto Rico)

# Corregir el expediente de un participante
edit-title = Corregir el expediente: { $id }
edit-back = Volver a { $id }
edit-heading = Corregir el expediente de { $id }
edit-intro = Cada cambio necesita un motivo; los valores anteriores y los nuevos quedan en el registro de auditoría (de los datos de contacto, solo cuáles cambiaron).
edit-problems = No se cambió nada. Revise lo siguiente:
edit-contact-heading = Datos de contacto
edit-contact-reason = Motivo del cambio
edit-contact-submit = Guardar los datos de contacto
edit-record-heading = Expediente del estudio
edit-language = Idioma de los mensajes y cuestionarios
edit-frozen-label = { $label }:
edit-frozen-hint = (la asignación lo usó; no se puede cambiar)
edit-record-reason = Motivo del cambio
edit-record-submit = Guardar el expediente del estudio
edit-problem-bad-choice = una opción no es de las que ofrece el formulario ({ $error })

# Dónde supieron del estudio (identificadores guardados; cualquier otra fuente se guarda tal cual)
source-clinic = clínica
source-national_ms_society = National MS Society
source-social_media = redes sociales
source-community_organisation = organización comunitaria
source-word_of_mouth = boca a boca
source-newsletter = boletín
source-other = otra
