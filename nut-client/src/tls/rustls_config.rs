//! The rustls client configuration built from a [`TlsConfig`] (feature `tls`).

use std::sync::Arc;

use tokio_rustls::rustls;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::config::TlsConfig;
use crate::error::{Error, Result};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the rustls client configuration.
pub(crate) fn client_config(tls: &TlsConfig) -> Result<rustls::ClientConfig> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS protocol versions: {e}")))?;
    let builder = if tls.verify {
        let mut roots = rustls::RootCertStore::empty();
        for path in &tls.ca_files {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
                .map_err(|e| Error::Config(format!("CA file {}: {e}", path.display())))?;
            add_certs(&mut roots, certs, &path.display().to_string())?;
        }
        for pem in &tls.ca_pem {
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::Config(format!("CA certificate: {e}")))?;
            add_certs(&mut roots, certs, "PEM text")?;
        }
        if roots.is_empty() {
            return Err(Error::Config(
                "certificate verification needs a CA file (or turn verification off)".into(),
            ));
        }
        builder.with_root_certificates(roots)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider())))
    };
    let config = match &tls.client_cert {
        None => builder.with_no_client_auth(),
        Some((chain, key)) => {
            let certs = CertificateDer::pem_file_iter(chain)
                .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
                .map_err(|e| {
                    Error::Config(format!("client certificate {}: {e}", chain.display()))
                })?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| Error::Config(format!("client key {}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| Error::Config(format!("client certificate: {e}")))?
        }
    };
    Ok(config)
}

fn add_certs(
    roots: &mut rustls::RootCertStore,
    certs: Vec<CertificateDer<'static>>,
    origin: &str,
) -> Result<()> {
    if certs.is_empty() {
        return Err(Error::Config(format!("{origin}: no certificate found")));
    }
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| Error::Config(format!("{origin}: {e}")))?;
    }
    Ok(())
}

/// Accepts any certificate: C's `CERTVERIFY 0`. Signatures are still checked, so the
/// handshake is sound; only the identity is not.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_needs_a_ca() {
        assert!(matches!(
            client_config(&TlsConfig::new()),
            Err(Error::Config(_))
        ));
        assert!(client_config(&TlsConfig::insecure()).is_ok());
        let missing = TlsConfig::new().ca_file("/nonexistent/ca.pem");
        match client_config(&missing) {
            Err(Error::Config(msg)) => assert!(msg.contains("/nonexistent/ca.pem"), "{msg}"),
            other => panic!("{other:?}"),
        }
        let garbage = TlsConfig::new().ca_pem("not a certificate");
        assert!(matches!(client_config(&garbage), Err(Error::Config(_))));
    }
}
