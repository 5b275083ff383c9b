use super::*;
use crate::bed::BedParser;

fn table(bed: &str) -> Result<BedTable> {
    let mut p = BedParser::with_fields("r.bed", BedTable::new());
    p.feed(bed.as_bytes())?;
    Ok(p.finish_with_fields()?.1)
}

#[test]
fn bed6_typed_as_genvarloader_reads_it() {
    let t =
        table("chr1\t0\t10\tr0\t5\t-\nchr1\t5\t9\t.\t.\t.\n# c\nchr2\t1\t2\tr2\t1e3\n").unwrap();
    let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["name", "score", "strand"]);
    let Values::Text(name) = &t.columns[0].values else {
        panic!()
    };
    assert_eq!(
        (0..3).map(|i| name.get(i)).collect::<Vec<_>>(),
        [Some("r0"), None, Some("r2")]
    );
    assert_eq!(
        t.columns[1].values,
        Values::Float(vec![Some(5.0), None, Some(1000.0)])
    );
    let Values::Text(strand) = &t.columns[2].values else {
        panic!()
    };
    // `.` and a missing strand are `+`: what GenVarLoader's writer means by them.
    assert_eq!(
        (0..3).map(|i| strand.get(i)).collect::<Vec<_>>(),
        [Some("-"), Some("+"), Some("+")]
    );
    assert_eq!((0..3).map(|i| t.strand(i)).collect::<Vec<_>>(), [-1, 1, 1]);
    assert!(t.has_strand());
}

#[test]
fn bed12_and_beyond() {
    let t = table("c\t0\t1\tn\t0\t+\t0\t1\t0,0,0\t2\t1,1,\t0,1,\tx\n").unwrap();
    let got: Vec<_> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.kind))
        .collect();
    assert_eq!(
        got,
        [
            ("name", Kind::Text),
            ("score", Kind::Float),
            ("strand", Kind::Strand),
            ("thickStart", Kind::Int),
            ("thickEnd", Kind::Int),
            ("itemRgb", Kind::Text),
            ("blockCount", Kind::UInt),
            ("blockSizes", Kind::Text),
            ("blockStarts", Kind::Text),
            ("column_13", Kind::Text),
        ]
    );
    assert_eq!(t.columns[6].values, Values::UInt(vec![Some(2)]));
    let t = table("c\t0\t1\n").unwrap();
    assert!(t.columns.is_empty() && !t.has_strand());
    assert_eq!(t.strand(0), 1);
}

#[test]
fn columns_past_the_12th_are_typed_as_polars_infers_them() {
    let bed = |vals: &[&str]| {
        let mut t = table(
            &vals
                .iter()
                .enumerate()
                .map(|(i, v)| format!("c\t{i}\t9\tn\t0\t+\t0\t1\t0\t1\t1,\t0,\t{v}\n"))
                .collect::<String>(),
        )
        .unwrap();
        t.infer_extra_columns();
        t.columns.pop().unwrap()
    };
    assert_eq!(
        bed(&["1", "-2", ".", "007"]).values,
        Values::Int(vec![Some(1), Some(-2), None, Some(7)])
    );
    assert_eq!(
        bed(&["1.5", "2", "1e3", "-inf", ".5", "3.", "+1.5", "NaN"]).kind,
        Kind::Float
    );
    assert_eq!(
        bed(&["True", "FALSE"]).values,
        Values::Bool(vec![Some(true), Some(false)])
    );
    for text in [
        &["+5", "2"][..],
        &["1", "x"],
        &["Inf", "2"],
        &["nan", "1.0"],
        &["1e", "2"],
        &["TRUE", "2"],
        &["0x10"],
        &["99999999999999999999"],
    ] {
        assert_eq!(bed(text).kind, Kind::Text, "{text:?}");
    }
    // Standard columns keep their schema types.
    let mut t = table("c\t0\t1\t5\n").unwrap();
    t.infer_extra_columns();
    assert_eq!(t.columns[0].kind, Kind::Text);
}

#[test]
fn bad_fields_name_the_line() {
    let e = |b: &str| table(b).unwrap_err().to_string();
    assert_eq!(
        e("c\t0\t1\tn\tx\n"),
        "r.bed line 1: score 'x' is not a number"
    );
    assert_eq!(
        e("c\t0\t1\tn\t0\t+\nc\t0\t1\tn\t0\t*\n"),
        "r.bed line 2: strand '*' is not +, - or ."
    );
    assert_eq!(
        e("c\t0\t1\tn\t0\t+\t1\t2\t0\t-1\n"),
        "r.bed line 1: blockCount '-1' is not a non-negative integer"
    );
    assert_eq!(
        e("c\t0\t1\nc\t0\t1\tn\n"),
        "r.bed line 2: 4 columns, but the first region line has 3 \
         (GenVarLoader takes the columns from the first line)"
    );
    // Fewer columns than the first line: the rest are null.
    let t = table("c\t0\t1\tn\t2\t-\nc\t3\t4\n").unwrap();
    assert_eq!(t.columns[1].values, Values::Float(vec![Some(2.0), None]));
    assert_eq!(t.strand(1), 1);
}
