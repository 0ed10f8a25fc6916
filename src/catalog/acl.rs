//! Access privileges as PostgreSQL's `acl.c` writes them: an `aclitem`
//! is `grantee=privileges/grantor` (an empty grantee is PUBLIC), each
//! privilege a letter, followed by `*` when it was granted WITH GRANT
//! OPTION. A NULL ACL column means the object's default privileges
//! ([`default_acl`]); the first GRANT or REVOKE writes the default out and
//! changes it.
//!
//! tusk keeps aclitems in their text form, naming roles by name: where
//! PostgreSQL's aclitem holds role OIDs, ALTER ROLE … RENAME TO rewrites
//! the items that name the role, in every database
//! ([`Catalog::rename_role_in_acls`](super::Catalog::rename_role_in_acls)),
//! so that the ACLs show and grant alike under the new name.

use crate::err;
use crate::error::{Error, Result, SqlState};

/// The privilege letters, in the order PostgreSQL prints them.
const LETTERS: &str = "arwdDxtXUCTc";

/// What kind of object an ACL is about (which privileges it can hold).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AclObject {
    Table,
    Sequence,
    Schema,
    Database,
}

impl AclObject {
    /// The letters `ALL [PRIVILEGES]` stands for.
    pub fn all(self) -> &'static str {
        match self {
            AclObject::Table => "arwdDxt",
            AclObject::Sequence => "rwU",
            AclObject::Schema => "UC",
            AclObject::Database => "CTc",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            AclObject::Table => "table",
            AclObject::Sequence => "sequence",
            AclObject::Schema => "schema",
            AclObject::Database => "database",
        }
    }
}

/// The letter of privilege `word` (`SELECT` → `r`).
pub fn privilege_letter(word: &str) -> Option<char> {
    Some(match word.to_ascii_lowercase().as_str() {
        "select" => 'r',
        "insert" => 'a',
        "update" => 'w',
        "delete" => 'd',
        "truncate" => 'D',
        "references" => 'x',
        "trigger" => 't',
        "execute" => 'X',
        "usage" => 'U',
        "create" => 'C',
        "temporary" | "temp" => 'T',
        "connect" => 'c',
        _ => return None,
    })
}

/// One ACL entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclItem {
    /// The role's name; empty for PUBLIC.
    pub grantee: String,
    pub grantor: String,
    /// Granted privileges, each with whether it carries the grant option.
    pub privileges: Vec<(char, bool)>,
}

impl AclItem {
    pub fn parse(text: &str) -> Result<AclItem> {
        let bad = || err!(SqlState::INVALID_TEXT_REPRESENTATION, "invalid aclitem \"{text}\"");
        let (grantee, rest) = text.split_once('=').ok_or_else(bad)?;
        let (privs, grantor) = rest.split_once('/').ok_or_else(bad)?;
        let mut privileges = Vec::new();
        let mut chars = privs.chars().peekable();
        while let Some(c) = chars.next() {
            if !LETTERS.contains(c) {
                return Err(bad());
            }
            let option = chars.next_if_eq(&'*').is_some();
            privileges.push((c, option));
        }
        Ok(AclItem { grantee: grantee.to_string(), grantor: grantor.to_string(), privileges })
    }

    pub fn text(&self) -> String {
        let mut privs = String::new();
        for letter in LETTERS.chars() {
            if let Some((_, option)) = self.privileges.iter().find(|p| p.0 == letter) {
                privs.push(letter);
                if *option {
                    privs.push('*');
                }
            }
        }
        format!("{}={privs}/{}", self.grantee, self.grantor)
    }
}

/// An object's privileges when its ACL is NULL (`acldefault`): its owner
/// holds all of them, and for a database PUBLIC may connect and create
/// temporary tables.
pub fn default_acl(kind: AclObject, owner: &str) -> Vec<AclItem> {
    let all = |who: &str, letters: &str| AclItem {
        grantee: who.to_string(),
        grantor: owner.to_string(),
        privileges: letters.chars().map(|c| (c, false)).collect(),
    };
    match kind {
        AclObject::Database => vec![all("", "Tc"), all(owner, kind.all())],
        _ => vec![all(owner, kind.all())],
    }
}

/// The letters of a GRANT or REVOKE's privilege list for `kind` (`None`:
/// ALL), or 0LP01 for one the object does not have.
pub fn privilege_letters(kind: AclObject, words: Option<&[String]>) -> Result<Vec<char>> {
    let Some(words) = words else { return Ok(kind.all().chars().collect()) };
    let mut out = Vec::new();
    for word in words {
        let letter = privilege_letter(word).filter(|l| kind.all().contains(*l)).ok_or_else(|| {
            err!(
                SqlState::INVALID_GRANT_OPERATION,
                "invalid privilege type {} for {}",
                word.to_uppercase(),
                kind.noun()
            )
        })?;
        if !out.contains(&letter) {
            out.push(letter);
        }
    }
    Ok(out)
}

/// GRANT: `grantee` receives `letters` from `grantor` (with the grant
/// option if `option`); a new entry goes last.
pub fn grant(acl: &mut Vec<AclItem>, grantee: &str, grantor: &str, letters: &[char], option: bool) {
    let at = match acl.iter().position(|i| i.grantee == grantee && i.grantor == grantor) {
        Some(at) => at,
        None => {
            acl.push(AclItem { grantee: grantee.to_string(), grantor: grantor.to_string(), privileges: Vec::new() });
            acl.len() - 1
        }
    };
    let item = &mut acl[at];
    for &l in letters {
        match item.privileges.iter_mut().find(|p| p.0 == l) {
            Some(p) => p.1 |= option,
            None => item.privileges.push((l, option)),
        }
    }
}

/// REVOKE: `grantee` loses `letters` granted by `grantor` (only their
/// grant option if `option_only`); an entry left with none goes.
pub fn revoke(acl: &mut Vec<AclItem>, grantee: &str, grantor: &str, letters: &[char], option_only: bool) {
    for item in acl.iter_mut().filter(|i| i.grantee == grantee && i.grantor == grantor) {
        if option_only {
            item.privileges.iter_mut().filter(|p| letters.contains(&p.0)).for_each(|p| p.1 = false);
        } else {
            item.privileges.retain(|p| !letters.contains(&p.0));
        }
    }
    acl.retain(|i| !i.privileges.is_empty());
}

/// Parse an ACL column's items.
pub fn parse_acl(items: &[String]) -> Result<Vec<AclItem>> {
    items.iter().map(|t| AclItem::parse(t)).collect()
}

/// ALTER ROLE … RENAME TO: the items that name role `old` (as grantee
/// or grantor) name `new` instead; whether any did.
pub fn rename_role(acl: &mut [AclItem], old: &str, new: &str) -> bool {
    let mut renamed = false;
    for item in acl.iter_mut() {
        for who in [&mut item.grantee, &mut item.grantor] {
            if who == old {
                *who = new.to_string();
                renamed = true;
            }
        }
    }
    renamed
}

/// Whether an ACL names role `name` (as grantee or grantor).
pub fn mentions(items: &[String], name: &str) -> bool {
    items.iter().filter_map(|t| AclItem::parse(t).ok()).any(|i| i.grantee == name || i.grantor == name)
}

/// The error for an object the current user may not grant on.
pub fn not_owner(kind: AclObject, name: &str) -> Error {
    err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied for {} {name}", kind.noun())
}

use super::Catalog;
use super::system::SystemCatalog;
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::{deform, form};

/// The catalogs with ACL columns, and which column.
pub fn acl_column(catalog: &SystemCatalog) -> usize {
    match catalog.name {
        "pg_class" => super::PG_CLASS.attno("relacl"),
        "pg_namespace" => super::system::PG_NAMESPACE.attno("nspacl"),
        _ => super::system::PG_DATABASE.attno("datacl"),
    }
}

impl Catalog {
    /// The ACL of the catalog row at `tid` (`None`: NULL, the default).
    pub fn row_acl(&self, catalog: &SystemCatalog, tid: Tid) -> Result<Option<Vec<String>>> {
        let t =
            self.heap(self.catalog_rel(catalog)).fetch(tid)?.ok_or_else(|| Error::internal("catalog row vanished"))?;
        let desc = catalog.desc();
        let Some(bytes) = deform(&desc, &t)[acl_column(catalog)] else { return Ok(None) };
        let array = crate::sql::array::ArrayValue::from_storage(PgType::TextForm(1033), bytes)?;
        Ok(Some(array.items.iter().filter_map(|d| d.as_str().map(str::to_string)).collect()))
    }

    /// GRANT/REVOKE: a new version of the row at `tid` with ACL `items`.
    pub fn set_row_acl(&self, catalog: &SystemCatalog, tid: Tid, items: &[AclItem], xid: u64, cid: u32) -> Result<()> {
        let texts: Vec<String> = items.iter().map(AclItem::text).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let value = match super::system::aclitems(&refs) {
            Datum::Null => None,
            d => Some(d.storage_bytes()),
        };
        let desc = catalog.desc();
        let old =
            self.heap(self.catalog_rel(catalog)).fetch(tid)?.ok_or_else(|| Error::internal("catalog row vanished"))?;
        let mut v: Vec<Option<Vec<u8>>> = deform(&desc, &old).iter().map(|b| b.map(<[u8]>::to_vec)).collect();
        v[acl_column(catalog)] = value;
        let refs: Vec<Option<&[u8]>> = v.iter().map(|b| b.as_deref()).collect();
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let how = crate::storage::heap::Update { check: &check, hot: &|_| Ok(false) };
        self.heap(self.catalog_rel(catalog)).update_checked(tid, xid, cid, &form(&desc, &refs), &how)?;
        Ok(())
    }

    /// The databases: (name, owner, row) for GRANT … ON DATABASE.
    pub fn database_rows_for_acl(&self, who: &super::Reader<'_>) -> Result<Vec<(String, u32, Tid)>> {
        let db = &super::system::PG_DATABASE;
        let desc = db.desc();
        let mut out = Vec::new();
        self.scan(db, who, |tid, t| {
            let v = deform(&desc, t);
            out.push((super::text_of(v[db.attno("datname")]), super::u32_of(v[db.attno("datdba")]), tid));
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_print_as_postgres_prints_them() {
        let mut acl = default_acl(AclObject::Table, "postgres");
        assert_eq!(acl[0].text(), "postgres=arwdDxt/postgres");
        grant(&mut acl, "", "postgres", &['r'], false);
        grant(&mut acl, "alice", "postgres", &['a', 'r'], true);
        let texts: Vec<String> = acl.iter().map(AclItem::text).collect();
        assert_eq!(texts, ["postgres=arwdDxt/postgres", "=r/postgres", "alice=a*r*/postgres"]);
        assert_eq!(AclItem::parse("alice=a*r*/postgres").unwrap(), acl[2]);
        revoke(&mut acl, "alice", "postgres", &['r', 'a'], true);
        assert_eq!(acl[2].text(), "alice=ar/postgres");
        revoke(&mut acl, "", "postgres", &['r'], false);
        assert_eq!(acl.len(), 2);
        assert!(privilege_letters(AclObject::Schema, Some(&["insert".to_string()])).is_err());
        assert_eq!(default_acl(AclObject::Database, "o")[0].text(), "=Tc/o");
    }
}
