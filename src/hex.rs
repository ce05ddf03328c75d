//! Lower-case hexadecimal: of bytes, and of fresh random bytes (secrets, nonces, ids and
//! file names that must not collide).

/// `bytes` as lower-case hex, two digits a byte.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}

/// `N` random bytes from the thread's cryptographic generator, as hex.
pub fn random<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::fill(&mut bytes);
    encode(&bytes)
}

/// The bytes of lower- or upper-case hex text; `None` for anything else (an odd length
/// included), or for text longer than `max` characters.
pub fn decode(text: &str, max: usize) -> Option<Vec<u8>> {
    // Digits only: `from_str_radix` alone would also take a sign (`+f`).
    if text.len() > max || !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_through_hex() {
        assert_eq!(encode(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(decode("000fa5ff", 64), Some(vec![0x00, 0x0f, 0xa5, 0xff]));
        assert_eq!(decode("000FA5FF", 64), Some(vec![0x00, 0x0f, 0xa5, 0xff]));
        for bad in ["0", "zz", "+1", "0g"] {
            assert_eq!(decode(bad, 64), None, "{bad}");
        }
        assert_eq!(decode("00", 1), None, "longer than allowed");
        assert_eq!(random::<16>().len(), 32);
        assert_ne!(random::<16>(), random::<16>());
    }
}
