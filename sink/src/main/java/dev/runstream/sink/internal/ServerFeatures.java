package dev.runstream.sink.internal;

import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.Json;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the connected ClickHouse server supports beyond 18.16, decided once from {@code SELECT
 * version()}. Tables created by a migration use {@code LowCardinality(String)} for short repeated
 * strings, {@code CODEC(Gorilla, LZ4)} for float columns and {@code DateTime64(3)} for millisecond
 * times only on 20.1 or newer, where all three exist; older servers get plain {@code String}, the
 * default compression and {@code DateTime} (seconds), so one migration works on both. Only the
 * 18.16 path is exercised against a server by this repository's tests (no newer server runs here);
 * the newer one is checked as SQL text.
 *
 * @param version the server's version text, e.g. {@code 18.16.1}
 * @param major the major version (18 for 18.16.1), 0 when it could not be read
 * @param minor the minor version
 */
public record ServerFeatures(String version, int major, int minor) {
  private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+).*");

  /** Asks the server. Blocks for one round trip. */
  public static ServerFeatures detect(ClickHouseHttp clickHouse) {
    String v = Json.text(clickHouse.queryJson("SELECT version() AS v").get(0).get("v"));
    return parse(v);
  }

  /** Parses a version text; unknown text means "no extras". */
  public static ServerFeatures parse(String version) {
    Matcher m = VERSION.matcher(version.strip());
    if (!m.matches()) {
      return new ServerFeatures(version, 0, 0);
    }
    return new ServerFeatures(version, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
  }

  /** Whether LowCardinality and column codecs may be used (20.1 or newer). */
  public boolean modern() {
    return major >= 20;
  }

  /** The type of short strings repeated in many rows (team, project, metric names). */
  public String shortStringType() {
    return modern() ? "LowCardinality(String)" : "String";
  }

  /** A codec clause for Float64 columns of slowly changing values, or empty. */
  public String floatCodec() {
    return modern() ? "CODEC(Gorilla, LZ4)" : "";
  }

  /**
   * The type of a time with milliseconds: {@code DateTime64(3)}, or {@code DateTime} before 20.1.
   */
  public String millisTimeType() {
    return modern() ? "DateTime64(3)" : "DateTime";
  }

  /** {@code millisColumn} (epoch milliseconds, Int64) as a {@link #millisTimeType()} value. */
  public String millisTime(String millisColumn) {
    return modern()
        ? "toDateTime64(" + millisColumn + " / 1000, 3)"
        : "toDateTime(intDiv(" + millisColumn + ", 1000))";
  }
}
