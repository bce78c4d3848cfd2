package dev.runstream.sink;

import com.clickhouse.client.api.Client;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.sink.internal.Migrations;
import java.util.List;

/**
 * The ClickHouse schema of runstream: the database and its tables, created by versioned, idempotent
 * migrations recorded in {@code <database>.schema_migrations}. {@link ClickHouseSink} applies them
 * at start-up; the CLI and tests may call {@link #migrate} themselves.
 */
public final class ClickHouseSchema {
  private ClickHouseSchema() {}

  /**
   * Creates {@code database} if missing and applies every migration not yet recorded. Safe to call
   * any number of times and from several processes. Blocks.
   *
   * @param client a client for a ClickHouse server of version 18.16 or newer; not closed
   * @return the migration versions this call applied, empty when the schema was current
   */
  public static List<Integer> migrate(Client client, String database) {
    return Migrations.apply(new ClickHouseHttp(client, false), database);
  }

  /** The schema version the current code creates. */
  public static int latestVersion() {
    return Migrations.latestVersion();
  }
}
