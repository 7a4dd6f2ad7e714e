//! The value the generic fill writes into a NOT NULL column without a default, by its type.

use super::catalog::{Column, Table};
use crate::dev::seeded_at;
use crate::seed_id;

/// The value, as an SQL expression, that row `n` (from 1) of `table` takes in `column`; None
/// for a type the fill does not know how to write (`vector`, `bytea`...). Text holds the
/// column's name and `n`, cut to the column's length; numbers are `n`; both stay unique
/// across the rows of one fill.
pub fn value(table: &Table, column: &Column, n: usize) -> Option<String> {
    let at = seeded_at();
    let text = match (column.category.as_str(), column.base.as_str()) {
        ("S", _) => fitted(&column.name, n, column.max_len),
        ("N", _) => n.to_string(),
        ("B", _) => "false".into(),
        ("D", "date") => at.date().to_string(),
        ("D", "time" | "timetz") => at.time().to_string(),
        ("D", _) => at.to_string(),
        ("T", _) => "0".into(),
        ("E", _) => return Some(format!("(enum_range(NULL::{}))[1]", column.base_sql)),
        ("A", _) => "{}".into(),
        ("I", _) => "127.0.0.1".into(),
        ("U", "uuid") => seed_id(
            &format!("generic:{}", table.name),
            &format!("{}/{n}", column.name),
        )
        .to_string(),
        ("U", "json" | "jsonb") => "{}".into(),
        _ => return None,
    };
    Some(literal(&text, &column.sql_type))
}

/// `text` as an SQL literal of type `sql_type`.
pub fn literal(text: &str, sql_type: &str) -> String {
    format!("'{}'::{sql_type}", text.replace('\'', "''"))
}

/// `<name> <n>`, or when longer than `max_len` characters as much of `name` as fits before
/// `n` (only `n`'s last digits when even they do not fit).
fn fitted(name: &str, n: usize, max_len: Option<usize>) -> String {
    let full = format!("{name} {n}");
    let Some(max) = max_len.filter(|max| full.chars().count() > *max) else {
        return full;
    };
    let digits = n.to_string();
    if digits.len() >= max {
        return digits[digits.len() - max..].to_owned();
    }
    let prefix: String = name.chars().take(max - digits.len()).collect();
    prefix + &digits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(sql_type: &str, base: &str, category: &str, max_len: Option<usize>) -> Column {
        Column {
            name: "title".into(),
            sql_type: sql_type.into(),
            base_sql: sql_type.into(),
            base: base.into(),
            category: category.into(),
            max_len,
            not_null: true,
            defaulted: false,
        }
    }

    fn notes() -> Table {
        Table {
            oid: 1,
            name: "public.notes".into(),
            columns: Vec::new(),
            keys: Vec::new(),
        }
    }

    #[test]
    fn text_holds_the_column_and_row_and_fits_its_length() {
        assert_eq!(fitted("title", 2, None), "title 2");
        assert_eq!(fitted("title", 2, Some(7)), "title 2");
        assert_eq!(fitted("title", 12, Some(4)), "ti12");
        assert_eq!(fitted("title", 123, Some(2)), "23");
    }

    #[test]
    fn values_are_literals_cast_to_the_column_type() {
        let text = column("character varying(200)", "varchar", "S", Some(200));
        assert_eq!(
            value(&notes(), &text, 1).as_deref(),
            Some("'title 1'::character varying(200)")
        );
        let kind = column(r#""AlertType""#, "AlertType", "E", None);
        assert_eq!(
            value(&notes(), &kind, 1).as_deref(),
            Some(r#"(enum_range(NULL::"AlertType"))[1]"#)
        );
        let at = column("timestamp without time zone", "timestamp", "D", None);
        assert_eq!(
            value(&notes(), &at, 1).as_deref(),
            Some("'2025-10-22 12:00:00'::timestamp without time zone")
        );
        assert_eq!(literal("it's", "text"), "'it''s'::text");
    }

    #[test]
    fn uuids_are_deterministic_and_differ_by_row() {
        let id = column("uuid", "uuid", "U", None);
        let first = value(&notes(), &id, 1);
        assert_eq!(first, value(&notes(), &id, 1));
        assert_ne!(first, value(&notes(), &id, 2));
    }

    #[test]
    fn vectors_are_left_to_a_filler() {
        let embedding = column("vector(1536)", "vector", "U", None);
        assert_eq!(value(&notes(), &embedding, 1), None);
    }
}
