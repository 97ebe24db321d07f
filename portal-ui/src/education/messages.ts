// The education resources' words (English).
export const en = {
  "education.learnMore": "Learn more",
  "education.newTab": "(opens in a new tab)",
  "education.loading": "Loading…",
  "education.goneTitle": "No longer available",
  "education.gone": "Your practice no longer offers this resource. Ask your care team if you have questions.",
  "education.note": "This is general information from your practice, not advice about you. Ask your care team about your own care.",
  "education.card": "Your care team sent you something to read",
};
