//! Bounds-checked reads of big- or little-endian fields; running off the end is an error,
//! never a panic.

pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    big_endian: bool,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8], big_endian: bool) -> Self {
        Cursor {
            buf,
            pos: 0,
            big_endian,
        }
    }
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.pos + N;
        let b = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| format!("structure ends early (wanted {} bytes at {})", N, self.pos))?;
        self.pos = end;
        Ok(b.try_into().unwrap())
    }
    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take::<1>()?[0])
    }
    pub fn u16(&mut self) -> Result<u16, String> {
        let b = self.take()?;
        Ok(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }
    pub fn u32(&mut self) -> Result<u32, String> {
        let b = self.take()?;
        Ok(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
    pub fn u64(&mut self) -> Result<u64, String> {
        let b = self.take()?;
        Ok(if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }
    pub fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_bits(self.u64()?))
    }
}
