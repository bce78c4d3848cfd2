package dev.runstream.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SettingsTest {
  private static final Pattern LITERAL = Pattern.compile("\"(RUNSTREAM_[A-Z0-9_]+)\"");

  @Test
  void shouldNameEverySettingOnceWithADescription() {
    Set<String> names = new HashSet<>();
    for (Setting s : Settings.all()) {
      assertThat(names.add(s.name())).as("%s named twice", s.name()).isTrue();
      for (String alias : s.aliases()) {
        assertThat(names.add(alias)).as("%s named twice", alias).isTrue();
      }
      assertThat(s.description()).as(s.name()).isNotBlank();
      assertThat(Settings.byName(s.name())).contains(s);
    }
    assertThat(Settings.byName("KAFKA_BOOTSTRAP")).contains(Settings.KAFKA_BOOTSTRAP);
    assertThat(Settings.byName("RUNSTREAM_NOT_A_SETTING")).isEmpty();
  }

  @Test
  void shouldHoldEveryRunstreamVariableThatMainCodeNames() throws IOException {
    // The modules sit next to this one; their main code must not name a variable the catalogue
    // does not know, or the README and the catalogue would drift from what programs read.
    Path root = Path.of("").toAbsolutePath().getParent();
    Set<String> missing = new TreeSet<>();
    int files = 0;
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path file :
          paths
              .filter(p -> p.toString().endsWith(".java"))
              .filter(p -> p.toString().contains("/src/main/java/"))
              .toList()) {
        files++;
        Matcher m = LITERAL.matcher(read(file));
        while (m.find()) {
          if (Settings.byName(m.group(1)).isEmpty()) {
            missing.add(m.group(1) + " in " + root.relativize(file));
          }
        }
      }
    }
    assertThat(files).as("main sources found under %s", root).isGreaterThan(50);
    assertThat(missing).isEmpty();
  }

  @Test
  void shouldHoldEveryRunstreamVariableTheReadmesName() throws IOException {
    // A README that documents a variable no program reads would send a reader astray. A name that
    // ends in '_' is a family (Grafana's RUNSTREAM_CLICKHOUSE_*), not a variable.
    Pattern named = Pattern.compile("RUNSTREAM_[A-Z0-9_]*[A-Z0-9]\\b(?!_)");
    Path root = Path.of("").toAbsolutePath().getParent();
    Set<String> missing = new TreeSet<>();
    int readmes = 0;
    try (Stream<Path> paths = Files.walk(root, 2)) {
      for (Path file : paths.filter(p -> p.getFileName().toString().equals("README.md")).toList()) {
        readmes++;
        Matcher m = named.matcher(read(file));
        while (m.find()) {
          if (Settings.byName(m.group()).isEmpty()) {
            missing.add(m.group() + " in " + root.relativize(file));
          }
        }
      }
    }
    assertThat(readmes).isGreaterThan(3);
    assertThat(missing).isEmpty();
  }

  @Test
  void shouldMatchTheGeneratedReferenceInDocs() throws IOException {
    // docs/configuration.md is generated from the catalogue: a setting added, renamed or given
    // another default shows up here until the file is regenerated (the expected text is written
    // to target/configuration.md; copy it over).
    StringBuilder md = new StringBuilder();
    md.append("# Configuration reference\n\n")
        .append("Generated from `dev.runstream.schemas.config.Settings` by `SettingsTest`; do not")
        .append(" edit by hand.\n\n")
        .append("Durations take a unit (`500ms`, `10s`, `5m`, `1h`, `2d`) or ISO-8601 (`PT2M`); a")
        .append(
            " number alone counts in the unit the table gives. A blank value counts as unset.\n")
        .append("Lists are comma-separated; maps are `key=value` pairs, comma-separated.\n\n")
        .append("| variable | default | bare number | what it does |\n")
        .append("| --- | --- | --- | --- |\n");
    for (Setting s : Settings.all()) {
      md.append("| `").append(s.name()).append('`');
      for (String alias : s.aliases()) {
        md.append(" or `").append(alias).append('`');
      }
      md.append(" | ")
          .append(s.defaultValue().isEmpty() ? "" : "`" + s.defaultValue() + "`")
          .append(" | ")
          .append(
              s.bareNumberUnit() == null
                  ? ""
                  : s.bareNumberUnit().toString().toLowerCase(Locale.ROOT))
          .append(" | ")
          .append(s.description())
          .append(" |\n");
    }
    Path root = Path.of("").toAbsolutePath().getParent();
    Path expected = Path.of("target", "configuration.md");
    Files.createDirectories(expected.getParent());
    Files.writeString(expected, md.toString());
    Path docs = root.resolve("docs").resolve("configuration.md");
    assertThat(Files.exists(docs) ? read(docs) : "").isEqualTo(md.toString());
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
