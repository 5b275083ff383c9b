//! Fields of the objects JS hands in (options, a response's status, what a sweeper found),
//! read as serde-wasm-bindgen's `from_value` read them into structs, with the same results
//! and the same messages, without serde's deserializer: that, and the f64 formatting its
//! messages used, were 24 kB (10 kB gzipped) of the wasm module every export loads. A
//! struct's fields are read in their declared order and the first bad one is the error, as
//! serde did; the tests hold both equal on awkward values.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// An object whose fields are read, or the error for `what` (serde's name for the struct,
/// `struct Name`) when the value is none.
pub(super) struct Object<'a>(&'a JsValue);

pub(super) fn object<'a>(v: &'a JsValue, what: &str) -> Result<Object<'a>, String> {
    if v.is_object() {
        Ok(Object(v))
    } else {
        Err(invalid_type(v, what))
    }
}

impl Object<'_> {
    /// Field `key`: `None` when the object has no such property (undefined and not `in`
    /// it); an own or inherited property otherwise, whatever its value.
    pub fn field(&self, key: &str) -> Result<Option<JsValue>, JsValue> {
        let key = JsValue::from_str(key);
        let v = js_sys::Reflect::get(self.0, &key)?;
        if v.is_undefined() && !js_sys::Reflect::has(self.0.unchecked_ref(), &key)? {
            return Ok(None);
        }
        Ok(Some(v))
    }

    /// Field `key`, undefined when absent (serde-wasm-bindgen's `preserve`).
    pub fn any(&self, key: &str) -> Result<JsValue, JsValue> {
        Ok(self.field(key)?.unwrap_or(JsValue::UNDEFINED))
    }

    /// A string field, `None` when absent; undefined or null is the error a `String` gets.
    pub fn string(&self, key: &str) -> Result<Option<String>, Fail> {
        self.field(key)?.map(|v| string(&v)).transpose()
    }

    /// An optional string: absent, undefined or null are `None`.
    pub fn opt_string(&self, key: &str) -> Result<Option<String>, Fail> {
        self.present(key)?.map(|v| string(&v)).transpose()
    }

    /// A number field (`f64`), `None` when absent.
    pub fn f64(&self, key: &str) -> Result<Option<f64>, Fail> {
        self.field(key)?.map(|v| number(&v)).transpose()
    }

    /// An optional number: absent, undefined or null are `None`.
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, Fail> {
        self.present(key)?.map(|v| number(&v)).transpose()
    }

    /// An optional boolean: absent, undefined or null are `None`.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, Fail> {
        self.present(key)?
            .map(|v| v.as_bool().ok_or_else(|| invalid_type(&v, "a boolean")))
            .transpose()
            .map_err(Fail::Invalid)
    }

    /// Field `key` unless absent, undefined or null (an `Option`'s `None`).
    fn present(&self, key: &str) -> Result<Option<JsValue>, JsValue> {
        Ok(self.field(key)?.filter(|v| !v.loose_eq(&JsValue::NULL)))
    }
}

/// Why a field could not be read: a wrong type (serde's message), or an exception JS threw
/// while it was read (a getter's), passed on as it is.
pub(super) enum Fail {
    Invalid(String),
    Thrown(JsValue),
}

impl From<JsValue> for Fail {
    fn from(e: JsValue) -> Self {
        Fail::Thrown(e)
    }
}

impl From<String> for Fail {
    fn from(e: String) -> Self {
        Fail::Invalid(e)
    }
}

impl Fail {
    /// The exception for JS: a wrong type becomes `wrong(message)`.
    pub fn into_js(self, wrong: impl FnOnce(String) -> JsValue) -> JsValue {
        match self {
            Fail::Invalid(m) => wrong(m),
            Fail::Thrown(e) => e,
        }
    }
}

fn string(v: &JsValue) -> Result<String, Fail> {
    v.as_string()
        .ok_or_else(|| Fail::Invalid(invalid_type(v, "a string")))
}

fn number(v: &JsValue) -> Result<f64, Fail> {
    v.as_f64()
        .ok_or_else(|| Fail::Invalid(invalid_type(v, "f64")))
}

/// serde's "invalid type" message, as serde-wasm-bindgen's error showed it (a JS `Error`
/// made a string: `Error: ...`), for `v` where `expected` was wanted.
fn invalid_type(v: &JsValue, expected: &str) -> String {
    let got = if v.loose_eq(&JsValue::NULL) {
        "unit value".to_string()
    } else if let Some(b) = v.as_bool() {
        format!("boolean `{b}`")
    } else if let Some(x) = v.as_f64() {
        let mut shown = float_text(x);
        if x.is_finite() && !shown.contains('.') {
            shown.push_str(".0");
        }
        format!("floating point `{shown}`")
    } else if let Some(s) = v.as_string() {
        format!("string {s:?}")
    } else if v.is_instance_of::<js_sys::Uint8Array>() || v.is_instance_of::<js_sys::ArrayBuffer>()
    {
        "byte array".to_string()
    } else {
        format!("{v:?}")
    };
    format!("Error: invalid type: {got}, expected {expected}")
}

/// `x` as Rust's `{}` shows an f64: the fewest digits that read back as `x`, the closer
/// of two when both do, the larger when they are as close; never in exponent form; `NaN`,
/// `inf`, `-0`. JS finds the same digits (`Number.prototype.toString`) but for that last
/// tie, which it gives to the even one: its `toPrecision`, which rounds ties up, settles
/// those. Formatting here keeps Rust's float formatting (15 kB) out of the module.
pub(super) fn float_text(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x.is_infinite() {
        return format!("{sign}inf");
    }
    let n = js_sys::Number::from(x.abs());
    let shortest = plain(&String::from(
        n.to_string_with_radix(10).unwrap_or_default(),
    ));
    let digits = shortest
        .trim_matches(|c| c == '0' || c == '.')
        .replace('.', "");
    let up = n
        .to_precision(digits.len().max(1) as u8)
        .map(|s| plain(&String::from(s)))
        .unwrap_or_default();
    let tie = up != shortest && js_sys::parse_float(&up) == x.abs();
    format!("{sign}{}", if tie { up } else { shortest })
}

/// A JS number's text without its exponent: `1.5e-7` is `0.00000015`, `1e+21` is `1` and
/// 21 zeros.
fn plain(js: &str) -> String {
    let Some((mantissa, exp)) = js.split_once('e') else {
        return js.to_string();
    };
    let digits = mantissa.replace('.', "");
    let point = 1 + exp.parse::<i32>().unwrap_or(0);
    if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// What serde-wasm-bindgen read these fields into, the reference.
    #[derive(serde::Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct Mirror {
        #[serde(with = "serde_wasm_bindgen::preserve")]
        any: JsValue,
        text: String,
        opt_text: Option<String>,
        number: f64,
        opt_number: Option<f64>,
        opt_flag: Option<bool>,
    }

    type Fields = (
        JsValue,
        String,
        Option<String>,
        f64,
        Option<f64>,
        Option<bool>,
    );

    fn serde(v: &JsValue) -> Result<Fields, String> {
        let m: Mirror = serde_wasm_bindgen::from_value(v.clone()).map_err(|e| e.to_string())?;
        let f = (
            m.any,
            m.text,
            m.opt_text,
            m.number,
            m.opt_number,
            m.opt_flag,
        );
        Ok(f)
    }

    fn ours(v: &JsValue) -> Result<Fields, String> {
        let read = || -> Result<Fields, Fail> {
            let o = object(v, "struct Mirror")?;
            Ok((
                o.any("any")?,
                o.string("text")?.unwrap_or_default(),
                o.opt_string("optText")?,
                o.f64("number")?.unwrap_or(0.0),
                o.opt_f64("optNumber")?,
                o.opt_bool("optFlag")?,
            ))
        };
        read().map_err(|e| match e {
            Fail::Invalid(m) => m,
            Fail::Thrown(e) => panic!("thrown: {e:?}"),
        })
    }

    /// Values of every kind JS has, and some that show awkwardly.
    const VALUES: &str = r#"[undefined, null, true, false, 0, -0, 1, 1.5, -2.25, 1e21, 1e-7,
        5e-324, NaN, Infinity, -Infinity, "", "a", "q\"uote\n\u0001é😀", 10n,
        Symbol("s"), () => 1, [], [1, "a"], {}, { x: 1 }, new Uint8Array([1, 2]),
        new ArrayBuffer(3), new Date(0), new Map(), Object.create(null)]"#;

    #[wasm_bindgen_test]
    fn fields_read_as_serde_wasm_bindgen_read_them() {
        let values: js_sys::Array = js_sys::eval(VALUES).unwrap().into();
        let keys = ["any", "text", "optText", "number", "optNumber", "optFlag"];
        let same = |v: &JsValue| {
            let (a, b) = (ours(v), serde(v));
            match (&a, &b) {
                (Ok(x), Ok(y)) => {
                    assert!(js_sys::Object::is(&x.0, &y.0), "{v:?}");
                    assert_eq!(x.1, y.1, "{v:?}");
                    assert_eq!(x.2, y.2, "{v:?}");
                    assert!(x.3 == y.3 || (x.3.is_nan() && y.3.is_nan()), "{v:?}");
                    assert_eq!(x.4.map(f64::to_bits), y.4.map(f64::to_bits), "{v:?}");
                    assert_eq!(x.5, y.5, "{v:?}");
                }
                _ => assert_eq!(a.err(), b.err(), "{v:?}"),
            }
        };
        // Not objects at all.
        for v in values.iter() {
            same(&v);
        }
        // Each field holding each value, set on the object or inherited; and absent.
        same(&js_sys::Object::new().into());
        for key in keys {
            for v in values.iter() {
                let own = js_sys::Object::new();
                js_sys::Reflect::set(&own, &key.into(), &v).unwrap();
                same(&own.clone().into());
                same(&js_sys::Object::create(&own).into());
            }
        }
    }

    #[wasm_bindgen_test]
    fn floats_show_as_rust_shows_them() {
        let mut rng = fastrand::Rng::with_seed(1);
        let edges = [
            0.0,
            -0.0,
            1.0,
            0.1,
            1.5,
            1e21,
            1e20,
            123456789e15,
            1e-7,
            1e-6,
            1.5e-7,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            9007199254740993.0,
            0.3,
            2.0f64.powi(70),
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -1e300,
        ];
        let (mut rng2, mut rng3) = (fastrand::Rng::with_seed(2), fastrand::Rng::with_seed(3));
        let randoms = (0..20_000).map(|_| f64::from_bits(rng.u64(..)));
        let decimals = (0..20_000)
            .map(|_| rng2.i64(-1_000_000..1_000_000) as f64 / 10f64.powi(rng2.i32(-30..30)));
        // Dyadic values of 15-17 digits, where two shortest candidates can tie.
        let ties = (0..20_000).map(|_| rng3.u64(1..1 << 53) as f64 * 2f64.powi(rng3.i32(-60..20)));
        let mut tied = 0;
        for x in edges.into_iter().chain(randoms).chain(decimals).chain(ties) {
            assert_eq!(float_text(x), format!("{x}"), "{:e}", x);
            let js = js_sys::Number::from(x).to_string_with_radix(10).unwrap();
            tied +=
                usize::from(x.is_finite() && x > 0.0 && plain(&String::from(js)) != format!("{x}"));
        }
        // The ties JS breaks otherwise were among them.
        assert!(tied > 10, "{tied}");
    }
}
