//! The one error type of tusk.
//!
//! Every error carries a SQLSTATE from PostgreSQL's table (`errcodes.txt`),
//! a primary message in PostgreSQL's style (short, lower case, no final
//! period), and optionally a DETAIL, a HINT (full sentences) and a cursor
//! position into the statement text. The protocol layer turns it into an
//! ErrorResponse field by field; nothing is flattened into a string.
//!
//! Build errors with [`Error::new`] or the [`err!`](crate::err) macro so that
//! call sites stay one line:
//!
//! ```
//! use tusk::{err, error::SqlState};
//! let e = err!(SqlState::UNDEFINED_TABLE, "relation \"{}\" does not exist", "t");
//! assert_eq!(e.code(), SqlState::UNDEFINED_TABLE);
//! ```

use std::fmt;

/// A five-character SQLSTATE code.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqlState(&'static str);

impl SqlState {
    pub const SUCCESSFUL_COMPLETION: SqlState = SqlState("00000");
    pub const WARNING: SqlState = SqlState("01000");
    pub const FEATURE_NOT_SUPPORTED: SqlState = SqlState("0A000");
    pub const CARDINALITY_VIOLATION: SqlState = SqlState("21000");
    pub const STRING_DATA_RIGHT_TRUNCATION: SqlState = SqlState("22001");
    pub const NUMERIC_VALUE_OUT_OF_RANGE: SqlState = SqlState("22003");
    pub const SEQUENCE_GENERATOR_LIMIT_EXCEEDED: SqlState = SqlState("2200H");
    pub const INVALID_DATETIME_FORMAT: SqlState = SqlState("22007");
    pub const DATETIME_FIELD_OVERFLOW: SqlState = SqlState("22008");
    pub const INTERVAL_FIELD_OVERFLOW: SqlState = SqlState("22015");
    pub const INVALID_TIME_ZONE_DISPLACEMENT_VALUE: SqlState = SqlState("22009");
    pub const DIVISION_BY_ZERO: SqlState = SqlState("22012");
    pub const INVALID_PARAMETER_VALUE: SqlState = SqlState("22023");
    pub const INVALID_TEXT_REPRESENTATION: SqlState = SqlState("22P02");
    pub const BAD_COPY_FILE_FORMAT: SqlState = SqlState("22P04");
    pub const INVALID_BINARY_REPRESENTATION: SqlState = SqlState("22P03");
    pub const CHARACTER_NOT_IN_REPERTOIRE: SqlState = SqlState("22021");
    pub const UNTRANSLATABLE_CHARACTER: SqlState = SqlState("22P05");
    pub const ACTIVE_SQL_TRANSACTION: SqlState = SqlState("25001");
    pub const NO_ACTIVE_SQL_TRANSACTION: SqlState = SqlState("25P01");
    pub const IN_FAILED_SQL_TRANSACTION: SqlState = SqlState("25P02");
    pub const READ_ONLY_SQL_TRANSACTION: SqlState = SqlState("25006");
    pub const INVALID_AUTHORIZATION_SPECIFICATION: SqlState = SqlState("28000");
    pub const INVALID_PASSWORD: SqlState = SqlState("28P01");
    pub const INVALID_CURSOR_NAME: SqlState = SqlState("34000");
    pub const INVALID_SAVEPOINT_SPECIFICATION: SqlState = SqlState("3B001");
    pub const INVALID_SQL_STATEMENT_NAME: SqlState = SqlState("26000");
    pub const INVALID_CATALOG_NAME: SqlState = SqlState("3D000");
    pub const SYNTAX_ERROR: SqlState = SqlState("42601");
    pub const INSUFFICIENT_PRIVILEGE: SqlState = SqlState("42501");
    pub const UNDEFINED_COLUMN: SqlState = SqlState("42703");
    pub const DUPLICATE_COLUMN: SqlState = SqlState("42701");
    pub const DUPLICATE_TABLE: SqlState = SqlState("42P07");
    pub const INVALID_NAME: SqlState = SqlState("42602");
    pub const INVALID_SCHEMA_NAME: SqlState = SqlState("3F000");
    pub const DUPLICATE_SCHEMA: SqlState = SqlState("42P06");
    pub const RESERVED_NAME: SqlState = SqlState("42939");
    pub const NOT_NULL_VIOLATION: SqlState = SqlState("23502");
    pub const UNIQUE_VIOLATION: SqlState = SqlState("23505");
    pub const FOREIGN_KEY_VIOLATION: SqlState = SqlState("23503");
    pub const CHECK_VIOLATION: SqlState = SqlState("23514");
    pub const INVALID_FOREIGN_KEY: SqlState = SqlState("42830");
    pub const DUPLICATE_OBJECT: SqlState = SqlState("42710");
    pub const DEPENDENT_OBJECTS_STILL_EXIST: SqlState = SqlState("2BP01");
    pub const INVALID_TABLE_DEFINITION: SqlState = SqlState("42P16");
    pub const INVALID_OBJECT_DEFINITION: SqlState = SqlState("42P17");
    pub const UNDEFINED_FUNCTION: SqlState = SqlState("42883");
    pub const UNDEFINED_TABLE: SqlState = SqlState("42P01");
    pub const UNDEFINED_PARAMETER: SqlState = SqlState("42P02");
    pub const UNDEFINED_OBJECT: SqlState = SqlState("42704");
    pub const DUPLICATE_PREPARED_STATEMENT: SqlState = SqlState("42P05");
    pub const DUPLICATE_CURSOR: SqlState = SqlState("42P03");
    pub const AMBIGUOUS_FUNCTION: SqlState = SqlState("42725");
    pub const TOO_MANY_ARGUMENTS: SqlState = SqlState("54023");
    pub const TOO_MANY_COLUMNS: SqlState = SqlState("54011");
    pub const DATATYPE_MISMATCH: SqlState = SqlState("42804");
    pub const GENERATED_ALWAYS: SqlState = SqlState("428C9");
    pub const CANNOT_COERCE: SqlState = SqlState("42846");
    pub const INDETERMINATE_DATATYPE: SqlState = SqlState("42P18");
    pub const INVALID_ARGUMENT_FOR_POWER_FUNCTION: SqlState = SqlState("2201F");
    pub const INVALID_ARGUMENT_FOR_LOG: SqlState = SqlState("2201E");
    pub const INVALID_ARGUMENT_FOR_WIDTH_BUCKET: SqlState = SqlState("2201G");
    pub const SUBSTRING_ERROR: SqlState = SqlState("22011");
    pub const ARRAY_SUBSCRIPT_ERROR: SqlState = SqlState("2202E");
    pub const GROUPING_ERROR: SqlState = SqlState("42803");
    pub const AMBIGUOUS_COLUMN: SqlState = SqlState("42702");
    pub const DUPLICATE_ALIAS: SqlState = SqlState("42712");
    pub const INVALID_COLUMN_REFERENCE: SqlState = SqlState("42P10");
    pub const INVALID_RECURSION: SqlState = SqlState("42P19");
    pub const WINDOWING_ERROR: SqlState = SqlState("42P20");
    pub const NULL_VALUE_NOT_ALLOWED: SqlState = SqlState("22004");
    pub const INVALID_PRECEDING_OR_FOLLOWING_SIZE: SqlState = SqlState("22013");
    pub const INVALID_ARGUMENT_FOR_NTILE: SqlState = SqlState("22014");
    pub const INVALID_ARGUMENT_FOR_NTH_VALUE: SqlState = SqlState("22016");
    pub const INVALID_ESCAPE_SEQUENCE: SqlState = SqlState("22025");
    pub const INVALID_USE_OF_ESCAPE_CHARACTER: SqlState = SqlState("2200C");
    pub const INVALID_REGULAR_EXPRESSION: SqlState = SqlState("2201B");
    pub const INVALID_ROW_COUNT_IN_LIMIT: SqlState = SqlState("2201W");
    pub const INVALID_ROW_COUNT_IN_RESULT_OFFSET: SqlState = SqlState("2201X");
    pub const T_R_SERIALIZATION_FAILURE: SqlState = SqlState("40001");
    pub const T_R_DEADLOCK_DETECTED: SqlState = SqlState("40P01");
    pub const LOCK_NOT_AVAILABLE: SqlState = SqlState("55P03");
    pub const IDLE_IN_TRANSACTION_SESSION_TIMEOUT: SqlState = SqlState("25P03");
    pub const IDLE_SESSION_TIMEOUT: SqlState = SqlState("57P05");
    pub const WRONG_OBJECT_TYPE: SqlState = SqlState("42809");
    pub const PROTOCOL_VIOLATION: SqlState = SqlState("08P01");
    pub const CONNECTION_FAILURE: SqlState = SqlState("08006");
    pub const TOO_MANY_CONNECTIONS: SqlState = SqlState("53300");
    pub const OUT_OF_MEMORY: SqlState = SqlState("53200");
    pub const INSUFFICIENT_RESOURCES: SqlState = SqlState("53000");
    pub const DATA_CORRUPTED: SqlState = SqlState("XX001");
    pub const PROGRAM_LIMIT_EXCEEDED: SqlState = SqlState("54000");
    pub const STATEMENT_TOO_COMPLEX: SqlState = SqlState("54001");
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: SqlState = SqlState("55000");
    pub const OBJECT_IN_USE: SqlState = SqlState("55006");
    pub const DUPLICATE_DATABASE: SqlState = SqlState("42P04");
    pub const INVALID_GRANT_OPERATION: SqlState = SqlState("0LP01");
    pub const CANT_CHANGE_RUNTIME_PARAM: SqlState = SqlState("55P02");
    pub const QUERY_CANCELED: SqlState = SqlState("57014");
    pub const ADMIN_SHUTDOWN: SqlState = SqlState("57P01");
    pub const CANNOT_CONNECT_NOW: SqlState = SqlState("57P03");
    pub const IO_ERROR: SqlState = SqlState("58030");
    pub const UNDEFINED_FILE: SqlState = SqlState("58P01");
    pub const CONFIG_FILE_ERROR: SqlState = SqlState("F0000");
    pub const INTERNAL_ERROR: SqlState = SqlState("XX000");

    /// The five characters of the code.
    pub fn code(self) -> &'static str {
        self.0
    }

    /// The two-character class, e.g. `"22"` for data exceptions.
    pub fn class(self) -> &'static str {
        &self.0[..2]
    }
}

impl fmt::Debug for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// How bad an error is. `Error` aborts the statement (and the transaction);
/// `Fatal` ends the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Fatal,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
        }
    }
}

/// tusk's error. Boxed inside so that `Result<T>` stays one word wider than `T`.
pub struct Error(Box<Inner>);

struct Inner {
    severity: Severity,
    code: SqlState,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
    /// 1-based character position in the statement text, as PostgreSQL reports it.
    position: Option<u32>,
    /// Where the error happened (CONTEXT), innermost first, one line each.
    context: Option<String>,
    /// The database object it is about, if any.
    object: Option<Box<ErrorObject>>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: SqlState, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            severity: Severity::Error,
            code,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
            context: None,
            object: None,
            source: None,
        }))
    }

    /// A bug in tusk, never a user mistake.
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(SqlState::INTERNAL_ERROR, message)
    }

    /// `0A000`: the statement is valid PostgreSQL that tusk does not run yet.
    pub fn not_supported(what: impl fmt::Display) -> Error {
        Error::new(SqlState::FEATURE_NOT_SUPPORTED, format!("{what} is not supported yet"))
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Error {
        self.0.detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.0.hint = Some(hint.into());
        self
    }

    /// Set the cursor position unless a more precise one is already known.
    pub fn with_position(mut self, position: u32) -> Error {
        if self.0.position.is_none() {
            self.0.position = Some(position);
        }
        self
    }

    /// Add a CONTEXT line (`COPY t, line 3`); outer contexts follow inner ones.
    pub fn with_context(mut self, context: impl Into<String>) -> Error {
        let context = context.into();
        self.0.context = Some(match self.0.context.take() {
            Some(inner) => format!("{inner}\n{context}"),
            None => context,
        });
        self
    }

    /// The error is about table `table` of schema `namespace` (a
    /// `pg_namespace` OID, named by the session when the error is sent):
    /// ErrorResponse fields `s` and `t`, as PostgreSQL's `errtable`.
    pub fn with_table(mut self, namespace: u32, table: &str) -> Error {
        let object = self.object_mut();
        object.schema = Some(SchemaRef::Oid(namespace));
        object.table = Some(table.to_string());
        self
    }

    /// The error is about column `column` of the table named by
    /// [`with_table`](Error::with_table): field `c` (`errtablecol`).
    pub fn with_column(mut self, column: &str) -> Error {
        self.object_mut().column = Some(column.to_string());
        self
    }

    /// The error is about constraint `constraint` of the table or domain
    /// named too: field `n` (`errtableconstraint`, `errdomainconstraint`).
    pub fn with_constraint(mut self, constraint: &str) -> Error {
        self.object_mut().constraint = Some(constraint.to_string());
        self
    }

    /// The error is about data type `name` of schema `namespace`: fields
    /// `s` and `d` (`errdatatype`).
    pub fn with_datatype(mut self, namespace: u32, name: &str) -> Error {
        let object = self.object_mut();
        object.schema = Some(SchemaRef::Oid(namespace));
        object.datatype = Some(name.to_string());
        self
    }

    fn object_mut(&mut self) -> &mut ErrorObject {
        self.0.object.get_or_insert_with(Default::default)
    }

    /// The OID of the schema the error names, while it is not yet named.
    pub fn unnamed_schema(&self) -> Option<u32> {
        match self.0.object.as_deref()?.schema {
            Some(SchemaRef::Oid(oid)) => Some(oid),
            _ => None,
        }
    }

    /// Give the schema its name (`None`: it cannot be named, so the
    /// error is sent without a schema).
    pub fn name_schema(&mut self, name: Option<String>) {
        if let Some(object) = self.0.object.as_deref_mut() {
            object.schema = name.map(SchemaRef::Name);
        }
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.0.source = Some(Box::new(source));
        self
    }

    pub fn fatal(mut self) -> Error {
        self.0.severity = Severity::Fatal;
        self
    }

    pub fn severity(&self) -> Severity {
        self.0.severity
    }
    pub fn code(&self) -> SqlState {
        self.0.code
    }
    pub fn message(&self) -> &str {
        &self.0.message
    }
    pub fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }
    pub fn position(&self) -> Option<u32> {
        self.0.position
    }
    pub fn context(&self) -> Option<&str> {
        self.0.context.as_deref()
    }
    /// The schema of the object the error is about, once it is named.
    pub fn schema(&self) -> Option<&str> {
        match self.0.object.as_deref()?.schema.as_ref()? {
            SchemaRef::Name(name) => Some(name),
            SchemaRef::Oid(_) => None,
        }
    }
    pub fn table(&self) -> Option<&str> {
        self.0.object.as_deref()?.table.as_deref()
    }
    pub fn column(&self) -> Option<&str> {
        self.0.object.as_deref()?.column.as_deref()
    }
    pub fn datatype(&self) -> Option<&str> {
        self.0.object.as_deref()?.datatype.as_deref()
    }
    pub fn constraint(&self) -> Option<&str> {
        self.0.object.as_deref()?.constraint.as_deref()
    }
}

/// The database object an error is about: what clients read as the
/// ErrorResponse fields `s` (schema), `t` (table), `c` (column), `d` (data
/// type) and `n` (constraint) to tell which constraint failed.
#[derive(Debug, Default)]
struct ErrorObject {
    schema: Option<SchemaRef>,
    table: Option<String>,
    column: Option<String>,
    datatype: Option<String>,
    constraint: Option<String>,
}

/// A schema as the code raising an error knows it (its OID: the tables
/// and types it has in hand name their schema so), then as the session
/// names it from the catalog, with the transaction's own view of it.
#[derive(Debug)]
enum SchemaRef {
    Oid(u32),
    Name(String),
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.0.severity.as_str(), self.0.message, self.0.code)?;
        if let Some(d) = &self.0.detail {
            write!(f, " DETAIL: {d}")?;
        }
        if let Some(s) = &self.0.source {
            write!(f, " caused by: {s}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(SqlState::IO_ERROR, format!("I/O error: {e}")).with_source(e)
    }
}

/// Build an [`Error`] with a formatted message: `err!(SqlState::X, "fmt", args…)`.
#[macro_export]
macro_rules! err {
    ($code:expr, $($arg:tt)+) => {
        $crate::error::Error::new($code, format!($($arg)+))
    };
}

/// Severity of a message that does not abort anything (NOTICE, WARNING, …),
/// ordered as `client_min_messages` compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoticeLevel {
    Debug,
    Log,
    Notice,
    Warning,
}

impl NoticeLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeLevel::Debug => "DEBUG",
            NoticeLevel::Log => "LOG",
            NoticeLevel::Notice => "NOTICE",
            NoticeLevel::Warning => "WARNING",
        }
    }
}

/// A NOTICE or WARNING sent to the client alongside a statement's result.
#[derive(Debug, Clone)]
pub struct Notice {
    pub level: NoticeLevel,
    pub code: SqlState,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl Notice {
    pub fn warning(code: SqlState, message: impl Into<String>) -> Notice {
        Notice { level: NoticeLevel::Warning, code, message: message.into(), detail: None, hint: None }
    }

    pub fn info(code: SqlState, message: impl Into<String>) -> Notice {
        Notice { level: NoticeLevel::Notice, code, message: message.into(), detail: None, hint: None }
    }
}
