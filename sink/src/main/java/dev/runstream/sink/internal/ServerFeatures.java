package dev.runstream.sink.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the connected ClickHouse server supports beyond 18.16, decided once from {@code SELECT
 * version()}. Tables created by a migration use {@code LowCardinality(String)} for short repeated
 * strings and {@code CODEC(Gorilla, LZ4)} for float columns only on 20.1 or newer, where both are
 * stable; older servers get plain {@code String} and the default compression, so one DDL text works
 * on both. Only the 18.16 path is exercised by this repository's tests (no newer server runs here).
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
}
