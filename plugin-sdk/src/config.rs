//! `Context::config::<T>()`: the plugin's `config:` deserialized into the plugin's own type.
//! Config values are often rendered from templates (`"{{ env \"MEMORY\" }}"` → `"4096"`), so a
//! string where the type wants a number or a bool is parsed as one ("4096", "true").

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};
use serde_json::{Map, Value};

use crate::Context;

impl Context {
    /// The plugin's `config:` as a `T`, e.g. a `#[derive(Deserialize)]` struct of its
    /// settings. Numbers and booleans may be given as strings (`"4096"`, `"true"`). The error
    /// names what did not fit.
    ///
    /// ```no_run
    /// # use ristretto_plugin_sdk::Context;
    /// #[derive(serde::Deserialize)]
    /// struct Settings {
    ///     url: String,
    ///     #[serde(default)]
    ///     max_failures: Option<u32>,
    /// }
    /// # fn hook(ctx: &Context) -> Result<(), String> {
    /// let settings: Settings = ctx.config()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, String> {
        T::deserialize(Lenient(&self.config)).map_err(|e| format!("config: {e}"))
    }
}

/// A JSON value that reads strings as numbers or booleans when asked for those.
struct Lenient<'a>(&'a Value);

type Error = serde_json::Error;

impl Lenient<'_> {
    fn number<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Value::String(text) = self.0 {
            let text = text.trim();
            if let Ok(n) = text.parse::<u64>() {
                return visitor.visit_u64(n);
            }
            if let Ok(n) = text.parse::<i64>() {
                return visitor.visit_i64(n);
            }
            if let Ok(n) = text.parse::<f64>() {
                return visitor.visit_f64(n);
            }
        }
        self.deserialize_any(visitor)
    }
}

macro_rules! numbers {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.number(visitor)
        })*
    };
}

impl<'de> Deserializer<'de> for Lenient<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => n.clone().deserialize_any(visitor),
            Value::String(s) => visitor.visit_str(s),
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            Value::Object(map) => visitor.visit_map(Entries::new(map)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0.as_str().map(str::trim) {
            Some("true") => visitor.visit_bool(true),
            Some("false") => visitor.visit_bool(false),
            _ => self.deserialize_any(visitor),
        }
    }

    numbers!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64);

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.clone().deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// The items of an array, each read leniently.
struct Items<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|value| seed.deserialize(Lenient(value)))
            .transpose()
    }
}

/// The entries of an object, each value read leniently.
struct Entries<'a> {
    entries: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'a> Entries<'a> {
    fn new(map: &'a Map<String, Value>) -> Self {
        Self {
            entries: map.iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                let key: de::value::StrDeserializer<'_, Error> = key.as_str().into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(Lenient(value)),
            None => Err(de::Error::custom(
                "a map value was asked for before its key",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use crate::Context;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Settings {
        memory: u32,
        ratio: f64,
        offset: i32,
        enabled: bool,
        name: String,
        #[serde(default)]
        limit: Option<u64>,
        hosts: Vec<u16>,
    }

    fn context(config: serde_json::Value) -> Context {
        Context {
            cluster: String::new(),
            service: String::new(),
            region: String::new(),
            account: String::new(),
            config_name: String::new(),
            dry_run: false,
            revision: None,
            strategy: String::new(),
            config,
        }
    }

    #[test]
    fn templated_strings_read_as_numbers_and_booleans() {
        let ctx = context(json!({"memory": "4096", "ratio": "0.5", "offset": "-3",
            "enabled": "true", "name": "web", "limit": "10", "hosts": ["80", 443]}));
        let settings: Settings = ctx.config().unwrap();
        assert_eq!(
            settings,
            Settings {
                memory: 4096,
                ratio: 0.5,
                offset: -3,
                enabled: true,
                name: "web".to_owned(),
                limit: Some(10),
                hosts: vec![80, 443],
            }
        );
    }

    #[test]
    fn a_value_that_does_not_fit_is_named() {
        let ctx = context(
            json!({"memory": "lots", "ratio": 1, "offset": 0, "enabled": false,
            "name": "web", "hosts": []}),
        );
        let err = ctx.config::<Settings>().unwrap_err();
        assert!(err.contains("invalid type: string \"lots\""), "{err}");
        let ctx = context(json!({"ratio": 1}));
        let err = ctx.config::<Settings>().unwrap_err();
        assert!(err.contains("missing field `memory`"), "{err}");
    }
}
