package org.loginwarden.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.StringTokenizer;
import org.loginwarden.core.Session;

/**
 * Reads the kernel's process table from a procfs root ({@code /proc}, or a fake tree in
 * tests). Signals go through {@link ProcessHandle}, which itself refuses a pid whose start time
 * changed; this class checks start time and audit session before that as well.
 */
public final class ProcfsProcessTable implements ProcessTable {

  private final Path root;

  public ProcfsProcessTable(Path root) {
    this.root = root;
  }

  @Override
  public Optional<ProcessInfo> get(long pid) {
    return read(pid, true);
  }

  @Override
  public List<Long> children(long pid) {
    // /proc/PID/task/PID/children lists the children of the main thread: sshd has no others.
    Path file = root.resolve(pid + "/task/" + pid + "/children");
    List<Long> out = new ArrayList<>();
    try {
      for (String p : Files.readString(file, StandardCharsets.US_ASCII).trim().split("\\s+")) {
        if (!p.isEmpty()) {
          out.add(Long.parseLong(p));
        }
      }
      return out;
    } catch (IOException | NumberFormatException e) {
      if (!Files.exists(root.resolve(Long.toString(pid)))) {
        return out;
      }
      // No CONFIG_PROC_CHILDREN: scan the whole table instead.
      for (ProcessInfo p : all()) {
        if (p.ppid() == pid) {
          out.add(p.pid());
        }
      }
      return out;
    }
  }

  @Override
  public List<ProcessInfo> all() {
    List<ProcessInfo> out = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
      for (Path d : dirs) {
        String name = d.getFileName().toString();
        if (!name.isEmpty() && name.length() < 12 && name.chars().allMatch(Character::isDigit)) {
          read(Long.parseLong(name), false).ifPresent(out::add);
        }
      }
    } catch (IOException e) {
      // An unreadable /proc means nothing can be found; callers treat that as "gone".
    }
    return out;
  }

  @Override
  public long ioBytes(long pid) {
    try {
      long total = 0;
      int found = 0;
      for (String line : Files.readAllLines(root.resolve(pid + "/io"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("rchar:") || line.startsWith("wchar:")) {
          total += Long.parseLong(line.substring(6).trim());
          found++;
        }
      }
      return found == 2 ? total : -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  @Override
  public String terminal(long pid) {
    try {
      String target = Files.readSymbolicLink(root.resolve(pid + "/fd/0")).toString();
      return target.matches("/dev/pts/[0-9]{1,6}") ? target : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public boolean foregroundJob(long pid) {
    try {
      long[] f = parseStat(Files.readString(root.resolve(pid + "/stat"),
          StandardCharsets.ISO_8859_1));
      // f[2] is the process group (field 5), f[5] the terminal's foreground group (field 8).
      return f != null && f[5] > 0 && f[5] != f[2];
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** From the tree's own {@code self} link, so that a fake tree says who "this process" is. */
  @Override
  public long self() {
    try {
      return Long.parseLong(Files.readSymbolicLink(root.resolve("self")).toString());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** From /proc/self/stat: ProcessHandle's machinery would cost every hook call its start-up. */
  @Override
  public long parentOfSelf() {
    try {
      long[] f = parseStat(Files.readString(root.resolve("self/stat"),
          StandardCharsets.ISO_8859_1));
      return f == null ? -1 : f[1];
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  @Override
  public boolean signal(ProcessInfo target, boolean kill) {
    if (target.pid() <= 1 || target.pid() == self() || !matches(target)) {
      return false;
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(target.pid());
    // Check again after taking the handle: the handle pins the start time it saw, and
    // destroy() refuses if the pid was reused after this point.
    if (handle.isEmpty() || !matches(target)) {
      return false;
    }
    return kill ? handle.get().destroyForcibly() : handle.get().destroy();
  }

  private boolean matches(ProcessInfo target) {
    Optional<ProcessInfo> now = read(target.pid(), false);
    return now.isPresent() && !now.get().isZombie()
        && now.get().startTime() == target.startTime()
        && now.get().auditSession() == target.auditSession();
  }

  private Optional<ProcessInfo> read(long pid, boolean withUid) {
    Path dir = root.resolve(Long.toString(pid));
    try {
      String stat = Files.readString(dir.resolve("stat"), StandardCharsets.ISO_8859_1);
      long[] fields = parseStat(stat);
      if (fields == null) {
        return Optional.empty();
      }
      long uid = withUid ? readUid(dir) : -1;
      return Optional.of(new ProcessInfo(pid, fields[1], (char) fields[0], fields[3],
          fields[19], uid, readAuditSession(dir)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Fields 3 onwards of /proc/PID/stat as numbers (the state as its character code), or null.
   * The command name in parentheses may hold spaces and ')' itself: the fields start after the
   * last ')'.
   */
  static long[] parseStat(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 >= stat.length()) {
      return null;
    }
    String[] rest = stat.substring(close + 2).trim().split(" ");
    if (rest.length < 20 || rest[0].length() != 1) {
      return null;
    }
    long[] out = new long[20];
    out[0] = rest[0].charAt(0);
    for (int i = 1; i < 20; i++) {
      out[i] = Long.parseLong(rest[i]);
    }
    return out;
  }

  private static long readUid(Path dir) throws IOException {
    return uid(Files.readAllLines(dir.resolve("status"), StandardCharsets.ISO_8859_1), 0);
  }

  /** Field {@code n} of the "Uid:" line of /proc/PID/status (0 real, 1 effective); or -1. */
  static long uid(List<String> status, int n) {
    for (String line : status) {
      if (line.startsWith("Uid:")) {
        StringTokenizer fields = new StringTokenizer(line.substring(4));
        for (int i = 0; i < n; i++) {
          fields.nextToken();
        }
        return Long.parseLong(fields.nextToken());
      }
    }
    return -1;
  }

  private static long readAuditSession(Path dir) {
    try {
      return Long.parseLong(Files.readString(dir.resolve("sessionid"), StandardCharsets.US_ASCII)
          .trim());
    } catch (IOException | NumberFormatException e) {
      return Session.NO_AUDIT_SESSION;
    }
  }

  /** This process's pid, from the /proc/self link; -1 if unknown. */
  public static long pidOfSelf() {
    return new ProcfsProcessTable(Path.of("/proc")).self();
  }

  /** The effective uid of this process, from /proc/self/status; -1 if unknown. */
  public static long effectiveUid() {
    try {
      return uid(Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.ISO_8859_1),
          1);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
