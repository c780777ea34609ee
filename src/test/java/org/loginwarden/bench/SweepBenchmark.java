package org.loginwarden.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.loginwarden.account.UsermodAccountLocker;
import org.loginwarden.app.GroupResolver;
import org.loginwarden.app.ImmediateEnding;
import org.loginwarden.app.Warden;
import org.loginwarden.audit.AuditLog;
import org.loginwarden.config.Config;
import org.loginwarden.config.ConfigParser;
import org.loginwarden.core.Session;
import org.loginwarden.core.UserState;
import org.loginwarden.proc.ActivityProbe;
import org.loginwarden.proc.ProcessInfo;
import org.loginwarden.proc.ProcfsProcessTable;
import org.loginwarden.proc.SessionTerminator;
import org.loginwarden.proc.Terminals;
import org.loginwarden.store.FileStateStore;
import org.loginwarden.store.StateStore;

/**
 * CPU time of one sweep with N recorded sessions, each a real process with its own audit
 * session id, one per user, none past a limit (so the pass reads and writes, ends nothing).
 *
 * <pre>
 * mvn -B -q test-compile package -DskipTests
 * sudo java -cp target/loginwarden.jar:target/test-classes org.loginwarden.bench.SweepBenchmark 1000
 * </pre>
 */
public final class SweepBenchmark {

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int passes = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    Path dir = Files.createTempDirectory("lw-sweep-bench-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path conf = dir.resolve("loginwarden.conf");
    Files.writeString(conf, String.join("\n", "state_dir = " + dir.resolve("state"),
        "run_dir = " + dir.resolve("run"), "audit_log = " + dir.resolve("audit.jsonl"),
        "log_file =", "idle_timeout = 15m", "max_session_time = 8h", ""));
    Config config = ConfigParser.load(conf, false);
    Process forker = new ProcessBuilder("/usr/bin/python3", "-c", String.join("\n",
        "import os, sys",
        "for i in range(int(sys.argv[1])):",
        "    pid = os.fork()",
        "    if pid == 0:",
        "        os.dup2(os.open('/dev/null', os.O_WRONLY), 1)  # our reader waits for EOF",
        "        open('/proc/self/loginuid', 'w').write('65534')",
        "        os.execv('/bin/sleep', ['sleep', '900'])",
        "    print(pid, flush=True)"), Integer.toString(n)).start();
    List<Long> pids = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(forker.getInputStream()))) {
      for (String line; (line = r.readLine()) != null; ) {
        pids.add(Long.parseLong(line.strip()));
      }
    }
    forker.waitFor(60, TimeUnit.SECONDS);
    try {
      ProcfsProcessTable procs = new ProcfsProcessTable(Path.of("/proc"));
      StateStore store = FileStateStore.open(config.stateDir(), config.runDir(),
          config.lockTimeout(), true, Clock.systemUTC(), line -> { });
      Instant now = Instant.now();
      for (int i = 0; i < pids.size(); i++) {
        ProcessInfo p = waitForExec(procs, pids.get(i));
        Session s = new Session(p.pid(), p.startTime(), p.auditSession(), "sshd", "192.0.2.1",
            40000 + i % 20000, "ssh", "publickey", null, now, null);
        try (StateStore.Transaction tx = store.begin("bench" + i)) {
          tx.write(new UserState("bench" + i, List.of(s), List.of(), null));
        }
      }
      Terminals terminals = new Terminals();
      SessionTerminator terminator = new SessionTerminator(procs);
      Warden warden = new Warden(config, store, terminator, UsermodAccountLocker.system(),
          new AuditLog(config.auditLog(), "bench", Clock.systemUTC()), GroupResolver.idCommand(),
          new ImmediateEnding(terminator, config.killGrace(), Duration.ofSeconds(1)),
          new ActivityProbe(procs, terminals), terminals, Clock.systemUTC());

      var bean = ManagementFactory.getThreadMXBean();
      List<Double> cpu = new ArrayList<>();
      List<Double> wall = new ArrayList<>();
      for (int i = 0; i < passes; i++) {
        long c0 = bean.getCurrentThreadCpuTime();
        long w0 = System.nanoTime();
        Warden.SweepResult result = warden.sweep();
        cpu.add((bean.getCurrentThreadCpuTime() - c0) / 1e6);
        wall.add((System.nanoTime() - w0) / 1e6);
        if (result.sessions() != n || result.ended() != 0) {
          throw new IllegalStateException("unexpected pass: " + result);
        }
      }
      // The first passes include class loading and JIT warm-up: report them apart.
      System.out.printf("sweep over %d sessions of %d users: first pass %.0f ms CPU; "
              + "passes 6-%d median %.0f ms CPU (%.2f ms per session), median wall %.0f ms%n",
          n, n, cpu.get(0), passes, median(cpu.subList(5, passes)),
          median(cpu.subList(5, passes)) / n, median(wall.subList(5, passes)));
    } finally {
      for (long pid : pids) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      new ProcessBuilder("/bin/rm", "-rf", dir.toString()).start().waitFor();
    }
  }

  /** The forked child, once it has exec'd sleep (its audit session id is set by then). */
  private static ProcessInfo waitForExec(ProcfsProcessTable procs, long pid) throws Exception {
    for (int i = 0; i < 200; i++) {
      var p = procs.get(pid);
      if (p.isPresent() && p.get().auditSession() != Session.NO_AUDIT_SESSION
          && Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip()
              .equals("sleep")) {
        return p.get();
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException("process " + pid + " did not exec sleep");
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
