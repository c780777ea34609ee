package org.loginwarden.audit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * The audit log and the files logrotate made of it, read oldest first: {@code audit.jsonl.N}
 * and {@code audit.jsonl.N.gz} (N = 1 is the newest), or with {@code dateext}
 * {@code audit.jsonl-YYYYMMDD[.gz]}, then the live file.
 */
public final class AuditFiles {

  /** Longer lines are not ours (ours are clipped to a few KiB per field): skipped, not read. */
  static final int MAX_LINE = 256 * 1024;

  private AuditFiles() {}

  /** The existing files, oldest first; empty when there is no log at all. */
  public static List<Path> inOrder(Path log) throws IOException {
    Path dir = log.toAbsolutePath().getParent();
    String base = log.getFileName().toString();
    Pattern rotated = Pattern.compile(Pattern.quote(base) + "(?:\\.(\\d{1,6})|-(\\d{8,14}))"
        + "(?:\\.gz)?");
    record Rotated(Path path, long number, String date) {}
    List<Rotated> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        Matcher m = rotated.matcher(p.getFileName().toString());
        if (m.matches() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          found.add(m.group(1) != null ? new Rotated(p, Long.parseLong(m.group(1)), null)
              : new Rotated(p, 0, m.group(2)));
        }
      }
    } catch (NoSuchFileException e) {
      return List.of();
    }
    // Dated names sort by date; numbered ones are older the higher the number.
    found.sort(Comparator.comparing((Rotated r) -> r.date() == null)
        .thenComparing(r -> r.date() == null ? "" : r.date())
        .thenComparing(Comparator.comparingLong(Rotated::number).reversed()));
    List<Path> out = new ArrayList<>(found.stream().map(Rotated::path).toList());
    if (Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS)) {
      out.add(log);
    }
    return out;
  }

  /**
   * Each line of the file (gunzipped if its name ends in .gz) as UTF-8, without the newline;
   * an overlong line is given as null, its bytes never held.
   */
  public static void lines(Path file, Consumer<String> each) throws IOException {
    try (InputStream raw = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
        InputStream in = new BufferedInputStream(file.toString().endsWith(".gz")
            ? new GZIPInputStream(raw, 65536) : raw, 65536)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
      boolean overlong = false;
      for (int b; (b = in.read()) >= 0; ) {
        if (b == '\n') {
          each.accept(overlong ? null : line.toString(StandardCharsets.UTF_8));
          line.reset();
          overlong = false;
        } else if (!overlong) {
          line.write(b);
          if (line.size() > MAX_LINE) {
            overlong = true;
            line.reset();
          }
        }
      }
      if (overlong || line.size() > 0) {
        each.accept(overlong ? null : line.toString(StandardCharsets.UTF_8));
      }
    }
  }
}
