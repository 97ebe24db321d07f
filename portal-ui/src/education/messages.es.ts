// The education resources' words (Spanish).
import type { en } from "./messages";

export const es: Record<keyof typeof en, string> = {
  "education.learnMore": "Más información",
  "education.newTab": "(se abre en una pestaña nueva)",
  "education.loading": "Cargando…",
  "education.goneTitle": "Ya no está disponible",
  "education.gone": "Su consultorio ya no ofrece este recurso. Pregunte a su equipo de atención si tiene dudas.",
  "education.note": "Esta es información general de su consultorio, no un consejo sobre usted. Pregunte a su equipo de atención sobre su propio cuidado.",
  "education.card": "Su equipo de atención le envió algo para leer",
};
