package org.loginwarden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import org.loginwarden.doctor.Doctor;

/** {@code loginwarden doctor}: one line per check, or JSON; exit 8 when any check fails. */
final class DoctorRunner {

  private final Path configFile;
  private final Main.Io io;

  DoctorRunner(Path configFile, Main.Io io) {
    this.configFile = configFile;
    this.io = io;
  }

  ExitCode run(Path root, boolean json) {
    List<Doctor.Check> checks = new Doctor(root, configFile, Clock.systemUTC()).run();
    io.out().print(json ? json(checks) : lines(checks));
    io.out().flush();
    return checks.stream().anyMatch(c -> c.status() == Doctor.Status.FAIL)
        ? ExitCode.UNHEALTHY : ExitCode.OK;
  }

  static String lines(List<Doctor.Check> checks) {
    StringBuilder b = new StringBuilder();
    for (Doctor.Check c : checks) {
      b.append(String.format("%-4s %s: %s", label(c), c.name(), oneLine(c.message())));
      if (!c.fix().isEmpty()) {
        b.append(" -- fix: ").append(oneLine(c.fix()));
      }
      b.append('\n');
    }
    long failed = checks.stream().filter(c -> c.status() == Doctor.Status.FAIL).count();
    long warned = checks.stream().filter(c -> c.status() == Doctor.Status.WARN).count();
    b.append(String.format("%n%d checks: %d ok, %d warning(s), %d failed.%n", checks.size(),
        checks.size() - failed - warned, warned, failed));
    return b.toString();
  }

  static String json(List<Doctor.Check> checks) {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode top = mapper.createObjectNode();
    top.put("ok", checks.stream().noneMatch(c -> c.status() == Doctor.Status.FAIL));
    ArrayNode list = top.putArray("checks");
    for (Doctor.Check c : checks) {
      list.addObject().put("name", c.name()).put("status", label(c)).put("message", c.message())
          .put("fix", c.fix());
    }
    return top.toString() + "\n";
  }

  private static String label(Doctor.Check c) {
    return c.status().name().toLowerCase(Locale.ROOT);
  }

  /** Messages quote files and programs: keep each check on one line whatever they hold. */
  private static String oneLine(String s) {
    return s.replaceAll("[\\x00-\\x1f\\x7f]", " ");
  }
}
