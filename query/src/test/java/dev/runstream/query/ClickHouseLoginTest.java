package dev.runstream.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.clickhouse.client.api.ServerException;
import dev.runstream.schemas.config.ConfigProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClickHouseLoginTest {
  @TempDir Path dir;

  @Test
  void shouldTakeThePasswordFileOverThePasswordAndNameItsSource() throws Exception {
    Path secret = Files.writeString(dir.resolve("pw"), "s3cret\n");

    ClickHouseLogin login =
        ClickHouseLogin.fromConfig(
            ConfigProperties.of(
                Map.of(
                    "CLICKHOUSE_URL", "http://127.0.0.1:8123",
                    "CLICKHOUSE_USER", "team_b",
                    "CLICKHOUSE_PASSWORD", "ignored",
                    "CLICKHOUSE_PASSWORD_FILE", secret.toString(),
                    "CLICKHOUSE_DATABASE", "runstream_b")));

    assertThat(login.password()).isEqualTo("s3cret");
    assertThat(login.user()).isEqualTo("team_b");
    assertThat(login.database()).isEqualTo("runstream_b");
    assertThat(login.passwordSource())
        .contains("CLICKHOUSE_PASSWORD_FILE")
        .contains(secret.toString());
    assertThat(login.toString()).doesNotContain("s3cret");
    assertThat(login.refusedMessage())
        .contains("team_b", "CLICKHOUSE_PASSWORD_FILE")
        .doesNotContain("s3cret");
  }

  @Test
  void shouldDefaultToUserDefaultWithoutPasswordAndSaySo() {
    ClickHouseLogin login = ClickHouseLogin.fromConfig(ConfigProperties.of(Map.of()));

    assertThat(login.user()).isEqualTo("default");
    assertThat(login.password()).isEmpty();
    assertThat(login.database()).isEqualTo("runstream");
    assertThat(login.passwordSource()).contains("neither CLICKHOUSE_PASSWORD_FILE");
  }

  @Test
  void shouldNameTheSettingOfAnUnreadablePasswordFile() {
    Path missing = dir.resolve("missing");
    assertThatThrownBy(
            () ->
                ClickHouseLogin.fromConfig(
                    ConfigProperties.of(Map.of("CLICKHOUSE_PASSWORD_FILE", missing.toString()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CLICKHOUSE_PASSWORD_FILE")
        .hasMessageContaining(missing.toString());
  }

  @Test
  void shouldTellARefusedLoginFromARefusedQuery() {
    assertThat(
            ClickHouseLogin.isRefusedLogin(
                new IllegalStateException(
                    "wrapped", new ServerException(193, "Wrong password for user b", 500, "q"))))
        .isTrue();
    assertThat(
            ClickHouseLogin.isRefusedLogin(
                new ServerException(516, "Authentication failed", 500, "q")))
        .isTrue();
    // What the client makes of 18.16's answer: code 0, the number only in the text.
    assertThat(
            ClickHouseLogin.isRefusedLogin(
                new ServerException(
                    0,
                    "Code: 193, e.displayText() = DB::Exception: Wrong password for user team_b",
                    401,
                    "q")))
        .isTrue();
    assertThat(
            ClickHouseLogin.isRefusedLogin(
                new ServerException(
                    0, "Code: 291, e.displayText() = DB::Exception: Access denied", 500, "q")))
        .isFalse();
    assertThat(
            ClickHouseLogin.isRefusedLogin(
                new ServerException(291, "Access denied to database runstream_a", 500, "q")))
        .isFalse();
  }
}
