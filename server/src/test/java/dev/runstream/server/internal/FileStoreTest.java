package dev.runstream.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStoreTest {
  private final RunKey run = new RunKey("team", "proj ect", "abc123");

  @Test
  void shouldAcceptOnlyItsOwnSignatureForTheSameFileOfTheSameRun(@TempDir Path dir) {
    FileStore store = new FileStore(dir);
    String sig = store.sign(run, "config.yaml");
    assertThat(store.verify(run, "config.yaml", sig)).isTrue();
    assertThat(store.verify(run, "output.log", sig)).isFalse();
    assertThat(store.verify(new RunKey("other", "proj ect", "abc123"), "config.yaml", sig))
        .isFalse();
    assertThat(store.verify(run, "config.yaml", null)).isFalse();
    // A second server on the same directory shares the secret; another directory does not.
    assertThat(new FileStore(dir).verify(run, "config.yaml", sig)).isTrue();
    assertThat(new FileStore(dir.resolve("elsewhere")).verify(run, "config.yaml", sig)).isFalse();
  }

  @Test
  void shouldRefuseNamesThatLeaveTheRunsDirectory(@TempDir Path dir) {
    FileStore store = new FileStore(dir);
    assertThatThrownBy(() -> store.file(run, "../../x")).isInstanceOf(WandbException.class);
    assertThatThrownBy(() -> store.file(run, "/etc/passwd")).isInstanceOf(WandbException.class);
    assertThat(store.file(run, "media/a.png").startsWith(store.runDir(run))).isTrue();
    assertThat(store.file(new RunKey("..", "..", ".."), "f").startsWith(dir.resolve("files")))
        .isTrue();
  }

  @Test
  void shouldStoreUploadsAndRewriteRetriedLinesInPlace(@TempDir Path dir) throws Exception {
    FileStore store = new FileStore(dir);
    store.put(
        run, "config.yaml", new ByteArrayInputStream("a: 1\n".getBytes(StandardCharsets.UTF_8)));
    assertThat(Files.readString(store.file(run, "config.yaml"))).isEqualTo("a: 1\n");
    store.lines(run, "output.log", 0, List.of("one\n", "two\n"));
    store.lines(run, "output.log", 1, List.of("two\n", "three\n"));
    assertThat(Files.readAllLines(store.file(run, "output.log")))
        .containsExactly("one", "two", "three");
  }
}
