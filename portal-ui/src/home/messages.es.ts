// The Spanish words of messages.ts, loaded only when the portal speaks Spanish; missing or
// extra keys do not compile.
import type { en } from "./messages";

export const es: Record<keyof typeof en, string> = {
  "home.title": "Hola, {name}",
  "home.titleProxy": "Portal de {name}",
  "home.lead": "Esto es lo que necesita su atención.",
  "home.visits.title": "Sus próximas citas",
  "home.visits.titleProxy": "Próximas citas de {name}",
  "home.visits.none": "No tiene citas programadas.",
  "home.visits.book": "Programar una cita",
  "home.visits.with": "{type} con {provider}",
  "home.visits.at": "en {location}",
  "home.visits.all": "Ver todas las citas",
  "home.results.title": "Resultados nuevos",
  "home.results.count": "{count, plural, =0 {No hay resultados nuevos desde su última cita.} one {# resultado nuevo desde su última cita.} other {# resultados nuevos desde su última cita.}}",
  "home.results.flagged": "{count, plural, one {# está fuera del rango normal.} other {# están fuera del rango normal.}}",
  "home.results.read": "Ver sus resultados",
  "home.results.readProxy": "Ver los resultados de {name}",
  "home.messages.title": "Mensajes",
  "home.messages.unread": "{count, plural, =0 {No tiene mensajes sin leer.} one {Tiene # conversación sin leer.} other {Tiene # conversaciones sin leer.}}",
  "home.messages.open": "Abrir mensajes",
  "home.refills.title": "Solicitudes de resurtido",
  "home.refills.count": "{count, plural, =0 {No hay solicitudes de resurtido en curso.} one {# solicitud de resurtido en curso.} other {# solicitudes de resurtido en curso.}}",
  "home.refills.open": "Ver solicitudes de resurtido",
  "home.reminders.title": "Recordatorios",
  "home.reminders.none": "No hay nada pendiente.",
  "home.reminders.immunization": "Le toca la vacuna {title}",
  "home.reminders.renewal": "Hay que renovar {title}",
  "home.reminders.dueOn": "antes del {date}",
  "home.reminders.needsVisit": "Programe una cita para renovarlo.",
  "home.loading": "Cargando su página de inicio",
};
