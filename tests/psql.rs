//! psql's describe commands against tusk: each command's output must be
//! the text PostgreSQL 15 prints for the same schema (taken from a
//! PostgreSQL 15 server with `psql -X`). Where tusk's truthful answer
//! differs from PostgreSQL's (relation sizes, extensions), its own output
//! is given.

mod common;

use std::process::Command;

use common::TestServer;

const SCHEMA: &str = "\
CREATE TABLE p (a int PRIMARY KEY, b text UNIQUE, c int NOT NULL DEFAULT 7, d varchar(10) DEFAULT 'x', e text);
CREATE INDEX p_c_idx ON p (c);
CREATE INDEX p_partial ON p (e) WHERE c > 0;
CREATE TABLE r (id serial PRIMARY KEY, pa int REFERENCES p (a));
CREATE VIEW v AS SELECT a, b FROM p;
CREATE SEQUENCE s;
";

/// What a describe command must print.
enum Expect {
    /// Exactly PostgreSQL's output.
    Same(&'static str),
    /// tusk's own output, where the truth differs from PostgreSQL's (the
    /// reason is given beside the case).
    Tusk(&'static str),
}

const CASES: &[(&str, Expect)] = &[
    (
        "\\d p",
        Expect::Same(
            r#"                                Table "public.p"
 Column |         Type          | Collation | Nullable |        Default         
--------+-----------------------+-----------+----------+------------------------
 a      | integer               |           | not null | 
 b      | text                  |           |          | 
 c      | integer               |           | not null | 7
 d      | character varying(10) |           |          | 'x'::character varying
 e      | text                  |           |          | 
Indexes:
    "p_pkey" PRIMARY KEY, btree (a)
    "p_b_key" UNIQUE CONSTRAINT, btree (b)
    "p_c_idx" btree (c)
    "p_partial" btree (e) WHERE c > 0
Referenced by:
    TABLE "r" CONSTRAINT "r_pa_fkey" FOREIGN KEY (pa) REFERENCES p(a)

"#,
        ),
    ),
    (
        "\\d r",
        Expect::Same(
            r#"                            Table "public.r"
 Column |  Type   | Collation | Nullable |            Default            
--------+---------+-----------+----------+-------------------------------
 id     | integer |           | not null | nextval('r_id_seq'::regclass)
 pa     | integer |           |          | 
Indexes:
    "r_pkey" PRIMARY KEY, btree (id)
Foreign-key constraints:
    "r_pa_fkey" FOREIGN KEY (pa) REFERENCES p(a)

"#,
        ),
    ),
    (
        "\\dt",
        Expect::Same(
            r#"        List of relations
 Schema | Name | Type  |  Owner   
--------+------+-------+----------
 public | p    | table | postgres
 public | r    | table | postgres
(2 rows)

"#,
        ),
    ),
    (
        "\\di",
        Expect::Same(
            r#"               List of relations
 Schema |   Name    | Type  |  Owner   | Table 
--------+-----------+-------+----------+-------
 public | p_b_key   | index | postgres | p
 public | p_c_idx   | index | postgres | p
 public | p_partial | index | postgres | p
 public | p_pkey    | index | postgres | p
 public | r_pkey    | index | postgres | r
(5 rows)

"#,
        ),
    ),
    (
        "\\dv",
        Expect::Same(
            r#"        List of relations
 Schema | Name | Type |  Owner   
--------+------+------+----------
 public | v    | view | postgres
(1 row)

"#,
        ),
    ),
    (
        "\\ds",
        Expect::Same(
            r#"            List of relations
 Schema |   Name   |   Type   |  Owner   
--------+----------+----------+----------
 public | r_id_seq | sequence | postgres
 public | s        | sequence | postgres
(2 rows)

"#,
        ),
    ),
    (
        "\\dn",
        Expect::Same(
            r#"      List of schemas
  Name  |       Owner       
--------+-------------------
 public | pg_database_owner
(1 row)

"#,
        ),
    ),
    (
        "\\dn+",
        Expect::Same(
            r#"                                       List of schemas
  Name  |       Owner       |           Access privileges            |      Description       
--------+-------------------+----------------------------------------+------------------------
 public | pg_database_owner | pg_database_owner=UC/pg_database_owner+| standard public schema
        |                   | =U/pg_database_owner                   | 
(1 row)

"#,
        ),
    ),
    (
        "\\l",
        Expect::Same(
            r#"                                            List of databases
   Name    |  Owner   | Encoding | Collate | Ctype | ICU Locale | Locale Provider |   Access privileges   
-----------+----------+----------+---------+-------+------------+-----------------+-----------------------
 postgres  | postgres | UTF8     | C       | C     |            | libc            | 
 template0 | postgres | UTF8     | C       | C     |            | libc            | =c/postgres          +
           |          |          |         |       |            |                 | postgres=CTc/postgres
 template1 | postgres | UTF8     | C       | C     |            | libc            | =c/postgres          +
           |          |          |         |       |            |                 | postgres=CTc/postgres
(3 rows)

"#,
        ),
    ),
    (
        "\\df abs",
        Expect::Same(
            r#"                         List of functions
   Schema   | Name | Result data type | Argument data types | Type 
------------+------+------------------+---------------------+------
 pg_catalog | abs  | bigint           | bigint              | func
 pg_catalog | abs  | double precision | double precision    | func
 pg_catalog | abs  | integer          | integer             | func
 pg_catalog | abs  | numeric          | numeric             | func
 pg_catalog | abs  | real             | real                | func
 pg_catalog | abs  | smallint         | smallint            | func
(6 rows)

"#,
        ),
    ),
    (
        "\\df count",
        Expect::Same(
            r#"                         List of functions
   Schema   | Name  | Result data type | Argument data types | Type 
------------+-------+------------------+---------------------+------
 pg_catalog | count | bigint           |                     | agg
 pg_catalog | count | bigint           | "any"               | agg
(2 rows)

"#,
        ),
    ),
    (
        "\\df row_number",
        Expect::Same(
            r#"                             List of functions
   Schema   |    Name    | Result data type | Argument data types |  Type  
------------+------------+------------------+---------------------+--------
 pg_catalog | row_number | bigint           |                     | window
(1 row)

"#,
        ),
    ),
    (
        "\\dT",
        Expect::Same(
            r#"     List of data types
 Schema | Name | Description 
--------+------+-------------
(0 rows)

"#,
        ),
    ),
    (
        "\\du",
        Expect::Same(
            r#"                                   List of roles
 Role name |                         Attributes                         | Member of 
-----------+------------------------------------------------------------+-----------
 postgres  | Superuser, Create role, Create DB, Replication, Bypass RLS | {}

"#,
        ),
    ),
    (
        "\\d+ p",
        Expect::Same(
            r#"                                                           Table "public.p"
 Column |         Type          | Collation | Nullable |        Default         | Storage  | Compression | Stats target | Description 
--------+-----------------------+-----------+----------+------------------------+----------+-------------+--------------+-------------
 a      | integer               |           | not null |                        | plain    |             |              | 
 b      | text                  |           |          |                        | extended |             |              | 
 c      | integer               |           | not null | 7                      | plain    |             |              | 
 d      | character varying(10) |           |          | 'x'::character varying | extended |             |              | 
 e      | text                  |           |          |                        | extended |             |              | 
Indexes:
    "p_pkey" PRIMARY KEY, btree (a)
    "p_b_key" UNIQUE CONSTRAINT, btree (b)
    "p_c_idx" btree (c)
    "p_partial" btree (e) WHERE c > 0
Referenced by:
    TABLE "r" CONSTRAINT "r_pa_fkey" FOREIGN KEY (pa) REFERENCES p(a)
Access method: heap

"#,
        ),
    ),
    (
        "\\d+ r",
        Expect::Same(
            r#"                                                       Table "public.r"
 Column |  Type   | Collation | Nullable |            Default            | Storage | Compression | Stats target | Description 
--------+---------+-----------+----------+-------------------------------+---------+-------------+--------------+-------------
 id     | integer |           | not null | nextval('r_id_seq'::regclass) | plain   |             |              | 
 pa     | integer |           |          |                               | plain   |             |              | 
Indexes:
    "r_pkey" PRIMARY KEY, btree (id)
Foreign-key constraints:
    "r_pa_fkey" FOREIGN KEY (pa) REFERENCES p(a)
Access method: heap

"#,
        ),
    ),
    (
        "\\d v",
        Expect::Same(
            r#"                  View "public.v"
 Column |  Type   | Collation | Nullable | Default 
--------+---------+-----------+----------+---------
 a      | integer |           |          | 
 b      | text    |           |          | 

"#,
        ),
    ),
    (
        "\\d+ v",
        Expect::Same(
            r#"                              View "public.v"
 Column |  Type   | Collation | Nullable | Default | Storage  | Description 
--------+---------+-----------+----------+---------+----------+-------------
 a      | integer |           |          |         | plain    | 
 b      | text    |           |          |         | extended | 
View definition:
 SELECT p.a,
    p.b
   FROM p;

"#,
        ),
    ),
    (
        "\\d s",
        Expect::Same(
            r#"                             Sequence "public.s"
  Type  | Start | Minimum |       Maximum       | Increment | Cycles? | Cache 
--------+-------+---------+---------------------+-----------+---------+-------
 bigint |     1 |       1 | 9223372036854775807 |         1 | no      |     1

"#,
        ),
    ),
    (
        "\\d p_pkey",
        Expect::Same(
            r#"        Index "public.p_pkey"
 Column |  Type   | Key? | Definition 
--------+---------+------+------------
 a      | integer | yes  | a
primary key, btree, for table "public.p"

"#,
        ),
    ),
    // PostgreSQL lists plpgsql; tusk has no extensions (pg_extension is empty).
    (
        "\\dx",
        Expect::Tusk(
            r#"     List of installed extensions
 Name | Version | Schema | Description 
------+---------+--------+-------------
(0 rows)

"#,
        ),
    ),
    // PostgreSQL's p is 8192 bytes: pg_table_size counts its TOAST
    // table's index, which tusk's pg_table_size leaves out.
    (
        "\\dt+",
        Expect::Tusk(
            r#"                                   List of relations
 Schema | Name | Type  |  Owner   | Persistence | Access method |  Size   | Description 
--------+------+-------+----------+-------------+---------------+---------+-------------
 public | p    | table | postgres | permanent   | heap          | 0 bytes | 
 public | r    | table | postgres | permanent   | heap          | 0 bytes | 
(2 rows)

"#,
        ),
    ),
    // PostgreSQL's empty btree is its metapage alone (8192 bytes); tusk's
    // has a root page too.
    (
        "\\di+",
        Expect::Tusk(
            r#"                                         List of relations
 Schema |   Name    | Type  |  Owner   | Table | Persistence | Access method | Size  | Description 
--------+-----------+-------+----------+-------+-------------+---------------+-------+-------------
 public | p_b_key   | index | postgres | p     | permanent   | btree         | 16 kB | 
 public | p_c_idx   | index | postgres | p     | permanent   | btree         | 16 kB | 
 public | p_partial | index | postgres | p     | permanent   | btree         | 16 kB | 
 public | p_pkey    | index | postgres | p     | permanent   | btree         | 16 kB | 
 public | r_pkey    | index | postgres | r     | permanent   | btree         | 16 kB | 
(5 rows)

"#,
        ),
    ),
    (
        "\\des",
        Expect::Same(
            r#"       List of foreign servers
 Name | Owner | Foreign-data wrapper 
------+-------+----------------------
(0 rows)

"#,
        ),
    ),
    (
        "\\dew",
        Expect::Same(
            r#"   List of foreign-data wrappers
 Name | Owner | Handler | Validator 
------+-------+---------+-----------
(0 rows)

"#,
        ),
    ),
    (
        "\\det",
        Expect::Same(
            r#" List of foreign tables
 Schema | Table | Server 
--------+-------+--------
(0 rows)

"#,
        ),
    ),
    (
        "\\deu",
        Expect::Same(
            r#"List of user mappings
 Server | User name 
--------+-----------
(0 rows)

"#,
        ),
    ),
    (
        "\\dy",
        Expect::Same(
            r#"              List of event triggers
 Name | Event | Owner | Enabled | Function | Tags 
------+-------+-------+---------+----------+------
(0 rows)

"#,
        ),
    ),
    (
        "\\dd",
        Expect::Same(
            r#"         Object descriptions
 Schema | Name | Object | Description 
--------+------+--------+-------------
(0 rows)

"#,
        ),
    ),
    (
        "\\dRp",
        Expect::Same(
            r#"                              List of publications
 Name | Owner | All tables | Inserts | Updates | Deletes | Truncates | Via root 
------+-------+------------+---------+---------+---------+-----------+----------
(0 rows)

"#,
        ),
    ),
    (
        "\\dRs",
        Expect::Same(
            r#"        List of subscriptions
 Name | Owner | Enabled | Publication 
------+-------+---------+-------------
(0 rows)

"#,
        ),
    ),
    (
        "\\dP",
        Expect::Same(
            r#"    List of partitioned relations
 Schema | Name | Owner | Type | Table 
--------+------+-------+------+-------
(0 rows)

"#,
        ),
    ),
    (
        "\\sf abs(int4)",
        Expect::Same(
            r#"CREATE OR REPLACE FUNCTION pg_catalog.abs(integer)
 RETURNS integer
 LANGUAGE internal
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$int4abs$function$
"#,
        ),
    ),
    (
        "\\do",
        Expect::Same(
            r#"                             List of operators
 Schema | Name | Left arg type | Right arg type | Result type | Description 
--------+------+---------------+----------------+-------------+-------------
(0 rows)

"#,
        ),
    ),
    (
        "\\dAc btree integer",
        Expect::Same(
            r#"                   List of operator classes
  AM   | Input type | Storage type | Operator class | Default? 
-------+------------+--------------+----------------+----------
 btree | integer    |              | int4_ops       | yes
(1 row)

"#,
        ),
    ),
    (
        "\\dAf btree integer",
        Expect::Same(
            r#"              List of operator families
  AM   | Operator family |     Applicable types      
-------+-----------------+---------------------------
 btree | integer_ops     | smallint, integer, bigint
(1 row)

"#,
        ),
    ),
    (
        "\\dAo btree integer_ops",
        Expect::Same(
            r#"                List of operators of operator families
  AM   | Operator family |       Operator        | Strategy | Purpose 
-------+-----------------+-----------------------+----------+---------
 btree | integer_ops     | <(bigint,bigint)      |        1 | search
 btree | integer_ops     | <=(bigint,bigint)     |        2 | search
 btree | integer_ops     | =(bigint,bigint)      |        3 | search
 btree | integer_ops     | >=(bigint,bigint)     |        4 | search
 btree | integer_ops     | >(bigint,bigint)      |        5 | search
 btree | integer_ops     | <(integer,integer)    |        1 | search
 btree | integer_ops     | <=(integer,integer)   |        2 | search
 btree | integer_ops     | =(integer,integer)    |        3 | search
 btree | integer_ops     | >=(integer,integer)   |        4 | search
 btree | integer_ops     | >(integer,integer)    |        5 | search
 btree | integer_ops     | <(smallint,smallint)  |        1 | search
 btree | integer_ops     | <=(smallint,smallint) |        2 | search
 btree | integer_ops     | =(smallint,smallint)  |        3 | search
 btree | integer_ops     | >=(smallint,smallint) |        4 | search
 btree | integer_ops     | >(smallint,smallint)  |        5 | search
 btree | integer_ops     | <(bigint,integer)     |        1 | search
 btree | integer_ops     | <=(bigint,integer)    |        2 | search
 btree | integer_ops     | =(bigint,integer)     |        3 | search
 btree | integer_ops     | >=(bigint,integer)    |        4 | search
 btree | integer_ops     | >(bigint,integer)     |        5 | search
 btree | integer_ops     | <(bigint,smallint)    |        1 | search
 btree | integer_ops     | <=(bigint,smallint)   |        2 | search
 btree | integer_ops     | =(bigint,smallint)    |        3 | search
 btree | integer_ops     | >=(bigint,smallint)   |        4 | search
 btree | integer_ops     | >(bigint,smallint)    |        5 | search
 btree | integer_ops     | <(integer,bigint)     |        1 | search
 btree | integer_ops     | <=(integer,bigint)    |        2 | search
 btree | integer_ops     | =(integer,bigint)     |        3 | search
 btree | integer_ops     | >=(integer,bigint)    |        4 | search
 btree | integer_ops     | >(integer,bigint)     |        5 | search
 btree | integer_ops     | <(integer,smallint)   |        1 | search
 btree | integer_ops     | <=(integer,smallint)  |        2 | search
 btree | integer_ops     | =(integer,smallint)   |        3 | search
 btree | integer_ops     | >=(integer,smallint)  |        4 | search
 btree | integer_ops     | >(integer,smallint)   |        5 | search
 btree | integer_ops     | <(smallint,bigint)    |        1 | search
 btree | integer_ops     | <=(smallint,bigint)   |        2 | search
 btree | integer_ops     | =(smallint,bigint)    |        3 | search
 btree | integer_ops     | >=(smallint,bigint)   |        4 | search
 btree | integer_ops     | >(smallint,bigint)    |        5 | search
 btree | integer_ops     | <(smallint,integer)   |        1 | search
 btree | integer_ops     | <=(smallint,integer)  |        2 | search
 btree | integer_ops     | =(smallint,integer)   |        3 | search
 btree | integer_ops     | >=(smallint,integer)  |        4 | search
 btree | integer_ops     | >(smallint,integer)   |        5 | search
(45 rows)

"#,
        ),
    ),
    (
        "\\dconfig work_mem",
        Expect::Same(
            r#"List of configuration parameters
 Parameter | Value 
-----------+-------
 work_mem  | 4MB
(1 row)

"#,
        ),
    ),
    // PostgreSQL lists plpgsql; tusk's only language is internal, which
    // \dL leaves out (it has no call handler).
    (
        "\\dL",
        Expect::Tusk(
            r#"          List of languages
 Name | Owner | Trusted | Description 
------+-------+---------+-------------
(0 rows)

"#,
        ),
    ),
    // PostgreSQL lists the btree support functions (btint4cmp, …); tusk's
    // btree compares natively, so pg_amproc is empty.
    (
        "\\dAp btree integer_ops",
        Expect::Tusk(
            r#"                     List of support functions of operator families
 AM | Operator family | Registered left type | Registered right type | Number | Function 
----+-----------------+----------------------+-----------------------+--------+----------
(0 rows)

"#,
        ),
    ),
    // tusk has no text search: the pg_ts_* catalogs are empty.
    (
        "\\dF",
        Expect::Tusk(
            r#"List of text search configurations
 Schema | Name | Description 
--------+------+-------------
(0 rows)

"#,
        ),
    ),
    (
        "\\dFd",
        Expect::Tusk(
            r#"List of text search dictionaries
 Schema | Name | Description 
--------+------+-------------
(0 rows)

"#,
        ),
    ),
    (
        "\\dFp",
        Expect::Tusk(
            r#" List of text search parsers
 Schema | Name | Description 
--------+------+-------------
(0 rows)

"#,
        ),
    ),
    (
        "\\dFt",
        Expect::Tusk(
            r#"List of text search templates
 Schema | Name | Description 
--------+------+-------------
(0 rows)

"#,
        ),
    ),
];

fn psql(server: &TestServer, command: &str) -> (bool, String, String) {
    let out = Command::new("psql")
        .args(["-X", "-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "postgres", "-c", command])
        .output()
        .expect("run psql");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn describe_commands_print_as_postgres_does() {
    if Command::new("psql").arg("--version").output().is_err() {
        eprintln!("psql not installed; skipping");
        return;
    }
    let server = TestServer::start(&[]);
    let (ok, _, stderr) = psql(&server, SCHEMA);
    assert!(ok && stderr.is_empty(), "schema: {stderr}");
    let mut failures = Vec::new();
    for (command, expect) in CASES {
        let (ok, stdout, stderr) = psql(&server, command);
        match expect {
            Expect::Same(want) | Expect::Tusk(want) => {
                if !ok || !stderr.is_empty() || stdout != *want {
                    failures.push(format!("{command}:\n--- want\n{want}--- got\n{stdout}{stderr}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The command tags psql prints for the SET family, as PostgreSQL's.
#[test]
fn set_commands_answer_with_postgres_tags() {
    if Command::new("psql").arg("--version").output().is_err() {
        eprintln!("psql not installed; skipping");
        return;
    }
    let server = TestServer::start(&[]);
    let cases = [
        ("SET work_mem = '8MB'", "SET\n"),
        ("SET work_mem TO DEFAULT", "SET\n"),
        ("SET TIME ZONE DEFAULT", "SET\n"),
        ("SET app.user_id = 7", "SET\n"),
        ("RESET work_mem", "RESET\n"),
        ("RESET ALL", "RESET\n"),
    ];
    for (command, want) in cases {
        let (ok, stdout, stderr) = psql(&server, command);
        assert!(ok && stderr.is_empty(), "{command}: {stderr}");
        assert_eq!(stdout, want, "{command}");
    }
}
