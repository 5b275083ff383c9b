//! `input_regions.arrow`: the BED in input order as GenVarLoader reads it, plus
//! `r_idx_map` (each row's position in the sorted regions), as an Arrow IPC file with
//! polars' types (strings as Utf8View, integers Int64, every field nullable).
//! `Dataset.open` reads `chrom`, `chromStart`, `chromEnd`, `strand` and `r_idx_map`.

use super::table::{BedTable, Column, Values};
use crate::error::{Error, Result};
use crate::region::Regions;
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringViewArray, UInt64Array};
use arrow_ipc::writer::FileWriter;
use arrow_schema::{DataType, Field, Schema};
use std::sync::Arc;

/// The file's bytes. `input` and `table` are in input order; `r_idx_map[i]` is input row
/// `i`'s sorted position.
pub fn input_regions(input: &Regions, table: &BedTable, r_idx_map: &[i64]) -> Result<Vec<u8>> {
    let n = input.len();
    let mut fields = vec![
        Field::new("chrom", DataType::Utf8View, true),
        Field::new("chromStart", DataType::Int64, true),
        Field::new("chromEnd", DataType::Int64, true),
    ];
    let mut arrays: Vec<ArrayRef> = vec![
        Arc::new(StringViewArray::from_iter_values(
            (0..n).map(|i| input.contig(i)),
        )),
        Arc::new(Int64Array::from_iter_values(
            input.iter().map(|r| i64::from(r.start)),
        )),
        Arc::new(Int64Array::from_iter_values(
            input.iter().map(|r| i64::from(r.end)),
        )),
    ];
    for c in &table.columns {
        let (field, array) = column(c);
        fields.push(field);
        arrays.push(array);
    }
    fields.push(Field::new("r_idx_map", DataType::Int64, true));
    arrays.push(Arc::new(Int64Array::from(r_idx_map.to_vec())));

    let fail = |e: arrow_schema::ArrowError| {
        Error::Output(format!(
            "{}: cannot encode input_regions.arrow: {e}",
            input.name
        ))
    };
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(fail)?;
    let mut w = FileWriter::try_new(Vec::new(), &schema).map_err(fail)?;
    w.write(&batch).map_err(fail)?;
    w.finish().map_err(fail)?;
    w.into_inner().map_err(fail)
}

fn column(c: &Column) -> (Field, ArrayRef) {
    let (dt, array): (DataType, ArrayRef) = match &c.values {
        Values::Text(t) => (
            DataType::Utf8View,
            Arc::new((0..t.len()).map(|i| t.get(i)).collect::<StringViewArray>()),
        ),
        Values::Float(v) => (
            DataType::Float64,
            Arc::new(v.iter().copied().collect::<Float64Array>()),
        ),
        Values::Int(v) => (
            DataType::Int64,
            Arc::new(v.iter().copied().collect::<Int64Array>()),
        ),
        Values::UInt(v) => (
            DataType::UInt64,
            Arc::new(v.iter().copied().collect::<UInt64Array>()),
        ),
    };
    (Field::new(c.name.clone(), dt, true), array)
}
