package dev.runstream.query;

import com.clickhouse.client.api.ServerException;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where and as whom to read ClickHouse: its URL, user, password and database, and where the
 * password came from, so that a refused login can name the setting to fix.
 *
 * <p>{@link #fromConfig} reads the configuration layer: {@code CLICKHOUSE_URL}, {@code
 * CLICKHOUSE_USER} (default {@code default}), {@code CLICKHOUSE_PASSWORD_FILE} (its first line) or
 * else {@code CLICKHOUSE_PASSWORD} (default empty), and {@code CLICKHOUSE_DATABASE} (default {@code
 * runstream}). A password file keeps the password off command lines and out of the environment that
 * {@code ps e} shows.
 *
 * @param url ClickHouse's HTTP URL, e.g. {@code http://127.0.0.1:8123}
 * @param user the user
 * @param password its password (hidden by {@link #toString()})
 * @param database the database holding the sink's tables
 * @param passwordSource where the password came from, for messages, e.g. {@code
 *     CLICKHOUSE_PASSWORD_FILE (/run/secrets/ch)}; never the password itself
 */
public record ClickHouseLogin(
    String url, String user, String password, String database, String passwordSource) {
  // WRONG_PASSWORD and UNKNOWN_USER on 18.16; REQUIRED_PASSWORD; AUTHENTICATION_FAILED on newer
  // servers, which no longer say which of user or password was wrong.
  private static final Set<Integer> LOGIN_REFUSED = Set.of(192, 193, 194, 516);
  private static final Pattern CODE_IN_MESSAGE = Pattern.compile("Code: (\\d+)");

  public ClickHouseLogin {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(passwordSource, "passwordSource");
  }

  /**
   * The login the configuration names; the URL may be missing (empty) when the caller has another
   * source for it. Blocks to read a password file.
   *
   * @param config the configuration
   * @return the login
   * @throws IllegalArgumentException naming {@code CLICKHOUSE_PASSWORD_FILE} when that file cannot
   *     be read
   */
  public static ClickHouseLogin fromConfig(ConfigProperties config) {
    Objects.requireNonNull(config, "config");
    String url = config.getString(Settings.CLICKHOUSE_URL, "");
    String user = config.getString(Settings.CLICKHOUSE_USER, "default");
    String database = config.getString(Settings.CLICKHOUSE_DATABASE, "runstream");
    Optional<Path> file = config.getPath(Settings.CLICKHOUSE_PASSWORD_FILE);
    if (file.isPresent()) {
      return new ClickHouseLogin(
          url,
          user,
          readPasswordFile(file.get()),
          database,
          Settings.CLICKHOUSE_PASSWORD_FILE.name() + " (" + file.get() + ")");
    }
    Optional<String> password = config.getString(Settings.CLICKHOUSE_PASSWORD);
    return new ClickHouseLogin(
        url,
        user,
        password.orElse(""),
        database,
        password.isPresent()
            ? Settings.CLICKHOUSE_PASSWORD.name()
            : "no password (neither "
                + Settings.CLICKHOUSE_PASSWORD_FILE.name()
                + " nor "
                + Settings.CLICKHOUSE_PASSWORD.name()
                + " is set)");
  }

  /**
   * The first line of {@code file}, the way secrets are mounted: a trailing newline is not part of
   * the password. Blocks.
   *
   * @param file the file
   * @return the password
   * @throws IllegalArgumentException naming {@code CLICKHOUSE_PASSWORD_FILE} when it cannot be read
   */
  public static String readPasswordFile(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("");
    } catch (IOException e) {
      throw new IllegalArgumentException(
          Settings.CLICKHOUSE_PASSWORD_FILE.name() + ": cannot read " + file + ": " + e, e);
    }
  }

  /**
   * This login with another URL.
   *
   * @param newUrl the URL
   * @return the login
   */
  public ClickHouseLogin withUrl(String newUrl) {
    return new ClickHouseLogin(newUrl, user, password, database, passwordSource);
  }

  /**
   * Whether {@code failure} (or a cause of it) is ClickHouse refusing this user or password, rather
   * than a query.
   *
   * @param failure what a query threw
   * @return whether the login was refused
   */
  public static boolean isRefusedLogin(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ServerException e) {
        if (LOGIN_REFUSED.contains(e.getCode())) {
          return true;
        }
        // The client does not parse 18.16's error text ("Code: 193, e.displayText() = ..."): its
        // code comes out as 0, and the number is only in the message.
        Matcher code = CODE_IN_MESSAGE.matcher(String.valueOf(e.getMessage()));
        if (code.find() && LOGIN_REFUSED.contains(Integer.parseInt(code.group(1)))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A message for a refused login that names the user and where its password came from, without the
   * password.
   *
   * @return the message
   */
  public String refusedMessage() {
    return "ClickHouse at "
        + url
        + " refused user "
        + user
        + " with the password from "
        + passwordSource
        + ": check "
        + Settings.CLICKHOUSE_USER.name()
        + " and the password there";
  }

  @Override
  public String toString() {
    return "ClickHouseLogin[url="
        + url
        + ", user="
        + user
        + ", database="
        + database
        + ", password from "
        + passwordSource
        + "]";
  }
}
