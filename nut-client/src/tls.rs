//! TLS: building the rustls configuration from a [`TlsConfig`] and the STARTTLS handshake.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::TlsConnector;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use nut_proto::net::{ReplyLine, Response};

use crate::config::{TlsConfig, TlsMode};
use crate::error::{Error, Result};

/// Longest reply line to STARTTLS that is read before giving up.
const MAX_STARTTLS_REPLY: usize = 512;

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

/// The stream under a connection: plain TCP or TLS over it.
#[derive(Debug)]
pub(crate) enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS after STARTTLS.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// Whether the stream is encrypted.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Self::Tls(_))
    }
}

impl tokio::io::AsyncRead for Stream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for Stream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_flush(cx),
            Self::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Sends STARTTLS on `tcp` as `mode` asks and performs the handshake; `host` is the name
/// connected to (the expected certificate name unless the config names another).
pub(crate) async fn start(
    mut tcp: TcpStream,
    host: &str,
    mode: TlsMode,
    tls: &TlsConfig,
) -> Result<Stream> {
    if mode == TlsMode::Disabled {
        return Ok(Stream::Plain(tcp));
    }
    // Build the configuration first: a bad CA file is an error before anything is sent.
    let config = client_config(tls)?;
    tcp.write_all(b"STARTTLS\n").await.map_err(Error::from_io)?;
    let line = read_line(&mut tcp).await?;
    match ReplyLine::decode(&line)? {
        ReplyLine::Single(Response::OkStartTls) => {}
        ReplyLine::Single(reply) if mode == TlsMode::Opportunistic => {
            if matches!(reply, Response::Err { .. }) {
                return Ok(Stream::Plain(tcp));
            }
            return Err(Error::unexpected("STARTTLS", &reply));
        }
        other => {
            let text = other.to_string();
            return Err(Error::TlsUnavailable(text.trim_end().to_owned()));
        }
    }
    let name = tls.server_name.as_deref().unwrap_or(host);
    let name = ServerName::try_from(name.to_owned())
        .map_err(|e| Error::Config(format!("TLS server name {name:?}: {e}")))?;
    let connector = TlsConnector::from(Arc::new(config));
    let stream = connector.connect(name, tcp).await.map_err(Error::Tls)?;
    Ok(Stream::Tls(Box::new(stream)))
}

/// Reads one line byte by byte, so that nothing after it is consumed.
async fn read_line(tcp: &mut TcpStream) -> Result<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        let byte = tcp.read_u8().await.map_err(Error::from_io)?;
        line.push(byte);
        if byte == b'\n' {
            return Ok(line);
        }
        if line.len() > MAX_STARTTLS_REPLY {
            return Err(Error::UnexpectedReply {
                request: "STARTTLS",
                reply: String::from_utf8_lossy(&line).into_owned(),
            });
        }
    }
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
