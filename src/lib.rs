//! bigwig-npy: export bigWig signal over genomic regions into GenVarLoader's ragged arrays
//! (`intervals.npy` + `offsets.npy`, or the SoA columns), byte for byte as GenVarLoader's
//! `write_track` writes them.
//!
//! Where a byte goes: [`source`] reads it, [`bigwig`] locates and decodes it, [`export`]
//! loops regions x samples, [`layout`] encodes the output files. [`net`] and [`reads`] are
//! the rules of URL sources and read planning, without I/O, for both hosts. [`native`] adds
//! files, rayon, ureq and the CLI driver; the wasm layer adds JS types for the npm package.

// The core does no I/O: clippy.toml lists what it may not touch; only the hosts may.
#![deny(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod atomic;
pub mod bed;
pub mod bigwig;
pub mod blocks;
pub mod contig;
pub mod dataset;
pub mod drive;
pub mod encoded;
pub mod error;
pub mod export;
pub mod gzip;
pub mod input;
pub mod interval;
pub mod layout;
pub mod net;
pub mod order;
pub mod reads;
pub mod region;
pub mod reorder;
pub mod sort;
pub mod source;
pub mod stepper;

// The hosts: files, threads, sockets, clocks and JS (clippy.toml denies them to the rest).
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
pub mod native;
#[cfg(target_arch = "wasm32")]
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
pub mod wasm;

pub use error::{ByteRange, Error, Result, Stop};
pub use export::{BlockCache, Export, IndexPolicy, Options, DEFAULT_MAX_MEM};
pub use input::{open_input, open_input_head, Input};
pub use interval::Interval;
pub use layout::{Format, Layout, TrackWriter};
pub use region::{Region, Regions};
pub use source::{Complete, MemSource, RangeCache, ReadError, Source};
