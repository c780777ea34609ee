package org.loginwarden.app;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * This program started again as a child: the same java binary and class path, the settings of
 * a short JVM run, then {@code Main}'s arguments. The class path is made absolute because the
 * children run from / (sshd runs the hooks from there; detached work is started there).
 */
public final class ChildJvm {

  private ChildJvm() {}

  /**
   * @param maxHeap e.g. {@code -Xmx32m}, or null for the JVM's default
   */
  public static List<String> command(String maxHeap, List<String> mainArgs) {
    List<String> c = new ArrayList<>();
    c.add(ProcessHandle.current().info().command().orElse("/usr/bin/java"));
    c.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"));
    if (maxHeap != null) {
      c.add(maxHeap);
    }
    c.addAll(List.of("-cp", absoluteClassPath(), "org.loginwarden.cli.Main"));
    c.addAll(mainArgs);
    return c;
  }

  private static String absoluteClassPath() {
    List<String> entries = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      entries.add(Path.of(e).toAbsolutePath().normalize().toString());
    }
    return String.join(File.pathSeparator, entries);
  }
}
