//! Scenario variables: values saved from replies and scripted events, substituted into
//! request bodies and expected fields as `${var}` or `${var|filter}`.

use crate::token;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The variables of one running scenario.
#[derive(Debug, Default)]
pub struct Vars(HashMap<String, String>);

impl Vars {
    /// Sets `name`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// `s` with every `${var}` replaced; filters: `garble` (dots removed, a mangled QR
    /// scan) and `forge` (one signature character changed). An unknown variable or filter,
    /// or an unclosed `${`, is an error in the scenario.
    pub fn subst(&self, s: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some((before, after)) = rest.split_once("${") {
            out.push_str(before);
            let (inner, tail) = after
                .split_once('}')
                .ok_or_else(|| format!("unclosed `${{` in {s:?}"))?;
            let (name, filter) = match inner.split_once('|') {
                Some((name, filter)) => (name, Some(filter)),
                None => (inner, None),
            };
            let v = self
                .0
                .get(name)
                .ok_or_else(|| format!("variable `{name}` is not set (in {s:?})"))?;
            out.push_str(&match filter {
                None => v.clone(),
                Some("garble") => token::garble(v),
                Some("forge") => token::forge_signature(v)
                    .ok_or_else(|| format!("`{name}` has no signature to forge: {v:?}"))?,
                Some(f) => return Err(format!("unknown filter `{f}` (garble, forge)")),
            });
            rest = tail;
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A TOML value as JSON, with variables substituted in every string.
    pub fn to_json(&self, v: &toml::Value) -> Result<Value, String> {
        Ok(match v {
            toml::Value::String(s) => Value::String(self.subst(s)?),
            toml::Value::Integer(i) => json!(i),
            toml::Value::Float(f) => json!(f),
            toml::Value::Boolean(b) => json!(b),
            toml::Value::Datetime(d) => json!(d.to_string()),
            toml::Value::Array(a) => Value::Array(
                a.iter()
                    .map(|x| self.to_json(x))
                    .collect::<Result<_, _>>()?,
            ),
            toml::Value::Table(t) => Value::Object(
                t.iter()
                    .map(|(k, x)| Ok((k.clone(), self.to_json(x)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }
}

/// Equality, except that an expected object only needs its own keys to match (also inside
/// lists, which must have as many elements).
pub fn subset(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|x| subset(v, x))),
        // A list matches element by element, with exactly as many elements: a repeated
        // settings operation that lists an entry twice fails.
        (Value::Array(w), Value::Array(g)) => {
            w.len() == g.len() && w.iter().zip(g).all(|(a, b)| subset(a, b))
        }
        _ => want == got,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_and_filters() {
        let mut v = Vars::default();
        v.set("t", "AAA.BBB.CAD");
        assert_eq!(v.subst("x ${t} y").unwrap(), "x AAA.BBB.CAD y");
        assert_eq!(v.subst("${t|garble}").unwrap(), "AAABBBCAD");
        assert_eq!(v.subst("${t|forge}").unwrap(), "AAA.BBB.CBD");
        assert!(v
            .subst("${none}")
            .unwrap_err()
            .contains("`none` is not set"));
        assert!(v
            .subst("${t|rot13}")
            .unwrap_err()
            .contains("unknown filter"));
        assert!(v.subst("${t").unwrap_err().contains("unclosed"));
        assert!(subset(&json!({ "a": 1 }), &json!({ "a": 1, "b": 2 })));
    }
}
