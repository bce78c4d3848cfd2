package dev.runstream.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The ClickHouse users of teams sharing one server: a writer for the sinks, and per team a reader
 * that sees only that team's database.
 *
 * <p>ClickHouse 18.16 has no row filter for a user (its users file knows {@code allow_databases}
 * but ignores {@code <databases><db><table><filter>}, which came with 19.x; views over another
 * database are refused to a user who may not read that database). So each team's sink writes to the
 * team's own database ({@link Login#database()}, {@code runstream_<team>}), and the team's user may
 * read only that database, read-only ({@code readonly=2}: settings may change, data and schema may
 * not, and {@code readonly} itself may not be lifted).
 *
 * <p>The logins are kept in a properties file ({@link #FILE_NAME}, owner-only permissions) so that
 * passwords never appear on a command line:
 *
 * <pre>
 * writer.user=runstream_writer
 * writer.password=...
 * team.&lt;team&gt;.user=team_&lt;team&gt;
 * team.&lt;team&gt;.password=...
 * team.&lt;team&gt;.database=runstream_&lt;team&gt;
 * </pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class ClickHouseTeams {
  /** The name of the logins file in a stack's data directory: {@value}. */
  public static final String FILE_NAME = "clickhouse-logins.properties";

  /**
   * The directory beside the logins file holding one password file per user ({@code <user>}, the
   * password and a newline, owner-only), for {@code CLICKHOUSE_PASSWORD_FILE}: {@value}.
   */
  public static final String PASSWORD_DIR = "clickhouse-passwords";

  /** The user the sinks write as: {@value}. */
  public static final String WRITER_USER = "runstream_writer";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Login writer;
  private final Map<String, Login> teams;
  private final Path passwordDir;

  /**
   * A user, its password and the database it reads.
   *
   * @param user the ClickHouse user
   * @param password its password (never logged; {@link #toString()} hides it)
   * @param database the database: a team's own, or {@code runstream} for the writer
   */
  public record Login(String user, String password, String database) {
    public Login {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(password, "password");
      Objects.requireNonNull(database, "database");
    }

    @Override
    public String toString() {
      return "Login[user=" + user + ", database=" + database + "]";
    }
  }

  private ClickHouseTeams(Login writer, Map<String, Login> teams, Path file) {
    this.writer = writer;
    this.teams = Map.copyOf(teams);
    this.passwordDir = file.toAbsolutePath().resolveSibling(PASSWORD_DIR);
  }

  /**
   * New logins with random passwords for {@code teams}, reusing the ones {@code file} holds if it
   * exists (a stack restarted on a kept data directory keeps its passwords), and writing the result
   * back to {@code file} with owner-only permissions. Blocks for the file.
   *
   * @param file the logins file
   * @param teams team names (letters, digits, '.', '_', '-'); two names that map to one database
   *     name ({@code a.b} and {@code a_b}) are refused
   * @return the logins
   * @throws IllegalArgumentException for an invalid or clashing team name
   * @throws UncheckedIOException if the file cannot be read or written
   */
  public static ClickHouseTeams createOrReuse(Path file, Collection<String> teams) {
    Objects.requireNonNull(file, "file");
    Optional<ClickHouseTeams> old = Files.exists(file) ? Optional.of(read(file)) : Optional.empty();
    Login writer =
        old.map(ClickHouseTeams::writer)
            .orElseGet(() -> new Login(WRITER_USER, newPassword(), "runstream"));
    Map<String, Login> logins = new TreeMap<>();
    Map<String, String> byDatabase = new TreeMap<>();
    for (String team : teams) {
      String t = requireTeam(team);
      String name = sanitize(t);
      String clash = byDatabase.put(name, t);
      if (clash != null && !clash.equals(t)) {
        throw new IllegalArgumentException(
            "teams '"
                + clash
                + "' and '"
                + t
                + "' would share the ClickHouse database runstream_"
                + name);
      }
      Login login =
          old.flatMap(o -> o.team(t))
              .orElseGet(() -> new Login("team_" + name, newPassword(), databaseOf(t)));
      logins.put(t, login);
    }
    ClickHouseTeams result = new ClickHouseTeams(writer, logins, file);
    result.write(file);
    return result;
  }

  /**
   * Reads a logins file written by {@link #createOrReuse}. Blocks.
   *
   * @param file the file
   * @return its logins
   * @throws UncheckedIOException if it cannot be read
   * @throws IllegalArgumentException if it lacks the writer
   */
  public static ClickHouseTeams read(Path file) {
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the ClickHouse logins in " + file, e);
    }
    String writerUser = props.getProperty("writer.user");
    String writerPassword = props.getProperty("writer.password");
    if (writerUser == null || writerPassword == null) {
      throw new IllegalArgumentException(file + " names no writer.user and writer.password");
    }
    Map<String, Login> teams = new TreeMap<>();
    for (String key : props.stringPropertyNames()) {
      if (key.startsWith("team.") && key.endsWith(".user")) {
        String team = key.substring("team.".length(), key.length() - ".user".length());
        String prefix = "team." + team + ".";
        teams.put(
            team,
            new Login(
                props.getProperty(key),
                props.getProperty(prefix + "password", ""),
                props.getProperty(prefix + "database", "runstream_" + sanitize(team))));
      }
    }
    return new ClickHouseTeams(
        new Login(writerUser, writerPassword, props.getProperty("writer.database", "runstream")),
        teams,
        file);
  }

  /**
   * The user the sinks write as; it may create databases and tables, and read every database.
   *
   * @return the writer's login
   */
  public Login writer() {
    return writer;
  }

  /**
   * The file holding {@code login}'s password alone, owner-only: what {@code
   * CLICKHOUSE_PASSWORD_FILE} names for a sink writing as the writer or a CLI reading as a team.
   *
   * @param login the writer or a team's login
   * @return the file, in {@link #PASSWORD_DIR} beside the logins file
   */
  public Path passwordFile(Login login) {
    return passwordDir.resolve(login.user());
  }

  /**
   * The reader of {@code team}, if the team has one.
   *
   * @param team the team
   * @return its login
   */
  public Optional<Login> team(String team) {
    return Optional.ofNullable(teams.get(team));
  }

  /**
   * Every team's reader, by team name (sorted).
   *
   * @return the logins
   */
  public Map<String, Login> teams() {
    return new LinkedHashMap<>(new TreeMap<>(teams));
  }

  /**
   * The {@code <users>} entries of a users file for these logins: the writer, and per team a
   * read-only user limited to its database. Passwords are in clear text, because 18.16 knows no
   * hashed form; the file must be private to the server's owner.
   *
   * @return the XML elements, without the {@code <users>} element around them
   */
  public String usersXml() {
    StringBuilder xml = new StringBuilder();
    xml.append(user(writer, "default", null));
    for (Login login : teams().values()) {
      xml.append(user(login, "team_reader", login.database()));
    }
    return xml.toString();
  }

  /**
   * The {@code <profiles>} entry a team reader uses: {@code readonly=2}.
   *
   * @return the XML element
   */
  public static String readerProfileXml() {
    return """
            <team_reader>
              <readonly>2</readonly>
            </team_reader>
        """;
  }

  private static String user(Login login, String profile, String onlyDatabase) {
    StringBuilder xml = new StringBuilder();
    xml.append("    <").append(login.user()).append(">\n");
    xml.append("      <password>").append(xmlEscape(login.password())).append("</password>\n");
    xml.append("      <networks><ip>::/0</ip></networks>\n");
    xml.append("      <profile>").append(profile).append("</profile>\n");
    xml.append("      <quota>default</quota>\n");
    if (onlyDatabase != null) {
      xml.append("      <allow_databases><database>")
          .append(onlyDatabase)
          .append("</database></allow_databases>\n");
    }
    xml.append("    </").append(login.user()).append(">\n");
    return xml.toString();
  }

  private void write(Path file) {
    Properties props = new Properties();
    props.setProperty("writer.user", writer.user());
    props.setProperty("writer.password", writer.password());
    props.setProperty("writer.database", writer.database());
    teams.forEach(
        (team, login) -> {
          props.setProperty("team." + team + ".user", login.user());
          props.setProperty("team." + team + ".password", login.password());
          props.setProperty("team." + team + ".database", login.database());
        });
    StringWriter text = new StringWriter();
    try {
      props.store(text, "ClickHouse logins of a runstream stack; keep private");
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    writePrivate(file, text.toString());
    writePrivate(passwordFile(writer), writer.password() + "\n");
    teams.values().forEach(login -> writePrivate(passwordFile(login), login.password() + "\n"));
  }

  /**
   * Writes {@code text} to {@code file} with owner-only permissions (mode 600) from the moment it
   * exists, for files holding passwords. Blocks.
   *
   * @param file the file
   * @param text its content
   * @throws UncheckedIOException if it cannot be written
   */
  public static void writePrivate(Path file, String text) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * The database a team's sink writes and its user reads by convention: {@code runstream_<team>},
   * with '.' and '-' as '_'.
   *
   * @param team the team
   * @return the database name
   * @throws IllegalArgumentException for an invalid team name
   */
  public static String databaseOf(String team) {
    return "runstream_" + sanitize(requireTeam(team));
  }

  private static String requireTeam(String team) {
    Objects.requireNonNull(team, "team");
    if (!team.matches("[a-zA-Z0-9._-]+")) {
      throw new IllegalArgumentException(
          "team must be letters, digits, '.', '_' or '-', got '" + team + "'");
    }
    return team;
  }

  // ClickHouse 18.16 reads users by configuration keys split at '.', and database names are
  // identifiers: both must be letters, digits and '_'.
  private static String sanitize(String team) {
    return team.replace('.', '_').replace('-', '_');
  }

  private static String newPassword() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String xmlEscape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
