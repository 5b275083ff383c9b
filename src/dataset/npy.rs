//! `regions.npy`: GenVarLoader's (R, 4) `<i4` array of sorted regions (contig index,
//! start, end, strand), written by `np.save`: Fortran order by `gvl.write` (polars builds
//! it column by column), C order by `gvl.concat`. Read back for `update` and `concat`.

use crate::error::{Error, Result};

/// One row of `regions.npy`: jitter already applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionRow {
    pub contig: i32,
    pub start: i32,
    pub end: i32,
    pub strand: i32,
}

/// `regions.npy` bytes for `rows`, in Fortran (`gvl.write`) or C (`gvl.concat`) order.
pub fn regions_npy(rows: &[RegionRow], fortran: bool) -> Vec<u8> {
    let n = rows.len();
    let mut out = npy_header_2d("'<i4'", n, 4, fortran);
    out.reserve(n * 16);
    let field = |r: &RegionRow, c: usize| [r.contig, r.start, r.end, r.strand][c];
    if fortran {
        for c in 0..4 {
            for r in rows {
                out.extend_from_slice(&field(r, c).to_le_bytes());
            }
        }
    } else {
        for r in rows {
            for c in 0..4 {
                out.extend_from_slice(&field(r, c).to_le_bytes());
            }
        }
    }
    out
}

/// Parse `regions.npy`; `name` (its path) labels errors.
pub fn parse_regions_npy(name: &str, bytes: &[u8]) -> Result<Vec<RegionRow>> {
    let bad = |why: &str| Error::input(format!("{name}: not a GenVarLoader regions.npy: {why}"));
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("no NPY magic"));
    }
    let (hlen, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad("unknown NPY version")),
    };
    let end = start
        .checked_add(hlen)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad("header longer than the file"))?;
    let header = std::str::from_utf8(&bytes[start..end]).map_err(|_| bad("header not text"))?;
    let compact: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.contains("'descr':'<i4'") {
        return Err(bad("dtype is not '<i4'"));
    }
    let fortran = if compact.contains("'fortran_order':True") {
        true
    } else if compact.contains("'fortran_order':False") {
        false
    } else {
        return Err(bad("no fortran_order"));
    };
    let shape = compact
        .split_once("'shape':(")
        .and_then(|(_, s)| s.split_once(')'))
        .map(|(s, _)| s)
        .ok_or_else(|| bad("no shape"))?;
    let dims: Vec<usize> = shape
        .split(',')
        .filter(|d| !d.is_empty())
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| bad("shape is not numbers"))?;
    let [n, 4] = dims[..] else {
        return Err(bad(&format!("shape ({shape}) is not (regions, 4)")));
    };
    let body = &bytes[end..];
    if Some(body.len()) != n.checked_mul(16) {
        return Err(bad(&format!(
            "{} bytes of data for shape ({n}, 4)",
            body.len()
        )));
    }
    let at = |k: usize| i32::from_le_bytes(body[k * 4..k * 4 + 4].try_into().unwrap_or([0; 4]));
    let cell = |r: usize, c: usize| {
        if fortran {
            at(c * n + r)
        } else {
            at(r * 4 + c)
        }
    };
    Ok((0..n)
        .map(|r| RegionRow {
            contig: cell(r, 0),
            start: cell(r, 1),
            end: cell(r, 2),
            strand: cell(r, 3),
        })
        .collect())
}

/// NPY 1.0 header for a 2-d array, byte for byte as numpy 2 writes it (with the spare
/// room numpy leaves for the growth axis).
pub fn npy_header_2d(descr: &str, rows: usize, cols: usize, fortran: bool) -> Vec<u8> {
    let growth = if fortran { cols } else { rows };
    let mut dict = format!(
        "{{'descr': {descr}, 'fortran_order': {}, 'shape': ({rows}, {cols}), }}",
        if fortran { "True" } else { "False" }
    );
    dict.push_str(&" ".repeat(21usize.saturating_sub(growth.to_string().len())));
    let hlen = dict.len() + 1;
    let pad = 64 - (10 + hlen) % 64;
    let mut h = Vec::with_capacity(10 + hlen + pad);
    h.extend_from_slice(b"\x93NUMPY\x01\x00");
    h.extend_from_slice(&((hlen + pad) as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.resize(h.len() + pad, b' ');
    h.push(b'\n');
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_as_numpy_writes_it() {
        // data/gvl/alias_chrM/dataset.gvl/regions.npy
        let want = b"\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': True, 'shape': (3, 4), }                                                           \n";
        assert_eq!(npy_header_2d("'<i4'", 3, 4, true), want.to_vec());
        assert_eq!(npy_header_2d("'<i4'", 123456, 4, true).len() % 64, 0);
        assert_eq!(npy_header_2d("'<i4'", 62, 4, false).len() % 64, 0);
    }

    #[test]
    fn both_orders_round_trip() {
        let rows: Vec<RegionRow> = (0..5)
            .map(|i| RegionRow {
                contig: i % 2,
                start: i * 10 - 3,
                end: i * 10 + 7,
                strand: if i == 3 { -1 } else { 1 },
            })
            .collect();
        for fortran in [true, false] {
            let b = regions_npy(&rows, fortran);
            assert_eq!(parse_regions_npy("r", &b).unwrap(), rows);
        }
        let b = regions_npy(&rows, true);
        assert!(parse_regions_npy("d/regions.npy", &b[..b.len() - 1])
            .unwrap_err()
            .to_string()
            .starts_with("d/regions.npy: not a GenVarLoader regions.npy: 79 bytes"));
        assert!(parse_regions_npy("r", b"hello").is_err());
    }
}
