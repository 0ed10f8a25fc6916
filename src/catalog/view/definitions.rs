//! The system views' definitions: plain SQL over the catalogs and the
//! functions that expose the server's state (`pg_show_all_settings()`,
//! `pg_stat_get_*`), with their columns as PostgreSQL 15 declares them.
//! Bootstrap writes them into the catalog; every query of a view checks
//! that its query produces exactly the declared columns, and
//! `sql-tests/system_views.slt` queries each one.

use super::SystemView;
use crate::sql::types::PgType::{self, Bool, Float4, Float8, Int4, Int8, Name, Oid, Text, TimestampTz};

/// `text[]`, held in its text form.
const TEXT_ARRAY: PgType = PgType::array_by_oid(1009);
/// `real[]`.
const FLOAT4_ARRAY: PgType = PgType::array_by_oid(1021);
/// `anyarray` (statistics' values), held in its text form.
const ANYARRAY: PgType = PgType::TextForm(2277);

/// A subset of `pg_stat_all_tables`: the rows of `condition`.
macro_rules! stat_tables_where {
    ($condition:literal) => {
        concat!(
            "SELECT relid, schemaname, relname, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, \
             n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd, n_live_tup, n_dead_tup, \
             n_mod_since_analyze, n_ins_since_vacuum, last_vacuum, last_autovacuum, last_analyze, \
             last_autoanalyze, vacuum_count, autovacuum_count, analyze_count, autoanalyze_count \
             FROM pg_stat_all_tables WHERE ",
            $condition
        )
    };
}

/// A subset of `pg_stat_all_indexes`: the rows of `condition`.
macro_rules! stat_indexes_where {
    ($condition:literal) => {
        concat!(
            "SELECT relid, indexrelid, schemaname, relname, indexrelname, idx_scan, idx_tup_read, \
             idx_tup_fetch FROM pg_stat_all_indexes WHERE ",
            $condition
        )
    };
}

pub static SYSTEM_VIEWS: &[SystemView] = &[
    SystemView {
        name: "pg_roles",
        oid: 12013,
        columns: &[
            ("rolname", Name),
            ("rolsuper", Bool),
            ("rolinherit", Bool),
            ("rolcreaterole", Bool),
            ("rolcreatedb", Bool),
            ("rolcanlogin", Bool),
            ("rolreplication", Bool),
            ("rolconnlimit", Int4),
            ("rolpassword", Text),
            ("rolvaliduntil", TimestampTz),
            ("rolbypassrls", Bool),
            ("rolconfig", TEXT_ARRAY),
            ("oid", Oid),
        ],
        sql: "SELECT a.rolname, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, a.rolcanlogin, \
              a.rolreplication, a.rolconnlimit, '********'::text AS rolpassword, a.rolvaliduntil, \
              a.rolbypassrls, s.setconfig AS rolconfig, a.oid \
              FROM pg_authid a LEFT JOIN pg_db_role_setting s ON a.oid = s.setrole AND s.setdatabase = 0",
    },
    SystemView {
        name: "pg_user",
        oid: 12015,
        columns: &[
            ("usename", Name),
            ("usesysid", Oid),
            ("usecreatedb", Bool),
            ("usesuper", Bool),
            ("userepl", Bool),
            ("usebypassrls", Bool),
            ("passwd", Text),
            ("valuntil", TimestampTz),
            ("useconfig", TEXT_ARRAY),
        ],
        sql: "SELECT a.rolname AS usename, a.oid AS usesysid, a.rolcreatedb AS usecreatedb, \
              a.rolsuper AS usesuper, a.rolreplication AS userepl, a.rolbypassrls AS usebypassrls, \
              '********'::text AS passwd, a.rolvaliduntil AS valuntil, \
              s.setconfig AS useconfig \
              FROM pg_authid a LEFT JOIN pg_db_role_setting s ON a.oid = s.setrole AND s.setdatabase = 0 \
              WHERE a.rolcanlogin",
    },
    SystemView {
        name: "pg_tables",
        oid: 12001,
        columns: &[
            ("schemaname", Name),
            ("tablename", Name),
            ("tableowner", Name),
            ("tablespace", Name),
            ("hasindexes", Bool),
            ("hasrules", Bool),
            ("hastriggers", Bool),
            ("rowsecurity", Bool),
        ],
        sql: "SELECT n.nspname AS schemaname, c.relname AS tablename, \
              pg_get_userbyid(c.relowner) AS tableowner, NULL::name AS tablespace, \
              c.relhasindex AS hasindexes, c.relhasrules AS hasrules, \
              c.relhastriggers AS hastriggers, c.relrowsecurity AS rowsecurity \
              FROM pg_class c LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'p')",
    },
    SystemView {
        name: "pg_views",
        oid: 12003,
        columns: &[("schemaname", Name), ("viewname", Name), ("viewowner", Name), ("definition", Text)],
        sql: "SELECT n.nspname AS schemaname, c.relname AS viewname, \
              pg_get_userbyid(c.relowner) AS viewowner, pg_get_viewdef(c.oid) AS definition \
              FROM pg_class c LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind = 'v'",
    },
    SystemView {
        name: "pg_indexes",
        oid: 12005,
        columns: &[
            ("schemaname", Name),
            ("tablename", Name),
            ("indexname", Name),
            ("tablespace", Name),
            ("indexdef", Text),
        ],
        sql: "SELECT n.nspname AS schemaname, c.relname AS tablename, i.relname AS indexname, \
              NULL::name AS tablespace, pg_get_indexdef(i.oid) AS indexdef \
              FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid \
              JOIN pg_class i ON i.oid = x.indexrelid \
              LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'm', 'p') AND i.relkind IN ('i', 'I')",
    },
    SystemView {
        name: "pg_sequences",
        oid: 12048,
        columns: &[
            ("schemaname", Name),
            ("sequencename", Name),
            ("sequenceowner", Name),
            ("data_type", PgType::RegType),
            ("start_value", Int8),
            ("min_value", Int8),
            ("max_value", Int8),
            ("increment_by", Int8),
            ("cycle", Bool),
            ("cache_size", Int8),
            ("last_value", Int8),
        ],
        sql: "SELECT n.nspname AS schemaname, c.relname AS sequencename, \
              pg_get_userbyid(c.relowner) AS sequenceowner, s.seqtypid::regtype AS data_type, \
              s.seqstart AS start_value, s.seqmin AS min_value, s.seqmax AS max_value, \
              s.seqincrement AS increment_by, s.seqcycle AS cycle, s.seqcache AS cache_size, \
              CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE') \
               THEN pg_sequence_last_value(c.oid::regclass) END AS last_value \
              FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid \
              LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE NOT pg_is_other_temp_schema(n.oid) AND c.relkind = 'S'",
    },
    SystemView {
        name: "pg_settings",
        oid: 12007,
        columns: crate::sql::plan::SetFunc::ShowAllSettings.columns(),
        sql: "SELECT a.name, a.setting, a.unit, a.category, a.short_desc, a.extra_desc, a.context, \
              a.vartype, a.source, a.min_val, a.max_val, a.enumvals, a.boot_val, a.reset_val, \
              a.sourcefile, a.sourceline, a.pending_restart \
              FROM pg_show_all_settings() a",
    },
    SystemView {
        name: "pg_locks",
        oid: 12021,
        columns: crate::sql::plan::SetFunc::LockStatus.columns(),
        sql: "SELECT l.locktype, l.database, l.relation, l.page, l.tuple, l.virtualxid, l.transactionid, \
              l.classid, l.objid, l.objsubid, l.virtualtransaction, l.pid, l.mode, l.granted, \
              l.fastpath, l.waitstart \
              FROM pg_lock_status() l",
    },
    // Deviations: client_addr is text (tusk has no inet type), backend_xid
    // and backend_xmin bigint (no xid type); only client sessions are
    // listed, not background processes.
    SystemView {
        name: "pg_stat_activity",
        oid: 12222,
        columns: &[
            ("datid", Oid),
            ("datname", Name),
            ("pid", Int4),
            ("leader_pid", Int4),
            ("usesysid", Oid),
            ("usename", Name),
            ("application_name", Text),
            ("client_addr", Text),
            ("client_hostname", Text),
            ("client_port", Int4),
            ("backend_start", TimestampTz),
            ("xact_start", TimestampTz),
            ("query_start", TimestampTz),
            ("state_change", TimestampTz),
            ("wait_event_type", Text),
            ("wait_event", Text),
            ("state", Text),
            ("backend_xid", Int8),
            ("backend_xmin", Int8),
            ("query_id", Int8),
            ("query", Text),
            ("backend_type", Text),
        ],
        sql: "SELECT s.datid, d.datname, s.pid, s.leader_pid, s.usesysid, u.rolname AS usename, \
              s.application_name, s.client_addr, s.client_hostname, s.client_port, s.backend_start, \
              s.xact_start, s.query_start, s.state_change, s.wait_event_type, s.wait_event, s.state, \
              s.backend_xid, s.backend_xmin, s.query_id, s.query, s.backend_type \
              FROM pg_stat_get_activity(NULL::integer) s \
              LEFT JOIN pg_database d ON s.datid = d.oid \
              LEFT JOIN pg_authid u ON s.usesysid = u.oid",
    },
    SystemView {
        name: "pg_prepared_statements",
        oid: 12019,
        columns: crate::sql::plan::SetFunc::PreparedStatements.columns(),
        sql: "SELECT p.name, p.statement, p.prepare_time, p.parameter_types, p.from_sql, \
              p.generic_plans, p.custom_plans \
              FROM pg_prepared_statement() p",
    },
    SystemView {
        name: "pg_user_mappings",
        oid: 12327,
        columns: &[
            ("umid", Oid),
            ("srvid", Oid),
            ("srvname", Name),
            ("umuser", Oid),
            ("usename", Name),
            ("umoptions", TEXT_ARRAY),
        ],
        // PostgreSQL also shows the options to whoever may use the server
        // (has_server_privilege); tusk has no foreign servers to grant.
        sql: "SELECT u.oid AS umid, s.oid AS srvid, s.srvname, u.umuser, \
              CASE WHEN u.umuser = 0::oid THEN 'public'::name ELSE a.rolname END AS usename, \
              CASE WHEN (u.umuser <> 0::oid AND a.rolname = CURRENT_USER \
                         AND pg_has_role(s.srvowner, 'USAGE')) \
                     OR (u.umuser = 0::oid AND pg_has_role(s.srvowner, 'USAGE')) \
                     OR (SELECT pg_authid.rolsuper FROM pg_authid WHERE pg_authid.rolname = CURRENT_USER) \
                   THEN u.umoptions ELSE NULL::text[] END AS umoptions \
              FROM pg_user_mapping u JOIN pg_foreign_server s ON u.umserver = s.oid \
              LEFT JOIN pg_authid a ON a.oid = u.umuser",
    },
    SystemView {
        name: "pg_stat_all_tables",
        oid: 12009,
        columns: STAT_TABLE_COLUMNS,
        sql: "SELECT c.oid AS relid, n.nspname AS schemaname, c.relname, \
              pg_stat_get_numscans(c.oid) AS seq_scan, \
              pg_stat_get_tuples_returned(c.oid) AS seq_tup_read, \
              (SELECT sum(pg_stat_get_numscans(x.indexrelid)) FROM pg_index x \
               WHERE x.indrelid = c.oid)::bigint AS idx_scan, \
              (SELECT sum(pg_stat_get_tuples_fetched(x.indexrelid)) FROM pg_index x \
               WHERE x.indrelid = c.oid)::bigint + pg_stat_get_tuples_fetched(c.oid) AS idx_tup_fetch, \
              pg_stat_get_tuples_inserted(c.oid) AS n_tup_ins, \
              pg_stat_get_tuples_updated(c.oid) AS n_tup_upd, \
              pg_stat_get_tuples_deleted(c.oid) AS n_tup_del, \
              pg_stat_get_tuples_hot_updated(c.oid) AS n_tup_hot_upd, \
              pg_stat_get_live_tuples(c.oid) AS n_live_tup, \
              pg_stat_get_dead_tuples(c.oid) AS n_dead_tup, \
              pg_stat_get_mod_since_analyze(c.oid) AS n_mod_since_analyze, \
              pg_stat_get_ins_since_vacuum(c.oid) AS n_ins_since_vacuum, \
              pg_stat_get_last_vacuum_time(c.oid) AS last_vacuum, \
              pg_stat_get_last_autovacuum_time(c.oid) AS last_autovacuum, \
              pg_stat_get_last_analyze_time(c.oid) AS last_analyze, \
              pg_stat_get_last_autoanalyze_time(c.oid) AS last_autoanalyze, \
              pg_stat_get_vacuum_count(c.oid) AS vacuum_count, \
              pg_stat_get_autovacuum_count(c.oid) AS autovacuum_count, \
              pg_stat_get_analyze_count(c.oid) AS analyze_count, \
              pg_stat_get_autoanalyze_count(c.oid) AS autoanalyze_count \
              FROM pg_class c LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 't', 'm', 'p')",
    },
    SystemView {
        name: "pg_stat_user_tables",
        oid: 12011,
        columns: STAT_TABLE_COLUMNS,
        sql: stat_tables_where!("schemaname NOT IN ('pg_catalog', 'information_schema')"),
    },
    SystemView {
        name: "pg_stat_sys_tables",
        oid: 12152,
        columns: STAT_TABLE_COLUMNS,
        sql: stat_tables_where!("schemaname IN ('pg_catalog', 'information_schema') OR schemaname ~ '^pg_toast'"),
    },
    SystemView {
        name: "pg_stat_all_indexes",
        oid: 12183,
        columns: STAT_INDEX_COLUMNS,
        sql: "SELECT c.oid AS relid, i.oid AS indexrelid, n.nspname AS schemaname, c.relname, \
              i.relname AS indexrelname, pg_stat_get_numscans(i.oid) AS idx_scan, \
              pg_stat_get_tuples_returned(i.oid) AS idx_tup_read, \
              pg_stat_get_tuples_fetched(i.oid) AS idx_tup_fetch \
              FROM pg_class c JOIN pg_index x ON c.oid = x.indrelid \
              JOIN pg_class i ON i.oid = x.indexrelid \
              LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 't', 'm')",
    },
    SystemView {
        name: "pg_stat_sys_indexes",
        oid: 12188,
        columns: STAT_INDEX_COLUMNS,
        sql: stat_indexes_where!("schemaname IN ('pg_catalog', 'information_schema') OR schemaname ~ '^pg_toast'"),
    },
    SystemView {
        name: "pg_stat_user_indexes",
        oid: 12192,
        columns: STAT_INDEX_COLUMNS,
        sql: stat_indexes_where!(
            "schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname !~ '^pg_toast'"
        ),
    },
    SystemView {
        name: "pg_stat_bgwriter",
        oid: 12289,
        columns: &[
            ("checkpoints_timed", Int8),
            ("checkpoints_req", Int8),
            ("checkpoint_write_time", Float8),
            ("checkpoint_sync_time", Float8),
            ("buffers_checkpoint", Int8),
            ("buffers_clean", Int8),
            ("maxwritten_clean", Int8),
            ("buffers_backend", Int8),
            ("buffers_backend_fsync", Int8),
            ("buffers_alloc", Int8),
            ("stats_reset", TimestampTz),
        ],
        sql: "SELECT pg_stat_get_bgwriter_timed_checkpoints() AS checkpoints_timed, \
              pg_stat_get_bgwriter_requested_checkpoints() AS checkpoints_req, \
              pg_stat_get_checkpoint_write_time() AS checkpoint_write_time, \
              pg_stat_get_checkpoint_sync_time() AS checkpoint_sync_time, \
              pg_stat_get_bgwriter_buf_written_checkpoints() AS buffers_checkpoint, \
              pg_stat_get_bgwriter_buf_written_clean() AS buffers_clean, \
              pg_stat_get_bgwriter_maxwritten_clean() AS maxwritten_clean, \
              pg_stat_get_buf_written_backend() AS buffers_backend, \
              pg_stat_get_buf_fsync_backend() AS buffers_backend_fsync, \
              pg_stat_get_buf_alloc() AS buffers_alloc, \
              pg_stat_get_bgwriter_stat_reset_time() AS stats_reset",
    },
    SystemView {
        // Empty: tusk has no two-phase commit.
        name: "pg_prepared_xacts",
        oid: 12090,
        columns: &[
            ("transaction", PgType::Xid),
            ("gid", Text),
            ("prepared", TimestampTz),
            ("owner", Name),
            ("database", Name),
        ],
        sql: "SELECT NULL::xid AS transaction, NULL::text AS gid, NULL::timestamptz AS prepared, \
              NULL::name AS owner, NULL::name AS database WHERE false",
    },
    SystemView {
        // Empty: tusk has no replication, so no slots and no WAL senders.
        name: "pg_replication_slots",
        oid: 12257,
        columns: &[
            ("slot_name", Name),
            ("plugin", Name),
            ("slot_type", Text),
            ("datoid", Oid),
            ("database", Name),
            ("temporary", Bool),
            ("active", Bool),
            ("active_pid", Int4),
            ("xmin", PgType::Xid),
            ("catalog_xmin", PgType::Xid),
            ("restart_lsn", PgType::PgLsn),
            ("confirmed_flush_lsn", PgType::PgLsn),
            ("wal_status", Text),
            ("safe_wal_size", Int8),
            ("two_phase", Bool),
        ],
        sql: "SELECT NULL::name AS slot_name, NULL::name AS plugin, NULL::text AS slot_type, \
              NULL::oid AS datoid, NULL::name AS database, NULL::boolean AS temporary, \
              NULL::boolean AS active, NULL::integer AS active_pid, NULL::xid AS xmin, \
              NULL::xid AS catalog_xmin, NULL::pg_lsn AS restart_lsn, \
              NULL::pg_lsn AS confirmed_flush_lsn, NULL::text AS wal_status, \
              NULL::bigint AS safe_wal_size, NULL::boolean AS two_phase WHERE false",
    },
    SystemView {
        // Empty: no WAL senders. Deviation: client_addr is text (tusk has
        // no inet type), as in pg_stat_activity.
        name: "pg_stat_replication",
        oid: 12227,
        columns: &[
            ("pid", Int4),
            ("usesysid", Oid),
            ("usename", Name),
            ("application_name", Text),
            ("client_addr", Text),
            ("client_hostname", Text),
            ("client_port", Int4),
            ("backend_start", TimestampTz),
            ("backend_xmin", PgType::Xid),
            ("state", Text),
            ("sent_lsn", PgType::PgLsn),
            ("write_lsn", PgType::PgLsn),
            ("flush_lsn", PgType::PgLsn),
            ("replay_lsn", PgType::PgLsn),
            ("write_lag", PgType::Interval),
            ("flush_lag", PgType::Interval),
            ("replay_lag", PgType::Interval),
            ("sync_priority", Int4),
            ("sync_state", Text),
            ("reply_time", TimestampTz),
        ],
        sql: "SELECT NULL::integer AS pid, NULL::oid AS usesysid, NULL::name AS usename, \
              NULL::text AS application_name, NULL::text AS client_addr, \
              NULL::text AS client_hostname, NULL::integer AS client_port, \
              NULL::timestamptz AS backend_start, NULL::xid AS backend_xmin, NULL::text AS state, \
              NULL::pg_lsn AS sent_lsn, NULL::pg_lsn AS write_lsn, NULL::pg_lsn AS flush_lsn, \
              NULL::pg_lsn AS replay_lsn, NULL::interval AS write_lag, \
              NULL::interval AS flush_lag, NULL::interval AS replay_lag, \
              NULL::integer AS sync_priority, NULL::text AS sync_state, \
              NULL::timestamptz AS reply_time WHERE false",
    },
    SystemView {
        // Empty: tusk has no extensions to install (CREATE EXTENSION is 0A000).
        name: "pg_available_extensions",
        oid: 12081,
        columns: &[("name", Name), ("default_version", Text), ("installed_version", Text), ("comment", Text)],
        sql: "SELECT NULL::name AS name, NULL::text AS default_version, \
              NULL::text AS installed_version, NULL::text AS comment WHERE false",
    },
    SystemView {
        // Empty: tusk has no materialized views (CREATE MATERIALIZED VIEW
        // is 0A000), so no relation is of kind 'm'.
        name: "pg_matviews",
        oid: 12038,
        columns: &[
            ("schemaname", Name),
            ("matviewname", Name),
            ("matviewowner", Name),
            ("tablespace", Name),
            ("hasindexes", Bool),
            ("ispopulated", Bool),
            ("definition", Text),
        ],
        sql: "SELECT n.nspname AS schemaname, c.relname AS matviewname, \
              pg_get_userbyid(c.relowner) AS matviewowner, NULL::name AS tablespace, \
              c.relhasindex AS hasindexes, c.relispopulated AS ispopulated, \
              pg_get_viewdef(c.oid) AS definition \
              FROM pg_class c LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind = 'm'",
    },
    SystemView {
        // PostgreSQL's columns; the value slots are read by kind (see
        // `catalog::analyze`).
        name: "pg_stats",
        oid: 12017,
        columns: &[
            ("schemaname", Name),
            ("tablename", Name),
            ("attname", Name),
            ("inherited", Bool),
            ("null_frac", Float4),
            ("avg_width", Int4),
            ("n_distinct", Float4),
            ("most_common_vals", ANYARRAY),
            ("most_common_freqs", FLOAT4_ARRAY),
            ("histogram_bounds", ANYARRAY),
            ("correlation", Float4),
            ("most_common_elems", ANYARRAY),
            ("most_common_elem_freqs", FLOAT4_ARRAY),
            ("elem_count_histogram", FLOAT4_ARRAY),
        ],
        sql: "SELECT n.nspname AS schemaname, c.relname AS tablename, a.attname, \
              s.stainherit AS inherited, s.stanullfrac AS null_frac, s.stawidth AS avg_width, \
              s.stadistinct AS n_distinct, \
              CASE WHEN s.stakind1 = 1 THEN s.stavalues1 WHEN s.stakind2 = 1 THEN s.stavalues2 WHEN s.stakind3 = 1 THEN s.stavalues3 WHEN s.stakind4 = 1 THEN s.stavalues4 WHEN s.stakind5 = 1 THEN s.stavalues5 END AS most_common_vals, \
              CASE WHEN s.stakind1 = 1 THEN s.stanumbers1 WHEN s.stakind2 = 1 THEN s.stanumbers2 WHEN s.stakind3 = 1 THEN s.stanumbers3 WHEN s.stakind4 = 1 THEN s.stanumbers4 WHEN s.stakind5 = 1 THEN s.stanumbers5 END AS most_common_freqs, \
              CASE WHEN s.stakind1 = 2 THEN s.stavalues1 WHEN s.stakind2 = 2 THEN s.stavalues2 WHEN s.stakind3 = 2 THEN s.stavalues3 WHEN s.stakind4 = 2 THEN s.stavalues4 WHEN s.stakind5 = 2 THEN s.stavalues5 END AS histogram_bounds, \
              CASE WHEN s.stakind1 = 3 THEN (s.stanumbers1)[1] WHEN s.stakind2 = 3 THEN (s.stanumbers2)[1] WHEN s.stakind3 = 3 THEN (s.stanumbers3)[1] WHEN s.stakind4 = 3 THEN (s.stanumbers4)[1] WHEN s.stakind5 = 3 THEN (s.stanumbers5)[1] END AS correlation, \
              CASE WHEN s.stakind1 = 4 THEN s.stavalues1 WHEN s.stakind2 = 4 THEN s.stavalues2 WHEN s.stakind3 = 4 THEN s.stavalues3 WHEN s.stakind4 = 4 THEN s.stavalues4 WHEN s.stakind5 = 4 THEN s.stavalues5 END AS most_common_elems, \
              CASE WHEN s.stakind1 = 4 THEN s.stanumbers1 WHEN s.stakind2 = 4 THEN s.stanumbers2 WHEN s.stakind3 = 4 THEN s.stanumbers3 WHEN s.stakind4 = 4 THEN s.stanumbers4 WHEN s.stakind5 = 4 THEN s.stanumbers5 END AS most_common_elem_freqs, \
              CASE WHEN s.stakind1 = 5 THEN s.stanumbers1 WHEN s.stakind2 = 5 THEN s.stanumbers2 WHEN s.stakind3 = 5 THEN s.stanumbers3 WHEN s.stakind4 = 5 THEN s.stanumbers4 WHEN s.stakind5 = 5 THEN s.stanumbers5 END AS elem_count_histogram \
              FROM pg_statistic s JOIN pg_class c ON c.oid = s.starelid \
              JOIN pg_attribute a ON c.oid = a.attrelid AND a.attnum = s.staattnum \
              LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE NOT a.attisdropped",
    },
];

/// The columns of `pg_stat_all_indexes` and its user and system subsets.
const STAT_INDEX_COLUMNS: &[(&str, PgType)] = &[
    ("relid", Oid),
    ("indexrelid", Oid),
    ("schemaname", Name),
    ("relname", Name),
    ("indexrelname", Name),
    ("idx_scan", Int8),
    ("idx_tup_read", Int8),
    ("idx_tup_fetch", Int8),
];

const STAT_TABLE_COLUMNS: &[(&str, PgType)] = &[
    ("relid", Oid),
    ("schemaname", Name),
    ("relname", Name),
    ("seq_scan", Int8),
    ("seq_tup_read", Int8),
    ("idx_scan", Int8),
    ("idx_tup_fetch", Int8),
    ("n_tup_ins", Int8),
    ("n_tup_upd", Int8),
    ("n_tup_del", Int8),
    ("n_tup_hot_upd", Int8),
    ("n_live_tup", Int8),
    ("n_dead_tup", Int8),
    ("n_mod_since_analyze", Int8),
    ("n_ins_since_vacuum", Int8),
    ("last_vacuum", TimestampTz),
    ("last_autovacuum", TimestampTz),
    ("last_analyze", TimestampTz),
    ("last_autoanalyze", TimestampTz),
    ("vacuum_count", Int8),
    ("autovacuum_count", Int8),
    ("analyze_count", Int8),
    ("autoanalyze_count", Int8),
];
