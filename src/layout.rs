//! Output files: which files an export writes (AoS or SoA layout), their NPY headers, and
//! [`TrackWriter`], which encodes records group by group into per-file byte buffers that a
//! native or wasm sink drains.

use crate::error::{Error, Result};
use crate::interval::Interval;

/// `npy`: NPY 1.0 files numpy.load opens. `raw`: header-less bytes (GenVarLoader's memmaps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Npy,
    Raw,
}

/// `aos`: `intervals.npy` of packed records (GenVarLoader <= 0.35).
/// `soa`: `starts.npy`, `ends.npy`, `values.npy` columns (GenVarLoader >= 0.36).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    #[default]
    Aos,
    Soa,
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "npy" => Ok(Format::Npy),
            "raw" => Ok(Format::Raw),
            _ => Err(Error::input(format!(
                "format: expected 'npy' or 'raw', got '{s}'"
            ))),
        }
    }
}

impl std::str::FromStr for Layout {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "aos" => Ok(Layout::Aos),
            "soa" => Ok(Layout::Soa),
            _ => Err(Error::input(format!(
                "layout: expected 'aos' or 'soa', got '{s}'"
            ))),
        }
    }
}

/// One output file: its name and numpy dtype descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputFile {
    pub name: &'static str,
    pub descr: &'static str,
}

const AOS_DESCR: &str = "[('start', '<i4'), ('end', '<i4'), ('value', '<f4')]";

impl Layout {
    /// Data files first, `offsets.npy` last.
    pub fn files(self) -> &'static [OutputFile] {
        const AOS: &[OutputFile] = &[
            OutputFile {
                name: "intervals.npy",
                descr: AOS_DESCR,
            },
            OutputFile {
                name: "offsets.npy",
                descr: "'<i8'",
            },
        ];
        const SOA: &[OutputFile] = &[
            OutputFile {
                name: "starts.npy",
                descr: "'<i4'",
            },
            OutputFile {
                name: "ends.npy",
                descr: "'<i4'",
            },
            OutputFile {
                name: "values.npy",
                descr: "'<f4'",
            },
            OutputFile {
                name: "offsets.npy",
                descr: "'<i8'",
            },
        ];
        match self {
            Layout::Aos => AOS,
            Layout::Soa => SOA,
        }
    }
}

/// NPY 1.0 header for a 1-d array of `n` items. Its length depends only on `descr` (it is
/// padded as if `n` had 20 digits), so writers can reserve it before `n` is known.
pub fn npy_header(descr: &str, n: u64) -> Vec<u8> {
    let dict = |n: &str| format!("{{'descr': {descr}, 'fortran_order': False, 'shape': ({n},), }}");
    let widest = dict(&u64::MAX.to_string()).len();
    let total = (10 + widest + 1).div_ceil(64) * 64;
    let mut h = Vec::with_capacity(total);
    h.extend_from_slice(b"\x93NUMPY\x01\x00");
    h.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    h.extend_from_slice(dict(&n.to_string()).as_bytes());
    h.resize(total - 1, b' ');
    h.push(b'\n');
    h
}

/// Append records packed as GenVarLoader's `(i32, i32, f32)` little-endian records.
pub fn encode_aos(recs: &[Interval], out: &mut Vec<u8>) {
    // `Interval` is three `#[repr(C)]` u32s: on little-endian targets its bytes are the record.
    #[cfg(target_endian = "little")]
    {
        out.extend_from_slice(bytemuck::cast_slice(recs));
    }
    #[cfg(target_endian = "big")]
    encode_aos_portable(recs, out);
}

#[cfg_attr(target_endian = "little", allow(dead_code))]
fn encode_aos_portable(recs: &[Interval], out: &mut Vec<u8>) {
    out.reserve(recs.len() * 12);
    for r in recs {
        let mut x = [0u8; 12];
        x[0..4].copy_from_slice(&r.start.to_le_bytes());
        x[4..8].copy_from_slice(&r.end.to_le_bytes());
        x[8..12].copy_from_slice(&r.value.to_le_bytes());
        out.extend_from_slice(&x);
    }
}

/// Encodes (region, sample) groups of records into one buffer per output file.
pub struct TrackWriter {
    layout: Layout,
    format: Format,
    bufs: Vec<Vec<u8>>,
    n_intervals: u64,
    n_groups: u64,
}

impl TrackWriter {
    pub fn new(layout: Layout, format: Format) -> Self {
        let mut bufs = vec![Vec::new(); layout.files().len()];
        bufs.last_mut()
            .unwrap()
            .extend_from_slice(&0i64.to_le_bytes());
        TrackWriter {
            layout,
            format,
            bufs,
            n_intervals: 0,
            n_groups: 0,
        }
    }

    /// The writer of the groups that follow `groups` groups of `intervals` intervals another
    /// writer has (an export writing parts of its output on several threads): its bytes go
    /// at [`TrackWriter::position`]`(i, intervals, groups)` in each file `i`, and the other
    /// writer counts them with [`TrackWriter::skip`].
    pub fn resumed(layout: Layout, format: Format, intervals: u64, groups: u64) -> Self {
        let mut w = TrackWriter::new(layout, format);
        // The leading 0 of the offsets is the first writer's.
        w.bufs.last_mut().unwrap().clear();
        w.n_intervals = intervals;
        w.n_groups = groups;
        w
    }

    /// Where in file `i` the bytes after `intervals` intervals in `groups` groups go.
    pub fn position(&self, i: usize, intervals: u64, groups: u64) -> u64 {
        let header = self.header_len(i) as u64;
        if i + 1 == self.files().len() {
            // The leading 0, then one offset per group.
            header + 8 * (groups + 1)
        } else {
            let record = match self.layout {
                Layout::Aos => 12,
                Layout::Soa => 4,
            };
            header + record * intervals
        }
    }

    /// Count `intervals` intervals in `groups` groups that a [`TrackWriter::resumed`] writer
    /// wrote after this one's as written here.
    pub fn skip(&mut self, intervals: u64, groups: u64) {
        self.n_intervals += intervals;
        self.n_groups += groups;
    }

    pub fn files(&self) -> &'static [OutputFile] {
        self.layout.files()
    }

    /// Bytes reserved at the start of file `i` for its header (0 in raw format).
    pub fn header_len(&self, i: usize) -> usize {
        match self.format {
            Format::Raw => 0,
            Format::Npy => npy_header(self.files()[i].descr, 0).len(),
        }
    }

    /// The headers for the data written so far (empty vectors in raw format).
    pub fn headers(&self) -> Vec<Vec<u8>> {
        let counts = [self.n_intervals, self.n_groups + 1];
        self.files()
            .iter()
            .enumerate()
            .map(|(i, f)| match self.format {
                Format::Raw => Vec::new(),
                Format::Npy => npy_header(f.descr, counts[(i + 1 == self.files().len()) as usize]),
            })
            .collect()
    }

    pub fn n_intervals(&self) -> u64 {
        self.n_intervals
    }

    /// Groups pushed so far.
    pub fn n_groups(&self) -> u64 {
        self.n_groups
    }

    pub fn layout_format(&self) -> (Layout, Format) {
        (self.layout, self.format)
    }

    /// Append the records of the next (region, sample) group and its offset.
    pub fn push_group(&mut self, recs: &[Interval]) {
        match self.layout {
            Layout::Aos => encode_aos(recs, &mut self.bufs[0]),
            Layout::Soa => {
                let cols: [fn(&Interval) -> u32; 3] = [|r| r.start, |r| r.end, |r| r.value];
                for (col, get) in cols.iter().enumerate() {
                    let b = &mut self.bufs[col];
                    b.reserve(recs.len() * 4);
                    for r in recs {
                        b.extend_from_slice(&get(r).to_le_bytes());
                    }
                }
            }
        }
        self.end_group(recs.len());
    }

    fn end_group(&mut self, n: usize) {
        self.n_intervals += n as u64;
        self.n_groups += 1;
        self.bufs
            .last_mut()
            .unwrap()
            .extend_from_slice(&(self.n_intervals as i64).to_le_bytes());
    }

    /// Like [`TrackWriter::push_group`], with the records already packed as AoS bytes.
    pub fn push_group_encoded(&mut self, aos: &[u8]) {
        debug_assert_eq!(aos.len() % 12, 0);
        match self.layout {
            Layout::Aos => self.bufs[0].extend_from_slice(aos),
            Layout::Soa => {
                for col in 0..3 {
                    let b = &mut self.bufs[col];
                    b.reserve(aos.len() / 3);
                    for rec in aos.chunks_exact(12) {
                        b.extend_from_slice(&rec[col * 4..col * 4 + 4]);
                    }
                }
            }
        }
        self.end_group(aos.len() / 12);
    }

    /// Bytes buffered and not yet drained.
    pub fn pending(&self) -> usize {
        self.bufs.iter().map(Vec::len).sum()
    }

    /// Hand every non-empty buffer to `sink(file_index, bytes)` and clear it.
    pub fn drain<E>(
        &mut self,
        mut sink: impl FnMut(usize, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        for (i, b) in self.bufs.iter_mut().enumerate() {
            if !b.is_empty() {
                sink(i, b)?;
                b.clear();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_fixed_length_and_parsable() {
        for descr in [AOS_DESCR, "'<i8'"] {
            let a = npy_header(descr, 0);
            let b = npy_header(descr, u64::MAX);
            assert_eq!(a.len(), b.len());
            assert_eq!(a.len() % 64, 0);
            assert_eq!(&a[..8], b"\x93NUMPY\x01\x00");
            assert_eq!(u16::from_le_bytes([a[8], a[9]]) as usize, a.len() - 10);
            assert_eq!(*a.last().unwrap(), b'\n');
        }
        let h = String::from_utf8(npy_header("'<f4'", 42)[10..].to_vec()).unwrap();
        assert!(
            h.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (42,), }"),
            "{h}"
        );
    }

    #[test]
    fn fast_and_portable_encodings_agree() {
        let recs: Vec<Interval> = (0..100u32)
            .map(|i| Interval {
                start: i,
                end: i * 7 + 1,
                value: i.wrapping_mul(0x9e37_79b9),
            })
            .collect();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        encode_aos(&recs, &mut a);
        encode_aos_portable(&recs, &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn a_resumed_writer_continues_the_files_where_the_first_stops() {
        let groups: Vec<Vec<Interval>> = (0..7u32)
            .map(|g| {
                (0..g % 3)
                    .map(|i| Interval {
                        start: g * 10 + i,
                        end: g * 10 + i + 1,
                        value: g ^ i,
                    })
                    .collect()
            })
            .collect();
        // A file written as an export writes it: room for the header, then one writer's
        // bytes where its cursor is, a resumed writer's at `resume_at`.
        let put = |f: &mut Vec<u8>, at: usize, b: &[u8]| {
            if f.len() < at + b.len() {
                f.resize(at + b.len(), 0);
            }
            f[at..at + b.len()].copy_from_slice(b);
        };
        for layout in [Layout::Aos, Layout::Soa] {
            for format in [Format::Raw, Format::Npy] {
                let mut one = TrackWriter::new(layout, format);
                let mut whole: Vec<Vec<u8>> = (0..one.files().len())
                    .map(|i| vec![0; one.header_len(i)])
                    .collect();
                let mut cursor: Vec<usize> = whole.iter().map(Vec::len).collect();
                groups.iter().for_each(|g| one.push_group(g));
                one.drain(|i, b| -> Result<(), ()> {
                    put(&mut whole[i], cursor[i], b);
                    cursor[i] += b.len();
                    Ok(())
                })
                .unwrap();
                for cut in 0..=groups.len() {
                    let mut a = TrackWriter::new(layout, format);
                    let mut files: Vec<Vec<u8>> = (0..a.files().len())
                        .map(|i| vec![0; a.header_len(i)])
                        .collect();
                    let mut cursor: Vec<usize> = files.iter().map(Vec::len).collect();
                    groups[..cut].iter().for_each(|g| a.push_group(g));
                    let n: u64 = groups[..cut].iter().map(|g| g.len() as u64).sum();
                    let mut b = TrackWriter::resumed(layout, format, n, cut as u64);
                    let at: Vec<u64> = (0..files.len())
                        .map(|i| b.position(i, n, cut as u64))
                        .collect();
                    groups[cut..].iter().for_each(|g| b.push_group(g));
                    // The second part first: positions, not order, put the bytes.
                    b.drain(|i, bytes| -> Result<(), ()> {
                        put(&mut files[i], at[i] as usize, bytes);
                        Ok(())
                    })
                    .unwrap();
                    a.drain(|i, bytes| -> Result<(), ()> {
                        put(&mut files[i], cursor[i], bytes);
                        cursor[i] += bytes.len();
                        Ok(())
                    })
                    .unwrap();
                    assert_eq!(cursor.iter().map(|&c| c as u64).collect::<Vec<_>>(), at);
                    let rest: u64 = groups[cut..].iter().map(|g| g.len() as u64).sum();
                    a.skip(rest, (groups.len() - cut) as u64);
                    assert_eq!(
                        a.headers(),
                        one.headers(),
                        "{layout:?} {format:?} cut {cut}"
                    );
                    assert_eq!(files, whole, "{layout:?} {format:?} cut {cut}");
                }
            }
        }
    }

    #[test]
    fn writer_encodes_aos_soa_and_offsets() {
        let recs = [
            Interval {
                start: 1,
                end: 2,
                value: 3.5f32.to_bits(),
            },
            Interval {
                start: 5,
                end: 9,
                value: f32::NAN.to_bits(),
            },
        ];
        let collect = |layout| {
            let mut w = TrackWriter::new(layout, Format::Raw);
            w.push_group(&recs);
            w.push_group(&[]);
            let mut files = vec![Vec::new(); w.files().len()];
            w.drain(|i, b| -> Result<(), ()> {
                files[i].extend_from_slice(b);
                Ok(())
            })
            .unwrap();
            assert!(w.headers().iter().all(Vec::is_empty));
            files
        };
        let aos = collect(Layout::Aos);
        assert_eq!(aos[0].len(), 24);
        assert_eq!(&aos[0][12..16], &5u32.to_le_bytes());
        let offsets: Vec<i64> = aos[1]
            .chunks(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(offsets, vec![0, 2, 2]);
        let soa = collect(Layout::Soa);
        assert_eq!(
            soa[2],
            [
                3.5f32.to_bits().to_le_bytes(),
                f32::NAN.to_bits().to_le_bytes()
            ]
            .concat()
        );
        assert_eq!(soa[3], aos[1]);
    }
}
