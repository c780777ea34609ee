package org.loginwarden.proc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Any contents of a process's /proc files ({@code stat}, {@code status}, {@code sessionid},
 * {@code io}, {@code task/PID/children}) in a fake procfs tree: every reader answers (a
 * process, or none, or -1), never throws. A process that vanishes mid-read looks like this.
 */
class ProcfsFuzzTest {

  private static final String[] FILES = {"stat", "status", "sessionid", "io",
      "task/4242/children"};
  private static Path root;

  @BeforeAll
  static void tree() throws IOException {
    root = Files.createTempDirectory("lw-procfs-fuzz-");
    Files.createDirectories(root.resolve("4242/task/4242"));
  }

  @AfterAll
  static void removeTree() throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @FuzzTest(maxDuration = "10m")
  void anyProcFilesAreReadWithoutThrowing(FuzzedDataProvider data) throws IOException {
    for (String f : FILES) {
      Path p = root.resolve("4242/" + f);
      if (data.consumeBoolean()) {
        Files.write(p, data.consumeBytes(data.consumeInt(0, 600)));
      } else {
        Files.deleteIfExists(p);
      }
    }
    ProcfsProcessTable table = new ProcfsProcessTable(root);
    table.get(4242).ifPresent(p -> assertTrue(p.pid() == 4242));
    table.children(4242);
    table.all();
    table.ioBytes(4242);
    table.terminal(4242);
    table.foregroundJob(4242);
    String stat = data.consumeRemainingAsString();
    try {
      long[] fields = ProcfsProcessTable.parseStat(stat);
      assertTrue(fields == null || fields.length == 20);
    } catch (NumberFormatException e) {
      // its callers catch this: an unparsable stat is no such process
    }
  }
}
