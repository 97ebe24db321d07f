//! `PORTICO_SMTP_URL` read into where and how to connect, with the meaning lettre gives the
//! same URL (`AsyncSmtpTransport::from_url`), so a URL that worked before still does.

use lettre::transport::smtp::{
    SMTP_PORT, SUBMISSION_PORT, SUBMISSIONS_PORT, authentication::Credentials,
    client::TlsParameters, extension::ClientId,
};
use percent_encoding::percent_decode_str;
use url::Url;

use super::SmtpError;

/// How the session is secured.
pub enum Security {
    /// `smtp://host`: no TLS (a relay on a trusted network).
    Plain,
    /// `smtp://host?tls=required` or `?tls=opportunistic`: STARTTLS after the greeting,
    /// refusing to go on without it when required.
    StartTls { tls: TlsParameters, required: bool },
    /// `smtps://host`: TLS from the first byte.
    Implicit,
}

pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<Credentials>,
    /// The name given in EHLO: the URL's path when it has one, else this machine's name.
    pub hello: ClientId,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Self, SmtpError> {
        let bad = |why: &str| SmtpError::Url(why.to_owned());
        let url = Url::parse(url).map_err(|e| SmtpError::Url(e.to_string()))?;
        let host = url
            .host_str()
            .ok_or_else(|| bad("it names no host"))?
            .to_owned();
        let tls = url
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        let starttls = |required| -> Result<Security, SmtpError> {
            Ok(Security::StartTls {
                tls: TlsParameters::new(host.clone()).map_err(|e| SmtpError::Url(e.to_string()))?,
                required,
            })
        };
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, SMTP_PORT),
            ("smtp", Some("required")) => (starttls(true)?, SUBMISSION_PORT),
            ("smtp", Some("opportunistic")) => (starttls(false)?, SUBMISSION_PORT),
            ("smtps", _) => (Security::Implicit, SUBMISSIONS_PORT),
            _ => {
                return Err(bad(
                    "use smtp://, smtp://…?tls=required, smtp://…?tls=opportunistic or smtps://",
                ));
            }
        };
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let credentials = url
            .password()
            .map(|password| Credentials::new(decode(url.username()), decode(password)));
        let path = url.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_owned())
        };
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> Endpoint {
        Endpoint::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn the_scheme_and_tls_parameter_choose_the_security_and_default_port() {
        let plain = parsed("smtp://relay.internal");
        assert!(matches!(plain.security, Security::Plain));
        assert_eq!((plain.host.as_str(), plain.port), ("relay.internal", 25));

        let required = parsed("smtp://mail.example.com?tls=required");
        assert!(matches!(
            required.security,
            Security::StartTls { required: true, .. }
        ));
        assert_eq!(required.port, 587);

        let opportunistic = parsed("smtp://mail.example.com:2525?tls=opportunistic");
        assert!(matches!(
            opportunistic.security,
            Security::StartTls {
                required: false,
                ..
            }
        ));
        assert_eq!(opportunistic.port, 2525);

        let implicit = parsed("smtps://mail.example.com");
        assert!(matches!(implicit.security, Security::Implicit));
        assert_eq!(implicit.port, 465);
    }

    #[test]
    fn credentials_are_percent_decoded_and_the_path_names_the_client() {
        let endpoint = parsed("smtp://apikey:p%40ss%2Fword@mail.example.com/portal.example.com");
        assert!(
            endpoint.credentials == Some(Credentials::new("apikey".into(), "p@ss/word".into())),
            "the user and password are decoded"
        );
        assert_eq!(
            endpoint.hello,
            ClientId::Domain("portal.example.com".into())
        );
        assert!(parsed("smtp://127.0.0.1:2525").credentials.is_none());
    }

    #[test]
    fn unknown_schemes_and_tls_modes_are_refused() {
        for url in [
            "http://mail.example.com",
            "smtp://mail.example.com?tls=sometimes",
            "smtp:///no-host",
            "not a url",
        ] {
            assert!(Endpoint::parse(url).is_err(), "{url} was accepted");
        }
    }
}
