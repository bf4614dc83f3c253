//! STARTTLS: the server certificate from a PEM file (`CERTFILE`: the certificate chain and
//! the private key in one file, as C upsd's OpenSSL builds read it), served with rustls.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use nut_proto::config::CertRequest;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, version};
use tokio_rustls::TlsAcceptor;

use crate::ServerError;

/// What STARTTLS needs: a TLS acceptor built from the server's certificate and key.
///
/// Only TLS 1.2 and 1.3 are offered, so `DISABLE_WEAK_SSL` changes nothing (rustls has no
/// older protocol to disable). Client certificates (`CERTREQUEST`) are not supported:
/// `CERTREQUEST 1` is ignored with a warning at load time, `CERTREQUEST 2` is refused.
#[derive(Clone)]
pub struct TlsSettings {
    acceptor: TlsAcceptor,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings").finish_non_exhaustive()
    }
}

impl TlsSettings {
    /// Builds the settings from PEM text holding the certificate chain (server certificate
    /// first) and the private key, in any order.
    pub fn from_pem(pem: &[u8]) -> Result<Self, ServerError> {
        let bad = |what: String| ServerError::Tls(what);
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| bad(format!("reading the certificates: {e}")))?;
        if certs.is_empty() {
            return Err(bad("no certificate found".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(pem)
            .map_err(|e| bad(format!("reading the private key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&version::TLS13, &version::TLS12])
            .map_err(|e| bad(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| bad(format!("certificate and key do not fit: {e}")))?;
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// Reads `CERTFILE`. `certrequest` and `disable_weak_ssl` are the upsd.conf settings
    /// (see the type's documentation for what they do here).
    pub fn from_pem_file(
        path: &Path,
        certrequest: Option<CertRequest>,
        disable_weak_ssl: bool,
    ) -> Result<Self, ServerError> {
        let _ = disable_weak_ssl; // TLS 1.2+ only in any case.
        match certrequest {
            Some(CertRequest::Require) => {
                return Err(ServerError::Tls(
                    "CERTREQUEST 2 (require client certificates) is not supported".into(),
                ))
            }
            Some(CertRequest::Request) => {
                tracing::warn!("CERTREQUEST 1: client certificates are not requested");
            }
            _ => {}
        }
        let pem = std::fs::read(path)
            .map_err(|e| ServerError::Tls(format!("{}: {e}", path.display())))?;
        Self::from_pem(&pem).map_err(|e| ServerError::Tls(format!("{}: {e}", path.display())))
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pem_is_a_clear_error() {
        let err = TlsSettings::from_pem(b"not pem").unwrap_err();
        assert!(err.to_string().contains("no certificate"), "{err}");
        let err =
            TlsSettings::from_pem_file(Path::new("/nonexistent/cert.pem"), None, true).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
        let err = TlsSettings::from_pem_file(
            Path::new("/nonexistent"),
            Some(CertRequest::Require),
            false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("CERTREQUEST"), "{err}");
    }
}
