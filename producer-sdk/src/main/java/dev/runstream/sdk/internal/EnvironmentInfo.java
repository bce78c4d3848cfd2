package dev.runstream.sdk.internal;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/** Facts about the machine and process a run starts on, captured once at init. */
final class EnvironmentInfo {
  private EnvironmentInfo() {}

  static Map<String, String> capture() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("host", hostName());
    env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    env.put("arch", System.getProperty("os.arch"));
    env.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    env.put("cpu_count", Integer.toString(Runtime.getRuntime().availableProcessors()));
    env.put("pid", Long.toString(ProcessHandle.current().pid()));
    ProcessHandle.current().info().commandLine().ifPresent(c -> env.put("command", c));
    env.put("user_dir", System.getProperty("user.dir"));
    return env;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      // An unresolvable host name must not stop a run from starting.
      return "unknown";
    }
  }
}
