//! STARTTLS: the server certificate from a PEM file (`CERTFILE`: the certificate chain and
//! the private key in one file, as C upsd's OpenSSL builds read it), served with rustls, and
//! client certificates (`CERTREQUEST`) verified against the CA certificates at `CERTPATH`.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use nut_proto::config::CertRequest;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, version, RootCertStore};
use tokio_rustls::TlsAcceptor;

use crate::ServerError;

/// What STARTTLS needs: a TLS acceptor built from the server's certificate and key, and
/// what it asks of clients.
///
/// Only TLS 1.2 and 1.3 are offered, so `DISABLE_WEAK_SSL` changes nothing (rustls has no
/// older protocol to disable).
///
/// Client certificates (`CERTREQUEST`): `0` or absent asks for none; `1` asks for one and,
/// when the client sends one, verifies it (a client without a certificate is accepted, one
/// with a certificate that does not verify is refused); `2` refuses clients without a
/// certificate that verifies. The trust anchors are PEM CA certificates: C's NSS builds
/// take them from the NSS database at `CERTPATH`, which rustls cannot read, so here
/// `CERTPATH` names a PEM file or a directory of PEM files.
#[derive(Clone)]
pub struct TlsSettings {
    acceptor: TlsAcceptor,
    client_certs: CertRequest,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("client_certs", &self.client_certs)
            .finish_non_exhaustive()
    }
}

fn bad(what: impl Into<String>) -> ServerError {
    ServerError::Tls(what.into())
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TlsSettings {
    /// Builds the settings from PEM text holding the certificate chain (server certificate
    /// first) and the private key, in any order. Clients are not asked for certificates.
    pub fn from_pem(pem: &[u8]) -> Result<Self, ServerError> {
        Self::build(pem, CertRequest::No, RootCertStore::empty())
    }

    /// Like [`from_pem`](Self::from_pem), and asks clients for a certificate as `request`
    /// says, verified against the CA certificates in `ca_pem` (PEM text; other PEM sections
    /// are ignored). With [`CertRequest::No`] `ca_pem` is not used.
    pub fn with_client_certs(
        pem: &[u8],
        request: CertRequest,
        ca_pem: &[u8],
    ) -> Result<Self, ServerError> {
        let mut roots = RootCertStore::empty();
        if request != CertRequest::No {
            let certs = pem_certs(ca_pem).map_err(|e| bad(format!("CA certificates: {e}")))?;
            add_roots(&mut roots, certs, "CA certificates")?;
        }
        Self::build(pem, request, roots)
    }

    /// Reads `CERTFILE` (`path`) and, when `certrequest` is 1 or 2, the client CA
    /// certificates at `certpath` (a PEM file, or a directory whose files holding PEM
    /// certificates are all read). `disable_weak_ssl` is the upsd.conf setting (see the
    /// type's documentation for what these do here).
    ///
    /// Errors: an unreadable or unusable certificate or key, `CERTREQUEST` 1 or 2 without
    /// `CERTPATH`, or a `CERTPATH` with no CA certificate.
    pub fn from_pem_file(
        path: &Path,
        certrequest: Option<CertRequest>,
        certpath: Option<&Path>,
        disable_weak_ssl: bool,
    ) -> Result<Self, ServerError> {
        let _ = disable_weak_ssl; // TLS 1.2+ only in any case.
        let request = certrequest.unwrap_or(CertRequest::No);
        let mut roots = RootCertStore::empty();
        if request != CertRequest::No {
            let Some(certpath) = certpath else {
                return Err(bad(format!(
                    "CERTREQUEST {} needs CERTPATH (a PEM file or directory of CA \
                     certificates that sign the clients' certificates)",
                    request.as_number()
                )));
            };
            load_roots(&mut roots, certpath)?;
        }
        let pem = std::fs::read(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        Self::build(&pem, request, roots).map_err(|e| match e {
            ServerError::Tls(msg) => bad(format!("{}: {msg}", path.display())),
            other => other,
        })
    }

    fn build(pem: &[u8], request: CertRequest, roots: RootCertStore) -> Result<Self, ServerError> {
        let certs = pem_certs(pem).map_err(|e| bad(format!("reading the certificates: {e}")))?;
        if certs.is_empty() {
            return Err(bad("no certificate found"));
        }
        let key = PrivateKeyDer::from_pem_slice(pem)
            .map_err(|e| bad(format!("reading the private key: {e}")))?;
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&version::TLS13, &version::TLS12])
            .map_err(|e| bad(e.to_string()))?;
        let builder = match request {
            CertRequest::Request | CertRequest::Require => {
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
                let verifier = if request == CertRequest::Request {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| bad(format!("client certificate verifier: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
            _ => builder.with_no_client_auth(),
        };
        let config = builder
            .with_single_cert(certs, key)
            .map_err(|e| bad(format!("certificate and key do not fit: {e}")))?;
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            client_certs: request,
        })
    }

    /// What clients are asked for: `CERTREQUEST` (0 when absent).
    pub fn client_certs(&self) -> CertRequest {
        self.client_certs
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

/// The certificates in PEM text (other sections skipped).
fn pem_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

fn add_roots(
    roots: &mut RootCertStore,
    certs: Vec<CertificateDer<'static>>,
    origin: &str,
) -> Result<(), ServerError> {
    if certs.is_empty() {
        return Err(bad(format!("{origin}: no CA certificate found")));
    }
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| bad(format!("{origin}: unusable CA certificate: {e}")))?;
    }
    Ok(())
}

/// Reads the CA certificates at `CERTPATH`: a PEM file, or every file of a directory that
/// holds PEM certificates (files without any, such as an NSS database's, are skipped).
fn load_roots(roots: &mut RootCertStore, certpath: &Path) -> Result<(), ServerError> {
    let origin = format!("CERTPATH {}", certpath.display());
    let io_err = |e: std::io::Error| bad(format!("{origin}: {e}"));
    let meta = std::fs::metadata(certpath).map_err(io_err)?;
    if !meta.is_dir() {
        let pem = std::fs::read(certpath).map_err(io_err)?;
        let certs = pem_certs(&pem).map_err(|e| bad(format!("{origin}: {e}")))?;
        return add_roots(roots, certs, &origin);
    }
    let mut entries: Vec<_> = std::fs::read_dir(certpath)
        .map_err(io_err)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut all = Vec::new();
    for file in entries.iter().filter(|p| p.is_file()) {
        let Ok(pem) = std::fs::read(file) else {
            tracing::warn!(file = %file.display(), "CERTPATH: unreadable file skipped");
            continue;
        };
        match pem_certs(&pem) {
            Ok(certs) => all.extend(certs),
            Err(error) => {
                tracing::debug!(file = %file.display(), %error, "CERTPATH: not PEM, skipped");
            }
        }
    }
    add_roots(roots, all, &origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pem_is_a_clear_error() {
        let err = TlsSettings::from_pem(b"not pem").unwrap_err();
        assert!(err.to_string().contains("no certificate"), "{err}");
        let err = TlsSettings::from_pem_file(Path::new("/nonexistent/cert.pem"), None, None, true)
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
    }

    #[test]
    fn client_certs_need_ca_certificates() {
        for request in [CertRequest::Request, CertRequest::Require] {
            let err = TlsSettings::from_pem_file(
                Path::new("/nonexistent/cert.pem"),
                Some(request),
                None,
                false,
            )
            .unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("CERTPATH"), "{msg}");
            assert!(
                msg.contains(&format!("CERTREQUEST {}", request.as_number())),
                "{msg}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cert9.db"), [0u8, 1, 2, 255]).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "no certificate here\n").unwrap();
        let err = TlsSettings::from_pem_file(
            Path::new("/nonexistent/cert.pem"),
            Some(CertRequest::Require),
            Some(dir.path()),
            false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("no CA certificate"), "{err}");
        let err = TlsSettings::with_client_certs(b"", CertRequest::Request, b"").unwrap_err();
        assert!(err.to_string().contains("no CA certificate"), "{err}");
    }
}
