//! Byte scans over token text, eight bytes at a time (SWAR: SIMD within
//! a register, in safe integer arithmetic).

const ONES: u64 = 0x0101_0101_0101_0101;
const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Marks (in each byte's high bit) the bytes of `word` that are below
/// `limit` (at most 0x80). Exact for the lowest marked byte; a byte above
/// a marked one may be marked falsely, which never moves the lowest mark.
fn below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGHS
}

/// Marks the bytes of `word` equal to `byte`, as [`below`] does.
fn equal(word: u64, byte: u8) -> u64 {
    below(word ^ (ONES * u64::from(byte)), 1)
}

/// Marks exactly the bytes of `word` equal to `byte`: no carry crosses a
/// byte, so every mark is a match.
fn equal_exact(word: u64, byte: u8) -> u64 {
    let zeroed = word ^ (ONES * u64::from(byte));
    !(((zeroed & LOWS) + LOWS) | zeroed) & HIGHS
}

/// The length of a JSON string's body up to its closing quote, and
/// whether that body is plain: no escape, no control character.
pub(crate) fn scan_string(bytes: &[u8]) -> Option<(usize, bool)> {
    let (words, tail) = bytes.as_chunks::<8>();
    let mut plain = true;
    for (i, word) in words.iter().enumerate() {
        let word = u64::from_le_bytes(*word);
        let special = equal(word, b'\\') | below(word, 0x20);
        let quote = equal(word, b'"');
        if quote != 0 {
            // Bits below the quote's byte: what precedes it in the string.
            let before = (quote & quote.wrapping_neg()).wrapping_sub(1);
            plain &= special & before == 0;
            let offset = usize::try_from(quote.trailing_zeros() / 8).ok()?;
            return Some((i * 8 + offset, plain));
        }
        plain &= special == 0;
    }
    let len = tail.iter().position(|&b| b == b'"')?;
    plain &= tail.get(..len)?.iter().all(|&b| b != b'\\' && b >= 0x20);
    Some((words.len() * 8 + len, plain))
}

/// Where the `.`s of a compact JWS are: the first, the last, and how many.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Dots {
    pub(crate) first: usize,
    pub(crate) last: usize,
    pub(crate) count: usize,
}

/// The dots of `bytes`, in one pass; `None` when there is none.
pub(crate) fn dots(bytes: &[u8]) -> Option<Dots> {
    let (words, tail) = bytes.as_chunks::<8>();
    let (mut first, mut last, mut count) = (None, 0, 0);
    for (i, word) in words.iter().enumerate() {
        let marks = equal_exact(u64::from_le_bytes(*word), b'.');
        if marks != 0 {
            let low = usize::try_from(marks.trailing_zeros() / 8).ok()?;
            let high = usize::try_from(7 - marks.leading_zeros() / 8).ok()?;
            first.get_or_insert(i * 8 + low);
            last = i * 8 + high;
            count += usize::try_from(marks.count_ones()).ok()?;
        }
    }
    for (i, &b) in tail.iter().enumerate() {
        if b == b'.' {
            first.get_or_insert(words.len() * 8 + i);
            last = words.len() * 8 + i;
            count += 1;
        }
    }
    Some(Dots {
        first: first?,
        last,
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn scans_strings_eight_bytes_at_a_time_as_one_would_byte_by_byte() {
        let bytes = [b'a', b'"', b'\\', 0x1f, 0x20, 0x7f, 0x80, 0xff, b'!'];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..100_000 {
            next(&mut state);
            let len = usize::try_from(state % 24).unwrap();
            let input: Vec<u8> = (0..len)
                .map(|i| bytes[usize::try_from(state >> (i % 16 * 4) & 0xf).unwrap() % bytes.len()])
                .collect();
            let expected = input.iter().position(|&b| b == b'"').map(|len| {
                let plain = input[..len].iter().all(|&b| b != b'\\' && b >= 0x20);
                (len, plain)
            });
            assert_eq!(scan_string(&input), expected, "{input:?}");
        }
    }

    #[test]
    fn finds_dots_as_one_would_byte_by_byte() {
        let bytes = [b'a', b'.', b'.', 0x2e ^ 0x80, 0x2d, 0x2f, 0xff, 0x00];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..100_000 {
            let len = usize::try_from(next(&mut state) % 40).unwrap();
            let input: Vec<u8> = (0..len)
                .map(|_| bytes[usize::try_from(next(&mut state) % 8).unwrap()])
                .collect();
            let at: Vec<usize> = (0..len).filter(|&i| input[i] == b'.').collect();
            let expected = at.first().map(|&first| Dots {
                first,
                last: *at.last().unwrap(),
                count: at.len(),
            });
            assert_eq!(dots(&input), expected, "{input:?}");
        }
    }
}
