package org.loginwarden.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.loginwarden.config.ConfigReference;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * Run by the build (exec-maven-plugin, process-classes) to write the files that are made
 * from the code: the man pages, the bash completion and the commented default config. They
 * land in the jar under {@code dist/}, where install and the Debian package take them from.
 */
public final class BuildResources {

  private BuildResources() {}

  /** {@code args}: the output directory, then the version. */
  public static void main(String[] args) throws IOException {
    Path out = Path.of(args[0]);
    String version = args[1];
    CommandLine cli = Main.commandLine(
        new Main.Io(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())));
    write(out.resolve("man/loginwarden.8.gz"), gzip(ManPages.loginwarden8(cli, version)));
    write(out.resolve("man/loginwarden.conf.5.gz"), gzip(ManPages.loginwardenConf5(version)));
    write(out.resolve("completion/loginwarden"), AutoComplete.bash("loginwarden", cli)
        .getBytes(StandardCharsets.UTF_8));
    write(out.resolve("etc/loginwarden.conf"),
        ConfigReference.defaultFile().getBytes(StandardCharsets.UTF_8));
  }

  /** gzip as man-db reads it; Java writes a zero mtime, so the bytes are reproducible. */
  static byte[] gzip(String text) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(bytes)) {
      z.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return bytes.toByteArray();
  }

  private static void write(Path file, byte[] content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, content);
  }
}
