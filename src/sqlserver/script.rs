//! `chainwatch collect --print-sql`: a T-SQL script that builds the same
//! snapshot JSON with sqlcmd, for hosts the console cannot reach.
//!
//! Each catalog query runs through `sp_executesql` inside TRY/CATCH, so a
//! missing permission or object leaves that table absent with the reason,
//! exactly like the live collection. Needs SQL Server 2016+ (FOR JSON).
//!
//! ```text
//! sqlcmd -S SERVER -E -x -i collect.sql -y 0 -h -1 -o snapshot.json
//! ```

use super::queries::{self, Scope};

fn lit(text: &str) -> String {
    crate::tsql::quote_string(text)
}

/// The whole script; `horizon_days` bounds the backup history window.
pub fn collection_script(horizon_days: u32) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "-- chainwatch collection script ({fmt}).\n\
         -- Run: sqlcmd -S SERVER -E -x -i collect.sql -y 0 -h -1 -o snapshot.json  (-x: no sqlcmd variable substitution)\n\
         -- Then: chainwatch --snapshot snapshot.json\n\
         -- Read-only: only SELECTs on catalog views, msdb and Managed Backup functions.\n\
         -- Needs SQL Server 2016 or later (FOR JSON): older servers stop at the next batch, with the reason.\n\
         :on error exit\n\
         IF CAST(PARSENAME(CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)), 4) AS int) < 13\n\
         \x20   RAISERROR(N'chainwatch: this script needs SQL Server 2016 or later (FOR JSON); collect this server with chainwatch collect from a host that reaches it.', 16, 1);\n\
         GO\n\
         SET NOCOUNT ON;\n\
         DECLARE @major int = CAST(PARSENAME(CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)), 4) AS int);\n\
         DECLARE @tables nvarchar(max) = N'', @missing nvarchar(max) = N'', @rows nvarchar(max), @j nvarchar(max), @q nvarchar(max), @db sysname, @err nvarchar(4000), @ok bit, @hidden nvarchar(max);\n\
         DECLARE @dbs TABLE (name sysname, managed_mb bit, managed_sa bit);\n\
         INSERT INTO @dbs (name, managed_mb, managed_sa) SELECT d.name, 0, 0 FROM sys.databases AS d WHERE d.database_id > 4 AND d.state = 0;\n\
         IF @major >= 13 BEGIN TRY EXEC sp_executesql N'UPDATE x SET managed_mb = 1 FROM @d AS x JOIN msdb.managed_backup.fn_backup_db_config(NULL) AS c ON c.db_name = x.name WHERE c.is_dropped = 0', N'@d int', 0; END TRY BEGIN CATCH END CATCH;\n\n",
        fmt = crate::snapshot::FORMAT
    ));
    // Table variables are not visible in sp_executesql: keep the managed list in a temp table.
    s = s.replace(
        "IF @major >= 13 BEGIN TRY EXEC sp_executesql N'UPDATE x SET managed_mb = 1 FROM @d AS x JOIN msdb.managed_backup.fn_backup_db_config(NULL) AS c ON c.db_name = x.name WHERE c.is_dropped = 0', N'@d int', 0; END TRY BEGIN CATCH END CATCH;\n",
        "CREATE TABLE #managed (name sysname, schema_name sysname);\n\
         IF @major >= 13 BEGIN TRY EXEC (N'INSERT INTO #managed SELECT c.db_name, N''managed_backup'' FROM msdb.managed_backup.fn_backup_db_config(NULL) AS c'); END TRY BEGIN CATCH END CATCH;\n",
    );
    let mut have = Vec::new();
    for (i, q) in queries::ALL.iter().enumerate() {
        let (from, before) = q.versions();
        // 2016+ is all the script runs on: queries only for older servers are left out.
        if before <= 13 {
            continue;
        }
        let mut cond = match (from, before) {
            (0..=13, u32::MAX) => "1 = 1".to_string(),
            (f, u32::MAX) => format!("@major >= {f}"),
            (0..=13, b) => format!("@major < {b}"),
            (f, b) => format!("@major >= {f} AND @major < {b}"),
        };
        // Shapes of one table are tried in order until one reads.
        let key_text = format!("\"{}\":", q.table);
        if have.contains(&q.table) {
            cond = format!("({cond}) AND CHARINDEX({}, @tables) = 0", lit(&key_text));
        }
        have.push(q.table);
        let last_shape = !queries::ALL[i + 1..]
            .iter()
            .any(|o| o.table == q.table && o.versions().1 > 13);
        let Ok(sql) = queries::render(q.sql, 0, horizon_days, None) else {
            continue;
        };
        // The database name is a parameter (@db_name), never pasted into the text.
        let sql = queries::fill(&sql, &|n| (n == "db_name").then(|| "@db_name".to_string()));
        let key = lit(&key_text);
        let body = format!("SET @j = ({sql}\nFOR JSON PATH, INCLUDE_NULL_VALUES);");
        s.push_str(&format!(
            "-- {}: {}\nIF {cond}\nBEGIN\n    SET @rows = N''; SET @ok = 1; SET @hidden = N'';\n",
            q.name, q.table
        ));
        let run = |query: &str, per_db: bool| {
            let (params, args, catch) = if per_db {
                (
                    "N'@j nvarchar(max) OUTPUT, @db_name sysname'",
                    "@j OUTPUT, @db",
                    // One database that refuses (no user: 916; unreadable secondary: 976; a
                    // denied object: 229) hides that database, not the table.
                    "            IF ERROR_NUMBER() IN (916, 976, 229, 297, 300) SET @hidden += CASE WHEN @hidden = N'' THEN N'' ELSE N', ' END + @db + N' (error ' + CAST(ERROR_NUMBER() AS nvarchar(11)) + N')';\n            ELSE BEGIN SET @ok = 0; SET @err = ERROR_MESSAGE(); END;\n",
                )
            } else {
                (
                    "N'@j nvarchar(max) OUTPUT'",
                    "@j OUTPUT",
                    "            SET @ok = 0; SET @err = ERROR_MESSAGE();\n",
                )
            };
            format!(
                "        BEGIN TRY\n            SET @j = NULL;\n            EXEC sp_executesql {query}, {params}, {args};\n            IF @j IS NOT NULL SET @rows += CASE WHEN @rows = N'' THEN N'' ELSE N',' END + SUBSTRING(@j, 2, LEN(@j) - 2);\n        END TRY\n        BEGIN CATCH\n{catch}        END CATCH;\n"
            )
        };
        match q.scope {
            Scope::Server | Scope::Window => {
                s.push_str("    BEGIN\n");
                s.push_str(&run(&lit(&body), false));
                s.push_str("    END;\n");
            }
            Scope::PerDatabase | Scope::PerManagedDatabase => {
                let source = if q.scope == Scope::PerDatabase {
                    "SELECT name FROM @dbs".to_string()
                } else {
                    let schema = if q.name.starts_with("MB_") {
                        "managed_backup"
                    } else {
                        "smart_admin"
                    };
                    format!("SELECT name FROM #managed WHERE schema_name = N'{schema}'")
                };
                // One REPLACE: the bracketed name put in is never searched again.
                s.push_str(&format!(
                    "    DECLARE c CURSOR LOCAL FAST_FORWARD FOR {source};\n    OPEN c; FETCH NEXT FROM c INTO @db;\n    WHILE @@FETCH_STATUS = 0 AND @ok = 1\n    BEGIN\n        SET @q = REPLACE({}, N'{{db}}', QUOTENAME(@db));\n",
                    lit(&body)
                ));
                s.push_str(&run("@q", true));
                s.push_str(
                    "        FETCH NEXT FROM c INTO @db;\n    END;\n    CLOSE c; DEALLOCATE c;\n",
                );
            }
        }
        let failed = if last_shape {
            format!("    ELSE SET @missing += CASE WHEN @missing = N'' THEN N'' ELSE N',' END + {key} + N'\"' + REPLACE(REPLACE(@err, N'\\', N'\\\\'), N'\"', N'\\\"') + N'\"';\n")
        } else {
            String::new()
        };
        s.push_str(&format!(
            "    IF @ok = 1 SET @tables += CASE WHEN @tables = N'' THEN N'' ELSE N',' END + {key} + N'[' + @rows + N']';\n{failed}    IF @ok = 1 AND @hidden <> N'' SET @missing += CASE WHEN @missing = N'' THEN N'' ELSE N',' END + {key} + N'\"not visible in ' + STRING_ESCAPE(@hidden, 'json') + N'\"';\nEND;\n\n"
        ));
    }
    s.push_str(&format!(
        "DECLARE @server nvarchar(max) = ({}\nFOR JSON PATH, WITHOUT_ARRAY_WRAPPER, INCLUDE_NULL_VALUES);\n\
         SELECT N'{{\"format\":\"{}\",\"collected_at\":\"' + CONVERT(nvarchar(19), SYSUTCDATETIME(), 126) + N'Z\",\"source\":\"sqlcmd\",\"instances\":[{{\"name\":' + N'\"' + STRING_ESCAPE(CAST(SERVERPROPERTY('ServerName') AS nvarchar(128)), 'json') + N'\"' + N',\"server\":' + @server + N',\"tables\":{{' + @tables + N'}},\"missing\":{{' + @missing + N'}}}}]}}';\n",
        queries::SERVER,
        crate::snapshot::FORMAT
    ));
    s
}
