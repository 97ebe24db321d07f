// The Spanish words of messages.ts, loaded only when the portal speaks Spanish; missing or
// extra keys do not compile.
import type { en } from "./messages";

export const es: Record<keyof typeof en, string> = {
  "forms.title": "Formularios",
  "forms.lead": "Su equipo de atención le pide completar estos formularios antes de su visita.",
  "forms.loading": "Cargando sus formularios",
  "forms.empty": "No tiene formularios para completar.",
  "forms.open": "Completar {title}",
  "forms.continue": "Seguir con {title}",
  "forms.status.pending": "Sin empezar",
  "forms.status.inProgress": "Empezado, sin enviar",
  "forms.status.completed": "Enviado a su equipo de atención",
  "forms.forVisit": "Para su visita",
  "forms.due": "Envíelo antes del {date}",
  "forms.saved": "Sus respuestas están guardadas. Puede terminar más tarde.",
  "forms.submitted": "Gracias. Sus respuestas se enviaron a su equipo de atención.",
  "forms.done": "Formularios enviados",
  "forms.back": "Todos los formularios",
  "forms.form.loading": "Cargando el formulario",
  "forms.form.lead": "Las preguntas obligatorias necesitan una respuesta antes de enviar el formulario.",
  "forms.form.required": "obligatoria",
  "forms.form.yes": "Sí",
  "forms.form.no": "No",
  "forms.form.saveDraft": "Guardar y terminar más tarde",
  "forms.form.submit": "Enviar mis respuestas",
  "forms.form.alreadySent": "Ya envió este formulario. Gracias.",
  "forms.form.problem": "Hay un problema",
  "forms.form.answerRequired": "Responda esta pregunta",
  "forms.form.answerInvalid": "Revise esta respuesta",
  "forms.home": "Tiene {count, plural, one {un formulario} other {# formularios}} para completar",
};
