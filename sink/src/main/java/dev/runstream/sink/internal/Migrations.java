package dev.runstream.sink.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned schema migrations. Each migration is a list of idempotent statements ({@code IF NOT
 * EXISTS}); after they ran, a row (version, description, applied time) goes into {@code
 * schema_migrations}. Two sinks starting at once may both apply a migration: the statements are
 * idempotent and the bookkeeping table is a ReplacingMergeTree on version, read with FINAL, so that
 * race is harmless.
 *
 * <p>A shipped migration is never edited; a change is a new version appended to {@link #ALL}.
 */
public final class Migrations {
  /** One step of the schema. {@code statements} use {@code %1$s} for the quoted database. */
  public record Migration(int version, String description, List<String> statements) {}

  /** Every migration, by ascending version. */
  public static final List<Migration> ALL =
      List.of(
          new Migration(
              1,
              "runs, run events, metrics, system metrics, run states, metric summaries, alerts",
              List.of(
                  Tables.CREATE_RUNS,
                  Tables.CREATE_RUN_EVENTS,
                  Tables.CREATE_METRICS.replace("%2$s", Tables.METRICS),
                  Tables.CREATE_METRICS.replace("%2$s", Tables.SYSTEM_METRICS),
                  Tables.CREATE_RUN_STATES,
                  Tables.CREATE_METRIC_SUMMARIES,
                  Tables.CREATE_ALERTS)));

  private static final Logger log = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {}

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
          "applying ClickHouse migration {} to {}: {}",
          migration.version(),
          database,
          migration.description());
      for (String statement : migration.statements()) {
        clickHouse.execute(String.format(statement, db));
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
}
