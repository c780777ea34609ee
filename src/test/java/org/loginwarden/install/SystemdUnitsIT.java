package org.loginwarden.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shipped units parse as systemd reads them, and start commands the jar has. */
class SystemdUnitsIT {

  static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

  @ParameterizedTest
  @ValueSource(strings = {"loginwarden.service", "loginwarden-sweep.service",
      "loginwarden-sweep.timer"})
  void unitVerifies(String unit) throws Exception {
    if (!Files.isExecutable(ANALYZE)) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("CI=true but systemd-analyze is missing");
      }
      Assumptions.abort("no systemd-analyze here");
    }
    Path file = Path.of("systemd", unit).toAbsolutePath();
    Process p = new ProcessBuilder(ANALYZE.toString(), "verify", "--man=no", file.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertEquals("", out.strip(), "no warnings");

    for (String line : Files.readAllLines(file)) {
      if (line.startsWith("ExecStart=")) {
        List<String> words = List.of(line.substring("ExecStart=".length()).split(" "));
        assertTrue(words.contains("/usr/share/loginwarden/loginwarden.jar"), line);
        String command = words.get(words.size() - 1);
        assertTrue(List.of("watch", "sweep").contains(command), line);
      }
    }
  }
}
