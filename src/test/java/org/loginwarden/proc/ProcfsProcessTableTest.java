package org.loginwarden.proc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.loginwarden.core.Session;

class ProcfsProcessTableTest {

  /**
   * A fake procfs tree: one directory per pid with {@code stat}, {@code status},
   * {@code sessionid} and {@code task/PID/children}, as the kernel lays them out.
   */
  static final class FakeProc {
    final Path root;
    private final Map<Long, ProcessInfo> procs = new LinkedHashMap<>();
    private final Map<Long, String> comms = new LinkedHashMap<>();

    FakeProc(Path root) {
      this.root = root;
    }

    /** Adds or replaces a process (uid as in the status file), keeping children files true. */
    FakeProc add(String comm, long pid, long ppid, char state, long unixSession, long start,
        long uid, long auditSession) {
      ProcessInfo old = procs.put(pid,
          new ProcessInfo(pid, ppid, state, unixSession, start, uid, auditSession));
      comms.put(pid, comm);
      write(pid);
      writeChildren(pid);
      writeChildren(ppid);
      if (old != null) {
        writeChildren(old.ppid());
      }
      return this;
    }

    FakeProc add(ProcessInfo p) {
      return add("proc" + p.pid(), p.pid(), p.ppid(), p.state(), p.unixSession(),
          p.startTime(), p.uid(), p.auditSession());
    }

    static String stat(long pid, String comm, ProcessInfo p) {
      return pid + " (" + comm + ") " + p.state() + " " + p.ppid() + " " + p.unixSession() + " "
          + p.unixSession() + " 34816 " + p.pid() + " 4194560 1234 0 5 0 12 7 0 0 20 0 1 0 "
          + p.startTime() + " 18694144 2310 18446744073709551615 1 1 0 0 0 0 0 4096 81923 0 0 0"
          + " 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    }

    private void write(long pid) {
      ProcessInfo p = procs.get(pid);
      Path dir = root.resolve(Long.toString(pid));
      try {
        Files.createDirectories(dir.resolve("task/" + pid));
        Files.writeString(dir.resolve("stat"), stat(pid, comms.get(pid), p),
            StandardCharsets.ISO_8859_1);
        Files.writeString(dir.resolve("status"), "Name:\t" + comms.get(pid)
            + "\nUmask:\t0022\nState:\t" + p.state() + " (sleeping)\nTgid:\t" + pid
            + "\nPid:\t" + pid + "\nPPid:\t" + p.ppid() + "\nTracerPid:\t0\nUid:\t" + p.uid()
            + "\t" + (p.uid() + 1) + "\t" + p.uid() + "\t" + p.uid() + "\nGid:\t100\t100\t100\t100"
            + "\n", StandardCharsets.ISO_8859_1);
        Files.writeString(dir.resolve("sessionid"), Long.toString(p.auditSession()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private void writeChildren(long pid) {
      if (!procs.containsKey(pid)) {
        return;
      }
      StringBuilder children = new StringBuilder();
      for (ProcessInfo c : procs.values()) {
        if (c.ppid() == pid) {
          children.append(c.pid()).append(' ');
        }
      }
      try {
        Files.writeString(root.resolve(pid + "/task/" + pid + "/children"), children);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Removes every children file, as on a kernel without CONFIG_PROC_CHILDREN. */
    FakeProc withoutChildrenFiles() throws IOException {
      for (long pid : procs.keySet()) {
        Files.deleteIfExists(root.resolve(pid + "/task/" + pid + "/children"));
      }
      return this;
    }

    void remove(String relative) throws IOException {
      Files.delete(root.resolve(relative));
    }

    void write(String relative, String content) throws IOException {
      Files.writeString(root.resolve(relative), content, StandardCharsets.ISO_8859_1);
    }
  }

  @TempDir Path dir;

  private static ProcessInfo info(long pid, long ppid, char state, long session, long start,
      long uid, long audit) {
    return new ProcessInfo(pid, ppid, state, session, start, uid, audit);
  }

  private FakeProc sample() throws IOException {
    Files.createDirectories(dir.resolve("self"));
    Files.createDirectories(dir.resolve("sys/kernel"));
    Files.writeString(dir.resolve("uptime"), "1.0 2.0\n");
    return new FakeProc(dir)
        .add("systemd", 1, 0, 'S', 1, 2, 0, Session.NO_AUDIT_SESSION)
        .add("sshd", 500, 1, 'S', 500, 900, 0, Session.NO_AUDIT_SESSION)
        .add("sshd", 1000, 500, 'S', 1000, 5000, 0, 7)
        .add("sshd", 1001, 1000, 'S', 1000, 5010, 1000, 7)
        .add("bash", 1002, 1001, 'S', 1002, 5020, 1000, 7)
        .add("defunct", 1003, 1000, 'Z', 1000, 5030, 1000, 7);
  }

  @Test
  void getReadsStatStatusAndSessionid() throws IOException {
    sample();
    ProcfsProcessTable table = new ProcfsProcessTable(dir);

    assertEquals(Optional.of(info(1001, 1000, 'S', 1000, 5010, 1000, 7)), table.get(1001));
    assertEquals(Optional.of(info(1000, 500, 'S', 1000, 5000, 0, 7)), table.get(1000));
    assertTrue(table.get(1003).get().isZombie());
    assertEquals(Optional.empty(), table.get(4242));
    assertEquals(Optional.empty(), table.get(-1));
  }

  @Test
  void aMissingSessionidMeansNoAuditSession() throws IOException {
    FakeProc proc = sample();
    proc.remove("1001/sessionid");
    proc.write("1002/sessionid", "garbage\n");

    ProcfsProcessTable table = new ProcfsProcessTable(dir);

    assertEquals(Session.NO_AUDIT_SESSION, table.get(1001).get().auditSession());
    assertEquals(Session.NO_AUDIT_SESSION, table.get(1002).get().auditSession());
  }

  @ParameterizedTest(name = "[{index}] broken {0}")
  @CsvSource(delimiter = '|', value = {
      "1001/stat   | ''",
      "1001/stat   | '1001 (sshd'",
      "1001/stat   | '1001 (sshd) S 1000'",
      "1001/stat   | '1001 (sshd) SS 1000 1000 1000 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5010'",
      "1001/stat   | '1001 (sshd) S x 1000 1000 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5010'",
      "1001/status | 'Name:\\tsshd\\nUid:\\tnobody\\n'",
  })
  void aProcessThatCannotBeReadIsNotThere(String file, String content) throws IOException {
    sample().write(file, content.replace("\\n", "\n").replace("\\t", "\t"));

    assertEquals(Optional.empty(), new ProcfsProcessTable(dir).get(1001));
  }

  @Test
  void aStatusWithoutUidLeavesItUnread() throws IOException {
    sample().write("1001/status", "Name:\tsshd\n");

    assertEquals(-1, new ProcfsProcessTable(dir).get(1001).get().uid());
  }

  @Test
  void aMissingStatusMeansNotThere() throws IOException {
    sample().remove("1001/status");

    assertEquals(Optional.empty(), new ProcfsProcessTable(dir).get(1001));
  }

  @Test
  void childrenComeFromTheChildrenFile() throws IOException {
    sample();
    ProcfsProcessTable table = new ProcfsProcessTable(dir);

    assertEquals(List.of(1001L, 1003L), table.children(1000));
    assertEquals(List.of(1002L), table.children(1001));
    assertEquals(List.of(), table.children(1002));
    assertEquals(List.of(), table.children(4242), "no such process, no children");
  }

  @Test
  void withoutChildrenFilesTheTableIsScanned() throws IOException {
    sample().withoutChildrenFiles();
    ProcfsProcessTable table = new ProcfsProcessTable(dir);

    assertEquals(List.of(1001L, 1003L), sorted(table.children(1000)));
    assertEquals(List.of(1002L), table.children(1001));
    assertEquals(List.of(), table.children(1002));
    assertEquals(List.of(), table.children(4242));
  }

  @Test
  void allListsEveryPidDirectoryWithoutUids() throws IOException {
    sample();
    Files.createDirectories(dir.resolve("123456789012"));
    Files.createDirectories(dir.resolve("77"));
    ProcfsProcessTable table = new ProcfsProcessTable(dir);

    List<ProcessInfo> all = table.all();

    List<Long> pids = new ArrayList<>(all.stream().map(ProcessInfo::pid).toList());
    assertEquals(List.of(1L, 500L, 1000L, 1001L, 1002L, 1003L), sorted(pids),
        "non-pid names, empty dirs and absurd pids skipped");
    assertTrue(all.stream().allMatch(p -> p.uid() == -1));
    ProcessInfo bash = all.stream().filter(p -> p.pid() == 1002).findFirst().orElseThrow();
    assertEquals(info(1002, 1001, 'S', 1002, 5020, -1, 7), bash);
  }

  @Test
  void anUnreadableRootIsAnEmptyTable() {
    ProcfsProcessTable table = new ProcfsProcessTable(dir.resolve("absent"));

    assertEquals(List.of(), table.all());
    assertEquals(Optional.empty(), table.get(1));
    assertEquals(List.of(), table.children(1));
  }

  @Test
  void selfIsThisJvmOnTheRealProcAndTheSelfLinkOfAFakeTree() throws Exception {
    assertEquals(ProcessHandle.current().pid(), new ProcfsProcessTable(Path.of("/proc")).self());
    assertEquals(-1, new ProcfsProcessTable(dir).self());
    Files.createSymbolicLink(dir.resolve("self"), Path.of("4242"));
    assertEquals(4242, new ProcfsProcessTable(dir).self());
  }

  @ParameterizedTest(name = "[{index}] comm ''{0}''")
  @ValueSource(strings = {"sshd", "a b", "a) S 1 2 3", ")", "((", ") (", "x)", "  ", "a\nb",
      "123456789012345"})
  void parseStatTakesTheFieldsAfterTheLastParenthesis(String comm) throws IOException {
    ProcessInfo p = info(4321, 99, 'R', 4300, 777777, 0, 0);
    String stat = FakeProc.stat(4321, comm, p);

    long[] fields = ProcfsProcessTable.parseStat(stat);

    assertEquals(20, fields.length);
    assertEquals('R', fields[0]);
    assertEquals(99, fields[1]);
    assertEquals(4300, fields[3]);
    assertEquals(777777, fields[19]);

    new FakeProc(dir).add(comm, 4321, 99, 'R', 4300, 777777, 0, 0);
    assertEquals(Optional.of(p), new ProcfsProcessTable(dir).get(4321));
  }

  @Test
  void parseStatOfARealLine() {
    String line = "19896 (cat) R 19853 19853 3608 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 125518"
        + " 3133440 363 18446744073709551615 94880414109696 94880414129577 140721897687904 0 0"
        + " 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94880414145584 94880414147200 94881416261632"
        + " 140721897695961 140721897695981 140721897695981 140721897697259 0\n";

    long[] f = ProcfsProcessTable.parseStat(line);

    assertArrayEquals(new long[] {'R', 19853, 19853, 3608, 0, -1, 4194304, 98, 0, 0, 0, 0, 0,
        0, 0, 20, 0, 1, 0, 125518}, f);
  }

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @ValueSource(strings = {"", "1 (a)", "1 (a) ", "1 a S 1 2 3", "1 (a) S 1 2 3",
      "1 (a) Sx 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19"})
  void parseStatRefusesShortOrMalformedLines(String stat) {
    assertNull(ProcfsProcessTable.parseStat(stat));
  }

  @ParameterizedTest(name = "state {0}")
  @CsvSource({"Z, true", "X, true", "x, true", "S, false", "R, false", "D, false", "T, false",
      "I, false"})
  void zombies(char state, boolean zombie) {
    assertEquals(zombie, info(1, 0, state, 1, 1, 0, 0).isZombie());
  }

  private static List<Long> sorted(List<Long> pids) {
    List<Long> copy = new ArrayList<>(pids);
    copy.sort(null);
    return copy;
  }
}
