package org.loginwarden.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Appends whole lines to a root-only file (0600 in a 0700 directory when it makes them): each
 * line is one append-mode write(2), so concurrent hooks never interleave within a line, and the
 * file is never opened through a symbolic link.
 */
public final class AppendOnlyFile {

  private AppendOnlyFile() {}

  public static void append(Path file, byte[] line) throws IOException {
    Path dir = file.getParent();
    if (dir != null && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE,
            StandardOpenOption.APPEND, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      ByteBuffer buf = ByteBuffer.wrap(line);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }
}
