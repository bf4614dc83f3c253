//! Encryption of the scopedPDU: CBC-DES (RFC 3414 §8) and CFB128-AES (RFC 3826, and its 192-
//! and 256-bit variants with the same IV).

use cbc::cipher::array::Array;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use zeroize::Zeroizing;

use super::config::PrivProtocol;
use super::keys::Key;

/// Encrypts `plain` with the (extended) privacy key `key`; returns the ciphertext and the
/// msgPrivacyParameters. `boots` and `time` are the agent's as this message carries them;
/// `salt` must differ for every message under one key (DES uses its low 32 bits).
pub(super) fn encrypt(
    privacy: PrivProtocol,
    key: &Key,
    boots: u32,
    time: u32,
    salt: u64,
    plain: &[u8],
) -> (Vec<u8>, [u8; 8]) {
    let key = key.as_bytes();
    match privacy {
        PrivProtocol::Des => {
            // RFC 3414 §8.1.1.1: the salt is the engine boots then a local counter.
            let mut params = [0; 8];
            params[..4].copy_from_slice(&boots.to_be_bytes());
            params[4..].copy_from_slice(&(salt as u32).to_be_bytes());
            let iv = des_iv(key, &params);
            let mut buf = plain.to_vec();
            buf.resize(plain.len().div_ceil(8) * 8, 0);
            let mut mode = cbc::Encryptor::<des::Des>::new_from_slices(&key[..8], &iv)
                .expect("DES key and IV are 8 bytes");
            let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
            mode.encrypt_blocks(blocks);
            (buf, params)
        }
        _ => {
            let params = salt.to_be_bytes();
            let iv = aes_iv(boots, time, &params);
            let mut buf = plain.to_vec();
            let key = &key[..privacy.key_len()];
            match privacy.key_len() {
                16 => cfb_mode::Encryptor::<aes::Aes128>::new_from_slices(key, &iv)
                    .expect("AES-128 key")
                    .encrypt(&mut buf),
                24 => cfb_mode::Encryptor::<aes::Aes192>::new_from_slices(key, &iv)
                    .expect("AES-192 key")
                    .encrypt(&mut buf),
                _ => cfb_mode::Encryptor::<aes::Aes256>::new_from_slices(key, &iv)
                    .expect("AES-256 key")
                    .encrypt(&mut buf),
            }
            (buf, params)
        }
    }
}

/// Decrypts an encryptedPDU. `boots` and `time` are the msgAuthoritativeEngineBoots and Time of
/// the message that carries it; `params` its msgPrivacyParameters. DES leaves its padding at
/// the end.
pub(super) fn decrypt(
    privacy: PrivProtocol,
    key: &Key,
    boots: u32,
    time: u32,
    params: &[u8],
    cipher: &[u8],
) -> Result<Zeroizing<Vec<u8>>, &'static str> {
    let params: &[u8; 8] = params
        .try_into()
        .map_err(|_| "msgPrivacyParameters is not 8 bytes long")?;
    let key = key.as_bytes();
    let mut buf = Zeroizing::new(cipher.to_vec());
    match privacy {
        PrivProtocol::Des => {
            if cipher.len() % 8 != 0 {
                return Err("the DES-encrypted PDU is not a whole number of 8-byte blocks");
            }
            let iv = des_iv(key, params);
            let mut mode = cbc::Decryptor::<des::Des>::new_from_slices(&key[..8], &iv)
                .expect("DES key and IV are 8 bytes");
            let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
            mode.decrypt_blocks(blocks);
        }
        _ => {
            let iv = aes_iv(boots, time, params);
            let key = &key[..privacy.key_len()];
            match privacy.key_len() {
                16 => cfb_mode::Decryptor::<aes::Aes128>::new_from_slices(key, &iv)
                    .expect("AES-128 key")
                    .decrypt(&mut buf),
                24 => cfb_mode::Decryptor::<aes::Aes192>::new_from_slices(key, &iv)
                    .expect("AES-192 key")
                    .decrypt(&mut buf),
                _ => cfb_mode::Decryptor::<aes::Aes256>::new_from_slices(key, &iv)
                    .expect("AES-256 key")
                    .decrypt(&mut buf),
            }
        }
    }
    Ok(buf)
}

/// RFC 3414 §8.1.1.1: the pre-IV (second 8 bytes of the key) XOR the salt.
fn des_iv(key: &[u8], salt: &[u8; 8]) -> [u8; 8] {
    std::array::from_fn(|i| key[8 + i] ^ salt[i])
}

/// RFC 3826 §3.1.2.1: boots, time and salt, concatenated.
fn aes_iv(boots: u32, time: u32, salt: &[u8; 8]) -> [u8; 16] {
    let mut iv = [0; 16];
    iv[..4].copy_from_slice(&boots.to_be_bytes());
    iv[4..8].copy_from_slice(&time.to_be_bytes());
    iv[8..].copy_from_slice(salt);
    iv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::usm::keys::tests::hex;

    include!("testdata/ciphertexts.rs");

    /// Ciphertexts computed by Python's `cryptography` module (see `testdata/generate.py`), with
    /// the IV built there from the RFCs: boots 7, time 123456, DES counter 0x01020304, AES salt
    /// 0x1122334455667788, key bytes 1..=32.
    #[test]
    fn ciphertexts_match_python_cryptography() {
        let plain: Vec<u8> = (0..37u8).chain(*b"scopedPDU").collect();
        let key = Key::from_bytes(&(1..=32u8).collect::<Vec<_>>());
        for (privacy, want) in [
            (PrivProtocol::Des, DES_CIPHERTEXT),
            (PrivProtocol::Aes128, AES128_CIPHERTEXT),
            (PrivProtocol::Aes192, AES192_CIPHERTEXT),
            (PrivProtocol::Aes256, AES256_CIPHERTEXT),
            (PrivProtocol::Aes192Reeder, AES192_CIPHERTEXT),
            (PrivProtocol::Aes256Reeder, AES256_CIPHERTEXT),
        ] {
            let salt = if privacy == PrivProtocol::Des {
                0x0102_0304
            } else {
                0x1122_3344_5566_7788
            };
            let (cipher, params) = encrypt(privacy, &key, 7, 123_456, salt, &plain);
            assert_eq!(cipher, hex(want), "{privacy}");
            let back = decrypt(privacy, &key, 7, 123_456, &params, &cipher).unwrap();
            assert_eq!(&back[..plain.len()], &plain[..], "{privacy}");
        }
    }

    #[test]
    fn round_trips_and_rejects_bad_parameters() {
        let key = Key::from_bytes(&[0x5a; 32]);
        for privacy in PrivProtocol::ALL {
            for len in [0, 1, 7, 8, 9, 100] {
                let plain = vec![0xa5; len];
                let (cipher, params) = encrypt(privacy, &key, 1, 2, 3, &plain);
                if len > 0 {
                    assert_ne!(cipher[..len], plain[..], "{privacy} {len}");
                }
                let back = decrypt(privacy, &key, 1, 2, &params, &cipher).unwrap();
                assert_eq!(&back[..len], &plain[..]);
                assert!(decrypt(privacy, &key, 1, 2, &params[..7], &cipher).is_err());
            }
        }
        assert!(decrypt(PrivProtocol::Des, &key, 1, 2, &[0; 8], &[0; 9]).is_err());
    }
}
