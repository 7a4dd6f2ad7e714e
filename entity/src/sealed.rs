//! [`Sealed`]: a text column stored as an envelope, sealed on write and opened on read; the
//! keyring and the envelope are the `secrets` crate's, re-exported here.

use std::fmt;
use std::marker::PhantomData;

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value};

pub use secrets::*;

/// Names the column a [`Sealed`] value belongs to (`schema.table.column`), the associated
/// data of its envelope: a value sealed for one column does not open in another.
pub trait SealedColumn {
    /// `schema.table.column`, as [`ColumnRef::qualified`] writes it.
    const COLUMN: &'static str;
}

/// Plaintext in Rust, an AES-256-GCM envelope in the database.
///
/// Built with [`Sealed::seal`] (the process keyring) or [`Sealed::seal_with`], it holds both
/// the plaintext and the envelope, so writing it needs no key. Read from a row it is opened
/// with the process keyring ([`process_keyring`]); a missing key, a wrong key or an
/// altered value is a query error naming the column, never garbage text. Two values are equal
/// when their plaintexts are; `Debug` shows neither.
pub struct Sealed<C> {
    plaintext: String,
    envelope: String,
    column: PhantomData<fn() -> C>,
}

impl<C: SealedColumn> Sealed<C> {
    /// `plaintext` sealed with the process keyring's current key.
    pub fn seal(plaintext: impl Into<String>) -> Result<Sealed<C>, SealError> {
        Ok(Sealed::seal_with(process_keyring()?, plaintext))
    }

    /// `plaintext` sealed with `ring`'s current key.
    pub fn seal_with(ring: &Keyring, plaintext: impl Into<String>) -> Sealed<C> {
        let plaintext = plaintext.into();
        let envelope = ring.seal(C::COLUMN, plaintext.as_bytes());
        Sealed {
            plaintext,
            envelope,
            column: PhantomData,
        }
    }

    /// The value of a stored `envelope`, opened with `ring`.
    pub fn open_with(ring: &Keyring, envelope: String) -> Result<Sealed<C>, SealError> {
        let plaintext = String::from_utf8(ring.open(C::COLUMN, &envelope)?).map_err(|_| {
            SealError::NotSealed {
                column: C::COLUMN.into(),
            }
        })?;
        Ok(Sealed {
            plaintext,
            envelope,
            column: PhantomData,
        })
    }

    /// The plaintext.
    pub fn as_str(&self) -> &str {
        &self.plaintext
    }

    /// The plaintext, owned.
    pub fn into_string(self) -> String {
        self.plaintext
    }

    /// The envelope as stored.
    pub fn envelope(&self) -> &str {
        &self.envelope
    }

    /// The id of the key the value is sealed with.
    pub fn key_id(&self) -> &str {
        key_id_of(&self.envelope).expect("a Sealed value holds a valid envelope")
    }
}

impl<C> Clone for Sealed<C> {
    fn clone(&self) -> Self {
        Sealed {
            plaintext: self.plaintext.clone(),
            envelope: self.envelope.clone(),
            column: PhantomData,
        }
    }
}

impl<C> PartialEq for Sealed<C> {
    fn eq(&self, other: &Self) -> bool {
        self.plaintext == other.plaintext
    }
}

impl<C> Eq for Sealed<C> {}

impl<C> fmt::Debug for Sealed<C> {
    // Medical text must not reach logs through a model's Debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed(<{} bytes>)", self.plaintext.len())
    }
}

impl<C> From<Sealed<C>> for Value {
    fn from(value: Sealed<C>) -> Value {
        Value::String(Some(value.envelope))
    }
}

/// The process keyring's opening of `envelope`, as the error type SeaORM's decoding expects.
fn open_stored<C: SealedColumn>(envelope: String) -> Result<Sealed<C>, SealError> {
    Sealed::open_with(process_keyring()?, envelope)
}

impl<C: SealedColumn> TryGetable for Sealed<C> {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let envelope = String::try_get_by(res, index)?;
        open_stored(envelope).map_err(|e| TryGetError::DbErr(DbErr::Type(e.to_string())))
    }
}

impl<C: SealedColumn> ValueType for Sealed<C> {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        let envelope = <String as ValueType>::try_from(v)?;
        open_stored(envelope).map_err(|_| ValueTypeErr)
    }

    fn type_name() -> String {
        "Sealed".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::Text
    }
}

impl<C> Nullable for Sealed<C> {
    fn null() -> Value {
        Value::String(None)
    }
}

impl<C> sea_orm::IntoActiveValue<Sealed<C>> for Sealed<C> {
    fn into_active_value(self) -> sea_orm::ActiveValue<Sealed<C>> {
        sea_orm::ActiveValue::Set(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Reaction;
    impl SealedColumn for Reaction {
        const COLUMN: &'static str = "health.allergies.reaction";
    }

    #[test]
    fn the_column_type_holds_plaintext_and_envelope_and_hides_both_from_debug() {
        let ring = Keyring::new("k1", &[1; 32]).unwrap();
        let value = Sealed::<Reaction>::seal_with(&ring, "wheezing");
        assert_eq!(value.as_str(), "wheezing");
        assert_eq!(value.key_id(), "k1");
        assert_eq!(
            ring.open(Reaction::COLUMN, value.envelope()).unwrap(),
            b"wheezing"
        );
        assert_eq!(format!("{value:?}"), "Sealed(<8 bytes>)");
        let reopened = Sealed::<Reaction>::open_with(&ring, value.envelope().into()).unwrap();
        assert_eq!(reopened, value);
        let stored = Value::from(value.clone());
        assert_eq!(stored, Value::String(Some(value.envelope().into())));
    }

    #[test]
    fn the_markers_name_exactly_the_medical_columns() {
        let mut markers = crate::health::SEALED_MARKERS.to_vec();
        let mut listed: Vec<String> = MEDICAL_COLUMNS.iter().map(ColumnRef::qualified).collect();
        markers.sort_unstable();
        listed.sort();
        assert_eq!(markers, listed);
    }
}
