//! gzip (a .bed.gz), inflated as its bytes arrive, member after member: miniz_oxide's
//! streaming inflate with the gzip framing (RFC 1952) and its CRC-32 here. This replaced
//! flate2's `MultiGzDecoder`, whose I/O layer and 16 KiB CRC tables (crc32fast) were 25 kB
//! of the wasm module every export loads; it accepts and rejects what that did, with the
//! same messages (the tests compare the two). One difference: all the text a piece inflates
//! to comes out with it, where flate2 held up to 32 KiB back until the next piece. bigWig
//! blocks are zlib, inflated whole by libdeflate ([`crate::bigwig::block`]): a BED arrives
//! in pieces and is parsed as it comes, which libdeflate's one-shot calls cannot do.

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

// Natively libdeflate's CRC-32 (SIMD: a fraction of the time inflating takes); in wasm one
// without tables in the module.
#[cfg(not(target_arch = "wasm32"))]
use libdeflater::Crc;
#[cfg(target_arch = "wasm32")]
use table_crc::Crc;

/// Why a gzip stream was refused (flate2's words, which the messages kept).
pub const BAD_HEADER: &str = "invalid gzip header";
pub const FIELD_TOO_LONG: &str = "gzip header field too long";
pub const BAD_CHECKSUM: &str = "corrupt gzip stream does not have a matching checksum";
pub const CORRUPT: &str = "corrupt deflate stream";
pub const INCOMPLETE: &str = "incomplete deflate stream";
pub const FAILED: &str = "deflate decompression error";

/// Output is inflated this much at a time.
const CHUNK: usize = 32 << 10;
/// A member's file name or comment is refused past this many bytes.
const MAX_FIELD: usize = 65_535;

const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;
const FRESERVED: u8 = 0xe0;

pub struct Gunzip {
    stage: Stage,
    inflater: Box<InflateState>,
    /// The member's output so far: its CRC-32 and length (mod 2^32), as the trailer has them.
    crc: Crc,
    len: u32,
}

enum Stage {
    /// A member's header, the bytes so far (nothing needs more than the header's own).
    Header(Vec<u8>),
    /// Inflating.
    Data,
    /// The 8 bytes after the deflate stream, so far.
    Trailer(Vec<u8>),
    /// A member is complete; its trailer is checked when more bytes come or at the end.
    Ended([u8; 8]),
}

impl Default for Gunzip {
    fn default() -> Self {
        Gunzip {
            stage: Stage::Header(Vec::new()),
            inflater: InflateState::new_boxed(DataFormat::Raw),
            crc: Crc::new(),
            len: 0,
        }
    }
}

impl Gunzip {
    /// Inflate the next piece of the stream, appending its text to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
        while !bytes.is_empty() {
            match &mut self.stage {
                Stage::Ended(trailer) => {
                    // The next member: as flate2, only once its bytes come.
                    let trailer = *trailer;
                    self.check(trailer)?;
                    self.inflater.reset(DataFormat::Raw);
                    (self.crc, self.len) = (Crc::new(), 0);
                    self.stage = Stage::Header(Vec::new());
                }
                Stage::Header(head) => {
                    let had = head.len();
                    head.extend_from_slice(bytes);
                    match header_len(head)? {
                        Some(n) => {
                            bytes = &bytes[n - had..];
                            self.stage = Stage::Data;
                        }
                        None => return Ok(()),
                    }
                }
                Stage::Data => {
                    let used = self.inflate(bytes, MZFlush::None, out)?;
                    bytes = &bytes[used..];
                }
                Stage::Trailer(t) => {
                    let n = bytes.len().min(8 - t.len());
                    t.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    if let Ok(whole) = <[u8; 8]>::try_from(&t[..]) {
                        self.stage = Stage::Ended(whole);
                    }
                }
            }
        }
        Ok(())
    }

    /// The end of the stream: an error unless its last member is whole and checks out.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), &'static str> {
        match self.stage {
            Stage::Ended(trailer) => self.check(trailer),
            Stage::Trailer(_) => Err(BAD_CHECKSUM),
            // miniz_oxide is asked to finish even where it has seen nothing (a header
            // alone), as flate2 asked it: it decides between an incomplete stream and a
            // last block that ends in the bits it holds.
            Stage::Header(_) | Stage::Data => {
                self.inflate(&[], MZFlush::Finish, out)?;
                match self.stage {
                    Stage::Trailer(_) => Err(BAD_CHECKSUM),
                    _ => Err(INCOMPLETE),
                }
            }
        }
    }

    /// Inflate from `input` until it is used up, the deflate stream ends (then the stage
    /// is the trailer) or, when finishing, no output comes; the bytes used.
    fn inflate(
        &mut self,
        input: &[u8],
        flush: MZFlush,
        out: &mut Vec<u8>,
    ) -> Result<usize, &'static str> {
        let mut used = 0;
        loop {
            let at = out.len();
            out.resize(at + CHUNK, 0);
            let r = inflate(&mut self.inflater, &input[used..], &mut out[at..], flush);
            out.truncate(at + r.bytes_written);
            self.crc.update(&out[at..]);
            self.len = self.len.wrapping_add(r.bytes_written as u32);
            used += r.bytes_consumed;
            match r.status {
                Ok(MZStatus::StreamEnd) => {
                    self.stage = Stage::Trailer(Vec::with_capacity(8));
                    return Ok(used);
                }
                Ok(_) | Err(MZError::Buf) => {}
                Err(_) if flush == MZFlush::Finish => return Err(FAILED),
                Err(_) => return Err(CORRUPT),
            }
            let stuck = r.bytes_consumed == 0 && r.bytes_written == 0;
            if flush == MZFlush::Finish {
                if stuck {
                    return Err(INCOMPLETE);
                }
            } else if stuck || (used == input.len() && r.bytes_written < CHUNK) {
                return Ok(used);
            }
        }
    }

    /// A member's trailer against what it inflated to.
    fn check(&self, trailer: [u8; 8]) -> Result<(), &'static str> {
        let [c0, c1, c2, c3, l0, l1, l2, l3] = trailer;
        let ok = u32::from_le_bytes([c0, c1, c2, c3]) == self.crc.sum()
            && u32::from_le_bytes([l0, l1, l2, l3]) == self.len;
        ok.then_some(()).ok_or(BAD_CHECKSUM)
    }
}

/// The length of the member header at the start of `b`, `None` if it goes on past `b`.
/// What is wrong is an error as soon as it is seen: the fixed 10 bytes (once all are
/// there), a name or comment past [`MAX_FIELD`], the header's own CRC.
fn header_len(b: &[u8]) -> Result<Option<usize>, &'static str> {
    let Some(fixed) = b.get(..10) else {
        return Ok(None);
    };
    let flags = fixed[3];
    if fixed[..3] != [0x1f, 0x8b, 8] || flags & FRESERVED != 0 {
        return Err(BAD_HEADER);
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(&[x0, x1]) = b.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([x0, x1]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let field = b.get(at..).unwrap_or_default();
            match field.iter().take(MAX_FIELD + 1).position(|&c| c == 0) {
                Some(n) => at += n + 1,
                None if field.len() > MAX_FIELD => return Err(FIELD_TOO_LONG),
                None => return Ok(None),
            }
        }
    }
    if flags & FHCRC != 0 {
        let Some(&[s0, s1]) = b.get(at..at + 2) else {
            return Ok(None);
        };
        let mut crc = Crc::new();
        crc.update(&b[..at]);
        if u16::from_le_bytes([s0, s1]) != crc.sum() as u16 {
            return Err(BAD_CHECKSUM);
        }
        at += 2;
    }
    Ok((at <= b.len()).then_some(at))
}

/// CRC-32 (IEEE) slicing by 8: in wasm, where libdeflate's would bring 9 KiB of tables
/// into the module. These 8 KiB are computed on first use instead, in zeroed memory the
/// module does not carry.
#[cfg(any(target_arch = "wasm32", test))]
mod table_crc {
    use std::sync::OnceLock;

    pub struct Crc(u32);

    /// `t[0]` is the byte-at-a-time table; `t[k][b]` is the CRC of byte `b` followed by
    /// `k` zero bytes.
    fn tables() -> &'static [[u32; 256]; 8] {
        static TABLES: OnceLock<Box<[[u32; 256]; 8]>> = OnceLock::new();
        TABLES.get_or_init(|| {
            let mut t = Box::new([[0u32; 256]; 8]);
            for b in 0..256 {
                let mut c = b as u32;
                for _ in 0..8 {
                    c = if c & 1 != 0 {
                        0xedb8_8320 ^ (c >> 1)
                    } else {
                        c >> 1
                    };
                }
                t[0][b] = c;
            }
            for k in 1..8 {
                for b in 0..256 {
                    let c = t[k - 1][b];
                    t[k][b] = t[0][(c & 0xff) as usize] ^ (c >> 8);
                }
            }
            t
        })
    }

    impl Crc {
        pub fn new() -> Self {
            Crc(!0)
        }
        pub fn update(&mut self, bytes: &[u8]) {
            let t = tables();
            let mut c = self.0;
            let mut words = bytes.chunks_exact(8);
            for w in &mut words {
                let lo = c ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
                let hi = u32::from_le_bytes([w[4], w[5], w[6], w[7]]);
                c = t[7][(lo & 0xff) as usize]
                    ^ t[6][(lo >> 8 & 0xff) as usize]
                    ^ t[5][(lo >> 16 & 0xff) as usize]
                    ^ t[4][(lo >> 24) as usize]
                    ^ t[3][(hi & 0xff) as usize]
                    ^ t[2][(hi >> 8 & 0xff) as usize]
                    ^ t[1][(hi >> 16 & 0xff) as usize]
                    ^ t[0][(hi >> 24) as usize];
            }
            for &b in words.remainder() {
                c = t[0][((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
            }
            self.0 = c;
        }
        pub fn sum(&self) -> u32 {
            !self.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// What flate2's `MultiGzDecoder` made of a stream fed in `pieces`, as `BedParser`
    /// used it: all the text, or its error's message.
    fn flate2(pieces: &[&[u8]]) -> Result<Vec<u8>, String> {
        let mut d = flate2::write::MultiGzDecoder::new(Vec::new());
        let mut text = Vec::new();
        for p in pieces {
            d.write_all(p).map_err(|e| e.to_string())?;
            text.append(d.get_mut());
        }
        text.extend(d.finish().map_err(|e| e.to_string())?);
        Ok(text)
    }

    fn ours(pieces: &[&[u8]]) -> Result<Vec<u8>, String> {
        let mut d = Gunzip::default();
        let mut text = Vec::new();
        for p in pieces {
            d.feed(p, &mut text)?;
        }
        d.finish(&mut text)?;
        Ok(text)
    }

    /// A member: text that compresses well or not at all, at a random level, with random
    /// header fields (a header CRC set by hand: flate2 writes none).
    fn member(rng: &mut fastrand::Rng) -> Vec<u8> {
        let n = [0, 1, 100, 5000, 70_000][rng.usize(..5)];
        let text: Vec<u8> = if rng.bool() {
            (0..n).map(|_| rng.u8(..)).collect()
        } else {
            (0..n).map(|i| b"chr1\t100\t200\n"[i % 13]).collect()
        };
        let mut b = flate2::GzBuilder::new();
        if rng.bool() {
            b = b.filename(&b"r.bed"[..rng.usize(..5)]);
        }
        if rng.bool() {
            b = b.comment("a comment");
        }
        if rng.bool() {
            b = b.extra(vec![7; rng.usize(..20)]);
        }
        let level = flate2::Compression::new(rng.u32(0..=9));
        let mut e = b.write(Vec::new(), level);
        e.write_all(&text).unwrap();
        let mut gz = e.finish().unwrap();
        if rng.u8(..4) == 0 {
            let mut at = 10;
            if gz[3] & FEXTRA != 0 {
                at += 2 + usize::from(u16::from_le_bytes([gz[10], gz[11]]));
            }
            for flag in [FNAME, FCOMMENT] {
                if gz[3] & flag != 0 {
                    at += gz[at..].iter().position(|&c| c == 0).unwrap() + 1;
                }
            }
            gz[3] |= FHCRC;
            let mut crc = flate2::Crc::new();
            crc.update(&gz[..at]);
            let sum = (crc.sum() as u16).to_le_bytes();
            gz.splice(at..at, sum);
        }
        gz
    }

    /// Split `b` into random pieces, some empty.
    fn pieces<'a>(rng: &mut fastrand::Rng, mut b: &'a [u8]) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        while !b.is_empty() {
            let n = [0, 1, 2, 7, 100, 4096, 1 << 20][rng.usize(..7)].min(b.len());
            out.push(&b[..n]);
            b = &b[n..];
        }
        out
    }

    #[test]
    fn inflates_and_refuses_as_flate2_did() {
        let mut rng = fastrand::Rng::with_seed(5);
        let (mut ok, mut failed) = (0, std::collections::BTreeMap::new());
        for round in 0..2000 {
            let mut gz: Vec<u8> = (0..rng.usize(1..4))
                .flat_map(|_| member(&mut rng))
                .collect();
            // Most streams damaged: cut, a byte changed, bytes gone, garbage after.
            for _ in 0..rng.usize(0..3) {
                if gz.is_empty() {
                    break;
                }
                let at = rng.usize(..gz.len());
                match rng.u8(..5) {
                    0 => gz.truncate(at),
                    1 => gz[at] = rng.u8(..),
                    2 => gz[at] ^= 1 << rng.u8(..8),
                    3 => {
                        gz.drain(at..(at + rng.usize(1..4)).min(gz.len()));
                    }
                    _ => gz.extend(vec![[0, 0x1f, 0x8b][rng.usize(..3)]; rng.usize(1..20)]),
                }
            }
            let p = pieces(&mut rng, &gz);
            let want = flate2(&p);
            assert_eq!(ours(&p), want, "round {round}");
            match want {
                Ok(_) => ok += 1,
                Err(e) => *failed.entry(e).or_insert(0) += 1,
            }
        }
        // Every way of failing is seen, and success too.
        assert!(ok > 400, "{ok}");
        for e in [BAD_HEADER, BAD_CHECKSUM, CORRUPT, INCOMPLETE] {
            assert!(failed.get(e).is_some_and(|&n| n > 20), "{e}: {failed:?}");
        }
    }

    #[test]
    fn the_table_crc_is_crc32() {
        let mut rng = fastrand::Rng::with_seed(3);
        let bytes: Vec<u8> = (0..10_000).map(|_| rng.u8(..)).collect();
        let mut t = table_crc::Crc::new();
        let mut at = 0;
        while at < bytes.len() {
            let n = rng.usize(..100).min(bytes.len() - at);
            t.update(&bytes[at..at + n]);
            at += n;
            assert_eq!(t.sum(), libdeflater::crc32(&bytes[..at]));
        }
    }

    #[test]
    fn header_fields_have_a_limit() {
        for len in [MAX_FIELD, MAX_FIELD + 1] {
            let mut gz = vec![0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 3];
            gz.extend(vec![b'x'; len]);
            gz.push(0);
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(b"chr1\t1\t2\n").unwrap();
            gz.extend(e.finish().unwrap());
            let mut crc = flate2::Crc::new();
            crc.update(b"chr1\t1\t2\n");
            gz.extend(crc.sum().to_le_bytes());
            gz.extend(9u32.to_le_bytes());
            let want = flate2(&[&gz]);
            assert_eq!(want.is_ok(), len == MAX_FIELD);
            assert_eq!(ours(&[&gz]), want);
            let mut rng = fastrand::Rng::with_seed(len as u64);
            let p = pieces(&mut rng, &gz);
            assert_eq!(ours(&p), flate2(&p));
        }
        assert_eq!(
            ours(&[&[0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 3][..]]),
            Err(INCOMPLETE.into())
        );
    }
}
