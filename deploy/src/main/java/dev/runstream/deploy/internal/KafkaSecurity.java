package dev.runstream.deploy.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The users, passwords and ACLs of a broker started with SASL/SCRAM: a super user {@code admin}
 * (the broker itself and the stack's own tools), and per team two users, each allowed only on names
 * that start with the team's prefix {@code <team>.} (topics, consumer groups, transactional ids):
 *
 * <table>
 *   <caption>Users and what they may do</caption>
 *   <tr><th>user</th><th>for</th><th>topics {@code <team>.*}</th>
 *       <th>groups {@code <team>.*}</th><th>transactional ids {@code <team>.*}</th></tr>
 *   <tr><td>{@code <team>}</td><td>the team's SDK runs, server, CLI</td>
 *       <td>read, write, describe, create, describe configs</td><td>read, describe</td>
 *       <td>write, describe</td></tr>
 *   <tr><td>{@code <team>.service}</td><td>the team's processor and sink (Kafka Streams
 *       application id and sink group {@code <team>.*}, so their internal topics share the
 *       prefix)</td><td>all</td><td>all</td><td>all</td></tr>
 * </table>
 *
 * Team names may not hold a dot, so that no team's prefix is the start of another's. Passwords are
 * random, kept in {@code credentials.properties} (mode 600) beside the broker's data so that a
 * stack started again on the same data directory keeps them, and written for clients into one Kafka
 * client properties file per user (mode 600), for {@code RUNSTREAM_KAFKA_PROPERTIES_FILE}.
 */
public final class KafkaSecurity {
  /** The user name of a team's processor and sink is the team's with this suffix. */
  public static final String SERVICE_SUFFIX = ".service";

  private static final int SCRAM_ITERATIONS = 4096;
  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final List<String> teams;
  private final Path clientsDir;
  private final Map<String, String> passwords;

  private KafkaSecurity(List<String> teams, Path clientsDir, Map<String, String> passwords) {
    this.teams = teams;
    this.clientsDir = clientsDir;
    this.passwords = passwords;
  }

  /**
   * Checks a team name for a secure broker.
   *
   * @return the name
   * @throws IllegalArgumentException unless it is letters, digits, '_' or '-'
   */
  public static String requireTeam(String team) {
    Objects.requireNonNull(team, "team");
    if (!team.matches("[a-zA-Z0-9_-]+")) {
      throw new IllegalArgumentException(
          "a team of a secure Kafka must be letters, digits, '_' or '-' (no '.': its topic prefix"
              + " would start another team's): '"
              + team
              + "'");
    }
    return team;
  }

  /** The prefix of a team's topics, consumer groups and transactional ids: {@code <team>.}. */
  public static String prefix(String team) {
    return requireTeam(team) + ".";
  }

  /**
   * Reads the passwords kept in {@code credentialsFile}, makes those that are missing, keeps them
   * all there and writes every user's client properties file into {@code clientsDir}.
   *
   * @param teams the teams, each checked with {@link #requireTeam}
   * @param credentialsFile where passwords are kept (private to this user)
   * @param clientsDir where the client properties files go
   * @param bootstrap the broker's address, written into the client files
   * @return the security of the stack
   */
  public static KafkaSecurity prepare(
      List<String> teams, Path credentialsFile, Path clientsDir, String bootstrap) {
    teams.forEach(KafkaSecurity::requireTeam);
    Map<String, String> passwords = new LinkedHashMap<>(read(credentialsFile));
    List<String> users = new ArrayList<>();
    users.add(KafkaConfig.ADMIN_USER);
    for (String team : teams) {
      users.add(team);
      users.add(team + SERVICE_SUFFIX);
    }
    for (String user : users) {
      passwords.computeIfAbsent(user, u -> newPassword());
    }
    StringBuilder kept = new StringBuilder("# SCRAM passwords of the stack's Kafka users\n");
    passwords.forEach(
        (user, password) -> kept.append(user).append('=').append(password).append('\n'));
    writePrivate(credentialsFile, kept.toString());
    KafkaSecurity security = new KafkaSecurity(List.copyOf(teams), clientsDir, passwords);
    for (String user : users) {
      writePrivate(security.clientPropertiesFile(user), security.clientFile(user, bootstrap));
    }
    return security;
  }

  /** The teams. */
  public List<String> teams() {
    return teams;
  }

  /** The super user's password. */
  public String adminPassword() {
    return passwords.get(KafkaConfig.ADMIN_USER);
  }

  /**
   * The client properties file of a user: {@code admin}, a team or a team's service user.
   *
   * @param user the user name
   * @return the file, {@code <clientsDir>/<user>.properties}
   */
  public Path clientPropertiesFile(String user) {
    return clientPropertiesFile(clientsDir, user);
  }

  /** The client properties file of {@code user} in {@code clientsDir}. */
  public static Path clientPropertiesFile(Path clientsDir, String user) {
    return clientsDir.resolve(user + ".properties");
  }

  /** The client properties of {@code user}, for a client made here (the stack's probe). */
  public Map<String, Object> clientProperties(String user) {
    return Map.of(
        "security.protocol",
        "SASL_PLAINTEXT",
        "sasl.mechanism",
        KafkaConfig.SCRAM,
        "sasl.jaas.config",
        KafkaConfig.scramJaas(user, passwords.get(user)));
  }

  private String clientFile(String user, String bootstrap) {
    StringBuilder sb = new StringBuilder();
    sb.append("# Kafka client properties of user ").append(user);
    sb.append(": use with RUNSTREAM_KAFKA_PROPERTIES_FILE; keep private (it holds a password)\n");
    if (!user.equals(KafkaConfig.ADMIN_USER)) {
      String team =
          user.endsWith(SERVICE_SUFFIX)
              ? user.substring(0, user.length() - SERVICE_SUFFIX.length())
              : user;
      sb.append("# topics, consumer groups and transactional ids must start with ")
          .append(prefix(team))
          .append(" (RUNSTREAM_TOPIC_PREFIX=")
          .append(prefix(team))
          .append(")\n");
    }
    sb.append("bootstrap.servers=").append(bootstrap).append('\n');
    clientProperties(user).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    return sb.toString();
  }

  /** The ACLs of every team's two users. */
  public List<AclBinding> acls() {
    List<AclBinding> acls = new ArrayList<>();
    for (String team : teams) {
      String prefix = prefix(team);
      String user = "User:" + team;
      for (AclOperation op :
          List.of(
              AclOperation.READ,
              AclOperation.WRITE,
              AclOperation.DESCRIBE,
              AclOperation.CREATE,
              AclOperation.DESCRIBE_CONFIGS)) {
        acls.add(allow(ResourceType.TOPIC, prefix, user, op));
      }
      acls.add(allow(ResourceType.GROUP, prefix, user, AclOperation.READ));
      acls.add(allow(ResourceType.GROUP, prefix, user, AclOperation.DESCRIBE));
      acls.add(allow(ResourceType.TRANSACTIONAL_ID, prefix, user, AclOperation.WRITE));
      acls.add(allow(ResourceType.TRANSACTIONAL_ID, prefix, user, AclOperation.DESCRIBE));
      String service = "User:" + team + SERVICE_SUFFIX;
      for (ResourceType type :
          List.of(ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID)) {
        acls.add(allow(type, prefix, service, AclOperation.ALL));
      }
    }
    return acls;
  }

  private static AclBinding allow(
      ResourceType type, String prefix, String principal, AclOperation op) {
    return new AclBinding(
        new ResourcePattern(type, prefix, PatternType.PREFIXED),
        new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW));
  }

  /**
   * Creates (or resets to the kept password) every team user's SCRAM credential and every ACL, then
   * waits until the broker serves them, so that a client started next is let in. Idempotent.
   *
   * @param admin a client logged in as the super user
   * @throws Exception if the broker refuses or does not answer within 10 s a step
   */
  public void provision(Admin admin) throws Exception {
    List<UserScramCredentialAlteration> upserts = new ArrayList<>();
    for (String team : teams) {
      for (String user : List.of(team, team + SERVICE_SUFFIX)) {
        upserts.add(
            new UserScramCredentialUpsertion(
                user,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
                passwords.get(user)));
      }
    }
    if (upserts.isEmpty()) {
      return;
    }
    get(admin.alterUserScramCredentials(upserts).all());
    List<AclBinding> acls = acls();
    get(admin.createAcls(acls).all());
    // The controller committed both; the broker serves them once it applied the metadata.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Set<String> described = get(admin.describeUserScramCredentials().all()).keySet();
      int aclsServed = get(admin.describeAcls(AclBindingFilter.ANY).values()).size();
      if (upserts.stream().allMatch(u -> described.contains(u.user()))
          && aclsServed >= acls.size()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("the broker does not serve the new users and ACLs after 10 s");
      }
      Thread.sleep(100); // polling interval of a condition with a deadline
    }
  }

  private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) throws Exception {
    try {
      return future.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private static String newPassword() {
    StringBuilder sb = new StringBuilder(24);
    for (int i = 0; i < 24; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  private static Map<String, String> read(Path file) {
    if (!Files.exists(file)) {
      return Map.of();
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) {
      map.put(key, p.getProperty(key));
    }
    return map;
  }

  /**
   * Writes {@code text} to {@code file}, readable and writable by this user only (on file systems
   * with POSIX permissions): the file is created private before a secret goes into it.
   *
   * @param file the file
   * @param text its content
   */
  public static void writePrivate(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(file); // not POSIX: the directory's own protection must do
      }
      Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
