# Cuentas del personal, para administradores (src/web/staff.rs)
nav-staff = Personal
thing-staff-account = cuenta del personal
way-back-to-the-staff-accounts = Volver a las cuentas del personal
staff-title = Cuentas del personal
staff-back = Volver a las cuentas del personal
staff-name = Nombre
staff-email = Correo electrónico
staff-role = Función
staff-sites = Centros
staff-all-sites = todos los centros, actuales y futuros
staff-state = Estado
staff-state-active = activa
staff-state-disabled = desactivada
staff-state-new = todavía no eligió su contraseña
staff-new-heading = Cuenta nueva
staff-make = Crear la cuenta
staff-not-saved = No se guardó nada:
staff-secret = La contraseña de un solo uso de { $email }, mostrada solo esta vez:
staff-secret-how = Désela por un medio distinto del correo (por ejemplo, una llamada). Al entrar por primera vez elige su propia contraseña.
staff-made = Creada el { $made }; último cambio el { $changed }.
staff-change-heading = Nombre, función y centros
staff-reason = Motivo (queda en el registro de auditoría)
staff-save = Guardar los cambios
staff-changed = La cuenta se cambió. Una función nueva cierra sus sesiones.
staff-disable-heading = Desactivar la cuenta
staff-disable-intro = Sus sesiones y tokens de API dejan de funcionar al instante; sus registros se conservan.
staff-disable = Desactivar a { $name }
staff-disabled = La cuenta se desactivó.
staff-enable-heading = Activar la cuenta
staff-enable-intro = Podrá volver a entrar.
staff-enable = Activar a { $name }
staff-enabled = La cuenta se activó.
staff-reset-heading = Restablecer la contraseña
staff-reset-intro = Crea una contraseña nueva de un solo uso y cierra las sesiones de la cuenta; al entrar de nuevo elige su propia contraseña.
staff-reset = Restablecer la contraseña de { $name }
staff-problem-name = indique un nombre de 1 a 200 caracteres
refusal-display-name = debe tener de 1 a 200 caracteres
refusal-role = elija una función
refusal-sites = elija los centros que puede usar esta cuenta, o todos
refusal-email_taken = otra cuenta usa ese correo
refusal-self_lockout = no puede desactivar su propia cuenta ni quitarse la función de administrador
nav-contacts = Contactos de seguridad
contacts-title = Contactos de seguridad
contacts-intro = Quién se entera de una alerta de riesgo de suicidio, en orden: el primero al instante, el siguiente si no se confirma a tiempo, y así. Si no hay nadie, se avisa a los administradores.
contacts-place = { $n ->
    [1] Primer contacto
    [2] Segundo contacto
    [3] Tercer contacto
   *[other] Contacto { $n }
}
contacts-nobody = nadie
contacts-save = Guardar los contactos de seguridad
contacts-saved = Los contactos de seguridad se guardaron.
contacts-not-saved = Los contactos de seguridad no se guardaron:
contacts-problem-twice = la misma persona está elegida dos veces
contacts-problem-inactive = alguien elegido ya no puede entrar
staff-tokens-heading = Tokens de la API
staff-tokens-intro = Programas que esta persona creó para usar la API de trialdesk en su nombre. Revoque uno que ya no se necesite, o que pueda haberse filtrado: deja de funcionar al instante.
staff-tokens-none = Esta cuenta no tiene tokens de la API.
staff-token-revoked = El token está revocado; ya no funciona.
thing-api-token = token de la API
way-back-to-the-staff-account = Volver a la cuenta del personal
staff-two-factor-heading = Inicio de sesión en dos pasos
staff-two-factor-on = Activado. Si ha perdido tanto su teléfono como sus códigos de recuperación, restablézcalo: sus sesiones se cierran y lo configura de nuevo al volver a entrar.
staff-two-factor-off = Desactivado: esta cuenta inicia sesión solo con su contraseña.
staff-two-factor-reset = Restablecer el inicio de sesión en dos pasos de { $name }
staff-two-factor-was-reset = El inicio de sesión en dos pasos está restablecido; lo configura de nuevo al volver a entrar.
