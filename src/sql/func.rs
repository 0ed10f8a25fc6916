//! Built-in functions: how each is typed and what it computes.

pub mod cast;
mod math;
mod string;
mod to_char;

pub use math::{MathFunc, Trig};
pub use string::StrFunc;

use super::bytea;
use super::datetime::{self, Source};
use super::expr::{EvalContext, Expr, eval};
use super::regtypes::RegKind;
use super::types::{Datum, PgType};
use crate::catalog::comment::CommentTarget;
use crate::catalog::{SizeOf, describe, opclass, proc};
use crate::err;
use crate::error::{Result, SqlState};
use crate::storage::smgr::Fork;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// A cast function (`int8(x)`, `text(x)`): the type it casts to (see [`cast`]).
    Cast(PgType),
    /// `(r).f` of a composite value: the field's place (0-based). NULL
    /// for a NULL row.
    FieldSelect(u16),
    /// `json_populate_record(base, json)` (`false`) and
    /// `jsonb_populate_record(base, jsonb)` (`true`): a value of the base's
    /// composite type from an object's keys.
    PopulateRecord(bool),
    Version,
    CurrentSetting,
    SetConfig,
    PgSleep,
    PgBackendPid,
    /// A function of one row of the server's state, as a record
    /// (`pg_control_checkpoint()`, …); in FROM, its columns.
    StateRow(super::plan::SetFunc),
    /// `pg_blocking_pids(pid)` (`false`), `pg_safe_snapshot_blocking_pids(pid)` (`true`).
    BlockingPids(bool),
    /// `pg_cancel_backend(pid)` (`false`), `pg_terminate_backend(pid [, timeout])` (`true`).
    SignalBackend(bool),
    Abs,
    Length,
    OctetLength,
    Repeat,
    Md5,
    Lower,
    Upper,
    Coalesce,
    NullIf,
    Round,
    Substr,
    Power,
    /// `now()`, `transaction_timestamp()`: the transaction's start, fixed
    /// while it runs.
    Now,
    /// `current_timestamp` and `current_timestamp(p)`: as `now()`, at
    /// precision `p`.
    CurrentTimestamp,
    StatementTimestamp,
    ClockTimestamp,
    CurrentDate,
    LocalTimestamp,
    LocalTime,
    /// `current_time`: the transaction's start as a timetz in the
    /// session zone.
    CurrentTime,
    /// `date_part(text, …)`: float8.
    DatePart,
    /// `extract(field from …)`: numeric.
    Extract,
    DateTrunc,
    MakeDate,
    IsFinite,
    /// `timezone(zone, …)`, `… AT TIME ZONE zone`.
    Timezone,
    Age,
    JustifyDays,
    JustifyHours,
    /// The `pg_advisory_*` family; `shared` for the `_shared` variants.
    Advisory(AdvisoryOp, bool),
    /// `current_user`, `user`, `current_role`: the role `SET ROLE` chose,
    /// or else the session user.
    CurrentUser,
    /// `session_user`: who logged in (or whom `SET SESSION AUTHORIZATION`
    /// named).
    SessionUser,
    /// `pg_has_role([user,] role, privilege)`.
    PgHasRole,
    /// `current_database()`, `current_catalog`.
    CurrentDatabase,
    /// `pg_my_temp_schema()`: the session's temporary schema, 0 while it
    /// has none.
    PgMyTempSchema,
    /// `pg_is_other_temp_schema(oid)`: a temporary schema, not the session's.
    PgIsOtherTempSchema,
    /// `current_schema`: the first schema of the search path that exists.
    CurrentSchema,
    /// `enum_first`, `enum_last`, `enum_range` (see [`super::enums`]).
    Enum(super::enums::EnumFunc),
    /// `current_schemas(include_implicit)`: `name[]`, in its text form.
    CurrentSchemas,
    PgTableIsVisible,
    FormatType,
    PgGetIndexdef,
    /// `pg_relation_size`, `pg_table_size`, `pg_indexes_size`, `pg_total_relation_size`.
    RelationSize(RelSize),
    /// `pg_column_size(any)`: the bytes a value takes stored, as a table
    /// column's value (`true`: the argument is a column) or as a value
    /// computed in memory (see [`column_size`]).
    ColumnSize(bool),
    PgGetUserById,
    /// `obj_description`, `col_description`: the comment `COMMENT ON` set
    /// (see [`crate::catalog::comment`]).
    ObjDescription,
    ColDescription,
    /// `pg_get_viewdef(view [, pretty])`, by OID or by name.
    PgGetViewdef,
    /// `pg_stat_get_*(oid)`: a table's or index's activity counter.
    PgStat(StatCounter),
    /// `pg_stat_get_bgwriter_*()` and kin: the writers' counters, behind
    /// `pg_stat_bgwriter`.
    Bgwriter(BgwriterStat),
    /// The POSIX regular-expression match operators `~`, `~*`, `!~`, `!~*`.
    RegexMatch {
        case_insensitive: bool,
        negated: bool,
    },
    /// `pg_get_expr(node_tree, relation [, pretty])`: tusk's node trees are
    /// SQL text already.
    PgGetExpr,
    /// `pg_get_ruledef(rule [, pretty])`: a view's `_RETURN` rule as a
    /// CREATE RULE statement.
    PgGetRuledef,
    /// `bytea || bytea`.
    ByteaCat,
    /// The pg_lsn operators and the WAL position functions (see [`super::lsn`]).
    Lsn(super::lsn::LsnFunc),
    /// The transaction-id and snapshot functions (see [`super::xid8`]).
    Xact(super::xid8::XactFunc),
    /// `position(needle in haystack)`, `strpos(haystack, needle)`: the
    /// binder puts the haystack first.
    Position,
    /// `split_part(text, delimiter, n)`: the n-th field (from the end if negative).
    SplitPart,
    Encode,
    Decode,
    GetByte,
    SetByte,
    /// `sha224`, `sha256`, `sha384`, `sha512` of a bytea (the digest bits).
    Sha(u16),
    ConvertTo,
    ConvertFrom,
    GetBit,
    SetBit,
    BitCount,
    /// `btrim`, `ltrim`, `rtrim`, `trim([both | leading | trailing] …)`:
    /// whether the leading and the trailing end are trimmed.
    Trim(bool, bool),
    /// `overlay(s placing r from n [for m])`, of text or bytea.
    Overlay,
    /// `nextval`, `currval`, `setval`, `lastval`.
    Sequence(SeqFunc),
    /// `pg_get_serial_sequence(table, column)`.
    PgGetSerialSequence,
    /// `pg_get_constraintdef(constraint [, pretty])`.
    PgGetConstraintdef,
    PgEncodingToChar,
    PgCharToEncoding,
    PgTypeIsVisible,
    PgFunctionIsVisible,
    PgOperatorIsVisible,
    PgOpclassIsVisible,
    PgOpfamilyIsVisible,
    /// `pg_ts_{config,dict,parser,template}_is_visible`: there are no text
    /// search objects, so never (NULL, as for an unknown OID).
    PgTsIsVisible,
    /// `pg_get_functiondef(oid)`: the `CREATE OR REPLACE FUNCTION` text.
    PgGetFunctiondef,
    PgGetFunctionResult,
    /// `pg_get_function_arguments`, or (`true`) `pg_get_function_identity_arguments`.
    PgGetFunctionArguments(bool),
    /// `has_table_privilege`, `has_schema_privilege`, `has_database_privilege`.
    HasPrivilege(PrivilegeOn),
    PgTablespaceLocation,
    PgSizePretty,
    PgDatabaseSize,
    QuoteIdent,
    PgPostmasterStartTime,
    ShobjDescription,
    /// `pg_get_triggerdef(trigger [, pretty])`: tusk has no triggers.
    PgGetTriggerdef,
    /// `pg_get_statisticsobjdef_columns(statistics object)`: tusk has no
    /// extended statistics.
    PgGetStatisticsobjdefColumns,
    PgRelationIsPublishable,
    /// `to_regproc(text)`, `to_regnamespace(text)`, …: the object a name
    /// names, or NULL when there is none (see [`super::regtypes`]).
    ToReg(super::regtypes::RegKind),
    /// `to_regclass(text)`.
    ToRegclass,
    /// The relations `pg_partition_ancestors(regclass)` gives, as a
    /// `regclass[]` (the binder unnests it in FROM).
    PartitionAncestors,
    /// An array operator or function (see [`super::array_fn`]).
    Array(super::array_fn::ArrayFn),
    /// A json/jsonb operator or function, or `gen_random_uuid` (see [`super::json_fn`]).
    Json(super::json_fn::JsonFn),
    /// The string functions of [`string`].
    Str(StrFunc),
    /// The mathematical functions of [`math`].
    Math(MathFunc),
    /// `greatest(…)`, `least(…)`: typed as CASE is, NULLs ignored.
    Greatest,
    Least,
    /// `to_char(timestamp, template)` (see [`to_char`]).
    ToChar,
    /// `num_nulls(…)`, `num_nonnulls(…)`: arguments of any type.
    NumNulls,
    NumNonNulls,
}

/// What a `has_*_privilege` function asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrivilegeOn {
    Table,
    /// `has_column_privilege`: a table's privilege, asked of one column.
    Column,
    Sequence,
    Schema,
    Database,
}

/// The sequence functions (see [`crate::storage::sequence`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqFunc {
    Nextval,
    Currval,
    Setval,
    Lastval,
    /// `pg_sequence_last_value(regclass)`: the sequence's last value, NULL
    /// before its first `nextval` (what `pg_sequences` shows).
    LastValue,
}

/// The counters behind `pg_stat_all_tables`, one `pg_stat_get_*`
/// function each (see [`crate::catalog::stats`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatCounter {
    NumScans,
    TuplesReturned,
    TuplesFetched,
    TuplesInserted,
    TuplesUpdated,
    TuplesDeleted,
    TuplesHotUpdated,
    LiveTuples,
    DeadTuples,
    ModSinceAnalyze,
    InsSinceVacuum,
    LastVacuumTime,
    LastAutovacuumTime,
    LastAnalyzeTime,
    LastAutoanalyzeTime,
    VacuumCount,
    AutovacuumCount,
    AnalyzeCount,
    AutoanalyzeCount,
}

/// Each counter's function, `pg_stat_get_<name>`.
const STAT_COUNTERS: &[(&str, StatCounter)] = {
    use StatCounter::*;
    &[
        ("numscans", NumScans),
        ("tuples_returned", TuplesReturned),
        ("tuples_fetched", TuplesFetched),
        ("tuples_inserted", TuplesInserted),
        ("tuples_updated", TuplesUpdated),
        ("tuples_deleted", TuplesDeleted),
        ("tuples_hot_updated", TuplesHotUpdated),
        ("live_tuples", LiveTuples),
        ("dead_tuples", DeadTuples),
        ("mod_since_analyze", ModSinceAnalyze),
        ("ins_since_vacuum", InsSinceVacuum),
        ("last_vacuum_time", LastVacuumTime),
        ("last_autovacuum_time", LastAutovacuumTime),
        ("last_analyze_time", LastAnalyzeTime),
        ("last_autoanalyze_time", LastAutoanalyzeTime),
        ("vacuum_count", VacuumCount),
        ("autovacuum_count", AutovacuumCount),
        ("analyze_count", AnalyzeCount),
        ("autoanalyze_count", AutoanalyzeCount),
    ]
};

impl StatCounter {
    fn lookup(name: &str) -> Option<StatCounter> {
        let name = name.strip_prefix("pg_stat_get_")?;
        STAT_COUNTERS.iter().find(|c| c.0 == name).map(|c| c.1)
    }

    /// Its function's name.
    pub fn function_name(self) -> String {
        let name = STAT_COUNTERS.iter().find(|c| c.1 == self).map_or("", |c| c.0);
        format!("pg_stat_get_{name}")
    }

    /// Whether it is a point in time (timestamptz) rather than a count.
    pub fn is_time(self) -> bool {
        use StatCounter::*;
        matches!(self, LastVacuumTime | LastAutovacuumTime | LastAnalyzeTime | LastAutoanalyzeTime)
    }
}

/// The counters of the checkpointer, background writer and buffer pool
/// behind `pg_stat_bgwriter`, one function each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BgwriterStat {
    TimedCheckpoints,
    RequestedCheckpoints,
    /// Milliseconds checkpoints spent writing pages.
    CheckpointWriteTime,
    /// Milliseconds checkpoints spent syncing files.
    CheckpointSyncTime,
    WrittenByCheckpoints,
    WrittenByBgwriter,
    MaxwrittenClean,
    WrittenByBackends,
    /// Files a backend had to sync itself: none, as the checkpointer syncs
    /// every file written since the last checkpoint.
    BackendFsyncs,
    /// Buffers given a page read from disk.
    Allocated,
    /// When the counters started: the server's start (they live in memory).
    ResetTime,
}

/// `name[]`.
const NAME_ARRAY: PgType = PgType::array_by_oid(1003);
const INT4_ARRAY: PgType = PgType::array_by_oid(1007);
/// `pg_node_tree`, which tusk holds as SQL text.
const PG_NODE_TREE: PgType = PgType::TextForm(194);

/// Which size function (see [`crate::catalog::SizeOf`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelSize {
    Relation,
    Table,
    Indexes,
    Total,
}

/// The functions by name (the `pg_stat_get_*` and advisory-lock families
/// are named by [`STAT_COUNTERS`] and [`Func::advisory`]).
const FUNCTIONS: &[(&str, Func)] = &[
    ("pg_stat_get_bgwriter_timed_checkpoints", Func::Bgwriter(BgwriterStat::TimedCheckpoints)),
    ("pg_stat_get_bgwriter_requested_checkpoints", Func::Bgwriter(BgwriterStat::RequestedCheckpoints)),
    ("pg_stat_get_checkpoint_write_time", Func::Bgwriter(BgwriterStat::CheckpointWriteTime)),
    ("pg_stat_get_checkpoint_sync_time", Func::Bgwriter(BgwriterStat::CheckpointSyncTime)),
    ("pg_stat_get_bgwriter_buf_written_checkpoints", Func::Bgwriter(BgwriterStat::WrittenByCheckpoints)),
    ("pg_stat_get_bgwriter_buf_written_clean", Func::Bgwriter(BgwriterStat::WrittenByBgwriter)),
    ("pg_stat_get_bgwriter_maxwritten_clean", Func::Bgwriter(BgwriterStat::MaxwrittenClean)),
    ("pg_stat_get_buf_written_backend", Func::Bgwriter(BgwriterStat::WrittenByBackends)),
    ("pg_stat_get_buf_fsync_backend", Func::Bgwriter(BgwriterStat::BackendFsyncs)),
    ("pg_stat_get_buf_alloc", Func::Bgwriter(BgwriterStat::Allocated)),
    ("pg_stat_get_bgwriter_stat_reset_time", Func::Bgwriter(BgwriterStat::ResetTime)),
    ("version", Func::Version),
    ("current_setting", Func::CurrentSetting),
    ("set_config", Func::SetConfig),
    ("pg_sleep", Func::PgSleep),
    ("pg_backend_pid", Func::PgBackendPid),
    ("pg_control_checkpoint", Func::StateRow(super::plan::SetFunc::ControlCheckpoint)),
    ("pg_control_system", Func::StateRow(super::plan::SetFunc::ControlSystem)),
    ("pg_control_init", Func::StateRow(super::plan::SetFunc::ControlInit)),
    ("pg_control_recovery", Func::StateRow(super::plan::SetFunc::ControlRecovery)),
    ("pg_blocking_pids", Func::BlockingPids(false)),
    ("pg_safe_snapshot_blocking_pids", Func::BlockingPids(true)),
    ("pg_cancel_backend", Func::SignalBackend(false)),
    ("pg_terminate_backend", Func::SignalBackend(true)),
    ("abs", Func::Abs),
    ("length", Func::Length),
    ("char_length", Func::Length),
    ("character_length", Func::Length),
    ("octet_length", Func::OctetLength),
    ("repeat", Func::Repeat),
    ("md5", Func::Md5),
    ("lower", Func::Lower),
    ("upper", Func::Upper),
    ("coalesce", Func::Coalesce),
    ("nullif", Func::NullIf),
    ("round", Func::Round),
    ("substr", Func::Substr),
    ("substring", Func::Substr),
    ("power", Func::Power),
    ("pow", Func::Power),
    ("now", Func::Now),
    ("transaction_timestamp", Func::Now),
    ("current_timestamp", Func::CurrentTimestamp),
    ("statement_timestamp", Func::StatementTimestamp),
    ("clock_timestamp", Func::ClockTimestamp),
    ("current_date", Func::CurrentDate),
    ("localtimestamp", Func::LocalTimestamp),
    ("localtime", Func::LocalTime),
    ("current_time", Func::CurrentTime),
    ("date_part", Func::DatePart),
    ("date_trunc", Func::DateTrunc),
    ("make_date", Func::MakeDate),
    ("isfinite", Func::IsFinite),
    ("timezone", Func::Timezone),
    ("age", Func::Age),
    ("justify_days", Func::JustifyDays),
    ("justify_hours", Func::JustifyHours),
    ("current_user", Func::CurrentUser),
    ("session_user", Func::SessionUser),
    ("pg_has_role", Func::PgHasRole),
    ("user", Func::CurrentUser),
    ("current_role", Func::CurrentUser),
    ("current_database", Func::CurrentDatabase),
    ("current_catalog", Func::CurrentDatabase),
    ("pg_my_temp_schema", Func::PgMyTempSchema),
    ("pg_is_other_temp_schema", Func::PgIsOtherTempSchema),
    ("current_schema", Func::CurrentSchema),
    ("current_schemas", Func::CurrentSchemas),
    ("pg_table_is_visible", Func::PgTableIsVisible),
    ("format_type", Func::FormatType),
    ("pg_get_indexdef", Func::PgGetIndexdef),
    ("pg_relation_size", Func::RelationSize(RelSize::Relation)),
    ("pg_column_size", Func::ColumnSize(false)),
    ("pg_table_size", Func::RelationSize(RelSize::Table)),
    ("pg_indexes_size", Func::RelationSize(RelSize::Indexes)),
    ("pg_total_relation_size", Func::RelationSize(RelSize::Total)),
    ("pg_get_userbyid", Func::PgGetUserById),
    ("obj_description", Func::ObjDescription),
    ("col_description", Func::ColDescription),
    ("pg_get_viewdef", Func::PgGetViewdef),
    ("pg_get_expr", Func::PgGetExpr),
    ("pg_get_ruledef", Func::PgGetRuledef),
    ("strpos", Func::Position),
    ("split_part", Func::SplitPart),
    ("encode", Func::Encode),
    ("decode", Func::Decode),
    ("get_byte", Func::GetByte),
    ("set_byte", Func::SetByte),
    ("sha224", Func::Sha(224)),
    ("sha256", Func::Sha(256)),
    ("sha384", Func::Sha(384)),
    ("sha512", Func::Sha(512)),
    ("convert_to", Func::ConvertTo),
    ("convert_from", Func::ConvertFrom),
    ("get_bit", Func::GetBit),
    ("set_bit", Func::SetBit),
    ("bit_count", Func::BitCount),
    ("btrim", Func::Trim(true, true)),
    ("ltrim", Func::Trim(true, false)),
    ("rtrim", Func::Trim(false, true)),
    ("overlay", Func::Overlay),
    ("nextval", Func::Sequence(SeqFunc::Nextval)),
    ("currval", Func::Sequence(SeqFunc::Currval)),
    ("setval", Func::Sequence(SeqFunc::Setval)),
    ("lastval", Func::Sequence(SeqFunc::Lastval)),
    ("pg_sequence_last_value", Func::Sequence(SeqFunc::LastValue)),
    ("pg_get_serial_sequence", Func::PgGetSerialSequence),
    ("greatest", Func::Greatest),
    ("least", Func::Least),
    ("num_nulls", Func::NumNulls),
    ("num_nonnulls", Func::NumNonNulls),
    ("to_char", Func::ToChar),
    ("pg_get_constraintdef", Func::PgGetConstraintdef),
    ("pg_encoding_to_char", Func::PgEncodingToChar),
    ("pg_char_to_encoding", Func::PgCharToEncoding),
    ("pg_type_is_visible", Func::PgTypeIsVisible),
    ("pg_function_is_visible", Func::PgFunctionIsVisible),
    ("pg_operator_is_visible", Func::PgOperatorIsVisible),
    ("pg_opclass_is_visible", Func::PgOpclassIsVisible),
    ("pg_opfamily_is_visible", Func::PgOpfamilyIsVisible),
    ("pg_ts_config_is_visible", Func::PgTsIsVisible),
    ("pg_ts_dict_is_visible", Func::PgTsIsVisible),
    ("pg_ts_parser_is_visible", Func::PgTsIsVisible),
    ("pg_ts_template_is_visible", Func::PgTsIsVisible),
    ("pg_get_functiondef", Func::PgGetFunctiondef),
    ("pg_get_function_result", Func::PgGetFunctionResult),
    ("pg_get_function_arguments", Func::PgGetFunctionArguments(false)),
    ("pg_get_function_identity_arguments", Func::PgGetFunctionArguments(true)),
    ("has_table_privilege", Func::HasPrivilege(PrivilegeOn::Table)),
    ("has_schema_privilege", Func::HasPrivilege(PrivilegeOn::Schema)),
    ("has_database_privilege", Func::HasPrivilege(PrivilegeOn::Database)),
    ("has_sequence_privilege", Func::HasPrivilege(PrivilegeOn::Sequence)),
    ("has_column_privilege", Func::HasPrivilege(PrivilegeOn::Column)),
    ("pg_tablespace_location", Func::PgTablespaceLocation),
    ("pg_size_pretty", Func::PgSizePretty),
    ("pg_database_size", Func::PgDatabaseSize),
    ("quote_ident", Func::QuoteIdent),
    ("pg_postmaster_start_time", Func::PgPostmasterStartTime),
    ("shobj_description", Func::ShobjDescription),
    ("pg_get_triggerdef", Func::PgGetTriggerdef),
    ("pg_get_statisticsobjdef_columns", Func::PgGetStatisticsobjdefColumns),
    ("pg_relation_is_publishable", Func::PgRelationIsPublishable),
    ("to_regclass", Func::ToRegclass),
    ("to_regtype", Func::ToReg(RegKind::Type)),
    ("to_regproc", Func::ToReg(RegKind::Proc)),
    ("to_regprocedure", Func::ToReg(RegKind::Procedure)),
    ("to_regoper", Func::ToReg(RegKind::Oper)),
    ("to_regoperator", Func::ToReg(RegKind::Operator)),
    ("to_regnamespace", Func::ToReg(RegKind::Namespace)),
    ("to_regrole", Func::ToReg(RegKind::Role)),
    ("to_regcollation", Func::ToReg(RegKind::Collation)),
];

/// What an advisory-lock function does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdvisoryOp {
    /// `pg_advisory_lock`: wait for a session-level lock.
    Lock,
    /// `pg_try_advisory_lock`: take it if free.
    TryLock,
    /// `pg_advisory_xact_lock`: wait for a lock held to the transaction's end.
    XactLock,
    TryXactLock,
    /// `pg_advisory_unlock`: release one session-level acquisition.
    Unlock,
    /// `pg_advisory_unlock_all`: release every session-level one.
    UnlockAll,
}

impl Func {
    pub fn lookup(name: &str) -> Option<Func> {
        if let Some(&(_, f)) = FUNCTIONS.iter().find(|(n, _)| *n == name) {
            return Some(f);
        }
        match name.strip_prefix("pg_stat_get_") {
            Some(_) => StatCounter::lookup(name).map(Func::PgStat),
            None => StrFunc::lookup(name)
                .map(Func::Str)
                .or_else(|| MathFunc::lookup(name).map(Func::Math))
                .or_else(|| super::json_fn::JsonFn::lookup(name).map(Func::Json))
                .or_else(|| super::lsn::LsnFunc::lookup(name).map(Func::Lsn))
                .or_else(|| super::xid8::XactFunc::lookup(name).map(Func::Xact))
                .or_else(|| Func::advisory(name))
                .or_else(|| cast::lookup(name).map(Func::Cast)),
        }
    }

    /// Every function by name: what `pg_proc` lists (see
    /// [`crate::catalog::proc`]).
    pub fn registry() -> Vec<(String, Func)> {
        let mut out: Vec<(String, Func)> = FUNCTIONS.iter().map(|&(n, f)| (n.to_string(), f)).collect();
        out.extend(STAT_COUNTERS.iter().map(|&(_, c)| (c.function_name(), Func::PgStat(c))));
        for name in StrFunc::NAMES.iter().chain(MathFunc::NAMES) {
            if let Some(f) = Func::lookup(name) {
                out.push((name.to_string(), f));
            }
        }
        out.extend(super::json_fn::FUNCTIONS.iter().map(|&(n, f)| (n.to_string(), Func::Json(f))));
        out.extend(super::lsn::FUNCTIONS.iter().map(|&(n, f)| (n.to_string(), Func::Lsn(f))));
        out.extend(super::xid8::FUNCTIONS.iter().map(|&(n, f)| (n.to_string(), Func::Xact(f))));
        out.extend(cast::targets().map(|to| (to.typname().to_string(), Func::Cast(to))));
        for base in ["pg_advisory_lock", "pg_try_advisory_lock", "pg_advisory_xact_lock", "pg_try_advisory_xact_lock"]
            .into_iter()
            .chain(["pg_advisory_unlock", "pg_advisory_unlock_all"])
        {
            for name in [base.to_string(), format!("{base}_shared")] {
                if let Some(f) = Func::advisory(&name) {
                    out.push((name, f));
                }
            }
        }
        out
    }

    fn advisory(name: &str) -> Option<Func> {
        let (base, shared) = match name.strip_suffix("_shared") {
            Some(b) => (b, true),
            None => (name, false),
        };
        let op = match base {
            "pg_advisory_lock" => AdvisoryOp::Lock,
            "pg_try_advisory_lock" => AdvisoryOp::TryLock,
            "pg_advisory_xact_lock" => AdvisoryOp::XactLock,
            "pg_try_advisory_xact_lock" => AdvisoryOp::TryXactLock,
            "pg_advisory_unlock" => AdvisoryOp::Unlock,
            "pg_advisory_unlock_all" if !shared => AdvisoryOp::UnlockAll,
            _ => return None,
        };
        Some(Func::Advisory(op, shared))
    }

    /// Whether a call has an effect beyond its value (it must run where
    /// and as often as the query says: never moved, folded or skipped).
    pub fn has_side_effects(self) -> bool {
        matches!(self, Func::PgSleep | Func::SetConfig | Func::Advisory(..) | Func::Sequence(_) | Func::SignalBackend(_))
            // It assigns the transaction its id.
            || matches!(self, Func::Xact(super::xid8::XactFunc::CurrentId { .. }))
            || matches!(self, Func::Math(m) if m.volatile())
            || matches!(self, Func::Json(j) if j.volatile())
    }

    /// PostgreSQL's volatile functions: a call may give another value each
    /// time even within one statement (so ADD COLUMN … DEFAULT evaluates
    /// one per row).
    pub fn is_volatile(self) -> bool {
        self.has_side_effects()
            || matches!(self, Func::ClockTimestamp | Func::BlockingPids(_) | Func::StateRow(_))
            || matches!(self, Func::Lsn(f) if f.volatile())
            || matches!(self, Func::Xact(f) if f.volatile())
    }

    /// Fixed signatures: argument types and result type. `None` for the
    /// functions the binder types from their arguments (abs, coalesce, nullif).
    pub fn signatures(self) -> &'static [(&'static [PgType], PgType)] {
        use PgType::*;
        match self {
            Func::Cast(to) => cast::signatures(to),
            Func::Version => &[(&[], Text)],
            Func::CurrentSetting => &[(&[Text], Text), (&[Text, Bool], Text)],
            Func::SetConfig => &[(&[Text, Text, Bool], Text)],
            Func::PgSleep => &[(&[Float8], Void)],
            Func::SignalBackend(false) => &[(&[Int4], Bool)],
            Func::SignalBackend(true) => &[(&[Int4], Bool), (&[Int4, Int8], Bool)],
            Func::PgBackendPid => &[(&[], Int4)],
            Func::StateRow(_) => &[(&[], Record)],
            Func::BlockingPids(_) => &[(&[Int4], INT4_ARRAY)],
            Func::Advisory(AdvisoryOp::UnlockAll, _) => &[(&[], Void)],
            Func::Advisory(AdvisoryOp::Lock | AdvisoryOp::XactLock, _) => &[(&[Int8], Void), (&[Int4, Int4], Void)],
            Func::Advisory(..) => &[(&[Int8], Bool), (&[Int4, Int4], Bool)],
            Func::Abs => &[
                (&[Int2], Int2),
                (&[Int4], Int4),
                (&[Int8], Int8),
                (&[Float4], Float4),
                (&[Float8], Float8),
                (&[Numeric], Numeric),
            ],
            Func::Round => &[(&[Float8], Float8), (&[Numeric], Numeric), (&[Numeric, Int4], Numeric)],
            Func::Substr => &[
                (&[Text, Int4], Text),
                (&[Text, Int4, Int4], Text),
                (&[Bytea, Int4], Bytea),
                (&[Bytea, Int4, Int4], Bytea),
            ],
            Func::Power => &[(&[Float8, Float8], Float8), (&[Numeric, Numeric], Numeric)],
            Func::Length => &[(&[Text], Int4), (&[Bytea], Int4)],
            // `bpcharoctetlen`: a character(n) value's bytes, padding included.
            Func::OctetLength => &[(&[Text], Int4), (&[Bytea], Int4), (&[Bpchar], Int4)],
            Func::Repeat => &[(&[Text, Int4], Text)],
            Func::Md5 => &[(&[Text], Text), (&[Bytea], Text)],
            Func::Lower | Func::Upper => &[(&[Text], Text)],
            Func::Coalesce | Func::NullIf => &[],
            Func::Now | Func::StatementTimestamp | Func::ClockTimestamp => &[(&[], TimestampTz)],
            Func::CurrentDate => &[(&[], Date)],
            // With a precision: `localtime(2)`.
            Func::LocalTimestamp => &[(&[], Timestamp), (&[Int4], Timestamp)],
            Func::CurrentTimestamp => &[(&[], TimestampTz), (&[Int4], TimestampTz)],
            Func::LocalTime => &[(&[], Time), (&[Int4], Time)],
            Func::CurrentTime => &[(&[], TimeTz), (&[Int4], TimeTz)],
            Func::DatePart => &[
                (&[Text, TimestampTz], Float8),
                (&[Text, Timestamp], Float8),
                (&[Text, Date], Float8),
                (&[Text, Time], Float8),
                (&[Text, TimeTz], Float8),
                (&[Text, Interval], Float8),
            ],
            Func::Extract => &[
                (&[Text, TimestampTz], Numeric),
                (&[Text, Timestamp], Numeric),
                (&[Text, Date], Numeric),
                (&[Text, Time], Numeric),
                (&[Text, TimeTz], Numeric),
                (&[Text, Interval], Numeric),
            ],
            Func::DateTrunc => {
                &[(&[Text, TimestampTz], TimestampTz), (&[Text, Timestamp], Timestamp), (&[Text, Interval], Interval)]
            }
            Func::MakeDate => &[(&[Int4, Int4, Int4], Date)],
            Func::IsFinite => &[(&[TimestampTz], Bool), (&[Timestamp], Bool), (&[Date], Bool), (&[Interval], Bool)],
            Func::Timezone => &[
                (&[Text, TimestampTz], Timestamp),
                (&[Text, Timestamp], TimestampTz),
                (&[Text, TimeTz], TimeTz),
                (&[Interval, TimeTz], TimeTz),
            ],
            Func::Age => &[
                (&[TimestampTz, TimestampTz], Interval),
                (&[Timestamp, Timestamp], Interval),
                (&[TimestampTz], Interval),
                (&[Timestamp], Interval),
            ],
            Func::JustifyDays | Func::JustifyHours => &[(&[Interval], Interval)],
            Func::CurrentUser | Func::SessionUser | Func::CurrentDatabase | Func::CurrentSchema => &[(&[], Name)],
            // Bound by the binder from the argument's enum type.
            Func::Enum(_) | Func::FieldSelect(_) | Func::PopulateRecord(_) => &[],
            Func::CurrentSchemas => &[(&[Bool], NAME_ARRAY)],
            Func::PgMyTempSchema => &[(&[], Oid)],
            Func::PgIsOtherTempSchema => &[(&[Oid], Bool)],
            Func::PgTableIsVisible => &[(&[Oid], Bool)],
            Func::FormatType => &[(&[Oid, Int4], Text)],
            Func::PgGetIndexdef => &[(&[Oid], Text), (&[Oid, Int4, Bool], Text)],
            Func::RelationSize(RelSize::Relation) => &[(&[RegClass], Int8), (&[RegClass, Text], Int8)],
            Func::RelationSize(_) => &[(&[RegClass], Int8)],
            // Of any type: typed by the binder.
            Func::ColumnSize(_) => &[],
            Func::PgGetUserById => &[(&[Oid], Name)],
            Func::ObjDescription => &[(&[Oid], Text), (&[Oid, Name], Text)],
            Func::ColDescription => &[(&[Oid, Int4], Text)],
            Func::PgGetViewdef => &[(&[Text], Text), (&[Text, Bool], Text), (&[Oid], Text), (&[Oid, Bool], Text)],
            Func::PgStat(c) if c.is_time() => &[(&[Oid], TimestampTz)],
            Func::PgStat(_) => &[(&[Oid], Int8)],
            Func::Bgwriter(BgwriterStat::CheckpointWriteTime | BgwriterStat::CheckpointSyncTime) => &[(&[], Float8)],
            Func::Bgwriter(BgwriterStat::ResetTime) => &[(&[], TimestampTz)],
            Func::Bgwriter(_) => &[(&[], Int8)],
            Func::RegexMatch { .. } => &[(&[Text, Text], Bool)],
            Func::PgGetExpr => &[(&[PG_NODE_TREE, Oid], Text), (&[PG_NODE_TREE, Oid, Bool], Text)],
            Func::PgGetRuledef => &[(&[Oid], Text), (&[Oid, Bool], Text)],
            Func::ByteaCat => &[(&[Bytea, Bytea], Bytea)],
            Func::Position => &[(&[Text, Text], Int4), (&[Bytea, Bytea], Int4)],
            Func::SplitPart => &[(&[Text, Text, Int4], Text)],
            Func::Encode => &[(&[Bytea, Text], Text)],
            Func::Decode => &[(&[Text, Text], Bytea)],
            Func::GetByte => &[(&[Bytea, Int4], Int4)],
            Func::SetByte => &[(&[Bytea, Int4, Int4], Bytea)],
            Func::Sha(_) => &[(&[Bytea], Bytea)],
            Func::ConvertTo => &[(&[Text, Name], Bytea)],
            Func::ConvertFrom => &[(&[Bytea, Name], Text)],
            Func::GetBit => &[(&[Bytea, Int8], Int4)],
            Func::SetBit => &[(&[Bytea, Int8, Int4], Bytea)],
            Func::BitCount => &[(&[Bytea], Int8)],
            Func::Trim(..) => &[(&[Text], Text), (&[Text, Text], Text), (&[Bytea, Bytea], Bytea)],
            Func::Overlay => &[
                (&[Text, Text, Int4, Int4], Text),
                (&[Text, Text, Int4], Text),
                (&[Bytea, Bytea, Int4, Int4], Bytea),
                (&[Bytea, Bytea, Int4], Bytea),
            ],
            Func::Sequence(SeqFunc::Nextval | SeqFunc::Currval | SeqFunc::LastValue) => &[(&[RegClass], Int8)],
            Func::Sequence(SeqFunc::Setval) => &[(&[RegClass, Int8], Int8), (&[RegClass, Int8, Bool], Int8)],
            Func::Sequence(SeqFunc::Lastval) => &[(&[], Int8)],
            Func::PgGetSerialSequence => &[(&[Text, Text], Text)],
            Func::PgGetConstraintdef => &[(&[Oid], Text), (&[Oid, Bool], Text)],
            Func::PgEncodingToChar => &[(&[Int4], Name)],
            Func::PgCharToEncoding => &[(&[Name], Int4)],
            Func::PgTypeIsVisible
            | Func::PgFunctionIsVisible
            | Func::PgOperatorIsVisible
            | Func::PgOpclassIsVisible
            | Func::PgOpfamilyIsVisible
            | Func::PgTsIsVisible => &[(&[Oid], Bool)],
            Func::PgGetFunctionResult | Func::PgGetFunctionArguments(_) | Func::PgGetFunctiondef => &[(&[Oid], Text)],
            Func::HasPrivilege(PrivilegeOn::Column) => &[
                (&[Text, Text, Text], Bool),
                (&[Oid, Text, Text], Bool),
                (&[Text, Int2, Text], Bool),
                (&[Oid, Int2, Text], Bool),
                (&[Name, Text, Text, Text], Bool),
                (&[Name, Oid, Text, Text], Bool),
                (&[Oid, Text, Text, Text], Bool),
                (&[Oid, Oid, Text, Text], Bool),
                (&[Name, Text, Int2, Text], Bool),
                (&[Name, Oid, Int2, Text], Bool),
                (&[Oid, Text, Int2, Text], Bool),
                (&[Oid, Oid, Int2, Text], Bool),
            ],
            Func::HasPrivilege(_) => &[
                (&[Text, Text], Bool),
                (&[Oid, Text], Bool),
                (&[Name, Text, Text], Bool),
                (&[Name, Oid, Text], Bool),
                (&[Oid, Text, Text], Bool),
                (&[Oid, Oid, Text], Bool),
            ],
            Func::PgHasRole => &[
                (&[Name, Text], Bool),
                (&[Oid, Text], Bool),
                (&[Name, Name, Text], Bool),
                (&[Name, Oid, Text], Bool),
                (&[Oid, Name, Text], Bool),
                (&[Oid, Oid, Text], Bool),
            ],
            Func::PgTablespaceLocation => &[(&[Oid], Text)],
            Func::PgSizePretty => &[(&[Int8], Text), (&[Numeric], Text)],
            Func::PgDatabaseSize => &[(&[Name], Int8), (&[Oid], Int8)],
            Func::QuoteIdent => &[(&[Text], Text)],
            Func::PgPostmasterStartTime => &[(&[], TimestampTz)],
            Func::ShobjDescription => &[(&[Oid, Name], Text)],
            Func::PgGetTriggerdef => &[(&[Oid], Text), (&[Oid, Bool], Text)],
            Func::PgGetStatisticsobjdefColumns => &[(&[Oid], Text)],
            Func::PgRelationIsPublishable => &[(&[RegClass], Bool)],
            Func::ToRegclass => &[(&[Text], RegClass)],
            Func::PartitionAncestors => &[],
            Func::ToReg(RegKind::Type) => &[(&[Text], RegType)],
            Func::ToReg(RegKind::Proc) => &[(&[Text], Reg(RegKind::Proc))],
            Func::ToReg(RegKind::Procedure) => &[(&[Text], Reg(RegKind::Procedure))],
            Func::ToReg(RegKind::Oper) => &[(&[Text], Reg(RegKind::Oper))],
            Func::ToReg(RegKind::Operator) => &[(&[Text], Reg(RegKind::Operator))],
            Func::ToReg(RegKind::Namespace) => &[(&[Text], Reg(RegKind::Namespace))],
            Func::ToReg(RegKind::Role) => &[(&[Text], Reg(RegKind::Role))],
            Func::ToReg(RegKind::Collation) => &[(&[Text], Reg(RegKind::Collation))],
            // Typed by the binder from their arguments (binder/array.rs).
            Func::Array(_) => &[],
            Func::Json(f) => f.signatures(),
            Func::Lsn(f) => f.signatures(),
            Func::Xact(f) => f.signatures(),
            Func::Str(f) => f.signatures(),
            Func::Math(f) => f.signatures(),
            Func::Greatest | Func::Least | Func::NumNulls | Func::NumNonNulls => &[],
            Func::ToChar => &[
                (&[TimestampTz, Text], Text),
                (&[Timestamp, Text], Text),
                (&[Numeric, Text], Text),
                (&[Float8, Text], Text),
            ],
        }
    }

    /// Functions whose value is the same throughout a statement (stable,
    /// in PostgreSQL's terms), so an index scan may compute them once.
    /// Whether its result depends on its arguments alone (PostgreSQL's
    /// IMMUTABLE), as index expressions and predicates require.
    pub fn immutable(self) -> bool {
        matches!(
            self,
            Func::Abs
                | Func::Length
                | Func::OctetLength
                | Func::Repeat
                | Func::Md5
                | Func::Lower
                | Func::Upper
                | Func::Coalesce
                | Func::NullIf
                | Func::Round
                | Func::Substr
                | Func::Power
                | Func::MakeDate
                | Func::JustifyDays
                | Func::JustifyHours
                | Func::RegexMatch { .. }
                | Func::ByteaCat
                | Func::Position
                | Func::SplitPart
                | Func::Encode
                | Func::Decode
                | Func::GetByte
                | Func::SetByte
                | Func::Sha(_)
                | Func::ConvertTo
                | Func::ConvertFrom
                | Func::GetBit
                | Func::SetBit
                | Func::BitCount
                | Func::Trim(..)
                | Func::Overlay
                | Func::Greatest
                | Func::Least
                | Func::NumNulls
                | Func::NumNonNulls
                | Func::Array(_)
        ) || matches!(self, Func::Str(f) if f.immutable())
            || matches!(self, Func::Json(j) if !j.volatile() && !matches!(j, super::json_fn::JsonFn::To { .. }
                | super::json_fn::JsonFn::BuildObject { .. }
                | super::json_fn::JsonFn::BuildArray { .. }))
            || matches!(self, Func::Math(f) if !f.volatile())
            || matches!(self, Func::Lsn(f) if f.immutable())
            || matches!(self, Func::Xact(f) if f.immutable())
    }

    pub fn fixed_per_statement(self) -> bool {
        matches!(
            self,
            Func::Now
                | Func::CurrentTimestamp
                | Func::StatementTimestamp
                | Func::CurrentDate
                | Func::LocalTimestamp
                | Func::LocalTime
                | Func::CurrentTime
                | Func::DateTrunc
                | Func::MakeDate
                | Func::Timezone
        )
    }

    /// Strict functions return NULL when any argument is NULL, without running.
    fn strict(self) -> bool {
        !matches!(
            self,
            Func::Coalesce
                | Func::NullIf
                | Func::SetConfig
                | Func::FormatType
                | Func::Array(_)
                | Func::Greatest
                | Func::Least
                | Func::NumNulls
                | Func::NumNonNulls
        ) && !matches!(self, Func::Str(f) if !f.strict())
            && !matches!(self, Func::Json(f) if !f.strict())
    }
}

pub fn call(func: Func, args: &[Expr], ctx: &mut dyn EvalContext) -> Result<Datum> {
    match func {
        Func::Coalesce => {
            for a in args {
                let v = eval(a, ctx)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            return Ok(Datum::Null);
        }
        Func::Enum(f) => return super::enums::call(f, args, ctx),
        Func::PopulateRecord(_) => return super::json_fn::populate_record(args, ctx),
        Func::FieldSelect(i) => {
            return Ok(match eval(&args[0], ctx)? {
                Datum::Record(mut r) if (i as usize) < r.values.len() => r.values.swap_remove(i as usize),
                _ => Datum::Null,
            });
        }
        Func::NullIf => {
            let (a, b) = (eval(&args[0], ctx)?, eval(&args[1], ctx)?);
            let equal = !a.is_null() && !b.is_null() && super::expr::compare(&a, &b).is_eq();
            return Ok(if equal { Datum::Null } else { a });
        }
        _ => {}
    }
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        let v = eval(a, ctx)?;
        if v.is_null() && func.strict() {
            return Ok(Datum::Null);
        }
        values.push(v);
    }
    if let Func::Array(_) | Func::Json(_) = func {
        let tz = ctx.time_zone();
        let style = super::types::TextStyle {
            extra_float_digits: ctx.extra_float_digits(),
            time_zone: &tz,
            bytea_output: ctx.bytea_output(),
        };
        return match func {
            Func::Array(f) => super::array_fn::call(f, values, &style),
            Func::Json(f) => super::json_fn::call(f, values, &style),
            _ => Err(crate::error::Error::internal("not an array or json function")),
        };
    }
    let text = |i: usize| values[i].as_str().unwrap_or("");
    let bytes = |i: usize| match &values[i] {
        Datum::Bytea(b) => b.as_slice(),
        _ => &[],
    };
    Ok(match func {
        Func::Cast(_) => return Err(crate::error::Error::internal("a cast function is bound as its cast")),
        Func::Version => Datum::Text(format!(
            "PostgreSQL 16.0 (tusk {}) on {}-linux, compiled by rustc, 64-bit",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::ARCH
        )),
        Func::CurrentSetting => {
            let missing_ok = values.get(1) == Some(&Datum::Bool(true));
            match ctx.current_setting(text(0), missing_ok)? {
                Some(v) => Datum::Text(v),
                None => Datum::Null,
            }
        }
        Func::SetConfig => {
            if values[0].is_null() {
                return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "SET requires parameter name"));
            }
            let is_local = values[2] == Datum::Bool(true);
            match values[1].as_str() {
                Some(v) => Datum::Text(ctx.set_config(text(0), v, is_local)?),
                None => Datum::Text(ctx.set_config(text(0), "", is_local)?),
            }
        }
        Func::PgSleep => {
            let secs = values[0].as_f64().unwrap_or(0.0);
            sleep(secs, ctx)?;
            Datum::Null
        }
        Func::PgBackendPid => Datum::Int4(ctx.backend_pid()),
        Func::SignalBackend(terminate) => {
            let pid = values[0].as_i64().and_then(|p| i32::try_from(p).ok()).unwrap_or(0);
            let timeout_ms = values.get(1).and_then(Datum::as_i64).unwrap_or(0);
            Datum::Bool(ctx.signal_backend(pid, terminate, timeout_ms)?)
        }
        Func::StateRow(f) => match ctx.set_returning(f)?.into_iter().next() {
            Some(values) => {
                let types = f.columns().iter().map(|c| c.1).collect();
                super::record::RecordValue { types, values }.into_datum()
            }
            None => Datum::Null,
        },
        Func::BlockingPids(safe) => match values[0].as_i64() {
            Some(pid) => {
                let pid = i32::try_from(pid).unwrap_or(0);
                let pids = ctx.blocking_pids(pid, safe)?.into_iter().map(Datum::Int4).collect();
                Datum::Array(Box::new(crate::sql::array::ArrayValue::new(PgType::Int4, pids)))
            }
            _ => Datum::Null,
        },
        Func::Advisory(op, shared) => {
            // One bigint key, or two int4 keys in its halves.
            let key = match values.as_slice() {
                [] => None,
                [Datum::Int8(k)] => Some((*k as u64, false)),
                [Datum::Int4(a), Datum::Int4(b)] => Some((((*a as u32 as u64) << 32) | *b as u32 as u64, true)),
                _ => return Ok(Datum::Null),
            };
            ctx.advisory(op, shared, key)?
        }
        Func::Abs => match &values[0] {
            Datum::Int2(v) => Datum::Int2(v.checked_abs().ok_or_else(|| super::expr::out_of_range(PgType::Int2))?),
            Datum::Int4(v) => Datum::Int4(v.checked_abs().ok_or_else(|| super::expr::out_of_range(PgType::Int4))?),
            Datum::Int8(v) => Datum::Int8(v.checked_abs().ok_or_else(|| super::expr::out_of_range(PgType::Int8))?),
            Datum::Float4(v) => Datum::Float4(v.abs()),
            Datum::Float8(v) => Datum::Float8(v.abs()),
            Datum::Numeric(n) => Datum::Numeric(super::numeric::abs(n)?),
            _ => Datum::Null,
        },
        Func::Round => match &values[0] {
            // round(float8) rounds half to even, like rint().
            Datum::Float8(v) => Datum::Float8(v.round_ties_even()),
            Datum::Numeric(n) => {
                let digits = values.get(1).and_then(Datum::as_i64).unwrap_or(0);
                Datum::Numeric(super::numeric::round(n, digits)?)
            }
            _ => Datum::Null,
        },
        Func::Power if matches!(values[0], Datum::Numeric(_)) => match (&values[0], &values[1]) {
            (Datum::Numeric(x), Datum::Numeric(y)) => Datum::Numeric(super::numeric::power(x, y)?),
            _ => Datum::Null,
        },
        Func::Power => {
            let (x, y) = (values[0].as_f64().unwrap_or(0.0), values[1].as_f64().unwrap_or(0.0));
            if x == 0.0 && y < 0.0 {
                return Err(err!(
                    SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
                    "zero raised to a negative power is undefined"
                ));
            }
            if x < 0.0 && y.fract() != 0.0 {
                return Err(err!(
                    SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
                    "a negative number raised to a non-integer power yields a complex result"
                ));
            }
            let r = x.powf(y);
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow"));
            }
            Datum::Float8(r)
        }
        Func::Substr if matches!(values[0], Datum::Bytea(_)) => {
            let len = values.get(2).map(|l| l.as_i64().unwrap_or(0));
            Datum::Bytea(bytea::substring(bytes(0), values[1].as_i64().unwrap_or(1), len)?)
        }
        Func::Substr => {
            let start = values[1].as_i64().unwrap_or(1);
            let end = match values.get(2) {
                Some(len) => {
                    let len = len.as_i64().unwrap_or(0);
                    if len < 0 {
                        return Err(err!(SqlState::SUBSTRING_ERROR, "negative substring length not allowed"));
                    }
                    Some(start.saturating_add(len))
                }
                None => None,
            };
            let from = start.max(1);
            let out: String = text(0)
                .chars()
                .enumerate()
                .map(|(i, c)| (i as i64 + 1, c))
                .filter(|(p, _)| *p >= from && end.is_none_or(|e| *p < e))
                .map(|(_, c)| c)
                .collect();
            Datum::Text(out)
        }
        Func::Length | Func::OctetLength if matches!(values[0], Datum::Bytea(_)) => Datum::Int4(bytes(0).len() as i32),
        Func::Length => Datum::Int4(text(0).chars().count() as i32),
        Func::OctetLength => Datum::Int4(text(0).len() as i32),
        Func::Repeat => {
            let n = values[1].as_i64().unwrap_or(0).max(0) as usize;
            let s = text(0);
            if s.len().saturating_mul(n) > crate::storage::heap::toast::MAX_VALUE_SIZE {
                return Err(err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "requested length too large"));
            }
            Datum::Text(s.repeat(n))
        }
        Func::Md5 => {
            use md5::Digest;
            let input = match &values[0] {
                Datum::Bytea(b) => b.as_slice(),
                _ => text(0).as_bytes(),
            };
            let digest = md5::Md5::digest(input);
            Datum::Text(digest.iter().map(|b| format!("{b:02x}")).collect())
        }
        Func::Lower => Datum::Text(text(0).to_ascii_lowercase()),
        Func::Upper => Datum::Text(text(0).to_ascii_uppercase()),
        Func::Now => Datum::TimestampTz(ctx.transaction_timestamp()),
        Func::StatementTimestamp => Datum::TimestampTz(ctx.statement_timestamp()),
        Func::ClockTimestamp => Datum::TimestampTz(datetime::now()),
        Func::CurrentDate => {
            Datum::Date(datetime::timestamp_to_date(ctx.time_zone().to_local(ctx.transaction_timestamp()))?)
        }
        Func::LocalTimestamp | Func::LocalTime | Func::CurrentTime | Func::CurrentTimestamp => {
            // The precision is at most 6, as PostgreSQL reduces it.
            let precision = values.first().and_then(Datum::as_i64).map(|p| p.clamp(0, 6) as u32);
            let round = |t: i64| precision.map_or(t, |p| datetime::round_micros(t, p));
            let (now, tz) = (ctx.transaction_timestamp(), ctx.time_zone());
            match func {
                Func::LocalTimestamp => Datum::Timestamp(round(tz.to_local(now))),
                Func::CurrentTimestamp => Datum::TimestampTz(round(now)),
                Func::LocalTime => Datum::Time(datetime::time_of(round(tz.to_local(now)))),
                _ => match datetime::timestamptz_to_timetz(round(now), &tz) {
                    Some((micros, offset_secs)) => Datum::TimeTz { micros, offset_secs },
                    None => Datum::Null,
                },
            }
        }
        Func::DatePart | Func::Extract => {
            let tz = ctx.time_zone();
            let src = match &values[1] {
                Datum::Date(d) => Source::Date(*d),
                Datum::Time(t) => Source::Time(*t),
                Datum::TimeTz { micros, offset_secs } => Source::TimeTz(*micros, *offset_secs),
                Datum::Timestamp(t) => Source::Timestamp(*t),
                Datum::TimestampTz(t) => Source::TimestampTz(*t, &tz),
                Datum::Interval(iv) => Source::Interval(iv),
                _ => return Ok(Datum::Null),
            };
            match datetime::extract(text(0), src)? {
                None => Datum::Null,
                Some(n) if func == Func::Extract => Datum::Numeric(n),
                Some(n) => Datum::Float8(match n.as_str() {
                    "Infinity" => f64::INFINITY,
                    "-Infinity" => f64::NEG_INFINITY,
                    _ => n.parse().unwrap_or(f64::NAN),
                }),
            }
        }
        Func::DateTrunc => match &values[1] {
            Datum::Timestamp(t) => {
                Datum::Timestamp(datetime::trunc_timestamp(text(0), *t, "timestamp without time zone")?)
            }
            Datum::TimestampTz(t) => {
                let tz = ctx.time_zone();
                let local = datetime::trunc_timestamp(text(0), tz.to_local(*t), "timestamp with time zone")?;
                // Units below a day keep the instant's own offset.
                let sub_day = matches!(
                    text(0).to_ascii_lowercase().as_str(),
                    "microseconds"
                        | "microsecond"
                        | "milliseconds"
                        | "millisecond"
                        | "second"
                        | "seconds"
                        | "minute"
                        | "minutes"
                        | "hour"
                        | "hours"
                );
                if sub_day || !datetime::is_finite_ts(local) {
                    Datum::TimestampTz(local - (tz.to_local(*t) - *t))
                } else {
                    Datum::TimestampTz(tz.to_utc(local).ok_or_else(datetime::timestamp_out_of_range)?)
                }
            }
            Datum::Interval(iv) => Datum::Interval(datetime::trunc_interval(text(0), iv)?),
            _ => Datum::Null,
        },
        Func::MakeDate => {
            let (y, m, d) =
                (values[0].as_i64().unwrap_or(0), values[1].as_i64().unwrap_or(0), values[2].as_i64().unwrap_or(0));
            let bad = || err!(SqlState::DATETIME_FIELD_OVERFLOW, "date field value out of range: {y}-{m:02}-{d:02}");
            if y == 0 {
                return Err(bad());
            }
            let year = if y < 0 { y + 1 } else { y } as i32;
            if !(1..=12).contains(&m) || d < 1 || d > datetime::days_in_month(year, m as i32) as i64 {
                return Err(bad());
            }
            let days = datetime::date2j(year, m as i32, d as i32) - datetime::POSTGRES_EPOCH_JDATE as i64;
            Datum::Date(i32::try_from(days).map_err(|_| datetime::date_out_of_range())?)
        }
        Func::IsFinite => Datum::Bool(match &values[0] {
            Datum::Date(d) => datetime::is_finite_date(*d),
            Datum::Timestamp(t) | Datum::TimestampTz(t) => datetime::is_finite_ts(*t),
            _ => true,
        }),
        Func::Timezone => {
            if let Datum::TimeTz { micros, offset_secs } = values[1] {
                let to = match &values[0] {
                    Datum::Interval(iv) => datetime::interval_zone_offset(iv)?,
                    _ => datetime::timetz_zone_offset(&datetime::zone_for_at(text(0))?, ctx.transaction_timestamp()),
                };
                let (micros, offset_secs) = datetime::timetz_at_offset(micros, offset_secs, to);
                return Ok(Datum::TimeTz { micros, offset_secs });
            }
            let zone = datetime::zone_for_at(text(0))?;
            match &values[1] {
                Datum::TimestampTz(t) => Datum::Timestamp(zone.to_local(*t)),
                Datum::Timestamp(t) => {
                    Datum::TimestampTz(zone.to_utc(*t).ok_or_else(datetime::timestamp_out_of_range)?)
                }
                _ => Datum::Null,
            }
        }
        Func::Age => {
            let tz = ctx.time_zone();
            // With one argument: from midnight of the current date.
            let today = || -> Result<i64> {
                let date = datetime::timestamp_to_date(tz.to_local(ctx.transaction_timestamp()))?;
                Ok(date as i64 * datetime::USECS_PER_DAY)
            };
            let (a, b) = match (&values[0], values.get(1)) {
                (Datum::TimestampTz(a), Some(Datum::TimestampTz(b))) => (tz.to_local(*a), tz.to_local(*b)),
                (Datum::Timestamp(a), Some(Datum::Timestamp(b))) => (*a, *b),
                (Datum::TimestampTz(b), None) => (today()?, tz.to_local(*b)),
                (Datum::Timestamp(b), None) => (today()?, *b),
                _ => return Ok(Datum::Null),
            };
            Datum::Interval(datetime::age(a, b)?)
        }
        Func::JustifyDays => match &values[0] {
            Datum::Interval(iv) => Datum::Interval(datetime::justify_days(iv)),
            _ => Datum::Null,
        },
        Func::JustifyHours => match &values[0] {
            Datum::Interval(iv) => Datum::Interval(datetime::justify_hours(iv)),
            _ => Datum::Null,
        },
        Func::CurrentUser => Datum::Text(ctx.session_user()?.to_string()),
        Func::SessionUser => Datum::Text(ctx.authorization_user()?.to_string()),
        Func::PgHasRole => pg_has_role(&values, ctx)?,
        Func::CurrentDatabase => Datum::Text(ctx.current_database()?.to_string()),
        Func::PgMyTempSchema => Datum::Oid(my_temp_schema(ctx)?),
        Func::PgIsOtherTempSchema => {
            let oid = oid_of(&values[0]);
            let temp = ctx.namespace_name(oid)?.is_some_and(|n| crate::catalog::namespace::is_temp_namespace_name(&n));
            Datum::Bool(temp && my_temp_schema(ctx)? != oid)
        }
        Func::CurrentSchema => match ctx.search_path(false)?.into_iter().next() {
            Some((_, name)) => Datum::Text(name),
            None => Datum::Null,
        },
        Func::CurrentSchemas => {
            let items = ctx
                .search_path(values[0] == Datum::Bool(true))?
                .into_iter()
                .map(|(_, n)| Datum::Text(n.to_string()))
                .collect();
            super::array::ArrayValue::new(PgType::Name, items).into_datum()
        }
        // Visible: found first under its own name through the search path,
        // so that regclass prints it unqualified.
        Func::PgTableIsVisible => match ctx.regclass_text(oid_of(&values[0]))? {
            Some(text) => Datum::Bool(crate::catalog::namespace::split_qualified(&text)?.0.is_none()),
            None => Datum::Null,
        },
        Func::FormatType => {
            if values[0].is_null() {
                return Ok(Datum::Null);
            }
            let typmod = values[1].as_i64().map(|t| t as i32);
            let oid = oid_of(&values[0]);
            match describe::type_exists(oid).then_some(()).map_or(ctx.user_type_info(oid)?, |_| None) {
                Some(user) => Datum::Text(user.shown),
                None => Datum::Text(describe::format_type(oid, typmod)),
            }
        }
        Func::PgGetIndexdef => {
            // A negative column matches no key, like one past the last.
            let column = values.get(1).and_then(Datum::as_i64).map_or(0, |c| usize::try_from(c).unwrap_or(usize::MAX));
            let pretty = values.get(2) == Some(&Datum::Bool(true));
            // The pretty form names the table's schema only when the
            // search path would not find it; the session's own temporary
            // schema is `pg_temp`.
            let path = ctx.search_path(true)?;
            let own_temp = path.iter().find(|p| crate::catalog::namespace::is_temp_namespace_name(&p.1)).map(|p| p.0);
            let qualify = |ns: u32| match ns {
                _ if pretty && path.iter().any(|p| p.0 == ns) => describe::Qualify::Not,
                _ if Some(ns) == own_temp => describe::Qualify::OwnTemp,
                _ => describe::Qualify::Named,
            };
            match ctx.index_definition(oid_of(&values[0]), column, &qualify, pretty)? {
                Some(def) => Datum::Text(def),
                None => Datum::Null,
            }
        }
        Func::RelationSize(which) => {
            let what = match (which, values.get(1)) {
                (RelSize::Relation, None) => SizeOf::Fork(Fork::Main),
                (RelSize::Relation, Some(Datum::Text(fork))) => SizeOf::Fork(match fork.as_str() {
                    "main" => Fork::Main,
                    "fsm" => Fork::FreeSpace,
                    "vm" => Fork::Visibility,
                    // PostgreSQL's init fork: tusk has none, so it is empty.
                    "init" => return Ok(Datum::Int8(0)),
                    _ => {
                        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "invalid fork name")
                            .with_hint("Valid fork names are \"main\", \"fsm\", \"vm\", and \"init\"."));
                    }
                }),
                (RelSize::Relation, Some(_)) => return Ok(Datum::Null),
                (RelSize::Table, _) => SizeOf::Table,
                (RelSize::Indexes, _) => SizeOf::Indexes,
                (RelSize::Total, _) => SizeOf::Total,
            };
            // A regclass value is held as the relation's name.
            let oid = match &values[0] {
                Datum::Text(name) => match name.parse::<u32>() {
                    Ok(oid) => oid,
                    Err(_) => ctx.relation_oid(name)?.unwrap_or(0),
                },
                other => oid_of(other),
            };
            match ctx.relation_size(oid, what)? {
                Some(bytes) => Datum::Int8(bytes),
                None => Datum::Null,
            }
        }
        Func::PgGetUserById => {
            let oid = oid_of(&values[0]);
            Datum::Text(ctx.role_name(oid)?.unwrap_or_else(|| describe::user_name(oid)))
        }
        Func::ObjDescription => {
            let classes: Vec<u32> = match values.get(1) {
                Some(v) => match crate::catalog::system::catalog_oid(v.as_str().unwrap_or("")) {
                    Some(c) => vec![c],
                    None => return Ok(Datum::Null),
                },
                // With no catalog named (a deprecated form) the comment is
                // found whatever catalog the object is in.
                None => crate::catalog::system::ALL.iter().map(|c| c.oid).collect(),
            };
            for classoid in classes {
                let target = CommentTarget { objoid: oid_of(&values[0]), classoid, objsubid: 0 };
                if let Some(text) = ctx.description(target)? {
                    return Ok(Datum::Text(text));
                }
            }
            Datum::Null
        }
        Func::ColDescription => {
            let objsubid = values[1].as_i64().unwrap_or(0) as i32;
            let target =
                CommentTarget { objoid: oid_of(&values[0]), classoid: crate::catalog::system::PG_CLASS.oid, objsubid };
            ctx.description(target)?.map_or(Datum::Null, Datum::Text)
        }
        Func::ShobjDescription => match crate::catalog::system::catalog_oid(text(1)) {
            Some(class) => ctx.shared_description(oid_of(&values[0]), class)?.map_or(Datum::Null, Datum::Text),
            None => Datum::Null,
        },
        Func::PgGetConstraintdef => {
            let pretty = values.get(1) == Some(&Datum::Bool(true));
            let path = search_path(ctx, true)?;
            ctx.constraint_definition(oid_of(&values[0]), pretty, &path)?.map_or(Datum::Null, Datum::Text)
        }
        Func::PgEncodingToChar => Datum::Text(encoding_name(values[0].as_i64().unwrap_or(-1)).to_string()),
        Func::PgCharToEncoding => Datum::Int4(encoding_number(text(0))),
        Func::PgTypeIsVisible => {
            // Every type is in pg_catalog, which is always searched.
            let oid = oid_of(&values[0]);
            if describe::type_exists(oid) {
                Datum::Bool(true)
            } else {
                ctx.user_type_info(oid)?.map_or(Datum::Null, |t| Datum::Bool(t.visible))
            }
        }
        Func::PgFunctionIsVisible => match proc::proc_info(oid_of(&values[0])) {
            Some(_) => Datum::Bool(true),
            None => Datum::Null,
        },
        Func::PgOperatorIsVisible => visible_if(proc::operator_exists(oid_of(&values[0]))),
        // Every operator class and family is in pg_catalog, always searched.
        Func::PgOpclassIsVisible => visible_if(opclass::opclass_exists(oid_of(&values[0]))),
        Func::PgOpfamilyIsVisible => visible_if(opclass::opfamily_exists(oid_of(&values[0]))),
        Func::PgTsIsVisible => Datum::Null,
        Func::PgGetFunctiondef => proc::function_definition(oid_of(&values[0]))?.map_or(Datum::Null, Datum::Text),
        Func::PgGetFunctionResult => {
            proc::proc_info(oid_of(&values[0])).map_or(Datum::Null, |p| Datum::Text(proc::function_result(p)))
        }
        Func::PgGetFunctionArguments(identity) => proc::proc_info(oid_of(&values[0]))
            .map_or(Datum::Null, |p| Datum::Text(proc::function_arguments(p, identity))),
        Func::HasPrivilege(on) => has_privilege(on, &values, ctx)?,
        Func::PgTablespaceLocation => Datum::Text(String::new()),
        Func::PgSizePretty => Datum::Text(size_pretty(&values[0])),
        Func::PgDatabaseSize => match ctx.database_size_of(&values[0])? {
            Some(bytes) => Datum::Int8(bytes),
            None => match &values[0] {
                Datum::Oid(_) => Datum::Null,
                other => {
                    let name = other.as_str().unwrap_or("");
                    return Err(err!(SqlState::INVALID_CATALOG_NAME, "database \"{name}\" does not exist"));
                }
            },
        },
        Func::QuoteIdent => Datum::Text(quote_ident(text(0))),
        Func::PgPostmasterStartTime => Datum::TimestampTz(ctx.postmaster_start_time()),
        // pg_trigger and pg_statistic_ext are empty: no OID names a row there.
        Func::PgGetTriggerdef | Func::PgGetStatisticsobjdefColumns => Datum::Null,
        Func::ToReg(kind) => match ctx.reg_in(kind, text(0))? {
            Ok(oid) => Datum::Text(ctx.reg_out(kind, oid)?),
            Err(_) => Datum::Null,
        },
        // Only a partition has ancestors (itself and the tables above it),
        // and tusk has no partitioning: there is no such relation.
        Func::PartitionAncestors => Datum::Array(Box::new(super::array::ArrayValue::new(PgType::RegClass, Vec::new()))),
        Func::ToRegclass => match ctx.relation_oid(text(0)) {
            Ok(Some(oid)) => ctx.regclass_text(oid)?.map_or(Datum::Null, Datum::Text),
            Ok(None) => Datum::Null,
            Err(e) if e.code() == SqlState::INVALID_SCHEMA_NAME => Datum::Null,
            Err(e) => return Err(e),
        },
        Func::PgRelationIsPublishable => {
            // A regclass value is held as the relation's name.
            let oid = match &values[0] {
                Datum::Text(name) => match name.parse::<u32>() {
                    Ok(oid) => oid,
                    Err(_) => ctx.relation_oid(name)?.unwrap_or(0),
                },
                other => oid_of(other),
            };
            ctx.relation_is_publishable(oid)?.map_or(Datum::Null, Datum::Bool)
        }
        Func::PgGetViewdef => {
            let oid = match &values[0] {
                Datum::Text(name) => match ctx.relation_oid(name)? {
                    Some(oid) => oid,
                    None => return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist")),
                },
                other => oid_of(other),
            };
            let pretty = values.get(1) == Some(&Datum::Bool(true));
            match ctx.view_definition(oid)? {
                Some(text) => Datum::Text(super::viewdef::layout(&text, pretty).unwrap_or(text)),
                None => Datum::Null,
            }
        }
        Func::PgStat(counter) => ctx.stat_counter(oid_of(&values[0]), counter)?,
        Func::Bgwriter(stat) => ctx.bgwriter_stat(stat)?,
        Func::PgGetExpr => Datum::Text(text(0).to_string()),
        Func::Sequence(f) => ctx.sequence(f, &values)?,
        Func::PgGetSerialSequence => ctx.serial_sequence(text(0), text(1))?.map_or(Datum::Null, Datum::Text),
        Func::Array(_) | Func::Json(_) => {
            return Err(crate::error::Error::internal("array or json function outside its evaluator"));
        }
        Func::PgGetRuledef => ctx.rule_definition(oid_of(&values[0]))?.map_or(Datum::Null, Datum::Text),
        Func::RegexMatch { case_insensitive, negated } => {
            Datum::Bool(super::regex::is_match(text(0), text(1), case_insensitive)? != negated)
        }
        Func::ByteaCat => {
            let (a, b) = (bytes(0), bytes(1));
            if a.len() + b.len() > crate::storage::heap::toast::MAX_VALUE_SIZE {
                return Err(err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "invalid memory alloc request size"));
            }
            Datum::Bytea([a, b].concat())
        }
        Func::Position => match (&values[0], &values[1]) {
            (Datum::Bytea(haystack), Datum::Bytea(needle)) => Datum::Int4(bytea::position(haystack, needle)),
            _ => Datum::Int4(match text(0).find(text(1)) {
                Some(at) => text(0)[..at].chars().count() as i32 + 1,
                None => 0,
            }),
        },
        Func::SplitPart => Datum::Text(split_part(text(0), text(1), values[2].as_i64().unwrap_or(0))?),
        Func::Encode => Datum::Text(bytea::Format::named(text(1))?.encode(bytes(0))),
        Func::Decode => Datum::Bytea(bytea::Format::named(text(1))?.decode(text(0))?),
        Func::GetByte => Datum::Int4(bytes(0)[bytea::byte_index(bytes(0), values[1].as_i64().unwrap_or(0))?] as i32),
        Func::SetByte => {
            let mut b = bytes(0).to_vec();
            let at = bytea::byte_index(&b, values[1].as_i64().unwrap_or(0))?;
            // Only the low 8 bits of the new value count, as in PostgreSQL.
            b[at] = values[2].as_i64().unwrap_or(0) as u8;
            Datum::Bytea(b)
        }
        Func::Sha(bits) => {
            use sha2::Digest;
            let input = bytes(0);
            Datum::Bytea(match bits {
                224 => sha2::Sha224::digest(input).to_vec(),
                256 => sha2::Sha256::digest(input).to_vec(),
                384 => sha2::Sha384::digest(input).to_vec(),
                _ => sha2::Sha512::digest(input).to_vec(),
            })
        }
        Func::GetBit => {
            let (at, mask) = bytea::bit_index(bytes(0), values[1].as_i64().unwrap_or(0))?;
            Datum::Int4((bytes(0)[at] & mask != 0) as i32)
        }
        Func::SetBit => {
            let mut b = bytes(0).to_vec();
            let (at, mask) = bytea::bit_index(&b, values[1].as_i64().unwrap_or(0))?;
            match values[2].as_i64() {
                Some(0) => b[at] &= !mask,
                Some(1) => b[at] |= mask,
                _ => return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "new bit must be 0 or 1")),
            }
            Datum::Bytea(b)
        }
        Func::BitCount => Datum::Int8(bytes(0).iter().map(|b| b.count_ones() as i64).sum()),
        Func::Trim(leading, trailing) => match &values[0] {
            Datum::Bytea(b) => Datum::Bytea(bytea::trim(b, bytes(1), leading, trailing).to_vec()),
            _ => {
                let set: Vec<char> = values.get(1).map_or(vec![' '], |_| text(1).chars().collect());
                let chars: Vec<char> = text(0).chars().collect();
                Datum::Text(bytea::trim(&chars, &set, leading, trailing).iter().collect())
            }
        },
        Func::Overlay => {
            let start = values[2].as_i64().unwrap_or(1);
            match &values[0] {
                Datum::Bytea(b) => {
                    let len = values.get(3).map_or(bytes(1).len() as i64, |l| l.as_i64().unwrap_or(0));
                    Datum::Bytea(bytea::overlay(b, bytes(1), start, len)?)
                }
                _ => {
                    let (s, r): (Vec<char>, Vec<char>) = (text(0).chars().collect(), text(1).chars().collect());
                    let len = values.get(3).map_or(r.len() as i64, |l| l.as_i64().unwrap_or(0));
                    Datum::Text(bytea::overlay(&s, &r, start, len)?.into_iter().collect())
                }
            }
        }
        Func::ConvertTo => Datum::Bytea(bytea::Encoding::named(text(1), true)?.encode(text(0))?),
        Func::ConvertFrom => Datum::Text(bytea::Encoding::named(text(1), false)?.decode(bytes(0))?),
        Func::Str(f) => string::call(f, &values, ctx)?,
        Func::Math(f) => math::call(f, &values)?,
        Func::Lsn(f) => super::lsn::call(f, &values, ctx.wal_positions())?,
        Func::Xact(f) => super::xid8::call(f, &values, ctx)?,
        Func::ColumnSize(stored) => Datum::Int4(column_size(&values[0], stored)),
        Func::Greatest | Func::Least => {
            let mut best: Option<Datum> = None;
            for v in values.into_iter().filter(|v| !v.is_null()) {
                let better = best.as_ref().is_none_or(|b| {
                    let order = super::expr::compare(&v, b);
                    if func == Func::Greatest { order.is_gt() } else { order.is_lt() }
                });
                if better {
                    best = Some(v);
                }
            }
            best.unwrap_or(Datum::Null)
        }
        Func::ToChar => {
            let local = match &values[0] {
                Datum::TimestampTz(t) => ctx.time_zone().to_local(*t),
                Datum::Timestamp(t) => *t,
                _ => return Err(crate::error::Error::not_supported("to_char of a number")),
            };
            to_char::timestamp(local, text(1))?.map_or(Datum::Null, Datum::Text)
        }
        Func::NumNulls => Datum::Int4(values.iter().filter(|v| v.is_null()).count() as i32),
        Func::NumNonNulls => Datum::Int4(values.iter().filter(|v| !v.is_null()).count() as i32),
        Func::Coalesce | Func::NullIf | Func::Enum(_) | Func::FieldSelect(_) | Func::PopulateRecord(_) => {
            unreachable!("handled above")
        }
    })
}

fn oid_of(v: &Datum) -> u32 {
    match v {
        Datum::Oid(o) => *o,
        other => other.as_i64().unwrap_or(0) as u32,
    }
}

/// The session's temporary schema (0: none yet), which is on its search
/// path once it exists.
fn my_temp_schema(ctx: &dyn EvalContext) -> Result<u32> {
    let path = ctx.search_path(true)?;
    Ok(path.into_iter().find(|(_, n)| crate::catalog::namespace::is_temp_namespace_name(n)).map_or(0, |(oid, _)| oid))
}

/// The schemas of the session's `search_path` that exist, by OID (with
/// `pg_catalog` first when `implicit` and the path does not place it).
fn search_path(ctx: &dyn EvalContext, implicit: bool) -> Result<Vec<u32>> {
    Ok(ctx.search_path(implicit)?.into_iter().map(|(oid, _)| oid).collect())
}

/// `pg_sleep`: a wait (see [`crate::txn::wait`]) that a cancel or
/// timeout ends.
fn sleep(secs: f64, ctx: &mut dyn EvalContext) -> Result<()> {
    if secs.is_nan() || secs <= 0.0 {
        return ctx.check_interrupts();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(secs.min(1e9));
    loop {
        ctx.check_interrupts()?;
        let now = std::time::Instant::now();
        if now >= deadline {
            return Ok(());
        }
        crate::txn::wait::sleep(deadline);
    }
}

/// `split_part`: field `n` of `s` split at `delimiter` (counted from the
/// end when negative), `''` past the last.
fn split_part(s: &str, delimiter: &str, n: i64) -> Result<String> {
    if n == 0 {
        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "field position must not be zero"));
    }
    let fields: Vec<&str> = if delimiter.is_empty() { vec![s] } else { s.split(delimiter).collect() };
    let at = if n > 0 { usize::try_from(n - 1).ok() } else { fields.len().checked_sub(n.unsigned_abs() as usize) };
    Ok(at.and_then(|i| fields.get(i)).map_or(String::new(), |f| f.to_string()))
}

/// PostgreSQL's server encodings by number (`pg_encoding_to_char`).
const ENCODINGS: &[&str] = &[
    "SQL_ASCII",
    "EUC_JP",
    "EUC_CN",
    "EUC_KR",
    "EUC_TW",
    "EUC_JIS_2004",
    "UTF8",
    "MULE_INTERNAL",
    "LATIN1",
    "LATIN2",
    "LATIN3",
    "LATIN4",
    "LATIN5",
    "LATIN6",
    "LATIN7",
    "LATIN8",
    "LATIN9",
    "LATIN10",
    "WIN1256",
    "WIN1258",
    "WIN866",
    "WIN874",
    "KOI8R",
    "WIN1251",
    "WIN1252",
    "ISO_8859_5",
    "ISO_8859_6",
    "ISO_8859_7",
    "ISO_8859_8",
    "WIN1250",
    "WIN1253",
    "WIN1254",
    "WIN1255",
    "WIN1257",
    "KOI8U",
    "SJIS",
    "BIG5",
    "GBK",
    "UHC",
    "GB18030",
    "JOHAB",
    "SHIFT_JIS_2004",
];

/// `pg_encoding_to_char`: the name of encoding `n`, `''` if there is none.
fn encoding_name(n: i64) -> &'static str {
    usize::try_from(n).ok().and_then(|i| ENCODINGS.get(i)).copied().unwrap_or("")
}

/// `pg_char_to_encoding`: the number of an encoding named in any case,
/// with or without `_`/`-` (`utf-8`), -1 if there is none.
fn encoding_number(name: &str) -> i32 {
    let clean = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    let wanted = clean(name);
    ENCODINGS.iter().position(|e| clean(e) == wanted).map_or(-1, |i| i as i32)
}

/// `quote_ident`: quotes only where needed, like `quote_identifier`.
fn quote_ident(name: &str) -> String {
    describe::quote_identifier(name)
}

/// `pg_size_pretty`, as PostgreSQL 15 computes it: bytes below 10 kB,
/// then the first unit (kB … PB) in which the value, kept with one extra
/// bit and rounded half away from zero, is below 20480.
fn size_pretty(v: &Datum) -> String {
    let mut size: i128 = match v {
        // Fractions of a byte are dropped, as PostgreSQL's numeric form truncates.
        Datum::Numeric(n) => n.as_str().split('.').next().and_then(|i| i.parse().ok()).unwrap_or(0),
        other => other.as_i64().unwrap_or(0) as i128,
    };
    if size.abs() < 10 * 1024 {
        return format!("{size} bytes");
    }
    let half_rounded = |x: i128| (x + if x < 0 { -1 } else { 1 }) / 2;
    size /= 1 << 9;
    for unit in ["kB", "MB", "GB", "TB"] {
        if size.abs() < 20 * 1024 - 1 {
            return format!("{} {unit}", half_rounded(size));
        }
        size /= 1 << 10;
    }
    format!("{} PB", half_rounded(size))
}

/// The role a privilege function's user argument names (the current user
/// when there is none); `None` for an OID that names no role.
fn role_argument(user: Option<&Datum>, ctx: &mut dyn EvalContext) -> Result<Option<u32>> {
    match user {
        None => {
            let name = ctx.session_user()?.to_string();
            Ok(Some(ctx.role_oid(&name)?.unwrap_or(crate::catalog::system::SUPERUSER)))
        }
        Some(Datum::Oid(o)) => Ok(ctx.role_name(*o)?.map(|_| *o)),
        Some(name) => {
            let name = name.as_str().unwrap_or("");
            match ctx.role_oid(name)? {
                Some(o) => Ok(Some(o)),
                None => Err(err!(SqlState::UNDEFINED_OBJECT, "role \"{name}\" does not exist")),
            }
        }
    }
}

/// `pg_has_role([user,] role, 'MEMBER | USAGE | SET [WITH ADMIN OPTION]')`:
/// whether the user is the role, a superuser, or (for USAGE, through
/// roles that inherit) a member of it.
/// A built-in object's visibility: true if it exists (it is in
/// `pg_catalog`), NULL for an OID that names nothing.
fn visible_if(exists: bool) -> Datum {
    if exists { Datum::Bool(true) } else { Datum::Null }
}

fn pg_has_role(values: &[Datum], ctx: &mut dyn EvalContext) -> Result<Datum> {
    let (user, role, privileges) = match values {
        [role, privileges] => (None, role, privileges),
        [user, role, privileges] => (Some(user), role, privileges),
        _ => return Ok(Datum::Null),
    };
    if role.is_null() || privileges.is_null() || user.is_some_and(Datum::is_null) {
        return Ok(Datum::Null);
    }
    for word in privileges.as_str().unwrap_or("").split(',') {
        let word = word.trim().to_ascii_lowercase();
        let bare = word.strip_suffix(" with admin option").or_else(|| word.strip_suffix(" with grant option"));
        let word = bare.map_or(word.as_str(), str::trim_end);
        if !matches!(word, "member" | "usage" | "set") {
            return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "unrecognized privilege type: \"{}\"", word));
        }
    }
    let Some(user) = role_argument(user, ctx)? else { return Ok(Datum::Null) };
    let Some(role) = role_argument(Some(role), ctx)? else { return Ok(Datum::Null) };
    let member =
        user == role || ctx.role_is_superuser(user)? == Some(true) || ctx.role_member_of(user)?.contains(&role);
    Ok(Datum::Bool(member))
}

/// The privileges a `has_*_privilege` function accepts, by object, with
/// their letters.
fn privilege_words(on: PrivilegeOn) -> &'static [(&'static str, char)] {
    match on {
        PrivilegeOn::Table => &[
            ("select", 'r'),
            ("insert", 'a'),
            ("update", 'w'),
            ("delete", 'd'),
            ("truncate", 'D'),
            ("references", 'x'),
            ("trigger", 't'),
        ],
        PrivilegeOn::Column => &[("select", 'r'), ("insert", 'a'), ("update", 'w'), ("references", 'x')],
        PrivilegeOn::Sequence => &[("usage", 'U'), ("select", 'r'), ("update", 'w')],
        PrivilegeOn::Schema => &[("create", 'C'), ("usage", 'U')],
        PrivilegeOn::Database => &[("create", 'C'), ("connect", 'c'), ("temporary", 'T'), ("temp", 'T')],
    }
}

/// A privilege list (`'SELECT, INSERT WITH GRANT OPTION'`): each
/// privilege's letter and whether its grant option is asked for.
fn privilege_list(on: PrivilegeOn, text: &str) -> Result<Vec<(char, bool)>> {
    let mut out = Vec::new();
    for word in text.split(',') {
        let word = word.trim().to_ascii_lowercase();
        let bare = word.strip_suffix("with grant option").map(str::trim_end);
        let name = bare.unwrap_or(&word);
        let Some(&(_, letter)) = privilege_words(on).iter().find(|w| w.0 == name) else {
            return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "unrecognized privilege type: \"{}\"", word));
        };
        out.push((letter, bare.is_some()));
    }
    Ok(out)
}

/// `has_table_privilege` and its kin: whether the user (the current one
/// when not given) holds any of the listed privileges on the object, as
/// its ACL says; NULL for an OID that names nothing.
fn has_privilege(on: PrivilegeOn, values: &[Datum], ctx: &mut dyn EvalContext) -> Result<Datum> {
    use crate::catalog::privileges::PrivObject;
    let (user, object, privileges) = match (on, values) {
        (PrivilegeOn::Column, [object, _, privileges]) => (None, object, privileges),
        (PrivilegeOn::Column, [user, object, _, privileges]) => (Some(user), object, privileges),
        (_, [object, privileges]) => (None, object, privileges),
        (_, [user, object, privileges]) => (Some(user), object, privileges),
        _ => return Ok(Datum::Null),
    };
    if values.iter().any(Datum::is_null) {
        return Ok(Datum::Null);
    }
    let wanted = privilege_list(on, privileges.as_str().unwrap_or(""))?;
    let Some(role) = role_argument(user, ctx)? else { return Ok(Datum::Null) };
    let oid = match (on, object) {
        (_, Datum::Oid(o)) => *o,
        (PrivilegeOn::Table | PrivilegeOn::Column | PrivilegeOn::Sequence, name) => {
            let name = name.as_str().unwrap_or("");
            ctx.relation_oid(name)?
                .ok_or_else(|| err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"))?
        }
        (PrivilegeOn::Schema, name) => {
            let name = name.as_str().unwrap_or("");
            ctx.object_oid(on, name)?
                .ok_or_else(|| err!(SqlState::INVALID_SCHEMA_NAME, "schema \"{name}\" does not exist"))?
        }
        (PrivilegeOn::Database, name) => {
            let name = name.as_str().unwrap_or("");
            ctx.object_oid(on, name)?
                .ok_or_else(|| err!(SqlState::INVALID_CATALOG_NAME, "database \"{name}\" does not exist"))?
        }
    };
    let object = match on {
        PrivilegeOn::Table | PrivilegeOn::Column | PrivilegeOn::Sequence => PrivObject::Relation(oid),
        PrivilegeOn::Schema => PrivObject::Schema(oid),
        PrivilegeOn::Database => PrivObject::Database(oid),
    };
    for (letter, grant_option) in wanted {
        match ctx.privilege(role, object, &[letter], grant_option)? {
            None => return Ok(Datum::Null),
            Some(true) => return Ok(Datum::Bool(true)),
            Some(false) => {}
        }
    }
    Ok(Datum::Bool(false))
}

/// `pg_column_size`: the bytes a non-null value takes in a heap tuple.
/// A fixed-length value takes its length as tusk stores it (`name`,
/// `"char"` and the `reg*` types are stored as text, so they count as text
/// does). A variable-length one takes a 4-byte length word and its bytes,
/// as PostgreSQL counts a value computed in memory; a table column's value
/// (`stored`) is counted as tusk stores it in a row holding nothing else
/// large ([`crate::storage::heap::toast::stored_size`]): compressed, or
/// its chunks' bytes once out of line. tusk has no 1-byte length word, so
/// a short stored value counts three bytes more than in PostgreSQL, and
/// it compresses with LZ4, not pglz.
pub fn column_size(v: &Datum, stored: bool) -> i32 {
    use crate::storage::heap::toast::stored_size;
    let fixed = |n: usize| n as i32;
    let varlena = |bytes: &[u8]| {
        let n = if stored { stored_size(bytes) } else { crate::storage::heap::tuple::LENGTH_WORD + bytes.len() };
        i32::try_from(n).unwrap_or(i32::MAX)
    };
    match v {
        Datum::Text(s) | Datum::Bpchar(s) => varlena(s.as_bytes()),
        Datum::Bytea(b) => varlena(b),
        Datum::Numeric(_) | Datum::Array(_) | Datum::Jsonb(_) | Datum::Enum(..) => varlena(&v.storage_bytes()),
        Datum::Interval(_) | Datum::Uuid(_) => fixed(16),
        other => fixed(other.storage_len().unwrap_or(0)),
    }
}
