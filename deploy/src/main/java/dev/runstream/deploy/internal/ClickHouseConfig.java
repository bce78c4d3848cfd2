package dev.runstream.deploy.internal;

import dev.runstream.deploy.ClickHouseTeams;
import java.nio.file.Path;

/**
 * Generates a self-contained ClickHouse server configuration: loopback ports, all paths in one
 * directory, and its own users file, so nothing depends on the package's files in /etc.
 */
public final class ClickHouseConfig {
  private ClickHouseConfig() {}

  /**
   * Returns {@code config.xml}. The root element is {@code <yandex>}, which 18.16 requires and
   * current releases still accept.
   *
   * @param httpPort HTTP interface port
   * @param tcpPort native protocol port
   * @param dir the server's directory
   * @return the XML
   */
  public static String configXml(int httpPort, int tcpPort, Path dir) {
    String d = xmlEscape(dir.toAbsolutePath().toString());
    return """
        <?xml version="1.0"?>
        <yandex>
          <logger>
            <level>information</level>
            <log>%1$s/clickhouse-server.log</log>
            <errorlog>%1$s/clickhouse-server.err.log</errorlog>
            <size>50M</size>
            <count>2</count>
          </logger>
          <listen_host>127.0.0.1</listen_host>
          <http_port>%2$d</http_port>
          <tcp_port>%3$d</tcp_port>
          <max_connections>1024</max_connections>
          <keep_alive_timeout>3</keep_alive_timeout>
          <max_concurrent_queries>100</max_concurrent_queries>
          <uncompressed_cache_size>268435456</uncompressed_cache_size>
          <mark_cache_size>268435456</mark_cache_size>
          <path>%1$s/data/</path>
          <tmp_path>%1$s/tmp/</tmp_path>
          <user_files_path>%1$s/user_files/</user_files_path>
          <format_schema_path>%1$s/format_schemas/</format_schema_path>
          <users_config>%1$s/users.xml</users_config>
          <default_profile>default</default_profile>
          <default_database>default</default_database>
          <timezone>UTC</timezone>
          <mlock_executable>false</mlock_executable>
        </yandex>
        """
        .formatted(d, httpPort, tcpPort);
  }

  /**
   * Returns {@code users.xml}: user {@code default} without password from any network; the server
   * listens on 127.0.0.1 only, which is what keeps it private.
   *
   * @return the XML
   */
  public static String usersXml() {
    return usersXml(null);
  }

  /**
   * Returns {@code users.xml} for teams sharing the server: no {@code default} user (it would read
   * everything without a password), the writer, and a read-only user per team limited to the team's
   * database ({@link ClickHouseTeams#usersXml()}).
   *
   * @param teams the logins; null for the single-user file of {@link #usersXml()}
   * @return the XML
   */
  public static String usersXml(ClickHouseTeams teams) {
    String profiles = teams == null ? "" : ClickHouseTeams.readerProfileXml();
    String users =
        teams == null
            ? """
                <default>
                  <password></password>
                  <networks>
                    <ip>::/0</ip>
                  </networks>
                  <profile>default</profile>
                  <quota>default</quota>
                </default>
            """
            : teams.usersXml();
    return """
        <?xml version="1.0"?>
        <yandex>
          <profiles>
            <default>
              <max_memory_usage>4000000000</max_memory_usage>
              <load_balancing>random</load_balancing>
            </default>
            <readonly>
              <readonly>1</readonly>
            </readonly>
        %1$s  </profiles>
          <users>
        %2$s  </users>
          <quotas>
            <default>
              <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
              </interval>
            </default>
          </quotas>
        </yandex>
        """
        .formatted(profiles, users);
  }

  private static String xmlEscape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
