//! The SQL-standard views of schema `information_schema`, over the
//! catalogs, with PostgreSQL 15's columns in its order. Bootstrap writes
//! them as it writes the system views ([`super::SYSTEM_VIEWS`]); they are
//! found only by a qualified name (`information_schema.columns`).
//!
//! PostgreSQL types their columns with the domains of the standard; tusk
//! uses the types beneath (the views are written before any domain
//! exists, and clients are sent a domain's base type anyway): `sql_identifier` → `name`,
//! `cardinal_number` → `integer`, `character_data` and `yes_or_no` →
//! `character varying`. A superuser sees every object, so the privilege
//! filters of PostgreSQL's definitions are left out; there are no
//! temporary schemas to hide. Views count as neither insertable nor
//! updatable here (PostgreSQL asks whether each is automatically
//! updatable).

use super::SystemView;
use crate::sql::types::PgType::{self, Int4, Name, Varchar};

/// `information_schema.columns`' columns.
const COLUMNS: &[(&str, PgType)] = &[
    ("table_catalog", Name),
    ("table_schema", Name),
    ("table_name", Name),
    ("column_name", Name),
    ("ordinal_position", Int4),
    ("column_default", Varchar),
    ("is_nullable", Varchar),
    ("data_type", Varchar),
    ("character_maximum_length", Int4),
    ("character_octet_length", Int4),
    ("numeric_precision", Int4),
    ("numeric_precision_radix", Int4),
    ("numeric_scale", Int4),
    ("datetime_precision", Int4),
    ("interval_type", Varchar),
    ("interval_precision", Int4),
    ("character_set_catalog", Name),
    ("character_set_schema", Name),
    ("character_set_name", Name),
    ("collation_catalog", Name),
    ("collation_schema", Name),
    ("collation_name", Name),
    ("domain_catalog", Name),
    ("domain_schema", Name),
    ("domain_name", Name),
    ("udt_catalog", Name),
    ("udt_schema", Name),
    ("udt_name", Name),
    ("scope_catalog", Name),
    ("scope_schema", Name),
    ("scope_name", Name),
    ("maximum_cardinality", Int4),
    ("dtd_identifier", Name),
    ("is_self_referencing", Varchar),
    ("is_identity", Varchar),
    ("identity_generation", Varchar),
    ("identity_start", Varchar),
    ("identity_increment", Varchar),
    ("identity_maximum", Varchar),
    ("identity_minimum", Varchar),
    ("identity_cycle", Varchar),
    ("is_generated", Varchar),
    ("generation_expression", Varchar),
    ("is_updatable", Varchar),
];

/// The one-line CASE of a `pg_constraint` action letter.
macro_rules! fk_rule {
    ($col:literal) => {
        concat!(
            "(CASE ",
            $col,
            " WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' \
             WHEN 'r' THEN 'RESTRICT' WHEN 'a' THEN 'NO ACTION' END)::varchar"
        )
    };
}

pub static INFORMATION_SCHEMA_VIEWS: &[SystemView] = &[
    SystemView {
        name: "schemata",
        oid: 13301,
        columns: &[
            ("catalog_name", Name),
            ("schema_name", Name),
            ("schema_owner", Name),
            ("default_character_set_catalog", Name),
            ("default_character_set_schema", Name),
            ("default_character_set_name", Name),
            ("sql_path", Varchar),
        ],
        sql: "SELECT current_database()::name AS catalog_name, n.nspname AS schema_name, \
              pg_get_userbyid(n.nspowner) AS schema_owner, NULL::name AS default_character_set_catalog, \
              NULL::name AS default_character_set_schema, NULL::name AS default_character_set_name, \
              NULL::varchar AS sql_path \
              FROM pg_namespace n",
    },
    SystemView {
        name: "tables",
        oid: 13303,
        columns: &[
            ("table_catalog", Name),
            ("table_schema", Name),
            ("table_name", Name),
            ("table_type", Varchar),
            ("self_referencing_column_name", Name),
            ("reference_generation", Varchar),
            ("user_defined_type_catalog", Name),
            ("user_defined_type_schema", Name),
            ("user_defined_type_name", Name),
            ("is_insertable_into", Varchar),
            ("is_typed", Varchar),
            ("commit_action", Varchar),
        ],
        sql: "SELECT current_database()::name AS table_catalog, nc.nspname AS table_schema, \
              c.relname AS table_name, \
              (CASE WHEN c.relkind IN ('r', 'p') THEN 'BASE TABLE' WHEN c.relkind = 'v' THEN 'VIEW' \
               WHEN c.relkind = 'f' THEN 'FOREIGN' END)::varchar AS table_type, \
              NULL::name AS self_referencing_column_name, NULL::varchar AS reference_generation, \
              NULL::name AS user_defined_type_catalog, NULL::name AS user_defined_type_schema, \
              NULL::name AS user_defined_type_name, \
              (CASE WHEN c.relkind IN ('r', 'p') THEN 'YES' ELSE 'NO' END)::varchar AS is_insertable_into, \
              (CASE WHEN c.reloftype = 0 THEN 'NO' ELSE 'YES' END)::varchar AS is_typed, \
              NULL::varchar AS commit_action \
              FROM pg_namespace nc JOIN pg_class c ON nc.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'v', 'f', 'p')",
    },
    SystemView {
        name: "columns",
        oid: 13305,
        columns: COLUMNS,
        sql: "SELECT current_database()::name AS table_catalog, nc.nspname AS table_schema, \
              c.relname AS table_name, a.attname AS column_name, a.attnum::int AS ordinal_position, \
              (SELECT pg_get_expr(ad.adbin, ad.adrelid) FROM pg_attrdef ad \
               WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum)::varchar AS column_default, \
              (CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END)::varchar AS is_nullable, \
              (CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN 'ARRAY' \
               WHEN nt.nspname = 'pg_catalog' THEN format_type(a.atttypid, NULL) \
               ELSE 'USER-DEFINED' END)::varchar AS data_type, \
              (CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod <> -1 THEN a.atttypmod - 4 END) \
               AS character_maximum_length, \
              (CASE WHEN a.atttypid IN (25, 1042, 1043) THEN \
                 CASE WHEN a.atttypmod = -1 THEN 1073741824 ELSE (a.atttypmod - 4) * 4 END END) \
               AS character_octet_length, \
              (CASE a.atttypid WHEN 21 THEN 16 WHEN 23 THEN 32 WHEN 20 THEN 64 WHEN 700 THEN 24 WHEN 701 THEN 53 \
               WHEN 1700 THEN CASE WHEN a.atttypmod = -1 THEN NULL ELSE (a.atttypmod - 4) / 65536 END \
               END) AS numeric_precision, \
              (CASE WHEN a.atttypid IN (21, 23, 20, 700, 701) THEN 2 WHEN a.atttypid = 1700 THEN 10 END) \
               AS numeric_precision_radix, \
              (CASE WHEN a.atttypid IN (21, 23, 20) THEN 0 \
               WHEN a.atttypid = 1700 AND a.atttypmod <> -1 THEN (a.atttypmod - 4) % 65536 END) AS numeric_scale, \
              (CASE WHEN a.atttypid = 1082 THEN 0 \
               WHEN a.atttypid IN (1083, 1114, 1184, 1266) THEN \
                 CASE WHEN a.atttypmod < 0 THEN 6 ELSE a.atttypmod END \
               WHEN a.atttypid = 1186 THEN \
                 CASE WHEN a.atttypmod < 0 OR a.atttypmod % 65536 = 65535 THEN 6 ELSE a.atttypmod % 65536 END \
               END) AS datetime_precision, \
              (CASE WHEN a.atttypid = 1186 THEN NULLIF(upper(regexp_replace(format_type(a.atttypid, a.atttypmod), \
                 '^interval(\\([0-9]+\\))? ?', '', 'g')), '') END)::varchar AS interval_type, \
              NULL::int AS interval_precision, \
              NULL::name AS character_set_catalog, NULL::name AS character_set_schema, \
              NULL::name AS character_set_name, \
              (CASE WHEN co.collname IS NOT NULL THEN current_database() END)::name AS collation_catalog, \
              (CASE WHEN co.collname IS NOT NULL THEN 'pg_catalog' END)::name AS collation_schema, \
              co.collname AS collation_name, \
              (CASE WHEN a.attdomain <> 0 THEN current_database() END)::name AS domain_catalog, \
              (SELECT dn.nspname FROM pg_type d JOIN pg_namespace dn ON d.typnamespace = dn.oid \
               WHERE d.oid = a.attdomain) AS domain_schema, \
              (SELECT d.typname FROM pg_type d WHERE d.oid = a.attdomain) AS domain_name, \
              current_database()::name AS udt_catalog, nt.nspname AS udt_schema, t.typname AS udt_name, \
              NULL::name AS scope_catalog, NULL::name AS scope_schema, NULL::name AS scope_name, \
              NULL::int AS maximum_cardinality, a.attnum::text::name AS dtd_identifier, \
              'NO'::varchar AS is_self_referencing, \
              (CASE WHEN a.attidentity IN ('a', 'd') THEN 'YES' ELSE 'NO' END)::varchar AS is_identity, \
              (CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END)::varchar \
               AS identity_generation, \
              seq.seqstart::varchar AS identity_start, seq.seqincrement::varchar AS identity_increment, \
              seq.seqmax::varchar AS identity_maximum, seq.seqmin::varchar AS identity_minimum, \
              (CASE WHEN seq.seqcycle THEN 'YES' ELSE 'NO' END)::varchar AS identity_cycle, \
              'NEVER'::varchar AS is_generated, NULL::varchar AS generation_expression, \
              (CASE WHEN c.relkind IN ('r', 'p') THEN 'YES' ELSE 'NO' END)::varchar AS is_updatable \
              FROM (SELECT a0.attrelid, a0.attname, a0.attnum, a0.attnotnull, a0.attisdropped, a0.attidentity, a0.attcollation, \
                      (CASE WHEN t0.typtype = 'd' THEN t0.typbasetype ELSE a0.atttypid END) AS atttypid, \
                      (CASE WHEN t0.typtype = 'd' THEN t0.typtypmod ELSE a0.atttypmod END) AS atttypmod, \
                      (CASE WHEN t0.typtype = 'd' THEN a0.atttypid ELSE 0::oid END) AS attdomain \
                    FROM pg_attribute a0 JOIN pg_type t0 ON a0.atttypid = t0.oid) a \
              JOIN pg_class c ON a.attrelid = c.oid \
              JOIN pg_namespace nc ON c.relnamespace = nc.oid \
              JOIN pg_type t ON a.atttypid = t.oid JOIN pg_namespace nt ON t.typnamespace = nt.oid \
              LEFT JOIN pg_collation co ON co.oid = a.attcollation AND co.collname <> 'default' \
              LEFT JOIN (SELECT dep.refobjid, dep.refobjsubid, sq.seqstart, sq.seqincrement, sq.seqmax, \
                           sq.seqmin, sq.seqcycle \
                         FROM pg_depend dep JOIN pg_sequence sq ON dep.objid = sq.seqrelid \
                         WHERE dep.classid = 'pg_class'::regclass AND dep.deptype = 'i') seq \
               ON a.attidentity IN ('a', 'd') AND seq.refobjid = c.oid AND seq.refobjsubid = a.attnum \
              WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'f', 'p', 'm')",
    },
    SystemView {
        name: "table_constraints",
        oid: 13307,
        columns: &[
            ("constraint_catalog", Name),
            ("constraint_schema", Name),
            ("constraint_name", Name),
            ("table_catalog", Name),
            ("table_schema", Name),
            ("table_name", Name),
            ("constraint_type", Varchar),
            ("is_deferrable", Varchar),
            ("initially_deferred", Varchar),
            ("enforced", Varchar),
            ("nulls_distinct", Varchar),
        ],
        // Key and foreign-key constraints, then a CHECK for each NOT NULL
        // column, named as PostgreSQL names them.
        sql: "SELECT current_database()::name AS constraint_catalog, nc.nspname AS constraint_schema, \
              c.conname AS constraint_name, current_database()::name AS table_catalog, \
              nr.nspname AS table_schema, r.relname AS table_name, \
              (CASE c.contype WHEN 'c' THEN 'CHECK' WHEN 'f' THEN 'FOREIGN KEY' WHEN 'p' THEN 'PRIMARY KEY' \
               WHEN 'u' THEN 'UNIQUE' END)::varchar AS constraint_type, \
              (CASE WHEN c.condeferrable THEN 'YES' ELSE 'NO' END)::varchar AS is_deferrable, \
              (CASE WHEN c.condeferred THEN 'YES' ELSE 'NO' END)::varchar AS initially_deferred, \
              'YES'::varchar AS enforced, \
              (CASE WHEN c.contype = 'u' THEN \
                 CASE WHEN (SELECT NOT i.indnullsnotdistinct FROM pg_index i WHERE i.indexrelid = c.conindid) \
                 THEN 'YES' ELSE 'NO' END END)::varchar AS nulls_distinct \
              FROM pg_constraint c JOIN pg_class r ON c.conrelid = r.oid \
              JOIN pg_namespace nc ON nc.oid = c.connamespace JOIN pg_namespace nr ON nr.oid = r.relnamespace \
              WHERE c.contype NOT IN ('t', 'x') AND r.relkind IN ('r', 'p') \
              UNION ALL \
              SELECT current_database()::name, nr.nspname, \
              (nr.oid::text || '_' || r.oid::text || '_' || a.attnum::text || '_not_null')::name, \
              current_database()::name, nr.nspname, r.relname, 'CHECK'::varchar, 'NO'::varchar, \
              'NO'::varchar, 'YES'::varchar, NULL::varchar \
              FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid \
              JOIN pg_namespace nr ON nr.oid = r.relnamespace \
              WHERE a.attnotnull AND a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p')",
    },
    SystemView {
        name: "check_constraints",
        oid: 13315,
        columns: &[
            ("constraint_catalog", Name),
            ("constraint_schema", Name),
            ("constraint_name", Name),
            ("check_clause", Varchar),
        ],
        // CHECK constraints, then one for each NOT NULL column, named as
        // PostgreSQL names them.
        sql: "SELECT current_database()::name AS constraint_catalog, rs.nspname AS constraint_schema, \
              con.conname AS constraint_name, \
              substring(pg_get_constraintdef(con.oid) from 7)::varchar AS check_clause \
              FROM pg_constraint con JOIN pg_namespace rs ON rs.oid = con.connamespace \
              JOIN pg_class c ON c.oid = con.conrelid \
              WHERE con.contype = 'c' AND c.relkind IN ('r', 'p') \
              UNION ALL \
              SELECT current_database()::name, n.nspname, \
              (n.oid::text || '_' || r.oid::text || '_' || a.attnum::text || '_not_null')::name, \
              (a.attname || ' IS NOT NULL')::varchar \
              FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid \
              JOIN pg_namespace n ON n.oid = r.relnamespace \
              WHERE a.attnotnull AND a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p')",
    },
    SystemView {
        name: "key_column_usage",
        oid: 13309,
        columns: &[
            ("constraint_catalog", Name),
            ("constraint_schema", Name),
            ("constraint_name", Name),
            ("table_catalog", Name),
            ("table_schema", Name),
            ("table_name", Name),
            ("column_name", Name),
            ("ordinal_position", Int4),
            ("position_in_unique_constraint", Int4),
        ],
        // The key arrays are held in their text form: the k-th element is
        // the k-th comma-separated field (a key has at most 32 columns).
        sql: "SELECT current_database()::name AS constraint_catalog, nc.nspname AS constraint_schema, \
              c.conname AS constraint_name, current_database()::name AS table_catalog, \
              nr.nspname AS table_schema, r.relname AS table_name, a.attname AS column_name, \
              k.i AS ordinal_position, \
              (CASE WHEN c.contype = 'f' THEN \
                 (SELECT u.i FROM pg_constraint pk, generate_series(1, 32) u(i) \
                  WHERE pk.conindid = c.conindid AND pk.conrelid = c.confrelid AND pk.contype IN ('p', 'u') \
                  AND split_part(btrim(pk.conkey::text, '{}'), ',', u.i) \
                      = split_part(btrim(c.confkey::text, '{}'), ',', k.i)) \
               END) AS position_in_unique_constraint \
              FROM pg_constraint c JOIN pg_class r ON c.conrelid = r.oid \
              JOIN pg_namespace nc ON nc.oid = c.connamespace JOIN pg_namespace nr ON nr.oid = r.relnamespace \
              CROSS JOIN generate_series(1, 32) k(i) \
              JOIN pg_attribute a ON a.attrelid = c.conrelid \
              AND a.attnum::text = split_part(btrim(c.conkey::text, '{}'), ',', k.i) \
              WHERE c.contype IN ('p', 'u', 'f') AND r.relkind IN ('r', 'p')",
    },
    SystemView {
        name: "referential_constraints",
        oid: 13311,
        columns: &[
            ("constraint_catalog", Name),
            ("constraint_schema", Name),
            ("constraint_name", Name),
            ("unique_constraint_catalog", Name),
            ("unique_constraint_schema", Name),
            ("unique_constraint_name", Name),
            ("match_option", Varchar),
            ("update_rule", Varchar),
            ("delete_rule", Varchar),
        ],
        sql: concat!(
            "SELECT current_database()::name AS constraint_catalog, ncon.nspname AS constraint_schema, \
             con.conname AS constraint_name, \
             (CASE WHEN npkc.nspname IS NULL THEN NULL ELSE current_database() END)::name \
              AS unique_constraint_catalog, \
             npkc.nspname AS unique_constraint_schema, pkc.conname AS unique_constraint_name, \
             (CASE con.confmatchtype WHEN 'f' THEN 'FULL' WHEN 'p' THEN 'PARTIAL' WHEN 's' THEN 'NONE' END)::varchar \
              AS match_option, ",
            fk_rule!("con.confupdtype"),
            " AS update_rule, ",
            fk_rule!("con.confdeltype"),
            " AS delete_rule \
             FROM pg_constraint con JOIN pg_namespace ncon ON ncon.oid = con.connamespace \
             LEFT JOIN pg_constraint pkc ON pkc.conindid = con.conindid AND pkc.conrelid = con.confrelid \
              AND pkc.contype IN ('p', 'u') \
             LEFT JOIN pg_namespace npkc ON npkc.oid = pkc.connamespace \
             WHERE con.contype = 'f'"
        ),
    },
    SystemView {
        name: "sequences",
        oid: 13317,
        columns: &[
            ("sequence_catalog", Name),
            ("sequence_schema", Name),
            ("sequence_name", Name),
            ("data_type", Varchar),
            ("numeric_precision", Int4),
            ("numeric_precision_radix", Int4),
            ("numeric_scale", Int4),
            ("start_value", Varchar),
            ("minimum_value", Varchar),
            ("maximum_value", Varchar),
            ("increment", Varchar),
            ("cycle_option", Varchar),
        ],
        // An identity column's sequence is left out (it belongs to the
        // column, as pg_depend's 'i' row says).
        sql: "SELECT current_database()::name AS sequence_catalog, nc.nspname AS sequence_schema, \
              c.relname AS sequence_name, format_type(s.seqtypid, NULL)::varchar AS data_type, \
              (CASE s.seqtypid WHEN 21 THEN 16 WHEN 23 THEN 32 WHEN 20 THEN 64 END) AS numeric_precision, \
              2 AS numeric_precision_radix, 0 AS numeric_scale, \
              s.seqstart::varchar AS start_value, s.seqmin::varchar AS minimum_value, \
              s.seqmax::varchar AS maximum_value, s.seqincrement::varchar AS increment, \
              (CASE WHEN s.seqcycle THEN 'YES' ELSE 'NO' END)::varchar AS cycle_option \
              FROM pg_namespace nc JOIN pg_class c ON c.relnamespace = nc.oid \
              JOIN pg_sequence s ON s.seqrelid = c.oid \
              WHERE c.relkind = 'S' AND NOT pg_is_other_temp_schema(nc.oid) \
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                AND d.objid = c.oid AND d.deptype = 'i')",
    },
    SystemView {
        name: "views",
        oid: 13313,
        columns: &[
            ("table_catalog", Name),
            ("table_schema", Name),
            ("table_name", Name),
            ("view_definition", Varchar),
            ("check_option", Varchar),
            ("is_updatable", Varchar),
            ("is_insertable_into", Varchar),
            ("is_trigger_updatable", Varchar),
            ("is_trigger_deletable", Varchar),
            ("is_trigger_insertable_into", Varchar),
        ],
        sql: "SELECT current_database()::name AS table_catalog, nc.nspname AS table_schema, \
              c.relname AS table_name, pg_get_viewdef(c.oid)::varchar AS view_definition, \
              'NONE'::varchar AS check_option, 'NO'::varchar AS is_updatable, \
              'NO'::varchar AS is_insertable_into, 'NO'::varchar AS is_trigger_updatable, \
              'NO'::varchar AS is_trigger_deletable, 'NO'::varchar AS is_trigger_insertable_into \
              FROM pg_namespace nc JOIN pg_class c ON c.relnamespace = nc.oid \
              WHERE c.relkind = 'v'",
    },
];
