//! One opened source (a sample): its bigWig's header, chrom tree and, once read, index.
//! Opening and reading go through its [`Source`]; errors name the source and know its
//! index. A source that may lack bytes ([`crate::source::RangeCache`]) stops with
//! [`Stop::Missing`]; a [`Complete`] one never does, and its openers return plain errors.

use crate::bigwig::block::{BlockReader, DecodedBlock};
use crate::bigwig::{BigWig, BwError, IndexPlan, Leaf};
use crate::error::{shown, ByteRange, Error, Result, SourceError, Stop};
use crate::source::{Complete, Source};

/// One opened source (a sample).
pub struct Input<S> {
    /// How messages name it: a path, URL or `source N`.
    pub name: String,
    pub source: S,
    pub bigwig: BigWig,
}

/// Open source number `index` (for [`ByteRange`]s and errors) named `name` (for messages).
pub fn open_input<S: Complete>(
    index: usize,
    name: impl Into<String>,
    source: S,
) -> Result<Input<S>> {
    Input::open(index, name, source).map_err(Stop::complete)
}

/// [`open_input`] reading the header and chrom tree only: the export reads the index
/// later ([`crate::Export::read_indexes`]), knowing the regions.
pub fn open_input_head<S: Complete>(
    index: usize,
    name: impl Into<String>,
    source: S,
) -> Result<Input<S>> {
    Input::open_head(index, name, source).map_err(Stop::complete)
}

impl<S: Source> Input<S> {
    /// Open source number `index`, reading its header, chrom tree and whole index.
    pub fn open(index: usize, name: impl Into<String>, source: S) -> Result<Self, Stop> {
        Self::opened(index, name.into(), source, BigWig::open)
    }

    /// Open source number `index`, reading its header and chrom tree only.
    pub fn open_head(index: usize, name: impl Into<String>, source: S) -> Result<Self, Stop> {
        Self::opened(index, name.into(), source, BigWig::open_head)
    }

    fn opened(
        index: usize,
        name: String,
        source: S,
        open: fn(&S) -> std::result::Result<BigWig, BwError>,
    ) -> Result<Self, Stop> {
        match open(&source) {
            Ok(bigwig) => Ok(Input {
                name,
                source,
                bigwig,
            }),
            Err(e) => Err(stop(index, &name, e, None)),
        }
    }

    /// Read the leaves `plan` asks for (source number `index`); errors name this source.
    pub fn read_index(&mut self, index: usize, plan: IndexPlan<'_>) -> Result<(), Stop> {
        self.bigwig
            .read_index(&self.source, plan)
            .map_err(|e| stop(index, &self.name, e, None))
    }

    /// Bytes of the R-tree index, when known.
    pub fn index_len(&self) -> Option<u64> {
        self.bigwig.index_len(self.source.size())
    }

    /// Read and decode one data block (source number `index`); errors name this source.
    pub fn read_block(
        &self,
        index: usize,
        reader: &mut BlockReader,
        leaf: &Leaf,
    ) -> Result<DecodedBlock, Stop> {
        reader
            .read(&self.source, &self.bigwig, leaf)
            .map_err(|e| stop(index, &self.name, e, None))
    }
}

/// A bigWig reader's error of source `index` named `name`, while reading `region` if any.
pub(crate) fn stop(index: usize, name: &str, e: BwError, region: Option<String>) -> Stop {
    match e {
        BwError::Missing(ranges) => Stop::Missing(
            ranges
                .into_iter()
                .map(|(offset, len)| ByteRange {
                    source: index,
                    offset,
                    len,
                })
                .collect(),
        ),
        BwError::Invalid(reason) => Stop::Failed(Error::Source(SourceError {
            index: Some(index),
            name: shown(name).into_owned(),
            reason,
            region,
        })),
    }
}
