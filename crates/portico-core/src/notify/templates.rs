//! What a notification says, rendered from the templates in `templates/notify`: a subject,
//! plain text, branded HTML and an SMS. The templates are given the practice's branding, a
//! fixed sentence per kind and a link, and nothing else: no name, no visit, no test, no
//! medication can reach them, because they are never handed one.

use std::sync::LazyLock;

use minijinja::{Environment, context};
use serde::Serialize;

use crate::{CoreError, CoreResult, entities::tenant};

/// The kinds of notification Portico sends to patients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A visit is coming up; the link confirms or cancels it.
    AppointmentReminder,
    /// An earlier time opened for someone on the waitlist; the link opens booking.
    EarlierTimeOpen,
    /// A preventive-care recall is due; the link opens booking.
    RecallDue,
    /// The care team wrote in a conversation; the link opens the portal's messages.
    NewMessage,
    /// A refill request was decided; the link opens the portal's refills page.
    RefillUpdate,
    /// A refill request needs a visit first (a controlled substance); the link opens booking.
    RefillNeedsVisit,
    /// The practice asks for feedback after a completed visit; the link opens the survey.
    FeedbackRequest,
    /// A form waits to be filled in; the link opens the portal's forms.
    FormRequested,
    /// The practice invites a patient without an account to the portal; the link opens the
    /// activation page with their code filled in.
    PortalInvitation,
}

/// The language a patient reads their messages in: Spanish when their preferred language
/// (a BCP 47 tag) has the primary subtag `es` (`es`, `es-MX`, `ES-419`), English otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Language {
    #[default]
    English,
    Spanish,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::Spanish];

    /// The language for a patient's `preferred_language` (none: English).
    pub fn of(tag: Option<&str>) -> Self {
        let primary = tag
            .and_then(|t| t.trim().split(['-', '_']).next())
            .unwrap_or_default();
        if primary.eq_ignore_ascii_case("es") {
            Self::Spanish
        } else {
            Self::English
        }
    }

    /// The BCP 47 tag of the messages (`lang` of the HTML, `Content-Language`).
    pub fn tag(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Spanish => "es",
        }
    }

    /// The words around every notice: the footer, the fallback for the button.
    fn frame(self, practice: &str) -> Frame {
        match self {
            Self::English => Frame {
                lang: "en",
                privacy: format!(
                    "{practice} sent this through its patient portal. For your privacy it holds \
                     no health information; sign in to see the details."
                ),
                settings_text: format!("To change how {practice} reaches you:"),
                settings_before: format!("To change how {practice} reaches you, open"),
                settings_link_text: "notification settings",
                fallback: "If the button does not work, open this address:",
            },
            Self::Spanish => Frame {
                lang: "es",
                privacy: format!(
                    "{practice} le envió este mensaje a través de su portal para pacientes. \
                     Para proteger su privacidad, no contiene información de salud; inicie \
                     sesión para ver los detalles."
                ),
                settings_text: format!("Para cambiar cómo {practice} se comunica con usted:"),
                settings_before: format!(
                    "Para cambiar cómo {practice} se comunica con usted, abra la"
                ),
                settings_link_text: "configuración de avisos",
                fallback: "Si el botón no funciona, abra esta dirección:",
            },
        }
    }
}

impl Notice {
    pub const ALL: [Notice; 9] = [
        Notice::AppointmentReminder,
        Notice::EarlierTimeOpen,
        Notice::RecallDue,
        Notice::NewMessage,
        Notice::RefillUpdate,
        Notice::RefillNeedsVisit,
        Notice::FeedbackRequest,
        Notice::FormRequested,
        Notice::PortalInvitation,
    ];

    /// A name for logs and metrics.
    pub fn kind(self) -> &'static str {
        match self {
            Notice::AppointmentReminder => "appointment_reminder",
            Notice::EarlierTimeOpen => "earlier_time_open",
            Notice::RecallDue => "recall_due",
            Notice::NewMessage => "new_message",
            Notice::RefillUpdate => "refill_update",
            Notice::RefillNeedsVisit => "refill_needs_visit",
            Notice::FeedbackRequest => "feedback_request",
            Notice::FormRequested => "form_requested",
            Notice::PortalInvitation => "portal_invitation",
        }
    }

    fn copy(self, practice: &str, language: Language) -> Copy {
        match language {
            Language::English => self.english(practice),
            Language::Spanish => self.spanish(practice),
        }
    }

    /// Spanish, addressing the patient as usted. The texts use only characters of the GSM
    /// 7-bit alphabet (no á, í, ó, ú), so a text message keeps its 153 characters a segment.
    fn spanish(self, practice: &str) -> Copy {
        match self {
            Notice::AppointmentReminder => Copy {
                subject: format!("Un recordatorio de {practice}"),
                lead: format!("Tiene una cita próxima con {practice}."),
                action: "Confirmar o cancelar".to_owned(),
                note: "El enlace funciona una sola vez y no necesita iniciar sesión. Inicie \
                       sesión en el portal para ver los detalles."
                    .to_owned(),
                sms: "tiene una cita pronto. Confirme o cancele en este enlace:".to_owned(),
            },
            Notice::EarlierTimeOpen => Copy {
                subject: format!("Hay un horario más temprano en {practice}"),
                lead: format!("Se abrió un horario de cita más temprano en {practice}."),
                action: "Reservarlo".to_owned(),
                note: "Inicie sesión para reservarlo antes de que lo tome otra persona.".to_owned(),
                sms: "hay un horario disponible antes del suyo. Reserve en este enlace:".to_owned(),
            },
            Notice::RecallDue => Copy {
                subject: format!("Es hora de programar una visita con {practice}"),
                lead: format!("Es hora de programar una visita con {practice}."),
                action: "Programar en línea".to_owned(),
                note: "Inicie sesión en el portal para elegir el horario que más le convenga."
                    .to_owned(),
                sms: "ya le toca una visita. Programe su cita en este enlace:".to_owned(),
            },
            Notice::NewMessage => Copy {
                subject: format!("Un mensaje nuevo de {practice}"),
                lead: format!("Tiene un mensaje nuevo de su equipo de atención en {practice}."),
                action: "Leerlo en el portal".to_owned(),
                note: "Inicie sesión en el portal para leerlo y responder de forma segura."
                    .to_owned(),
                sms: "tiene un mensaje nuevo y seguro. Léalo en este enlace:".to_owned(),
            },
            Notice::RefillUpdate => Copy {
                subject: format!("Novedades de {practice}"),
                lead: "Hay novedades sobre su solicitud de resurtido.".to_owned(),
                action: "Verlas en el portal".to_owned(),
                note: "Inicie sesión en el portal para ver los detalles.".to_owned(),
                sms: "hay novedades sobre su solicitud de resurtido. Véalas en este enlace:"
                    .to_owned(),
            },
            Notice::RefillNeedsVisit => Copy {
                subject: format!("Por favor, programe una visita con {practice}"),
                lead: format!(
                    "Por favor, programe una visita con {practice} para hablar de su \
                     solicitud de resurtido."
                ),
                action: "Programar en línea".to_owned(),
                note: "Inicie sesión en el portal para elegir el horario que más le convenga."
                    .to_owned(),
                sms: "por favor, programe una visita por su solicitud de resurtido en este \
                      enlace:"
                    .to_owned(),
            },
            Notice::FeedbackRequest => Copy {
                subject: format!("{practice} quiere conocer su opinión"),
                lead: format!("{practice} quiere conocer su opinión."),
                action: "Responder".to_owned(),
                note: "El enlace funciona una sola vez durante 14 días y no necesita iniciar \
                       sesión."
                    .to_owned(),
                sms: "queremos conocer su opinion. Responda en este enlace:".to_owned(),
            },
            Notice::FormRequested => Copy {
                subject: format!("Tiene un formulario de {practice}"),
                lead: format!("Tiene un formulario para completar de {practice}."),
                action: "Completarlo en el portal".to_owned(),
                note: "Inicie sesión en el portal para completarlo de forma segura.".to_owned(),
                sms: "tiene un formulario para completar. Abralo en este enlace:".to_owned(),
            },
            Notice::PortalInvitation => Copy {
                subject: format!("{practice} le invita a su portal del paciente"),
                lead: format!("{practice} le invita a crear su cuenta del portal del paciente."),
                action: "Crear mi cuenta".to_owned(),
                note: "El enlace trae su código de activación; se le pedirá su fecha de \
                       nacimiento."
                    .to_owned(),
                sms: "le invitamos a crear su cuenta del portal. Empiece en este enlace:"
                    .to_owned(),
            },
        }
    }

    fn english(self, practice: &str) -> Copy {
        match self {
            Notice::AppointmentReminder => Copy {
                subject: format!("A reminder from {practice}"),
                lead: format!("You have an upcoming appointment with {practice}."),
                action: "Confirm or cancel".to_owned(),
                note:
                    "The link works once, with no sign-in. Sign in to the portal for the details."
                        .to_owned(),
                sms: "you have an upcoming appointment. Confirm or cancel:".to_owned(),
            },
            Notice::EarlierTimeOpen => Copy {
                subject: format!("An earlier time is open at {practice}"),
                lead: format!("An earlier appointment time has opened at {practice}."),
                action: "Book it".to_owned(),
                note: "Sign in to book it before someone else does.".to_owned(),
                sms: "an earlier appointment time has opened. Book it:".to_owned(),
            },
            Notice::RecallDue => Copy {
                subject: format!("Time to book a visit with {practice}"),
                lead: format!("It is time to book a visit with {practice}."),
                action: "Book online".to_owned(),
                note: "Sign in to the portal to choose a time that suits you.".to_owned(),
                sms: "you are due for a visit. Book online:".to_owned(),
            },
            Notice::NewMessage => Copy {
                subject: format!("A new message from {practice}"),
                lead: format!("You have a new message from your care team at {practice}."),
                action: "Read it in the portal".to_owned(),
                note: "Sign in to the portal to read and reply securely.".to_owned(),
                sms: "you have a new secure message. Read it:".to_owned(),
            },
            Notice::RefillUpdate => Copy {
                subject: format!("An update from {practice}"),
                lead: "There is an update on your refill request.".to_owned(),
                action: "View in the portal".to_owned(),
                note: "Sign in to the portal to see the details.".to_owned(),
                sms: "there is an update on your refill request. View it:".to_owned(),
            },
            Notice::RefillNeedsVisit => Copy {
                subject: format!("Please book a visit with {practice}"),
                lead: format!("Please book a visit with {practice} about your refill request."),
                action: "Book online".to_owned(),
                note: "Sign in to the portal to choose a time that suits you.".to_owned(),
                sms: "please book a visit about your refill request. Book online:".to_owned(),
            },
            Notice::FeedbackRequest => Copy {
                subject: format!("{practice} would like your feedback"),
                lead: format!("{practice} would like your feedback."),
                action: "Answer".to_owned(),
                note: "The link works once, for 14 days, with no sign-in.".to_owned(),
                sms: "we would like your feedback. Answer here:".to_owned(),
            },
            Notice::FormRequested => Copy {
                subject: format!("You have a form to fill in from {practice}"),
                lead: format!("You have a form to fill in from {practice}."),
                action: "Fill it in".to_owned(),
                note: "Sign in to the portal to fill it in securely.".to_owned(),
                sms: "you have a form to fill in. Open it:".to_owned(),
            },
            Notice::PortalInvitation => Copy {
                subject: format!("{practice} invites you to its patient portal"),
                lead: format!("{practice} invites you to set up your patient portal account."),
                action: "Set up my account".to_owned(),
                note: "The link carries your activation code; you will be asked for your date \
                       of birth."
                    .to_owned(),
                sms: "you are invited to set up your portal account. Start here:".to_owned(),
            },
        }
    }
}

#[derive(Serialize)]
struct Frame {
    lang: &'static str,
    privacy: String,
    settings_text: String,
    settings_before: String,
    settings_link_text: &'static str,
    fallback: &'static str,
}

#[derive(Serialize)]
struct Copy {
    subject: String,
    lead: String,
    action: String,
    note: String,
    sms: String,
}

/// How a practice looks in its messages.
#[derive(Clone, Debug, Serialize)]
pub struct Brand {
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    /// Shown only when it is an https URL.
    pub logo_url: Option<String>,
}

impl Brand {
    pub fn of(practice: &tenant::Model) -> Self {
        let color = if is_hex_color(&practice.primary_color) {
            practice.primary_color.clone()
        } else {
            "#1f2937".to_owned()
        };
        Self {
            name: practice.display_name.clone(),
            color,
            logo_url: practice
                .logo_url
                .clone()
                .filter(|u| u.starts_with("https://")),
        }
    }
}

fn is_hex_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A notification ready for each channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sms: String,
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // `.html` templates escape what they are given; the others do not.
    for (name, source) in [
        (
            "layout.html",
            include_str!("../../templates/notify/layout.html"),
        ),
        (
            "email.html",
            include_str!("../../templates/notify/email.html"),
        ),
        (
            "email.txt",
            include_str!("../../templates/notify/email.txt"),
        ),
        ("sms.txt", include_str!("../../templates/notify/sms.txt")),
    ] {
        // A broken template fails every render that needs it, with this in the log (the
        // unit tests render each one, so it cannot ship).
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "notification template does not parse");
        }
    }
    env
});

/// Renders `notice` for `brand` in `language`, with `link` as its one action and
/// `settings_link` where the patient changes how they are reached.
pub fn render(
    notice: Notice,
    brand: &Brand,
    link: &str,
    settings_link: &str,
    language: Language,
) -> CoreResult<Rendered> {
    let copy = notice.copy(&brand.name, language);
    let frame = language.frame(&brand.name);
    let ctx = context! { brand, copy, frame, link, settings_link, subject => copy.subject };
    let render = |name: &str| {
        TEMPLATES
            .get_template(name)
            .and_then(|t| t.render(&ctx))
            .map_err(CoreError::adapter)
    };
    Ok(Rendered {
        subject: copy.subject.clone(),
        text: render("email.txt")?,
        html: render("email.html")?,
        sms: render("sms.txt")?.trim().to_owned(),
    })
}

/// An email about a person's portal account (plain text): it carries a code or a link and the
/// practice's name, never anything from the chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountEmail {
    pub subject: String,
    pub text: String,
}

/// The invitation to activate a portal account with `code` at `activate_url`.
pub fn activation_email(
    language: Language,
    practice: &str,
    activate_url: &str,
    code: &str,
    expires: &str,
) -> AccountEmail {
    match language {
        Language::English => AccountEmail {
            subject: format!("Your {practice} patient portal"),
            text: format!(
                "{practice} invites you to its patient portal.\n\n\
                 Open {activate_url} and enter the code {code} with your date of birth.\n\
                 The code works once, until {expires}."
            ),
        },
        Language::Spanish => AccountEmail {
            subject: format!("Su portal para pacientes de {practice}"),
            text: format!(
                "{practice} le invita a usar su portal para pacientes.\n\n\
                 Abra {activate_url} y escriba el código {code} junto con su fecha de \
                 nacimiento.\n\
                 El código funciona una sola vez, hasta el {expires}."
            ),
        },
    }
}

/// The link to choose a new password, valid `minutes`.
pub fn password_reset_email(
    language: Language,
    practice: &str,
    minutes: u64,
    link: &str,
) -> AccountEmail {
    match language {
        Language::English => AccountEmail {
            subject: format!("Reset your {practice} password"),
            text: format!(
                "Someone asked to reset the password of your account at {practice}.\n\n\
                 Choose a new one within {minutes} minutes: {link}\n\n\
                 If it was not you, ignore this email; your password stays as it is."
            ),
        },
        Language::Spanish => AccountEmail {
            subject: format!("Cambie su contraseña de {practice}"),
            text: format!(
                "Alguien pidió cambiar la contraseña de su cuenta en {practice}.\n\n\
                 Elija una nueva en los próximos {minutes} minutos: {link}\n\n\
                 Si no fue usted, no haga caso de este mensaje; su contraseña sigue igual."
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand() -> Brand {
        Brand {
            name: "Lakeside <Family> Practice".to_owned(),
            color: "#0f766e".to_owned(),
            logo_url: Some("https://cdn.example/logo.png".to_owned()),
        }
    }

    #[test]
    fn every_notice_renders_on_every_channel_with_the_link() {
        let link = "https://portal.example/t/lakeside/visit#token=rem_abc";
        for notice in Notice::ALL {
            let r = render(
                notice,
                &brand(),
                link,
                "https://portal.example/settings",
                Language::English,
            )
            .unwrap();
            assert!(
                r.subject.contains("Lakeside <Family> Practice"),
                "{notice:?}"
            );
            assert!(r.text.contains(link), "{notice:?}");
            assert!(r.sms.contains(link), "{notice:?}");
            assert!(r.html.contains("#0f766e"), "{notice:?}");
            // Escaped in HTML (`/` as `&#x2f;`), which browsers read back in attributes.
            assert!(r.html.contains("cdn.example"), "{notice:?}");
            assert!(r.html.contains("token=rem_abc"), "{notice:?}");
            // The practice's name is escaped in HTML, not in text.
            assert!(
                r.html.contains("Lakeside &lt;Family&gt; Practice"),
                "{notice:?}"
            );
            assert!(!r.html.contains("<Family>"), "{notice:?}");
            assert!(r.text.contains("Lakeside <Family> Practice"), "{notice:?}");
        }
    }

    #[test]
    fn a_logo_that_is_not_https_and_a_colour_that_is_not_hex_are_left_out() {
        let practice = tenant::Model {
            id: uuid::Uuid::nil(),
            slug: "x".into(),
            name: "x".into(),
            status: "active".into(),
            time_zone: "UTC".into(),
            display_name: "X".into(),
            logo_url: Some("javascript:alert(1)".into()),
            primary_color: "red;background:url(x)".into(),
            phone: None,
            custom_domain: None,
            status_reason: None,
            status_changed_at: None,
            operator_hold: false,
            staff_idle_minutes: None,
            patient_idle_minutes: None,
            cancellation_window_hours: None,
            reminder_offsets: None,
            quiet_hours_start: None,
            quiet_hours_end: None,
            sending_limit_per_hour: None,
            message_response_target_hours: None,
            refill_turnaround_hours: None,
            refill_pool_id: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let brand = Brand::of(&practice);
        assert_eq!(brand.logo_url, None);
        assert_eq!(brand.color, "#1f2937");
    }

    #[test]
    fn a_text_message_fits_two_segments_with_a_reminder_link() {
        let link = format!(
            "https://portal.example/t/lakeside/visit#token=rem_{}",
            "a".repeat(64)
        );
        for language in Language::ALL {
            for notice in Notice::ALL {
                let r = render(notice, &brand(), &link, "x", language).unwrap();
                assert!(
                    r.sms.chars().count() <= 306,
                    "{notice:?} {language:?}: {}",
                    r.sms
                );
                // Every character is in the GSM 7-bit alphabet: one outside it (á, í, ó,
                // ú) would make the whole text UCS-2, 67 characters a segment.
                let outside: Vec<char> = r.sms.chars().filter(|c| !GSM7.contains(*c)).collect();
                assert!(outside.is_empty(), "{notice:?} {language:?}: {outside:?}");
            }
        }
    }

    /// GSM 03.38's basic character set (with `{}[]~^|\\€` from its extension table).
    const GSM7: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
        ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà{}[]~^|\\€";

    #[test]
    fn a_spanish_preference_is_any_tag_whose_language_is_es() {
        for tag in ["es", "es-MX", "ES-419", "es_US"] {
            assert_eq!(Language::of(Some(tag)), Language::Spanish, "{tag}");
        }
        for tag in [
            None,
            Some("en"),
            Some("en-US"),
            Some("est"),
            Some("fr"),
            Some(""),
        ] {
            assert_eq!(Language::of(tag), Language::English, "{tag:?}");
        }
    }

    #[test]
    fn spanish_notices_are_in_spanish_on_every_channel() {
        let link = "https://portal.example/t/lakeside/messages/1";
        let r = render(
            Notice::NewMessage,
            &brand(),
            link,
            "https://s",
            Language::Spanish,
        )
        .unwrap();
        assert!(
            r.subject.starts_with("Un mensaje nuevo de"),
            "{}",
            r.subject
        );
        assert!(r.text.contains("Tiene un mensaje nuevo"), "{}", r.text);
        assert!(
            r.text.contains("no contiene información de salud"),
            "{}",
            r.text
        );
        assert!(r.html.contains("lang=\"es\""));
        assert!(r.html.contains("configuración de avisos"));
        assert!(r.sms.contains("mensaje nuevo"), "{}", r.sms);
        for english in [
            "sign in",
            "Sign in",
            "message from",
            "notification settings",
        ] {
            assert!(
                !r.text.contains(english) && !r.html.contains(english),
                "{english}"
            );
        }
        let en = render(
            Notice::NewMessage,
            &brand(),
            link,
            "https://s",
            Language::English,
        )
        .unwrap();
        assert!(en.html.contains("lang=\"en\""));
        assert!(en.text.contains("You have a new message"));
    }
}
