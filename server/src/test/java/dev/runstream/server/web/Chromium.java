package dev.runstream.server.web;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debian's headless Chromium driven through Debian's chromedriver, installed with apt-get when
 * missing (as the local stack installs ClickHouse). Never downloads a browser: when neither is
 * present nor installable, {@link #start} fails and says how to get them.
 */
final class Chromium {
  private static final Logger LOG = LoggerFactory.getLogger(Chromium.class);
  static final Path BROWSER = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static final String HOW_TO_GET_IT =
      "install them with `sudo apt-get install -y chromium chromium-driver` (Debian/Ubuntu)";

  private Chromium() {}

  /** A new headless browser with a fresh profile under {@code profileParent}. */
  static ChromeDriver start(Path profileParent) throws IOException, InterruptedException {
    ensureInstalled(profileParent.resolve("apt-get.log"));
    Path profile = Files.createTempDirectory(profileParent, "chromium-profile-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1100",
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(DRIVER.toFile())
            .usingAnyFreePort()
            .build();
    return new ChromeDriver(service, options);
  }

  private static synchronized void ensureInstalled(Path log)
      throws IOException, InterruptedException {
    if (Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER)) {
      return;
    }
    if (!isRoot()) {
      throw new IllegalStateException(
          BROWSER
              + " or "
              + DRIVER
              + " is missing and this is not root, so they cannot be"
              + " installed here; "
              + HOW_TO_GET_IT);
    }
    LOG.info("chromium: not found, installing the Debian packages (log {})", log);
    run(List.of("apt-get", "update"), log);
    run(List.of("apt-get", "install", "-y", "chromium", "chromium-driver"), log);
    if (!Files.isExecutable(BROWSER) || !Files.isExecutable(DRIVER)) {
      throw new IllegalStateException(
          "apt-get installed chromium and chromium-driver but "
              + BROWSER
              + " or "
              + DRIVER
              + " is still missing; see "
              + log);
    }
  }

  private static void run(List<String> command, Path log) throws IOException, InterruptedException {
    Files.createDirectories(log.getParent());
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = pb.start();
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("`" + String.join(" ", command) + "` took over 15 minutes");
    }
    if (p.exitValue() != 0) {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      throw new IllegalStateException(
          "`"
              + String.join(" ", command)
              + "` failed with exit code "
              + p.exitValue()
              + "; "
              + HOW_TO_GET_IT
              + "\n--- last lines of "
              + log
              + " ---\n"
              + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
    }
  }

  private static boolean isRoot() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    p.waitFor(5, TimeUnit.SECONDS);
    return "0".equals(out);
  }
}
