//! An owner record's JSON, written and read exactly as serde_json writes and reads
//! [`Owner`] (its derives), without serde_json: for this one six-field record, serde_json
//! brought its float parsing and formatting tables and its error messages into the wasm
//! module every export loads, 40 kB of its 438 kB (21 kB gzipped). The tests hold the
//! two equal on random records and on random mutations of them.

use super::Owner;

/// `serde_json::to_vec(owner)`: the fields in declaration order, no spaces.
pub(super) fn write(o: &Owner) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + o.boot_id.len() + o.pid_ns.len() + o.tool.len());
    out.extend_from_slice(b"{\"boot_id\":");
    string(&mut out, &o.boot_id);
    out.extend_from_slice(b",\"pid_ns\":");
    string(&mut out, &o.pid_ns);
    out.extend_from_slice(format!(",\"pid\":{},\"start\":{},\"tool\":", o.pid, o.start).as_bytes());
    string(&mut out, &o.tool);
    out.extend_from_slice(if o.locks {
        b",\"locks\":true}"
    } else {
        b",\"locks\":false}"
    });
    out
}

/// A JSON string as serde_json escapes it: `"`, `\` and control characters only
/// (`\b \t \n \f \r` short, the others `\u00xx` in lower case); the rest as it is.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &c in s.as_bytes() {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.extend_from_slice(&[HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
            }
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

/// `serde_json::from_slice::<Owner>(bytes).ok()`: an object (fields in any order, unknown
/// ones skipped, none twice, `locks` optional) or serde's sequence form (the fields in
/// order, `locks` optional), then nothing but whitespace.
pub(super) fn read(bytes: &[u8]) -> Option<Owner> {
    let mut r = Reader { b: bytes, i: 0 };
    let owner = match r.peek()? {
        b'{' => r.object()?,
        b'[' => r.sequence()?,
        _ => return None,
    };
    r.peek().is_none().then_some(owner)
}

/// A field's value: what the record's type asks for at that place.
enum Field {
    Str(String),
    Uint(u64),
    Bool(bool),
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Uint,
    Bool,
}

/// The six fields, in order (`pid` is checked to fit a u32 when the record is built).
const FIELDS: [(&str, Kind); 6] = [
    ("boot_id", Kind::Str),
    ("pid_ns", Kind::Str),
    ("pid", Kind::Uint),
    ("start", Kind::Uint),
    ("tool", Kind::Str),
    ("locks", Kind::Bool),
];

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    /// The next byte after whitespace (JSON's four), not taken; `None` at the end.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(c);
            }
            self.i += 1;
        }
        None
    }

    /// Take `c` (after whitespace), or fail.
    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn next_byte(&mut self) -> Option<u8> {
        let c = *self.b.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    fn object(&mut self) -> Option<Owner> {
        self.i += 1;
        let mut got: [Option<Field>; 6] = Default::default();
        let mut first = true;
        loop {
            match self.peek()? {
                b'}' => break,
                b'"' if first => {}
                b',' if !first => {
                    self.i += 1;
                    if self.peek()? != b'"' {
                        return None;
                    }
                }
                _ => return None,
            }
            first = false;
            self.i += 1;
            let key = self.string()?;
            self.expect(b':')?;
            match FIELDS.iter().position(|&(name, _)| name == key) {
                Some(k) if got[k].is_some() => return None,
                Some(k) => got[k] = Some(self.field(FIELDS[k].1)?),
                None => self.skip_value()?,
            }
        }
        self.i += 1;
        owner(got)
    }

    fn sequence(&mut self) -> Option<Owner> {
        self.i += 1;
        let mut got: [Option<Field>; 6] = Default::default();
        for (k, &(_, kind)) in FIELDS.iter().enumerate() {
            match self.peek()? {
                b']' => break,
                _ if k == 0 => {}
                b',' => {
                    self.i += 1;
                    if self.peek()? == b']' {
                        return None;
                    }
                }
                _ => return None,
            }
            got[k] = Some(self.field(kind)?);
        }
        self.expect(b']')?;
        owner(got)
    }

    fn field(&mut self, kind: Kind) -> Option<Field> {
        Some(match kind {
            Kind::Str => {
                self.expect(b'"')?;
                Field::Str(self.string()?)
            }
            Kind::Uint => Field::Uint(self.uint()?),
            Kind::Bool => Field::Bool(match self.peek()? {
                b't' => self.word(b"true").map(|()| true)?,
                b'f' => self.word(b"false").map(|()| false)?,
                _ => return None,
            }),
        })
    }

    /// An unsigned integer as serde_json reads one into an integer field: no sign, no
    /// leading zero, no fraction or exponent (those make it a float), within u64.
    fn uint(&mut self) -> Option<u64> {
        if !self.peek()?.is_ascii_digit() {
            return None;
        }
        let first = self.next_byte()?;
        let mut n = u64::from(first - b'0');
        while let Some(&c @ b'0'..=b'9') = self.b.get(self.i) {
            if first == b'0' {
                return None;
            }
            n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(n),
        }
    }

    /// A string's text after its opening quote: escapes decoded, surrogates paired, valid
    /// UTF-8, no raw control characters.
    fn string(&mut self) -> Option<String> {
        let mut s = Vec::new();
        loop {
            match self.next_byte()? {
                b'"' => return String::from_utf8(s).ok(),
                b'\\' => {
                    let c = match self.next_byte()? {
                        c @ (b'"' | b'\\' | b'/') => c,
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let mut n = u32::from(self.hex4()?);
                            if (0xd800..0xdc00).contains(&n) {
                                if self.next_byte()? != b'\\' || self.next_byte()? != b'u' {
                                    return None;
                                }
                                let low = u32::from(self.hex4()?);
                                if !(0xdc00..0xe000).contains(&low) {
                                    return None;
                                }
                                n = 0x10000 + ((n - 0xd800) << 10) + (low - 0xdc00);
                            }
                            let c = char::from_u32(n)?;
                            s.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                            continue;
                        }
                        _ => return None,
                    };
                    s.push(c);
                }
                0..=0x1f => return None,
                c => s.push(c),
            }
        }
    }

    /// Four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Option<u16> {
        let digits = self.b.get(self.i..self.i + 4)?;
        self.i += 4;
        let mut n = 0;
        for &d in digits {
            n = n * 16 + (d as char).to_digit(16)? as u16;
        }
        Some(n)
    }

    /// `word` spelled out, its first byte already peeked.
    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// Skip one value of any kind, as serde_json skips an unknown field's: checked as JSON
    /// but for its strings' UTF-8 and `\u` surrogates, nested to any depth (a stack, not
    /// recursion).
    fn skip_value(&mut self) -> Option<()> {
        let mut open = Vec::new();
        loop {
            match self.peek()? {
                b'n' => self.word(b"null")?,
                b't' => self.word(b"true")?,
                b'f' => self.word(b"false")?,
                b'-' | b'0'..=b'9' => self.skip_number()?,
                b'"' => {
                    self.i += 1;
                    self.skip_string()?;
                }
                c @ (b'[' | b'{') => {
                    self.i += 1;
                    let close = c + 2; // `]` and `}` follow `[` and `{` two places on
                    if self.peek()? == close {
                        self.i += 1;
                    } else {
                        open.push(close);
                        if c == b'{' {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                _ => return None,
            }
            // A value ended: close what it ends, or go on to the next element.
            loop {
                let Some(&close) = open.last() else {
                    return Some(());
                };
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        if close == b'}' {
                            self.skip_key()?;
                        }
                        break;
                    }
                    c if c == close => {
                        self.i += 1;
                        open.pop();
                    }
                    _ => return None,
                }
            }
        }
    }

    /// An object's key and its colon.
    fn skip_key(&mut self) -> Option<()> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.expect(b':')
    }

    /// A string after its opening quote: escapes well formed, no raw control characters.
    fn skip_string(&mut self) -> Option<()> {
        loop {
            match self.next_byte()? {
                b'"' => return Some(()),
                b'\\' => match self.next_byte()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    b'u' => {
                        self.hex4()?;
                    }
                    _ => return None,
                },
                0..=0x1f => return None,
                _ => {}
            }
        }
    }

    /// A number: `-`, then `0` or digits not starting with 0, then `.digits`, then an
    /// exponent, the last two optional.
    fn skip_number(&mut self) -> Option<()> {
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        match self.next_byte()? {
            b'0' => {
                if self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    /// Skip digits; how many.
    fn digits(&mut self) -> usize {
        let n = self.b[self.i..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        self.i += n;
        n
    }
}

/// The record from its fields, as serde's derive builds it: each field present but
/// `locks` (false when absent).
fn owner(got: [Option<Field>; 6]) -> Option<Owner> {
    let [boot_id, pid_ns, pid, start, tool, locks] = got;
    let text = |f: Option<Field>| match f? {
        Field::Str(s) => Some(s),
        _ => None,
    };
    let uint = |f: Option<Field>| match f? {
        Field::Uint(n) => Some(n),
        _ => None,
    };
    Some(Owner {
        boot_id: text(boot_id)?,
        pid_ns: text(pid_ns)?,
        pid: u32::try_from(uint(pid)?).ok()?,
        start: uint(start)?,
        tool: text(tool)?,
        locks: matches!(locks, Some(Field::Bool(true))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_read(b: &[u8]) -> Option<Owner> {
        serde_json::from_slice(b).ok()
    }

    /// A string of characters JSON treats specially, and some that it does not.
    fn text(rng: &mut fastrand::Rng) -> String {
        const CHARS: &[char] = &[
            'a', 'Z', '0', ' ', '"', '\\', '/', '\u{0}', '\u{8}', '\t', '\n', '\u{c}', '\r',
            '\u{1f}', '\u{7f}', 'é', '\u{2028}', '😀', '{', '}', '[', ']', ':', ',',
        ];
        (0..rng.usize(0..8))
            .map(|_| CHARS[rng.usize(..CHARS.len())])
            .collect()
    }

    fn random_owner(rng: &mut fastrand::Rng) -> Owner {
        let pick = |rng: &mut fastrand::Rng, edges: &[u64], max: u64| {
            if rng.bool() {
                edges[rng.usize(..edges.len())]
            } else {
                rng.u64(0..=max)
            }
        };
        Owner {
            boot_id: text(rng),
            pid_ns: text(rng),
            pid: pick(rng, &[0, 1, 9, 10, u32::MAX.into()], u32::MAX.into()) as u32,
            start: pick(rng, &[0, 1, u32::MAX.into(), u64::MAX], u64::MAX),
            tool: text(rng),
            locks: rng.bool(),
        }
    }

    /// Valid documents of many shapes: compact and pretty, fields shuffled or dropped,
    /// unknown fields, the sequence form, escapes where serde_json writes none.
    fn document(rng: &mut fastrand::Rng) -> Vec<u8> {
        let o = random_owner(rng);
        match rng.u8(0..5) {
            0 => serde_json::to_vec(&o).unwrap(),
            1 => serde_json::to_vec_pretty(&o).unwrap(),
            2 => {
                let serde_json::Value::Object(m) = serde_json::to_value(&o).unwrap() else {
                    unreachable!()
                };
                let mut fields: Vec<(String, serde_json::Value)> = m.into_iter().collect();
                rng.shuffle(&mut fields);
                fields.truncate(rng.usize(4..=7));
                let extra: serde_json::Value = serde_json::json!([
                    {"a": [1, -2.5e-3, null, true, false, "x\u{0}"], "": {}},
                    [], "s", 0, -0, 1.0E+2
                ]);
                if rng.bool() {
                    fields.insert(rng.usize(..=fields.len()), ("other".into(), extra.clone()));
                }
                if rng.bool() {
                    fields.push(fields[rng.usize(..fields.len())].clone());
                }
                let sep = [",", " , ", ",\n\t"][rng.usize(..3)];
                let body: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| {
                        let k = if rng.bool() {
                            serde_json::to_string(k).unwrap()
                        } else {
                            // Every character escaped: the same key to serde_json.
                            let esc: String =
                                k.chars().map(|c| format!("\\u{:04X}", c as u32)).collect();
                            format!("\"{esc}\"")
                        };
                        format!("{k} : {v}")
                    })
                    .collect();
                format!(" {{ {} }} ", body.join(sep)).into_bytes()
            }
            3 => {
                let mut items = vec![
                    serde_json::to_string(&o.boot_id).unwrap(),
                    serde_json::to_string(&o.pid_ns).unwrap(),
                    o.pid.to_string(),
                    o.start.to_string(),
                    serde_json::to_string(&o.tool).unwrap(),
                    o.locks.to_string(),
                ];
                items.truncate(rng.usize(4..=6));
                format!("[{}]", items.join(", ")).into_bytes()
            }
            _ => {
                // Strings with \u escapes, surrogate pairs among them.
                let esc = |s: &str| {
                    let mut out = String::from("\"");
                    for u in s.encode_utf16() {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                    out + "\""
                };
                format!(
                    "{{\"boot_id\":{},\"pid_ns\":{},\"pid\":{},\"start\":{},\"tool\":{}}}",
                    esc(&o.boot_id),
                    esc(&o.pid_ns),
                    o.pid,
                    o.start,
                    esc(&o.tool)
                )
                .into_bytes()
            }
        }
    }

    /// Bytes that make or break JSON: structure, escapes, number parts, bad UTF-8.
    const NASTY: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b"\"",
        b"\\",
        b"\\u",
        b"\\ud800",
        b"\\udc00",
        b"\\ud83d\\ude00",
        b"\\x",
        b"0",
        b"00",
        b"-",
        b"-0",
        b".",
        b".5",
        b"e",
        b"E+",
        b"1e",
        b"4294967296",
        b"18446744073709551616",
        b"null",
        b"tru",
        b"true",
        b"false",
        b" ",
        b"\n",
        b"\x00",
        b"\x1f",
        b"\xff",
        b"\xc3",
        b"\xe2\x80",
        b"\"pid\"",
        b"\"locks\"",
    ];

    #[test]
    fn written_as_serde_json_writes_it() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let o = random_owner(&mut rng);
            let ours = write(&o);
            assert_eq!(ours, serde_json::to_vec(&o).unwrap(), "{o:?}");
            assert_eq!(read(&ours), Some(o));
        }
    }

    #[test]
    fn read_as_serde_json_reads_it() {
        let mut rng = fastrand::Rng::with_seed(11);
        let (mut accepted, mut rejected) = (0, 0);
        for _ in 0..200_000 {
            let mut doc = document(&mut rng);
            for _ in 0..rng.usize(0..4) {
                let at = rng.usize(..=doc.len());
                match rng.u8(0..4) {
                    0 if at < doc.len() => {
                        doc.remove(at);
                    }
                    1 => doc.truncate(at),
                    2 if at < doc.len() => doc[at] = rng.u8(..),
                    _ => {
                        let ins = NASTY[rng.usize(..NASTY.len())];
                        doc.splice(at..at, ins.iter().copied());
                    }
                }
            }
            let want = serde_read(&doc);
            assert_eq!(read(&doc), want, "{}", String::from_utf8_lossy(&doc));
            if want.is_some() {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
        // Both outcomes well represented, or the comparison proves little.
        assert!(
            accepted > 40_000 && rejected > 40_000,
            "{accepted} / {rejected}"
        );
    }

    #[test]
    fn edge_cases() {
        for doc in [
            &b"{\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":0,\"start\":0,\"tool\":\"\"}"[..],
            b"[\"\",\"\",0,0,\"\"]",
            b"[\"\",\"\",0,0,\"\",true]",
            b"[\"\",\"\",0,0,\"\",true,]",
            b"[\"\",\"\",0,0,\"\",]",
            b"[\"\",\"\",0,0]",
            b"[]",
            b"{}",
            b"",
            b"{\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":-0,\"start\":0,\"tool\":\"\"}",
            b"{\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":4294967296,\"start\":0,\"tool\":\"\"}",
            b"{\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":1,\"start\":18446744073709551615,\"tool\":\"\"}",
            b"{\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":1,\"start\":1.0,\"tool\":\"\"}",
            b"{\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":1,\"start\":1e0,\"tool\":\"\"}",
            b"{\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":1,\"start\":01,\"tool\":\"\"}",
            b"{\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":1,\"start\":1,\"tool\":\"\",\"locks\":null}",
            b"{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":1,\"start\":1,\"tool\":\"\"}",
            b"{\"x\":\"\xff\",\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":1,\"start\":1,\"tool\":\"\"}",
            b"{\"x\":\"\\ud800\",\"boot_id\":\"\",\"pid_ns\":\"\",\"pid\":1,\"start\":1,\"tool\":\"\"}",
            b"{\"boot_id\":\"\\ud800\",\"pid_ns\":\"\",\"pid\":1,\"start\":1,\"tool\":\"\"}",
            b"{\"boot_id\":\"\\udc00\",\"pid_ns\":\"\",\"pid\":1,\"start\":1,\"tool\":\"\"}",
            b"{\"boot_id\":\"\xff\",\"pid_ns\":\"\",\"pid\":1,\"start\":1,\"tool\":\"\"}",
        ] {
            assert_eq!(read(doc), serde_read(doc), "{}", String::from_utf8_lossy(doc));
        }
    }
}
