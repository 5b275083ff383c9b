//! Along regions: the merged BED, its sorted order, and `input_regions.arrow`.

use super::input::ConcatInput;
use crate::dataset::arrow::write_batch;
use crate::dataset::{natural_contigs, sorted_order};
use crate::error::{shown, Error, Result};
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch};
use arrow_schema::{Field, Schema};
use std::sync::Arc;

/// Regions axis: the merged BED (the inputs' rows one after another), its sorted order,
/// and the input each sorted region comes from. Each input must come out in its own stored
/// order, or its cells would be taken for the wrong regions.
pub(super) fn merge_regions(inputs: &[ConcatInput]) -> Result<(Vec<u32>, Vec<u32>, RecordBatch)> {
    let first = &inputs[0];
    let mut keys = Vec::new();
    let mut src = Vec::new();
    for (d, i) in inputs.iter().enumerate() {
        keys.extend(i.keys());
        src.extend(std::iter::repeat_n(d as u32, i.n_regions()));
    }
    // Contig indices are into the inputs' (equal) contig lists, in natural order; sort by
    // name again, so an input whose list is not in this tool's natural order is caught.
    let (_, rank) = natural_contigs(&first.metadata.contigs);
    let order = sorted_order(keys.len(), |i| {
        let (c, s, e) = keys[i];
        (rank[c as usize], s, e)
    });
    let mut next = vec![0i64; inputs.len()];
    let mut starts = vec![0usize; inputs.len()];
    for d in 1..inputs.len() {
        starts[d] = starts[d - 1] + inputs[d - 1].n_regions();
    }
    let mut region_src = Vec::with_capacity(order.len());
    for &m in &order {
        let d = src[m as usize] as usize;
        let row = m as usize - starts[d];
        if inputs[d].r_idx_map[row] != next[d] {
            let i = &inputs[d];
            return Err(Error::input(format!(
                "{}: its regions are not stored in the order this tool sorts them (BED row {row} \
                 is region {} of regions.npy, expected {}); its contigs ({}) may sort differently \
                 here than in the tool that wrote it",
                i.name,
                i.r_idx_map[row],
                next[d],
                i.metadata
                    .contigs
                    .iter()
                    .map(|c| shown(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        next[d] += 1;
        region_src.push(d as u32);
    }
    let schema = first.bed.schema();
    let beds: Vec<RecordBatch> = inputs
        .iter()
        .map(|i| in_columns_of(&i.bed, &schema, &i.name))
        .collect::<Result<_>>()?;
    let bed = arrow_select::concat::concat_batches(&schema, &beds).map_err(|e| {
        Error::input(format!(
            "{}: cannot merge the inputs' input_regions.arrow: {e}",
            first.name
        ))
    })?;
    Ok((order, region_src, bed))
}

/// `bed` with its columns in the order of `schema` (same names, same types).
pub(super) fn in_columns_of(bed: &RecordBatch, schema: &Schema, name: &str) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| {
            let c = bed.column_by_name(f.name()).ok_or_else(|| {
                Error::input(format!(
                    "{name}/input_regions.arrow: no column '{}'",
                    f.name()
                ))
            })?;
            if c.data_type() != f.data_type() {
                return Err(Error::input(format!(
                    "{name}/input_regions.arrow: column '{}' is {}, but the first input's is {}",
                    f.name(),
                    c.data_type(),
                    f.data_type()
                )));
            }
            Ok(c.clone())
        })
        .collect::<Result<_>>()?;
    RecordBatch::try_new(Arc::new(schema.clone()), columns)
        .map_err(|e| Error::input(format!("{name}/input_regions.arrow: {e}")))
}

/// `input_regions.arrow`: `bed` plus `r_idx_map` (row `order[k]` is region `k`).
pub(super) fn with_r_idx_map(bed: &RecordBatch, order: &[u32]) -> Result<Vec<u8>> {
    let mut map = vec![0i64; order.len()];
    for (k, &i) in order.iter().enumerate() {
        map[i as usize] = k as i64;
    }
    let mut fields: Vec<Field> = bed
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("r_idx_map", arrow_schema::DataType::Int64, true));
    let mut columns = bed.columns().to_vec();
    columns.push(Arc::new(Int64Array::from(map)));
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::Output(format!("input_regions.arrow: {e}")))?;
    write_batch(&batch)
}
