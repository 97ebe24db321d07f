// The feedback survey's and form's words (Spanish, addressing the patient as usted).
import type { en } from "./messages";

export const es: Record<keyof typeof en, string> = {
  "feedback.survey.title": "Su opinión",
  "feedback.survey.lead": "{practice} quiere saber cómo fue su visita. Solo toma un minuto.",
  "feedback.survey.question": "¿Qué tan probable es que recomiende {practice} a un amigo o familiar?",
  "feedback.survey.scale": "0 significa nada probable y 10, muy probable.",
  "feedback.survey.required.rating": "Elija un número del 0 al 10",
  "feedback.comment": "¿Hay algo más que quiera decirnos? (opcional)",
  "feedback.comment.hint": "Hasta {max} caracteres. No incluya preguntas médicas: envíelas como mensaje al iniciar sesión.",
  "feedback.tooLong.comment": "Su comentario debe tener {max} caracteres o menos",
  "feedback.sending": "Enviando…",
  "feedback.survey.submit": "Enviar mi respuesta",
  "feedback.survey.noSignIn": "No necesita iniciar sesión. Este enlace funciona una sola vez.",
  "feedback.survey.thanksTitle": "Gracias",
  "feedback.survey.thanks": "Su respuesta se envió a {practice}. Gracias por ayudarnos a atenderle mejor.",
  "feedback.survey.answeredTitle": "Ya respondió",
  "feedback.survey.answered": "Esta encuesta ya fue respondida. Gracias por su opinión.",
  "feedback.survey.expiredTitle": "Este enlace venció",
  "feedback.survey.expired": "Los enlaces de encuesta funcionan durante 14 días. Puede enviarnos su opinión al iniciar sesión.",
  "feedback.survey.invalidTitle": "Este enlace no funciona",
  "feedback.survey.invalid": "Vuelva a abrir el enlace de su correo o mensaje de texto, o inicie sesión para enviarnos su opinión.",
  "feedback.survey.noToken": "Este enlace está incompleto. Vuelva a abrir el enlace de su correo o mensaje de texto.",
  "feedback.survey.signIn": "Ir al portal",
};
