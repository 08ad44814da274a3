//! How much YAML one text may hold once its aliases are expanded: a few hundred bytes of
//! anchors and aliases (`&a [*b, *b, ...]`, "billion laughs") expand to billions of values,
//! and serde_yaml only refuses an expansion a hundred times the text's own size. Counted
//! before anything is built, so that a YAML bomb is refused in milliseconds, not after
//! gigabytes.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess};
use serde::de::{VariantAccess, Visitor};

/// The most values (scalars, lists, mappings) one file or config may hold, aliases expanded:
/// far above any stack's manifests (a ConfigMap's text is one value), far below what would
/// take seconds and gigabytes to build.
pub(crate) const MAX_VALUES: usize = 1_000_000;

/// Refuses `text` (all its documents) when it holds more than [`MAX_VALUES`] values once
/// aliases are expanded, with what to do. Text that is not YAML passes: the parse that
/// follows says what is wrong with it.
pub(crate) fn check_expanded_size(text: &str) -> Result<(), String> {
    let counted = Cell::new(0);
    for document in serde_yaml::Deserializer::from_str(text) {
        if let Err(e) = Count(&counted).deserialize(document) {
            if counted.get() > MAX_VALUES || e.to_string().contains("repetition limit exceeded") {
                return Err(format!(
                    "the YAML holds more than {MAX_VALUES} values once its aliases (`*name`, \
                     each repeating what `&name` holds) are expanded: a YAML bomb, or data no \
                     manifest holds; write the values out, or remove the aliases and the file"
                ));
            }
            return Ok(());
        }
    }
    Ok(())
}

/// Visits every value, counting them; fails past [`MAX_VALUES`].
#[derive(Clone, Copy)]
struct Count<'a>(&'a Cell<usize>);

impl Count<'_> {
    fn spend<E: de::Error>(self) -> Result<(), E> {
        let counted = self.0.get() + 1;
        self.0.set(counted);
        if counted > MAX_VALUES {
            Err(E::custom("too many values"))
        } else {
            Ok(())
        }
    }
}

impl<'de> DeserializeSeed<'de> for Count<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Count<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.spend()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.spend()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.spend()
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.spend()
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.spend()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.spend()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.spend()
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<(), E> {
        self.spend()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.spend()
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.spend()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.spend()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.spend()?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }

    /// A tagged value (`!Tag value`): the tag, then the value.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        self.spend()?;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nine levels of nine aliases each: 9^9 (387 million) strings from 10 lines.
    fn billion_laughs() -> String {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for level in 1..10 {
            let aliases = vec![format!("*a{}", level - 1); 9].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{aliases}]\n"));
        }
        text
    }

    #[track_caller]
    fn assert_refused(text: &str) {
        let why = check_expanded_size(text).expect_err("a text too large once expanded");
        assert!(
            why.contains("more than 1000000 values") && why.contains("aliases"),
            "{why}"
        );
    }

    #[test]
    fn a_billion_laughs_bomb_is_refused_before_it_is_built() {
        assert_refused(&billion_laughs());
    }

    #[test]
    fn a_bomb_serde_yaml_lets_through_is_refused_too() {
        // 20,000 values repeated 99 times: within serde_yaml's hundredfold, past the limit.
        let base = vec!["x"; 20_000].join(", ");
        let aliases = vec!["*base"; 99].join(", ");
        assert!(serde_yaml::from_str::<serde_yaml::Value>(&format!(
            "base: &base [{base}]\nall: [{aliases}]\n"
        ))
        .is_ok());
        assert_refused(&format!("base: &base [{base}]\nall: [{aliases}]\n"));
    }

    #[test]
    fn values_are_counted_across_documents() {
        let document = format!("[{}]\n", vec!["1"; 400_000].join(", "));
        assert!(check_expanded_size(&document).is_ok());
        assert_refused(&format!("{document}---\n{document}---\n{document}"));
    }

    #[test]
    fn ordinary_yaml_tags_and_text_that_is_not_yaml_pass() {
        for text in [
            "",
            "a: &x {b: [1, 2.5, true, ~]}\nc: *x\nd: !Tag {e: f}\n",
            "a: [unclosed",
            "key: *undefined",
        ] {
            assert_eq!(check_expanded_size(text), Ok(()), "{text}");
        }
    }
}
