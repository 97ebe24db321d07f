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
}

impl Notice {
    pub const ALL: [Notice; 6] = [
        Notice::AppointmentReminder,
        Notice::EarlierTimeOpen,
        Notice::RecallDue,
        Notice::NewMessage,
        Notice::RefillUpdate,
        Notice::RefillNeedsVisit,
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
        }
    }

    fn copy(self, practice: &str) -> Copy {
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
        }
    }
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

/// Renders `notice` for `brand`, with `link` as its one action and `settings_link` where the
/// patient changes how they are reached.
pub fn render(
    notice: Notice,
    brand: &Brand,
    link: &str,
    settings_link: &str,
) -> CoreResult<Rendered> {
    let copy = notice.copy(&brand.name);
    let ctx = context! { brand, copy, link, settings_link, subject => copy.subject };
    let render = |name: &str| {
        TEMPLATES
            .get_template(name)
            .and_then(|t| t.render(&ctx))
            .map_err(|e| CoreError::Adapter(format!("notification template {name}: {e}")))
    };
    Ok(Rendered {
        subject: copy.subject.clone(),
        text: render("email.txt")?,
        html: render("email.html")?,
        sms: render("sms.txt")?.trim().to_owned(),
    })
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
            let r = render(notice, &brand(), link, "https://portal.example/settings").unwrap();
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
        let r = render(Notice::AppointmentReminder, &brand(), &link, "x").unwrap();
        assert!(r.sms.chars().count() <= 306, "{}", r.sms.len());
    }
}
