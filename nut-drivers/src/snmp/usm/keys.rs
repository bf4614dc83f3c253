//! Keys from pass phrases (RFC 3414 A.2, RFC 7860 §9.3), localized with the agent's engine ID,
//! extended for AES-192/256; HMAC signing and constant-time verification.

use std::fmt;

use hmac::{EagerHash, Hmac, KeyInit, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use super::config::{AuthProtocol, PrivProtocol};

/// Runs `$body` with `$h` bound to the hash type of `$proto`.
macro_rules! with_hash {
    ($proto:expr, $h:ident => $body:expr) => {
        match $proto {
            AuthProtocol::Md5 => {
                type $h = Md5;
                $body
            }
            AuthProtocol::Sha1 => {
                type $h = Sha1;
                $body
            }
            AuthProtocol::Sha224 => {
                type $h = Sha224;
                $body
            }
            AuthProtocol::Sha256 => {
                type $h = Sha256;
                $body
            }
            AuthProtocol::Sha384 => {
                type $h = Sha384;
                $body
            }
            AuthProtocol::Sha512 => {
                type $h = Sha512;
                $body
            }
        }
    };
}

/// Secret key material: wiped from memory when dropped, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(Zeroizing<Vec<u8>>);

impl Key {
    /// Wraps key bytes (a localized key given as hex, as `snmpusm` prints them, for example).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(Zeroizing::new(bytes.to_vec()))
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key(<{} bytes redacted>)", self.0.len())
    }
}

/// How many bytes of repeated pass phrase the key is hashed from (RFC 3414 A.2).
const EXPANDED_LEN: usize = 1 << 20;

fn hash_expanded<H: Digest>(password: &[u8]) -> Key {
    let mut hasher = H::new();
    if !password.is_empty() {
        // A whole number of pass phrases, at least 64 bytes long, fed over and over: each
        // chunk starts where the pass phrase starts, as in the byte-by-byte definition.
        let chunk: Zeroizing<Vec<u8>> = Zeroizing::new(
            password
                .iter()
                .copied()
                .cycle()
                .take(password.len() * 64usize.div_ceil(password.len()))
                .collect(),
        );
        let mut left = EXPANDED_LEN;
        while left > 0 {
            let n = left.min(chunk.len());
            hasher.update(&chunk[..n]);
            left -= n;
        }
    }
    Key(Zeroizing::new(hasher.finalize().to_vec()))
}

/// Ku: the pass phrase repeated over 1 MiB and hashed (RFC 3414 A.2.1 and A.2.2; RFC 7860
/// §9.3 for SHA-2). Costs a millisecond or so: done once per pass phrase.
pub fn password_to_key(auth: AuthProtocol, password: &[u8]) -> Key {
    with_hash!(auth, H => hash_expanded::<H>(password))
}

fn localize_with<H: Digest>(key: &[u8], engine_id: &[u8]) -> Key {
    let mut hasher = H::new();
    hasher.update(key);
    hasher.update(engine_id);
    hasher.update(key);
    Key(Zeroizing::new(hasher.finalize().to_vec()))
}

/// Kul: Ku localized to one engine, H(Ku ‖ engineID ‖ Ku) (RFC 3414 §2.6).
pub fn localize_key(auth: AuthProtocol, key: &Key, engine_id: &[u8]) -> Key {
    with_hash!(auth, H => localize_with::<H>(key.as_bytes(), engine_id))
}

fn digest(auth: AuthProtocol, data: &[u8]) -> Zeroizing<Vec<u8>> {
    with_hash!(auth, H => Zeroizing::new(H::digest(data).to_vec()))
}

/// The privacy key for `privacy`: the privacy pass phrase's Ku (hashed with the authentication
/// protocol's hash) localized to the engine, then, when the hash is shorter than the cipher
/// needs, extended:
/// - Blumenthal (draft-blumenthal-aes-usm-04 §3.1.2.1, net-snmp's `AES192`/`AES256`): the key
///   so far is hashed and the hash appended, until long enough;
/// - Reeder (draft-reeder-snmpv3-usm-3desede §2.1, Cisco's, net-snmp's `AES192C`/`AES256C`):
///   the key so far is taken as a pass phrase, turned into a Ku and localized, and that
///   appended, until long enough.
///
/// Truncated to [`PrivProtocol::key_len`] bytes (DES: key, then pre-IV).
pub fn privacy_key(
    auth: AuthProtocol,
    privacy: PrivProtocol,
    priv_ku: &Key,
    engine_id: &[u8],
) -> Key {
    let mut key = Zeroizing::new(localize_key(auth, priv_ku, engine_id).as_bytes().to_vec());
    let want = privacy.key_len();
    while key.len() < want {
        let more = match privacy {
            PrivProtocol::Aes192Reeder | PrivProtocol::Aes256Reeder => {
                let ku = password_to_key(auth, &key);
                Zeroizing::new(localize_key(auth, &ku, engine_id).as_bytes().to_vec())
            }
            _ => digest(auth, &key),
        };
        key.extend_from_slice(&more);
    }
    key.truncate(want);
    Key(key)
}

fn mac_with<H: EagerHash>(key: &[u8], data: &[u8]) -> Vec<u8>
where
    Hmac<H>: KeyInit + Mac,
{
    let mut mac = <Hmac<H> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn verify_with<H: EagerHash>(key: &[u8], data: &[u8], tag: &[u8]) -> bool
where
    Hmac<H>: KeyInit + Mac,
{
    let mut mac = <Hmac<H> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.verify_truncated_left(tag).is_ok()
}

/// The MAC of `message` (whose msgAuthenticationParameters are zero-filled): HMAC with the
/// localized authentication key, truncated to [`AuthProtocol::mac_len`] bytes.
pub fn sign(auth: AuthProtocol, key: &Key, message: &[u8]) -> Vec<u8> {
    let mut mac = with_hash!(auth, H => mac_with::<H>(key.as_bytes(), message));
    mac.truncate(auth.mac_len());
    mac
}

/// Whether `tag` is the MAC of `message` (zero-filled as in [`sign`]), compared in constant time.
pub fn verify(auth: AuthProtocol, key: &Key, message: &[u8], tag: &[u8]) -> bool {
    tag.len() == auth.mac_len()
        && with_hash!(auth, H => verify_with::<H>(key.as_bytes(), message, tag))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const ENGINE: &str = "000000000000000000000002";

    /// RFC 3414 A.3.1 (MD5) and A.3.2 (SHA-1): "maplesyrup".
    #[test]
    fn rfc3414_a3_vectors() {
        let engine = hex(ENGINE);
        let ku = password_to_key(AuthProtocol::Md5, b"maplesyrup");
        assert_eq!(ku.as_bytes(), hex("9faf3283884e92834ebc9847d8edd963"));
        let kul = localize_key(AuthProtocol::Md5, &ku, &engine);
        assert_eq!(kul.as_bytes(), hex("526f5eed9fcce26f8964c2930787d82b"));

        let ku = password_to_key(AuthProtocol::Sha1, b"maplesyrup");
        assert_eq!(
            ku.as_bytes(),
            hex("9fb5cc0381497b3793528939ff788d5d79145211")
        );
        let kul = localize_key(AuthProtocol::Sha1, &ku, &engine);
        assert_eq!(
            kul.as_bytes(),
            hex("6695febc9288e36282235fc7151f128497b38f3f")
        );
    }

    /// RFC 7860 publishes no test vectors: these were computed with Python's hashlib (the
    /// algorithm of RFC 3414 A.2 with each SHA-2 hash), independently of this code, by
    /// `python3 -c 'import hashlib; p=b"maplesyrup"; e=bytes.fromhex("000000000000000000000002");
    /// ku=hashlib.new(H, (p*(2**20//len(p)+1))[:2**20]).digest();
    /// print(ku.hex(), hashlib.new(H, ku+e+ku).hexdigest())'`.
    #[test]
    fn sha2_keys_match_hashlib() {
        let engine = hex(ENGINE);
        for (proto, ku_hex, kul_hex) in SHA2_VECTORS {
            let ku = password_to_key(*proto, b"maplesyrup");
            assert_eq!(ku.as_bytes(), hex(ku_hex), "{proto} Ku");
            let kul = localize_key(*proto, &ku, &engine);
            assert_eq!(kul.as_bytes(), hex(kul_hex), "{proto} Kul");
        }
    }

    const SHA2_VECTORS: &[(AuthProtocol, &str, &str)] = &[
        (AuthProtocol::Sha224, SHA224_KU, SHA224_KUL),
        (AuthProtocol::Sha256, SHA256_KU, SHA256_KUL),
        (AuthProtocol::Sha384, SHA384_KU, SHA384_KUL),
        (AuthProtocol::Sha512, SHA512_KU, SHA512_KUL),
    ];
    include!("testdata/sha2_keys.rs");

    /// Privacy keys, extended both ways, as pysnmp 4.4.12 derives them (its
    /// `localizeKey` of `AesBlumenthal192/256` and the Reeder `Aes192/256`), for "maplesyrup"
    /// and the engine ID above; see `testdata/priv_keys.rs` for how they were computed.
    #[test]
    fn extended_privacy_keys_match_pysnmp() {
        let engine = hex(ENGINE);
        for (auth, privacy, want) in PRIV_VECTORS {
            let ku = password_to_key(*auth, b"maplesyrup");
            let key = privacy_key(*auth, *privacy, &ku, &engine);
            assert_eq!(key.as_bytes(), hex(want), "{auth} {privacy}");
        }
    }
    include!("testdata/priv_keys.rs");

    include!("testdata/hmacs.rs");

    /// MACs computed by Python's `hmac` (see `testdata/generate.py`).
    #[test]
    fn macs_match_python_hmac() {
        let key = Key::from_bytes(&(0..64u8).collect::<Vec<_>>());
        let data: Vec<u8> = (0..37u8).chain(*b"scopedPDU").collect();
        for (auth, want) in [
            (AuthProtocol::Md5, HMAC_MD5),
            (AuthProtocol::Sha1, HMAC_SHA1),
            (AuthProtocol::Sha224, HMAC_SHA224),
            (AuthProtocol::Sha256, HMAC_SHA256),
            (AuthProtocol::Sha384, HMAC_SHA384),
            (AuthProtocol::Sha512, HMAC_SHA512),
        ] {
            assert_eq!(sign(auth, &key, &data), hex(want), "{auth}");
            assert!(verify(auth, &key, &data, &hex(want)));
        }
    }

    #[test]
    fn hmac_truncation_and_verification() {
        let key = Key::from_bytes(&[0x0b; 20]);
        for auth in AuthProtocol::ALL {
            let mac = sign(auth, &key, b"message");
            assert_eq!(mac.len(), auth.mac_len());
            assert!(verify(auth, &key, b"message", &mac));
            assert!(!verify(auth, &key, b"messagf", &mac));
            assert!(!verify(auth, &key, b"message", &mac[1..]));
            let mut bad = mac.clone();
            bad[0] ^= 1;
            assert!(!verify(auth, &key, b"message", &bad));
        }
        assert_eq!(format!("{key:?}"), "Key(<20 bytes redacted>)");
    }
}
