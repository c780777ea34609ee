package org.loginwarden.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.loginwarden.core.Presence;
import org.loginwarden.core.Session;
import org.loginwarden.proc.ProcfsProcessTableTest.FakeProc;

/**
 * presence() and members() against a fake procfs tree. Nothing here signals a process:
 * signal() and end() act on real pids.
 */
class SessionTerminatorTest {

  private static final long NONE = Session.NO_AUDIT_SESSION;
  /** "This process" in the fake tree (its self link): whatever this JVM's real pid is. */
  private static final long SELF = 4500;
  private static final long PRIV = 1000;
  private static final long PRIV_START = 5000;

  @TempDir Path dir;

  private SessionTerminator terminator() {
    return new SessionTerminator(new ProcfsProcessTable(dir));
  }

  private static Session session(long pid, long start, long audit) {
    return new Session(pid, start, audit, "sshd", "192.0.2.7", 50022, "ssh", "publickey", null,
        Instant.parse("2026-03-01T12:00:00Z"), null);
  }

  /** The machine's own processes: init and the listening sshd. */
  private FakeProc base() {
    try {
      Files.deleteIfExists(dir.resolve("self"));
      Files.createSymbolicLink(dir.resolve("self"), Path.of(Long.toString(SELF)));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new FakeProc(dir)
        .add("systemd", 1, 0, 'S', 1, 1, 0, NONE)
        .add("sshd", 500, 1, 'S', 500, 900, 0, NONE);
  }

  private static List<Long> pids(List<ProcessInfo> members) {
    return members.stream().map(ProcessInfo::pid).sorted().toList();
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', value = {
      // what | priv state | priv start | children: state:uid, ... | presence
      "no priv sshd              | - | 0    | ''               | GONE",
      "priv sshd is a zombie     | Z | 5000 | S:1000           | GONE",
      "priv sshd is dead (X)     | X | 5000 | S:1000           | GONE",
      "pid reused                | S | 5001 | S:1000           | GONE",
      "user side runs            | S | 5000 | S:1000           | LIVE",
      "user side runs, R         | R | 5000 | R:1000           | LIVE",
      "user side and a zombie    | S | 5000 | Z:1000,S:1000    | LIVE",
      "zombie, then user side    | S | 5000 | S:1000,Z:1000    | LIVE",
      "user side has exited      | S | 5000 | Z:1000           | CLOSING",
      "root hook and a zombie    | S | 5000 | S:0,Z:1000       | CLOSING",
      "no children yet           | S | 5000 | ''               | SETTLING",
      "only a root hook          | S | 5000 | S:0              | SETTLING",
      "only a root hook, twice   | S | 5000 | S:0,D:0          | SETTLING",
  })
  void presence(String what, String privState, long privStart, String children,
      Presence expected) throws IOException {
    FakeProc proc = base();
    if (!privState.equals("-")) {
      proc.add("sshd", PRIV, 500, privState.charAt(0), PRIV, privStart, 0, 7);
      int i = 0;
      for (String c : children.isEmpty() ? new String[0] : children.split(",")) {
        String[] f = c.split(":");
        proc.add("child", PRIV + 1 + i, PRIV, f[0].charAt(0), PRIV, PRIV_START + 10 + i,
            Long.parseLong(f[1]), 7);
        i++;
      }
    }

    assertEquals(expected, terminator().presence(session(PRIV, PRIV_START, 7)), what);
  }

  @Test
  void presenceSkipsChildrenThatVanished() throws IOException {
    FakeProc proc = base().add("sshd", PRIV, 500, 'S', PRIV, PRIV_START, 0, 7);
    proc.write(PRIV + "/task/" + PRIV + "/children", "1001 1002 ");

    assertEquals(Presence.SETTLING, terminator().presence(session(PRIV, PRIV_START, 7)));
  }

  @Test
  void presenceWithoutChildrenFilesScansTheTable() throws IOException {
    base().add("sshd", PRIV, 500, 'S', PRIV, PRIV_START, 0, 7)
        .add("sshd", 1001, PRIV, 'S', PRIV, 5010, 1000, 7)
        .withoutChildrenFiles();

    assertEquals(Presence.LIVE, terminator().presence(session(PRIV, PRIV_START, 7)));
  }

  /** A login with audit session 7, and everything around it that must not be touched. */
  private FakeProc auditedLogin() {
    return base()
        .add("sshd", PRIV, 500, 'S', PRIV, PRIV_START, 0, 7)
        .add("sshd", 1001, PRIV, 'S', PRIV, 5010, 1000, 7)
        .add("bash", 1002, 1001, 'S', 1002, 5020, 1000, 7)
        .add("defunct", 1003, 1001, 'Z', 1002, 5030, 1000, 7)
        .add("loginwarden", 1004, PRIV, 'S', PRIV, 5040, 0, 7)
        .add("nohup", 2000, 1, 'S', 2000, 6000, 1000, 7)
        .add("java", SELF, 1002, 'R', 1002, 7000, 1000, 7)
        .add("other", 3000, 1, 'S', 3000, 8000, 1000, 8)
        .add("other", 3001, 1, 'S', 3001, 8001, 1001, NONE);
  }

  @Test
  void membersShareTheAuditSession() {
    auditedLogin();

    List<ProcessInfo> members = terminator().members(session(PRIV, PRIV_START, 7));

    // Not: the zombie 1003, the root hook 1004 (our own close_session), this JVM, other ids.
    assertEquals(List.of(PRIV, 1001L, 1002L, 2000L), pids(members));
  }

  @Test
  void membersNeverIncludeInit() {
    auditedLogin().add("systemd", 1, 0, 'S', 1, 1, 0, 7);

    assertEquals(List.of(PRIV, 1001L, 1002L, 2000L),
        pids(terminator().members(session(PRIV, PRIV_START, 7))));
  }

  @Test
  void membersOfASessionWhosePrivSshdIsGone() {
    // The pid now names another process (start time differs): leave that pid alone, end the
    // rest of the audit session, the root child included since its parent is not our sshd.
    auditedLogin();

    assertEquals(List.of(1001L, 1002L, 1004L, 2000L),
        pids(terminator().members(session(PRIV, PRIV_START - 1, 7))));
  }

  @Test
  void aPidWithTheRecordedStartTimeButAnotherAuditSessionIsNotThePrivSshd() {
    // The record says audit session 9; the process under that pid and start time carries 7:
    // it is not the recorded login's sshd, so it is gone for presence and never a member.
    auditedLogin();

    assertEquals(Presence.GONE, terminator().presence(session(PRIV, PRIV_START, 9)));
    assertEquals(List.of(), terminator().members(session(PRIV, PRIV_START, 9)));
  }

  @Test
  void noMembersForAnUnusedAuditSession() {
    auditedLogin();

    assertEquals(List.of(), terminator().members(session(4000, 1, 99)));
  }

  /** The same login with audit off: only the process tree and Unix sessions tell. */
  private FakeProc unauditedLogin() {
    return base()
        .add("sshd", PRIV, 500, 'S', PRIV, PRIV_START, 0, NONE)
        .add("sshd", 1001, PRIV, 'S', PRIV, 5010, 1000, NONE)
        .add("bash", 1002, 1001, 'S', 1002, 5020, 1000, NONE)
        .add("vim", 1003, 1002, 'S', 1002, 5030, 1000, NONE)
        .add("loginwarden", 1004, PRIV, 'S', PRIV, 5040, 0, NONE)
        .add("defunct", 1005, 1001, 'Z', PRIV, 5050, 1000, NONE)
        .add("java", SELF, 1003, 'R', 1002, 7000, 1000, NONE)
        // Left running in bash's session after the shell exited: reparented to init.
        .add("nohup", 2000, 1, 'S', 1002, 6000, 1000, NONE)
        // A grandchild of the orphan, same session.
        .add("worker", 2001, 2000, 'S', 1002, 6001, 1000, NONE)
        // setsid escaped both the tree and the session: out of reach without audit.
        .add("setsid", 2100, 1, 'S', 2100, 6100, 1000, NONE)
        .add("other", 3000, 1, 'S', 3000, 8000, 1000, NONE)
        .add("other-child", 3001, 3000, 'S', 3000, 8001, 1000, NONE);
  }

  @Test
  void withoutAuditMembersAreTheTreeAndTheSessionsItLeads() {
    unauditedLogin();

    List<ProcessInfo> members = terminator().members(session(PRIV, PRIV_START, NONE));

    assertEquals(List.of(PRIV, 1001L, 1002L, 1003L, 2000L, 2001L), pids(members));
  }

  @Test
  void withoutAuditAndWithoutChildrenFiles() throws IOException {
    unauditedLogin().withoutChildrenFiles();

    assertEquals(List.of(PRIV, 1001L, 1002L, 1003L, 2000L, 2001L),
        pids(terminator().members(session(PRIV, PRIV_START, NONE))));
  }

  @Test
  void withoutAuditAGonePrivSshdHasNoMembers() {
    unauditedLogin();

    assertEquals(List.of(), terminator().members(session(PRIV, PRIV_START + 1, NONE)));
    assertEquals(List.of(), terminator().members(session(4000, 1, NONE)));
  }

  @Test
  void withoutAuditAZombiePrivSshdHasNoMembers() {
    unauditedLogin().add("sshd", PRIV, 500, 'Z', PRIV, PRIV_START, 0, NONE);

    assertEquals(List.of(), terminator().members(session(PRIV, PRIV_START, NONE)));
  }

  @Test
  void aNegativeAuditIdIsTreatedAsNone() {
    unauditedLogin();

    assertEquals(List.of(PRIV, 1001L, 1002L, 1003L, 2000L, 2001L),
        pids(terminator().members(session(PRIV, PRIV_START, -1))));
  }

  @Test
  void membersOfAnEmptyMachine() {
    assertEquals(List.of(), terminator().members(session(PRIV, PRIV_START, 7)));
    assertEquals(Presence.GONE, terminator().presence(session(PRIV, PRIV_START, 7)));
  }
}
