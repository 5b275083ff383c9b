//! The output record: GenVarLoader's packed `(i32 start, i32 end, f32 value)`.

/// One record. `value` holds the f32's bits so NaN payloads pass through untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct Interval {
    pub start: u32,
    pub end: u32,
    pub value: u32,
}

impl Interval {
    pub fn value_f32(&self) -> f32 {
        f32::from_bits(self.value)
    }
}

/// Bytes per packed record.
pub const RECORD_BYTES: u64 = 12;
