package org.loginwarden.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.loginwarden.core.Observation;
import org.loginwarden.core.Session;
import org.loginwarden.core.SessionKey;
import org.loginwarden.proc.ProcfsProcessTableTest.FakeProc;

/**
 * The probe over a fake procfs tree: which processes are a session's own, which pty it holds,
 * how many bytes they moved, whether a job runs in the terminal's foreground.
 */
class ActivityProbeTest {

  private static final long NO_AUDIT = Session.NO_AUDIT_SESSION;
  private static final Instant TYPED_3 = Instant.parse("2026-03-01T11:58:00Z");
  private static final Instant TYPED_5 = Instant.parse("2026-03-01T11:30:00Z");

  @TempDir Path dir;
  private FakeProc proc;
  private final FixedTerminals terminals = new FixedTerminals();

  /** Terminals whose last input is given, and which records what it was asked. */
  static final class FixedTerminals extends Terminals {
    final Map<String, Instant> input = new HashMap<>();
    final List<String> asked = new ArrayList<>();

    @Override
    public Instant lastInput(String pty) {
      asked.add(pty);
      return input.get(pty);
    }
  }

  /** The table over the fake tree, counting full scans. */
  private static final class CountingTable implements ProcessTable {
    final ProcfsProcessTable real;
    int scans;

    CountingTable(Path root) {
      real = new ProcfsProcessTable(root);
    }

    @Override
    public Optional<ProcessInfo> get(long pid) {
      return real.get(pid);
    }

    @Override
    public List<Long> children(long pid) {
      return real.children(pid);
    }

    @Override
    public List<ProcessInfo> all() {
      scans++;
      return real.all();
    }

    @Override
    public long ioBytes(long pid) {
      return real.ioBytes(pid);
    }

    @Override
    public String terminal(long pid) {
      return real.terminal(pid);
    }

    @Override
    public boolean foregroundJob(long pid) {
      return real.foregroundJob(pid);
    }

    @Override
    public long self() {
      return real.self();
    }

    @Override
    public long parentOfSelf() {
      return real.parentOfSelf();
    }

    @Override
    public boolean signal(ProcessInfo target, boolean kill) {
      throw new AssertionError("the probe never signals");
    }
  }

  // Helpers that add what FakeProc does not write: /proc/PID/io, fd/0 and a foreground group.

  private void io(long pid, long rchar, long wchar) throws IOException {
    proc.write(pid + "/io", "rchar: " + rchar + "\nwchar: " + wchar + "\nsyscr: 12\nsyscw: 7\n"
        + "read_bytes: 4096\nwrite_bytes: 0\ncancelled_write_bytes: 0\n");
  }

  private void stdin(long pid, String target) throws IOException {
    Path fd = proc.root.resolve(pid + "/fd");
    Files.createDirectories(fd);
    Files.createSymbolicLink(fd.resolve("0"), Path.of(target));
  }

  /** Rewrites field 8 of the stat file (the terminal's foreground process group). */
  private void foregroundGroup(String comm, ProcessInfo p, long tpgid) throws IOException {
    String stat = FakeProc.stat(p.pid(), comm, p);
    String changed = stat.replace(" 34816 " + p.pid() + " ", " 34816 " + tpgid + " ");
    assertFalse(stat.equals(changed));
    proc.write(p.pid() + "/stat", changed);
  }

  private static Session session(long pid, long start, long audit) {
    return new Session(pid, start, audit, "sshd", "192.0.2.1", 50000, "ssh", "publickey", null,
        Instant.parse("2026-03-01T11:00:00Z"), null);
  }

  // A pty session (audit 7), an sftp session (8), ssh -N (9), a pty session with a job in the
  // foreground (10), a session without audit (4000) and one whose user side is gone (11).
  private static final Session PTY = session(1000, 5000, 7);
  private static final Session SFTP = session(2000, 6000, 8);
  private static final Session TUNNEL = session(3000, 7000, 9);
  private static final Session BUSY = session(5000, 9000, 10);
  private static final Session NO_AUDIT_TREE = session(4000, 8000, NO_AUDIT);
  private static final Session EMPTY = session(6000, 9500, 11);

  @BeforeEach
  void tree() throws IOException {
    proc = new FakeProc(dir)
        .add("systemd", 1, 0, 'S', 1, 2, 0, NO_AUDIT)
        .add("sshd", 500, 1, 'S', 500, 900, 0, NO_AUDIT)
        // pty session: [priv], user-side sshd, the hook (a direct child of [priv]), bash, vim,
        // and a zombie.
        .add("sshd", 1000, 500, 'S', 1000, 5000, 0, 7)
        .add("sshd", 1001, 1000, 'S', 1000, 5010, 1000, 7)
        .add("java", 1005, 1000, 'S', 1000, 5015, 0, 7)
        .add("bash", 1002, 1001, 'S', 1002, 5020, 1000, 7)
        .add("vim", 1003, 1002, 'S', 1002, 5030, 1000, 7)
        .add("defunct", 1004, 1002, 'Z', 1002, 5040, 1000, 7)
        // sftp
        .add("sshd", 2000, 500, 'S', 2000, 6000, 0, 8)
        .add("sshd", 2001, 2000, 'S', 2000, 6010, 1000, 8)
        .add("sftp-server", 2002, 2001, 'S', 2002, 6020, 1000, 8)
        // ssh -N: no process but sshd's
        .add("sshd", 3000, 500, 'S', 3000, 7000, 0, 9)
        .add("sshd", 3001, 3000, 'S', 3000, 7010, 1000, 9)
        // no audit session: found by its process tree
        .add("sshd", 4000, 500, 'S', 4000, 8000, 0, NO_AUDIT)
        .add("sshd", 4001, 4000, 'S', 4000, 8010, 1000, NO_AUDIT)
        .add("sh", 4002, 4001, 'S', 4002, 8020, 1000, NO_AUDIT)
        .add("sleep", 4003, 4002, 'S', 4002, 8030, 1000, NO_AUDIT)
        // a shell with make in its terminal's foreground
        .add("sshd", 5000, 500, 'S', 5000, 9000, 0, 10)
        .add("sshd", 5001, 5000, 'S', 5000, 9010, 1000, 10)
        .add("bash", 5002, 5001, 'S', 5002, 9020, 1000, 10)
        .add("make", 5003, 5002, 'S', 5002, 9030, 1000, 10)
        // [priv] alone
        .add("sshd", 6000, 500, 'S', 6000, 9500, 0, 11);

    io(1, 1L << 40, 1L << 40);
    io(500, 1L << 30, 1L << 30);
    io(1000, 1_000_000, 1_000_000);
    io(1001, 2_000_000, 2_000_000);
    io(1005, 9_000_000, 0);
    io(1002, 100, 200);
    io(1003, 1000, 0);
    io(1004, 5000, 5000);
    stdin(1001, "/dev/null");
    stdin(1002, "/dev/pts/3");
    stdin(1003, "/dev/pts/3");

    io(2000, 1, 1);
    io(2001, 777, 0);
    io(2002, 5000, 6000);
    stdin(2002, "pipe:[12345]");

    io(3000, 123456, 0);
    io(3001, 70, 80);

    io(4000, 99, 99);
    io(4001, 55, 55);
    io(4002, 10, 20);
    stdin(4002, "/dev/null");
    // 4003 has no io file: unreadable counts as nothing

    io(5002, 300, 400);
    io(5003, 50_000, 60_000);
    stdin(5002, "/dev/pts/5");
    stdin(5003, "/dev/pts/5");
    foregroundGroup("bash", new ProcessInfo(5002, 5001, 'S', 5002, 9020, 1000, 10), 5003);
    // vim's own stat names another foreground group: only the session leader is asked.
    foregroundGroup("vim", new ProcessInfo(1003, 1002, 'S', 1002, 5030, 1000, 7), 4242);

    io(6000, 50, 50);

    terminals.input.put("/dev/pts/3", TYPED_3);
    terminals.input.put("/dev/pts/5", TYPED_5);
  }

  private Map<SessionKey, Observation> observe(Session... sessions) {
    return new ActivityProbe(new ProcfsProcessTable(dir), terminals).observe(List.of(sessions));
  }

  @Test
  void aPtySessionIsItsShellAndJobsOnly() {
    assertEquals(new Observation("/dev/pts/3", TYPED_3, 300 + 1000, false, false),
        observe(PTY).get(PTY.key()),
        "not [priv], not the user-side sshd, not the hook, not the zombie");
    assertEquals(List.of("/dev/pts/3"), terminals.asked);
  }

  @Test
  void anSftpSessionHasNoPtyAndCountsItsServersBytes() {
    assertEquals(new Observation(null, null, 11000, false, false), observe(SFTP).get(SFTP.key()));
    assertEquals(List.of(), terminals.asked, "no pty, nothing to ask");
  }

  @Test
  void aSessionOfSshdAloneCountsTheUserSideSshdsBytes() {
    assertEquals(new Observation(null, null, 150, true, false),
        observe(TUNNEL).get(TUNNEL.key()), "the user-side sshd's bytes, not [priv]'s");
    assertEquals(new Observation(null, null, 0, true, false), observe(EMPTY).get(EMPTY.key()),
        "[priv]'s own bytes never count");
  }

  @Test
  void withoutAnAuditSessionTheProcessTreeIsTheSession() {
    assertEquals(new Observation(null, null, 30, false, false),
        observe(NO_AUDIT_TREE).get(NO_AUDIT_TREE.key()),
        "sh only: sleep's io is unreadable, and systemd's unset audit id is not this session");
  }

  @Test
  void aJobInTheShellsForegroundIsSeen() {
    assertEquals(new Observation("/dev/pts/5", TYPED_5, 700 + 110_000, false, true),
        observe(BUSY).get(BUSY.key()));
  }

  @Test
  void anUnreadableTerminalHasNoLastInput() {
    terminals.input.clear();

    assertEquals(new Observation("/dev/pts/3", null, 1300, false, false),
        observe(PTY).get(PTY.key()));
  }

  @Test
  void aZombieShellHoldsNoPty() throws IOException {
    // The shell died and its child was reparented: only vim, still on the pty, is left.
    proc.add("bash", 1002, 1001, 'Z', 1002, 5020, 1000, 7);

    assertEquals(new Observation("/dev/pts/3", TYPED_3, 1000, false, false),
        observe(PTY).get(PTY.key()));
  }

  @Test
  void aRecordedSessionThatIsGoneIsSshdOnlyWithNoBytes() {
    Session gone = session(7777, 1, 77);

    assertEquals(new Observation(null, null, 0, true, false), observe(gone).get(gone.key()));
  }

  @Test
  void oneScanForEverySession() {
    CountingTable table = new CountingTable(dir);
    ActivityProbe probe = new ActivityProbe(table, terminals);

    Map<SessionKey, Observation> seen =
        probe.observe(List.of(PTY, SFTP, TUNNEL, BUSY, NO_AUDIT_TREE, EMPTY));

    assertEquals(1, table.scans);
    assertEquals(6, seen.size());
    assertEquals(observe(PTY).get(PTY.key()), seen.get(PTY.key()));
    assertEquals(observe(BUSY).get(BUSY.key()), seen.get(BUSY.key()));
    assertEquals(observe(SFTP).get(SFTP.key()), seen.get(SFTP.key()));
    assertEquals(Map.of(), probe.observe(List.of()));
  }

  /** The three reads the probe adds to the process table. */
  @Nested
  class ProcfsReads {

    private ProcfsProcessTable table;

    @BeforeEach
    void table() {
      table = new ProcfsProcessTable(dir);
    }

    @Test
    void ioBytesIsRcharPlusWchar() throws IOException {
      assertEquals(300, table.ioBytes(1002));
      assertEquals(1L << 41, table.ioBytes(1));
      assertEquals(-1, table.ioBytes(4003), "no io file");
      assertEquals(-1, table.ioBytes(424242), "no process");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"", "rchar: 5\n", "wchar: 5\n", "rchar: x\nwchar: 5\n",
        "rchar: 5\nwchar: 99999999999999999999\n", "rchar 5\nwchar 6\n"})
    void ioBytesOfAnUnreadableFileIsMinusOne(String content) throws IOException {
      proc.write("1002/io", content);

      assertEquals(-1, table.ioBytes(1002));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "/dev/pts/3                 | /dev/pts/3",
        "/dev/pts/0                 | /dev/pts/0",
        "/dev/pts/123456            | /dev/pts/123456",
        "/dev/pts/1234567           | ",
        "/dev/pts/3 (deleted)       | ",
        "/dev/pts/ptmx              | ",
        "/dev/ptmx                  | ",
        "/dev/tty1                  | ",
        "/dev/null                  | ",
        "pipe:[12345]               | ",
        "socket:[4242]              | ",
        "/dev/pts/../../etc/passwd  | ",
    })
    void terminalIsAPtyOnStdinOnly(String target, String expected) throws IOException {
      stdin(4003, target);

      assertEquals(expected, table.terminal(4003));
    }

    @Test
    void terminalWithoutAnFdIsNull() throws IOException {
      assertNull(table.terminal(4001), "no fd directory");
      assertNull(table.terminal(424242), "no process");
      Files.createDirectories(dir.resolve("4003/fd"));
      Files.writeString(dir.resolve("4003/fd/0"), "/dev/pts/3");
      assertNull(table.terminal(4003), "not a link");
    }

    @Test
    void foregroundJobComparesTheTerminalsGroupWithTheProcesss() throws IOException {
      assertTrue(table.foregroundJob(5002), "make holds the terminal");
      assertFalse(table.foregroundJob(1002), "bash waits at its prompt");
      assertFalse(table.foregroundJob(424242), "no process");
      ProcessInfo sh = new ProcessInfo(4002, 4001, 'S', 4002, 8020, 1000, NO_AUDIT);
      foregroundGroup("sh", sh, -1);
      assertFalse(table.foregroundJob(4002), "no terminal: tpgid -1");
      proc.add("sh", 4002, 4001, 'S', 4002, 8020, 1000, NO_AUDIT);
      foregroundGroup("sh", sh, 0);
      assertFalse(table.foregroundJob(4002), "tpgid 0");
      proc.write("4002/stat", "garbage");
      assertFalse(table.foregroundJob(4002));
    }
  }

  /** A recorded pty is only ever a /dev/pts/N path. */
  @Nested
  class TerminalPaths {

    private final Terminals real = new Terminals();

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"/etc/passwd", "/dev/pts/../../etc/shadow", "/dev/pts/3x",
        "/dev/pts/", "/dev/tty1", "dev/pts/3", "/dev/pts/1234567", "/dev/pts/3\n"})
    void anythingElseIsNeitherReadNorWritten(String pty) {
      assertNull(real.lastInput(pty));
      assertFalse(real.write(pty, "loginwarden: this session ends in 60 s: idle for 14 min"));
    }

    @Test
    void nullAndAMissingPtyAreNotFound() {
      assertNull(real.lastInput(null));
      assertFalse(real.write(null, "x"));
      assertNull(real.lastInput("/dev/pts/999999"));
    }
  }
}
