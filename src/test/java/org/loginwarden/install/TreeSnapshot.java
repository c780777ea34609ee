package org.loginwarden.install;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Every path under a directory with its type, mode and (for files) content digest. */
public final class TreeSnapshot {

  private TreeSnapshot() {}

  /** {@code withContent}: digest file contents too (else names, types and modes only). */
  public static Map<String, String> of(Path dir, boolean withContent) {
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.toList()) {
        String type = Files.isSymbolicLink(p) ? "link " + Files.readSymbolicLink(p)
            : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir" : "file";
        String mode = Files.isSymbolicLink(p) ? "" : PosixFilePermissions.toString(
            Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        String digest = withContent && type.equals("file")
            ? HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(p))) : "";
        out.put(dir.relativize(p).toString(), type + " " + mode + " " + digest);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    return out;
  }
}
