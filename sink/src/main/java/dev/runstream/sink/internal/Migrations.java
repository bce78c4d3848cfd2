package dev.runstream.sink.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.Json;
import dev.runstream.query.internal.Sql;
import dev.runstream.query.internal.Tables;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned schema migrations. Each migration is a list of idempotent steps; after they ran, a row
 * (version, description, applied time) goes into {@code schema_migrations}. Two sinks starting at
 * once may both apply a migration: every step is idempotent ({@code IF NOT EXISTS}, a column added
 * only when {@code system.columns} lacks it, backfills into tables whose keys deduplicate), a step
 * that lost the race between check and statement is run once more (and then finds its work done),
 * and the bookkeeping table is a ReplacingMergeTree on version, read with FINAL.
 *
 * <p>A shipped migration is never edited; a change is a new version appended to {@link #ALL}.
 */
public final class Migrations {
  /** One idempotent change of the schema. */
  public sealed interface Step permits Statement, AddColumn, AddTimeColumn {}

  /**
   * A statement; {@code %1$s} is the quoted database, {@code %2$s} the type for short repeated
   * strings and {@code %3$s} a codec clause for floats (see {@link ServerFeatures}).
   */
  public record Statement(String sql) implements Step {}

  /**
   * {@code ALTER TABLE ... ADD COLUMN}, skipped when the column exists (18.16 lacks IF NOT EXISTS).
   */
  public record AddColumn(String table, String column, String type) implements Step {}

  /**
   * A {@code MATERIALIZED} column that shows {@code millisColumn} (epoch milliseconds) as a time,
   * with milliseconds where the server has {@code DateTime64} ({@link ServerFeatures}); skipped
   * when the column exists. Inserts need not name it, so older sinks keep working.
   */
  public record AddTimeColumn(String table, String column, String millisColumn) implements Step {}

  /** One step of the schema. */
  public record Migration(int version, String description, List<Step> steps) {}

  /** Every migration, by ascending version. */
  public static final List<Migration> ALL = List.of(v1(), v2(), v3(), v4());

  private static final Logger log = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {}

  private static Migration v1() {
    return new Migration(
        1,
        "runs, run events, metrics, system metrics, run states, metric summaries, alerts",
        statements(
            Tables.CREATE_RUNS,
            Tables.CREATE_RUN_EVENTS,
            Tables.CREATE_METRICS.replace("%2$s", Tables.METRICS),
            Tables.CREATE_METRICS.replace("%2$s", Tables.SYSTEM_METRICS),
            Tables.CREATE_RUN_STATES,
            Tables.CREATE_METRIC_SUMMARIES,
            Tables.CREATE_ALERTS));
  }

  private static Migration v2() {
    List<Step> steps = new ArrayList<>();
    for (List<String> c : Tables.ADD_COLUMNS_V2) {
      steps.add(new AddColumn(c.get(0), c.get(1), c.get(2)));
    }
    steps.add(new Statement(Tables.CREATE_RUN_ATTRIBUTES));
    steps.add(new Statement(Tables.CREATE_METRIC_ROLLUPS));
    Tables.BACKFILL_RUN_ATTRIBUTES_V2.forEach(sql -> steps.add(new Statement(sql)));
    Rollups.backfillStatements(Rollups.LEVELS_V2).forEach(sql -> steps.add(new Statement(sql)));
    return new Migration(
        2,
        "run summary name/timestamps/user summary, metric goal/EMA/best, run attributes, rollups",
        steps);
  }

  private static Migration v3() {
    return new Migration(
        3,
        "alert and run event times with milliseconds (DateTime64 where the server has it)",
        List.of(
            new AddTimeColumn(Tables.ALERTS, "at", "time_ms"),
            new AddTimeColumn(Tables.RUN_EVENTS, "at", "time_ms")));
  }

  private static Migration v4() {
    // Rows at widths 32 and 128 for what is stored, each from the stored level below it. Sinks of
    // this version write every level; a sink of an earlier version still running leaves its later
    // points out of these two widths, which the sink that next writes such a series notices (its
    // levels disagree) and repairs by recomputing the series.
    return new Migration(
        4,
        "rollups at widths 32 and 128, so curves read one level without regrouping",
        List.of(
            new Statement(Rollups.backfillStatement(32, 16)),
            new Statement(Rollups.backfillStatement(128, 64))));
  }

  private static List<Step> statements(String... sql) {
    List<Step> out = new ArrayList<>();
    for (String s : sql) {
      out.add(new Statement(s));
    }
    return out;
  }

  /** The highest version in {@link #ALL}. */
  public static int latestVersion() {
    return ALL.get(ALL.size() - 1).version();
  }

  /**
   * Creates {@code database} if missing and applies every migration not yet recorded there. Blocks.
   *
   * @return the versions applied by this call, empty when the schema was current
   */
  public static List<Integer> apply(ClickHouseHttp clickHouse, String database) {
    String db = Sql.identifier(database);
    ServerFeatures features = ServerFeatures.detect(clickHouse);
    clickHouse.execute("CREATE DATABASE IF NOT EXISTS " + db);
    clickHouse.execute(String.format(Tables.CREATE_MIGRATIONS, db));
    Set<Integer> applied = new HashSet<>();
    for (JsonNode row :
        clickHouse.queryJson("SELECT version FROM " + db + ".schema_migrations FINAL")) {
      applied.add((int) Json.toLong(row.get("version")));
    }
    List<Integer> done = new ArrayList<>();
    for (Migration migration : ALL) {
      if (applied.contains(migration.version())) {
        continue;
      }
      log.info(
          "applying ClickHouse migration {} to {} (server {}): {}",
          migration.version(),
          database,
          features.version(),
          migration.description());
      for (Step step : migration.steps()) {
        try {
          run(clickHouse, database, db, features, step);
        } catch (RuntimeException e) {
          // Another sink starting at the same time may have taken the step between our check and
          // our statement (18.16 checks "IF NOT EXISTS" and our "column missing" non-atomically).
          // Every step is idempotent: run again, it finds the work done; a real error fails again.
          log.info(
              "migration {} step failed, trying it once more: {}",
              migration.version(),
              ErrorClassifier.reason(e));
          run(clickHouse, database, db, features, step);
        }
      }
      clickHouse.execute(
          "INSERT INTO "
              + db
              + ".schema_migrations (version, description, applied_at) VALUES ("
              + migration.version()
              + ", "
              + Sql.literal(migration.description())
              + ", now())");
      done.add(migration.version());
    }
    return done;
  }

  private static void run(
      ClickHouseHttp clickHouse, String database, String db, ServerFeatures f, Step step) {
    String sql =
        sql(db, f, step, (table, column) -> columnExists(clickHouse, database, table, column));
    if (sql != null) {
      clickHouse.execute(sql);
    }
  }

  /** Whether a table has a column; 18.16 has no {@code ADD COLUMN IF NOT EXISTS}. */
  public interface Columns {
    boolean exists(String table, String column);
  }

  /**
   * The statement {@code step} runs on a server with {@code features}, or null when there is
   * nothing to do (a column that exists).
   *
   * @param db the quoted database
   */
  public static String sql(String db, ServerFeatures features, Step step, Columns columns) {
    if (step instanceof Statement s) {
      return String.format(s.sql(), db, features.shortStringType(), features.floatCodec());
    }
    if (step instanceof AddColumn a) {
      return columns.exists(a.table(), a.column())
          ? null
          : "ALTER TABLE "
              + db
              + "."
              + Sql.identifier(a.table())
              + " ADD COLUMN "
              + Sql.identifier(a.column())
              + " "
              + Objects.requireNonNull(a.type());
    }
    AddTimeColumn t = (AddTimeColumn) step;
    return columns.exists(t.table(), t.column())
        ? null
        : "ALTER TABLE "
            + db
            + "."
            + Sql.identifier(t.table())
            + " ADD COLUMN "
            + Sql.identifier(t.column())
            + " "
            + features.millisTimeType()
            + " MATERIALIZED "
            + features.millisTime(Sql.identifier(t.millisColumn()));
  }

  private static boolean columnExists(
      ClickHouseHttp clickHouse, String database, String table, String column) {
    String exists =
        "SELECT count() AS c FROM system.columns WHERE database = "
            + Sql.literal(database)
            + " AND table = "
            + Sql.literal(table)
            + " AND name = "
            + Sql.literal(column);
    return Json.toLong(clickHouse.queryJson(exists).get(0).get("c")) > 0;
  }
}
