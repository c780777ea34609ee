package org.loginwarden.e2e;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the real /proc for the tests. */
final class Procs {

  private Procs() {}

  /** Pids of live, non-zombie processes whose real uid is {@code uid}. */
  static List<Long> ofUid(long uid) {
    return ofUid(Path.of("/proc"), uid);
  }

  /** Likewise in the /proc at {@code procRoot}, e.g. a simulated host's, with its pids. */
  static List<Long> ofUid(Path procRoot, long uid) {
    List<Long> out = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(procRoot)) {
      for (Path d : dirs) {
        String n = d.getFileName().toString();
        if (!n.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String stat = Files.readString(d.resolve("stat"));
          char state = stat.charAt(stat.lastIndexOf(')') + 2);
          if (state == 'Z' || state == 'X') {
            continue;
          }
          for (String line : Files.readAllLines(d.resolve("status"))) {
            if (line.startsWith("Uid:")
                && Long.parseLong(line.substring(4).trim().split("\\s+")[0]) == uid) {
              out.add(Long.parseLong(n));
            }
          }
        } catch (IOException | RuntimeException e) {
          // gone meanwhile
        }
      }
    } catch (IOException e) {
      throw new AssertionError("cannot read /proc", e);
    }
    return out;
  }

  static String auditSession(long pid) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), "sessionid")).strip();
    } catch (IOException e) {
      return "?";
    }
  }

  static String cmdline(long pid) {
    return cmdline(Path.of("/proc"), pid);
  }

  /** Likewise in the /proc at {@code procRoot}. */
  static String cmdline(Path procRoot, long pid) {
    try {
      return new String(Files.readAllBytes(procRoot.resolve(pid + "/cmdline")))
          .replace('\0', ' ').strip();
    } catch (IOException e) {
      return "";
    }
  }
}
