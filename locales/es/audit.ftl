# La página del registro de auditoría para administradores (src/audit/pages.rs)
nav-audit = Auditoría
trail-title = Registro de auditoría
trail-intro = Cada cambio en los datos del ensayo: quién, cuándo, antes → después, y por qué. Cada entrada está encadenada a la anterior, así que un cambio hecho a espaldas de trialdesk se descubre al verificar la cadena.
trail-participant = Participante (id. del estudio)
trail-account = Cuenta (correo)
trail-action = Acción
trail-from = Desde (AAAA-MM-DD)
trail-to = Hasta (AAAA-MM-DD)
trail-filter = Mostrar estas entradas
trail-verify = Verificar la cadena
trail-csv = Descargar todo el registro en CSV
trail-none = Ninguna entrada coincide.
trail-not-shown = No se mostraron las entradas:
trail-no-such = ningún participante ni cuenta tiene ese id. del estudio o correo
trail-shown = Las más recientes primero, como mucho 200; horas en la zona del estudio ({ $zone }). Las acciones, registros, cambios y motivos se guardan como se escribieron (el sistema los escribe en inglés). Acote los filtros, o descargue el CSV con todas las entradas.
trail-when = Cuándo
trail-who = Quién
trail-what = Registro
trail-changes = Cambios
trail-reason = Motivo
trail-intact = { $n ->
    [one] La cadena está intacta: se verificó 1 entrada.
   *[other] La cadena está intacta: se verificaron { $n } entradas.
}
trail-broken = La cadena está rota en la entrada { $seq } (se verificaron { $n } entradas): se cambió, borró o reordenó fuera de trialdesk.
