//! One pattern for every status and kind column: a Rust enum stored as text.
//!
//! `text_enum!` declares the enum with its stored names and gives it what each such type needs:
//! `as_str` and `parse`, `ALL`, `Display`, serde and OpenAPI under the stored names, and diesel's
//! `ToSql` / `FromSql` for `Text` on both backends (a name the enum does not know is a
//! deserialisation error, never a silent default). The domain rules live as methods beside each
//! enum, in its capability's module; nothing else in the code writes a state as a string.

/// Declares a text-stored enum: `text_enum! { /// doc \n pub enum Name { /// doc \n Variant = "stored", … } }`.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            diesel::AsExpression, diesel::FromSqlRow,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] #[schema(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and API) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value with this stored name, if there is one.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let stored = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
                $name::parse(&stored)
                    .ok_or_else(|| format!("`{stored}` is not a {}", stringify!($name)).into())
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    text_enum! {
        /// A state for the test.
        pub enum Sample {
            FirstOne = "first_one",
            Other = "something-else",
        }
    }

    #[test]
    fn json_the_database_and_the_openapi_schema_all_use_the_stored_names() {
        assert_eq!(serde_json::to_value(Sample::FirstOne).expect("json"), "first_one");
        assert_eq!(serde_json::from_value::<Sample>("something-else".into()).expect("json"), Sample::Other);
        assert_eq!(Sample::parse("first_one"), Some(Sample::FirstOne));
        assert_eq!(Sample::parse("FirstOne"), None);
        let schema = serde_json::to_value(Sample::schema()).expect("schema");
        assert_eq!(schema["enum"], serde_json::json!(["first_one", "something-else"]), "{schema}");
    }
}
