package org.loginwarden.install;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The launcher, the jar and its class-data archive as install lays them out, but under a
 * scratch directory: a copy of {@code pam/loginwarden} with only its JAVA, JAR and ARCHIVE lines
 * rewritten.
 */
public record ScratchInstall(Path launcher, Path jar, Path archive, Path java) {

  public static final Path BUILT_JAR = Path.of(System.getProperty("loginwarden.jar",
      "target/loginwarden.jar")).toAbsolutePath();
  static final Path LAUNCHER = Path.of("pam/loginwarden").toAbsolutePath();

  /** Lays it out under {@code dir} for {@code java}, archive included. */
  public static ScratchInstall create(Path dir, Path java) throws IOException {
    Files.createDirectories(dir);
    Path jar = dir.resolve("loginwarden.jar");
    Files.copy(BUILT_JAR, jar);
    Path archive = dir.resolve("cache/loginwarden.jsa");
    Path launcher = dir.resolve("loginwarden");
    Files.writeString(launcher, Files.readString(LAUNCHER, StandardCharsets.UTF_8)
        .replace("JAVA=/usr/bin/java", "JAVA=" + java)
        .replace("JAR=/usr/share/loginwarden/loginwarden.jar", "JAR=" + jar)
        .replace("ARCHIVE=/var/cache/loginwarden/loginwarden.jsa", "ARCHIVE=" + archive),
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    new ClassDataArchive(java, jar, archive).generate();
    return new ScratchInstall(launcher, jar, archive, java);
  }
}
