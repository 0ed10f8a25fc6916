//! `pg_get_keywords()`: the SQL key words and their categories, as
//! PostgreSQL 15 lists them (`keywords.tsv`: word, category code, whether
//! it may be a bare column label). tusk accepts PostgreSQL's grammar, and
//! clients read this list to know which identifiers need quoting.

use super::types::Datum;

/// The rows of `pg_get_keywords()`: word, catcode, barelabel, catdesc, baredesc.
pub fn keyword_rows() -> Vec<Vec<Datum>> {
    include_str!("keywords.tsv")
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let (word, code, bare) = (fields.next()?, fields.next()?, fields.next()? == "t");
            let category = match code {
                "U" => "unreserved",
                "C" => "unreserved (cannot be function or type name)",
                "T" => "reserved (can be function or type name)",
                _ => "reserved",
            };
            Some(vec![
                Datum::Text(word.to_string()),
                Datum::Text(code.to_string()),
                Datum::Bool(bare),
                Datum::Text(category.to_string()),
                Datum::Text(if bare { "can be bare label" } else { "requires AS" }.to_string()),
            ])
        })
        .collect()
}
