package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Session time limits through the real sshd and a real {@code loginwarden watch}, scaled down
 * to seconds. idle_timeout is 20 s, well above the 8 s with which Linux moves a terminal's
 * atime. Each test has its own user, so the tests run side by side (and, measured lags being
 * part of what they show, with no other class beside them).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TimeLimitsIT {

  static final Duration IDLE = Duration.ofSeconds(20);
  static final Duration MAX = Duration.ofSeconds(12);
  static final Duration BOUND = Duration.ofSeconds(60);
  /** Measured lags from a limit to the session's client being disconnected, for the notes. */
  static final ConcurrentLinkedQueue<String> LAGS = new ConcurrentLinkedQueue<>();

  Path work;
  final Map<String, TestUser> users = new LinkedHashMap<>();
  PrivateSshd sshd;
  Clients clients;
  Process watch;

  @BeforeAll
  void start() throws IOException {
    PrivateSshd.assumeAvailable();
    work = Files.createTempDirectory("lw-limits-");
    for (String role : List.of("idle", "typing", "output", "sftpIdle", "sftpBusy", "busy",
        "exempt")) {
      users.put(role, TestUser.create(work));
    }
    sshd = PrivateSshd.start(String.join("\n",
        "idle_timeout = " + IDLE.toSeconds() + "s",
        "warn_before = 10s",
        "sweep_interval = 2s",
        "kill_grace = 2s",
        "exempt_users = root " + users.get("exempt").name,
        "[user " + users.get("busy").name + "]",
        "max_session_time = " + MAX.toSeconds() + "s"));
    clients = new Clients(sshd);
    watch = sshd.startWatch();
  }

  @AfterAll
  void stop() throws IOException {
    if (watch != null) {
      watch.destroyForcibly();
    }
    for (TestUser u : users.values()) {
      u.close();
    }
    if (sshd != null) {
      sshd.close();
    }
    Exec.run("/bin/rm", "-rf", work.toString());
    LAGS.forEach(l -> System.out.println("time-limit lag: " + l));
  }

  /** An interactive login on a pty (-tt), its input ours to type, its output in {@code out}. */
  Process pty(TestUser u, Path out, String command) throws IOException {
    List<String> c = clients.withKey("/usr/bin/ssh", u, false);
    c.addAll(List.of("-tt", u.name + "@127.0.0.1"));
    if (command != null) {
      c.add(command);
    }
    return new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(out.toFile()).start();
  }

  static Instant awaitExit(Process p, Duration limit, String what) {
    Exec.await(limit, what, () -> !p.isAlive());
    return Instant.now();
  }

  /** Fails at once if the process ends before {@code length} has passed. */
  static void assertStaysAlive(Process p, Duration length, Runnable each) {
    long until = System.nanoTime() + length.toNanos();
    while (System.nanoTime() - until < 0) {
      assertTrue(p.isAlive(), "ended too early");
      each.run();
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * The lag from the limit (counted from the audited open) to the watcher's decision (its
   * audit line) and to the client's disconnection (which waits for sshd's own teardown).
   */
  void recordLag(String what, TestUser u, Instant ended, Duration limit, String event) {
    List<JsonNode> opens = sshd.auditEvents("open", u.name);
    assertEquals(1, opens.size(), "one session opened");
    Instant due = Instant.parse(opens.get(0).get("opened").asText()).plus(limit);
    Instant decided = Instant.parse(sshd.auditEvents(event, u.name).get(0).get("time").asText());
    LAGS.add(what + ": decided " + Duration.between(due, decided).toMillis()
        + " ms, disconnected " + Duration.between(due, ended).toMillis() + " ms after the limit");
  }

  // Concurrent methods of a same-thread class: side by side, but never beside another class.
  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aPtySessionLeftAloneIsWarnedThenEndedAsIdle() throws IOException {
    TestUser u = users.get("idle");
    Path out = work.resolve("idle.out");
    Process p = pty(u, out, null);
    try {
      Instant ended = awaitExit(p, BOUND, "the idle pty session to be ended");
      String seen = Files.readString(out);
      assertTrue(seen.contains("loginwarden: this session ends in "), seen);
      List<JsonNode> warn = sshd.auditEvents("warn", u.name);
      List<JsonNode> idle = sshd.auditEvents("idle", u.name);
      assertEquals(1, warn.size(), "warned once");
      assertEquals(1, idle.size(), sshd.audit());
      assertTrue(warn.get(0).get("time").asText().compareTo(idle.get(0).get("time").asText()) < 0);
      assertTrue(idle.get(0).get("reason").asText().startsWith("idle for "));
      recordLag("idle pty", u, ended, IDLE, "idle");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aPtySessionWhoseUserTypesEverySecondSurvivesPastTheIdleTimeout() throws IOException {
    TestUser u = users.get("typing");
    Process p = pty(u, work.resolve("typing.out"), null);
    try {
      OutputStream keys = p.getOutputStream();
      assertStaysAlive(p, IDLE.plusSeconds(12), () -> {
        try {
          keys.write('\n');
          keys.flush();
        } catch (IOException e) {
          throw new AssertionError("cannot type: the session is gone", e);
        }
      });
      assertEquals(List.of(), sshd.auditEvents("idle", u.name));
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aPtySessionRunningAnOutputOnlyLoopIsIdle() throws IOException {
    TestUser u = users.get("output");
    Process p = pty(u, work.resolve("output.out"),
        "while :; do echo tick; sleep 1; done");
    try {
      Instant ended = awaitExit(p, BOUND, "the output-only session to be ended as idle");
      assertEquals(1, sshd.auditEvents("idle", u.name).size(), sshd.audit());
      recordLag("output-only pty", u, ended, IDLE, "idle");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void anSftpSessionLeftAtItsPromptIsEnded() throws IOException {
    TestUser u = users.get("sftpIdle");
    Process sftp = clients.sftpAtPrompt(u);
    try {
      Exec.await(BOUND, "sftp's connection to be ended",
          () -> sshd.auditEvents("open", u.name).size() == 1
              && sftp.descendants().noneMatch(ProcessHandle::isAlive));
      Instant ended = Instant.now();
      assertEquals(1, sshd.auditEvents("idle", u.name).size(), sshd.audit());
      recordLag("idle sftp", u, ended, IDLE, "idle");
    } finally {
      sftp.destroyForcibly();
    }
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void anSftpTransferLongerThanTheIdleTimeoutRunsToItsEnd() throws IOException {
    TestUser u = users.get("sftpBusy");
    Path big = work.resolve("big.bin");
    byte[] data = new byte[3 * 1024 * 1024];
    new java.util.Random(7).nextBytes(data);
    Files.write(big, data);
    Path batch = work.resolve("put.batch");
    Files.writeString(batch, "put " + big + " big.bin\n");
    List<String> c = clients.withKey("/usr/bin/sftp", u, true);
    // -l 800: 800 Kbit/s, so 3 MiB take about 31 s, longer than the 20 s idle timeout.
    c.addAll(List.of("-l", "800", "-b", batch.toString(), u.name + "@127.0.0.1"));

    long started = System.nanoTime();
    Exec.Result r = Exec.run(Duration.ofSeconds(120), Map.of(), c);
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertEquals(0, r.exit(), r.all());
    assertTrue(took.compareTo(IDLE) > 0, "the transfer must outlast idle_timeout: " + took);
    assertEquals(data.length, Files.size(Path.of("/home", u.name, "big.bin")));
    assertEquals(List.of(), sshd.auditEvents("idle", u.name));
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aBusySessionEndsAtItsUsersMaxSessionTime() throws IOException {
    TestUser u = users.get("busy");
    Process p = clients.start(u, List.of(), "while :; do echo tick; sleep 0.2; done");
    try {
      Instant ended = awaitExit(p, BOUND, "the busy session to reach max_session_time");
      List<JsonNode> expired = sshd.auditEvents("expired", u.name);
      assertEquals(1, expired.size(), sshd.audit());
      assertTrue(expired.get(0).get("reason").asText().contains("max_session_time 12s"));
      assertEquals(List.of(), sshd.auditEvents("idle", u.name), "busy, so never idle");
      recordLag("max_session_time ([user] override)", u, ended, MAX, "expired");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void anExemptUsersIdleSessionIsNeverEnded() throws IOException {
    TestUser u = users.get("exempt");
    Process p = pty(u, work.resolve("exempt.out"), null);
    try {
      assertStaysAlive(p, IDLE.plusSeconds(12), () -> { });
      assertEquals(List.of(), sshd.auditEvents("idle", u.name));
      assertEquals(List.of(), sshd.auditEvents("warn", u.name));
    } finally {
      p.destroyForcibly();
    }
  }
}
