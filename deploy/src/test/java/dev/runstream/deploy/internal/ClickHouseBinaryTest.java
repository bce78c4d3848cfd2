package dev.runstream.deploy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClickHouseBinaryTest {

  @Test
  void searchesPathThenTheDebianLocations() {
    List<Path> dirs = ClickHouseBinary.searchPath("/opt/x:/usr/bin::/opt/y");

    assertThat(dirs)
        .containsExactly(
            Path.of("/opt/x"),
            Path.of("/usr/bin"),
            Path.of("/opt/y"),
            Path.of("/usr/sbin"),
            Path.of("/usr/local/bin"));
    assertThat(ClickHouseBinary.searchPath(null)).contains(Path.of("/usr/sbin"));
  }

  @Test
  void findsOnlyAnExecutableFile(@TempDir Path a, @TempDir Path b) throws Exception {
    Files.writeString(a.resolve("clickhouse-server"), "not executable");
    Path exe = Files.writeString(b.resolve("clickhouse-server"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));

    assertThat(ClickHouseBinary.find(List.of(a, b))).contains(exe);
    assertThat(ClickHouseBinary.find(List.of(a))).isEmpty();
  }

  @Test
  void theHintSaysHowToInstallOrWhatToSet() {
    assertThat(ClickHouseBinary.HOW_TO_GET_IT)
        .contains("apt-get install -y clickhouse-server clickhouse-client")
        .contains("CLICKHOUSE_URL");
  }
}
