//! `input_regions.arrow`: the BED in input order as GenVarLoader reads it, plus
//! `r_idx_map` (each row's position in the sorted regions), as an Arrow IPC file with
//! polars' types (strings as Utf8View, integers Int64, every field nullable).
//! `Dataset.open` reads `chrom`, `chromStart`, `chromEnd`, `strand` and `r_idx_map`.

use super::table::{BedTable, Column, Values};
use crate::error::{Error, Result};
use crate::region::Regions;
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringViewArray, UInt64Array,
};
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

    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema, arrays).map_err(|e| {
        Error::Output(format!(
            "{}: cannot encode input_regions.arrow: {e}",
            input.name
        ))
    })?;
    write_batch(&batch)
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
        Values::Bool(v) => (
            DataType::Boolean,
            Arc::new(v.iter().copied().collect::<BooleanArray>()),
        ),
        Values::UInt(v) => (
            DataType::UInt64,
            Arc::new(v.iter().copied().collect::<UInt64Array>()),
        ),
    };
    (Field::new(c.name.clone(), dt, true), array)
}

/// An Arrow IPC file's record batches as one batch; `at` (its path) labels errors.
pub fn read_file(at: &str, bytes: &[u8]) -> Result<RecordBatch> {
    let bad = |e: arrow_schema::ArrowError| {
        Error::input(format!("{at}: not a readable Arrow IPC file ({e})"))
    };
    let reader =
        arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(bytes), None).map_err(bad)?;
    let schema = reader.schema();
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(bad)?;
    arrow_select::concat::concat_batches(&schema, &batches).map_err(bad)
}

/// The bytes of an Arrow IPC file holding `batch`.
pub fn write_batch(batch: &RecordBatch) -> Result<Vec<u8>> {
    let fail = |e: arrow_schema::ArrowError| {
        Error::Output(format!("cannot encode input_regions.arrow: {e}"))
    };
    let mut w = FileWriter::try_new(Vec::new(), &batch.schema()).map_err(fail)?;
    w.write(batch).map_err(fail)?;
    w.finish().map_err(fail)?;
    w.into_inner().map_err(fail)
}

/// A text column (any of Arrow's string types) as strings, nulls as `None`.
pub fn str_column(at: &str, batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    use arrow_array::cast::AsArray;
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| Error::input(format!("{at}: no column '{name}'")))?;
    let out = match c.data_type() {
        DataType::Utf8View => c
            .as_string_view()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        DataType::Utf8 => c
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        DataType::LargeUtf8 => c
            .as_string::<i64>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        t => {
            return Err(Error::input(format!(
                "{at}: column '{name}' is {t}, not text"
            )))
        }
    };
    Ok(out)
}

/// An integer column (any of Arrow's integer types that fit i64) as i64, nulls as `None`.
pub fn int_column(at: &str, batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| Error::input(format!("{at}: no column '{name}'")))?;
    let out: Vec<Option<i64>> = match c.data_type() {
        DataType::Int64 => c.as_primitive::<Int64Type>().iter().collect(),
        DataType::Int32 => c
            .as_primitive::<Int32Type>()
            .iter()
            .map(|v| v.map(i64::from))
            .collect(),
        DataType::Int16 => c
            .as_primitive::<Int16Type>()
            .iter()
            .map(|v| v.map(i64::from))
            .collect(),
        DataType::UInt32 => c
            .as_primitive::<UInt32Type>()
            .iter()
            .map(|v| v.map(i64::from))
            .collect(),
        DataType::UInt64 => c
            .as_primitive::<UInt64Type>()
            .iter()
            .map(|v| v.and_then(|v| i64::try_from(v).ok()))
            .collect(),
        t => {
            return Err(Error::input(format!(
                "{at}: column '{name}' is {t}, not integers"
            )))
        }
    };
    Ok(out)
}
