package org.loginwarden.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.loginwarden.proc.ProcfsProcessTable;

/**
 * {@code java -jar target/loginwarden.jar demo} as an admin runs it: its output, and that it
 * leaves nothing behind (users, homes, PAM services, directories, processes), whether it ends
 * by itself, by Ctrl-C, or is killed outright and cleaned up by the next run.
 */
class DemoIT {

  private static final Path JAR = Path.of(System.getProperty("loginwarden.jar",
      "target/loginwarden.jar")).toAbsolutePath();
  private final List<Process> started = new ArrayList<>();
  private Path output;
  private byte[] hostPam;

  @BeforeEach
  void needsSshdAndRoot() throws IOException {
    String missing = Demo.missing();
    if (missing != null && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI=true but " + missing);
    }
    Assumptions.assumeTrue(missing == null, missing);
    Assumptions.assumeTrue(ProcfsProcessTable.effectiveUid() == 0, "needs root");
    output = Files.createTempFile("demo-it-", ".out");
    hostPam = Files.readAllBytes(Path.of("/etc/pam.d/sshd"));
  }

  @AfterEach
  void stopAndCheck() throws IOException {
    for (Process p : started) {
      p.destroyForcibly();
    }
    Files.deleteIfExists(output);
    assertArrayEquals(hostPam, Files.readAllBytes(Path.of("/etc/pam.d/sshd")),
        "the host's /etc/pam.d/sshd is never touched");
  }

  private Process start() throws IOException {
    Process p = new ProcessBuilder("/usr/bin/java", "-jar", JAR.toString(), "demo")
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    started.add(p);
    return p;
  }

  private String out() throws IOException {
    return Files.readString(output);
  }

  private void awaitOutput(String text) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!out().contains(text)) {
      assertTrue(System.nanoTime() - until < 0, "no '" + text + "' within 120 s: " + out());
      Thread.sleep(100);
    }
  }

  /** Everything a demo run makes, found by the names it gives them. */
  private static List<String> leftovers() throws IOException {
    List<String> found = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      if (line.startsWith(Demo.USER_PREFIX)) {
        found.add("user " + line);
      }
    }
    for (Path d : List.of(Path.of("/etc/pam.d"), Path.of("/home"), Path.of("/tmp"),
        Path.of("/var/mail"))) {
      if (Files.isDirectory(d)) {
        try (Stream<Path> files = Files.list(d)) {
          files.map(Path::toString).filter(n -> n.contains(Demo.USER_PREFIX)
              || n.contains("loginwarden-demo-")).forEach(found::add);
        }
      }
    }
    ProcessHandle.allProcesses().forEach(h -> {
      try {
        String cmd = Files.readString(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
        if (cmd.contains(Demo.USER_PREFIX) || cmd.contains("loginwarden-demo-")) {
          found.add("process " + h.pid() + " " + cmd.replace('\0', ' '));
        }
      } catch (IOException | RuntimeException e) {
        // Gone meanwhile.
      }
    });
    return found;
  }

  @Test
  void aRunKilledOutrightIsCleanedUpByTheNextWhichWalksThroughEveryStep() throws Exception {
    Process killed = start();
    awaitOutput("[2/6]");
    killed.destroyForcibly(); // SIGKILL: no shutdown hook runs
    assertTrue(killed.waitFor(30, TimeUnit.SECONDS));
    assertTrue(leftovers().stream().anyMatch(l -> l.startsWith("user ")), "left behind: "
        + leftovers());

    Process demo = start();
    assertTrue(demo.waitFor(180, TimeUnit.SECONDS), "demo did not finish: " + out());
    String out = out();
    assertEquals(0, demo.exitValue(), out);
    assertTrue(out.startsWith("Removed what an interrupted demo left: "), out);
    for (String expected : List.of("[1/6] A login", "said: hello from",
        "audit: open", "audit: close", "[2/6]", "audit: violation",
        "said: loginwarden: login refused:", "audit: kick", "violation 1 of 2 within 10m",
        "[3/6]", "the account is now locked", "audit: lock", "[4/6]",
        "refuse    lwdemo", "account locked since", "[5/6]", "unlocked", "audit: unlock",
        "[6/6]", "said: hello again", "Cleanup: removed ")) {
      assertTrue(out.contains(expected), "'" + expected + "' in: " + out);
    }
    assertEquals(List.of(), leftovers());
  }

  @Test
  void ctrlCCleansUp() throws Exception {
    Process demo = start();
    awaitOutput("[2/6]");
    new ProcessBuilder("/bin/kill", "-INT", Long.toString(demo.pid())).start().waitFor();
    assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "demo did not stop on SIGINT: " + out());
    assertTrue(out().contains("Cleanup: removed "), out());
    assertEquals(List.of(), leftovers());
  }
}
