package org.loginwarden.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * The database password, from {@code db_password_file}. The file must be root's alone: anyone
 * who can read it can end sessions and lock users on every host of the fleet, and anyone who
 * can write it can point logins at a database of their own choosing. Errors name the file and
 * the problem, never the content.
 */
public final class DbPassword {

  static final int MAX_BYTES = 1024;

  private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private DbPassword() {}

  /** The password on the file's one line, its line end stripped. */
  public static String read(Path file) throws StoreException {
    PosixFileAttributes before = attributes(file);
    check(file, before);
    byte[] bytes;
    try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer buf = ByteBuffer.allocate(MAX_BYTES + 1);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // keep reading: at most one byte past the limit, to see that it is too long
      }
      bytes = java.util.Arrays.copyOf(buf.array(), buf.position());
    } catch (IOException e) {
      throw refused(file, FileStateStore.describe(e));
    }
    // Checked again after reading: a file swapped in between is refused, not read.
    if (!Objects.equals(before.fileKey(), attributes(file).fileKey())) {
      throw refused(file, "it was replaced while being read");
    }
    if (bytes.length > MAX_BYTES) {
      throw refused(file, "larger than " + MAX_BYTES + " bytes");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw refused(file, "not UTF-8 text");
    }
    String line = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
        : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    if (line.isEmpty()) {
      throw refused(file, "it is empty");
    }
    if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0 || line.indexOf('\0') >= 0) {
      throw refused(file, "more than one line");
    }
    return line;
  }

  private static PosixFileAttributes attributes(Path file) throws StoreException {
    try {
      return Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw refused(file, "no such file");
    } catch (IOException e) {
      throw refused(file, FileStateStore.describe(e));
    }
  }

  private static void check(Path file, PosixFileAttributes a) throws StoreException {
    if (a.isSymbolicLink()) {
      throw refused(file, "it is a symbolic link");
    }
    if (!a.isRegularFile()) {
      throw refused(file, "not a regular file");
    }
    int uid = uid(file);
    if (uid != 0) {
      throw refused(file, "owned by " + a.owner().getName() + ", not root (chown root: it)");
    }
    if (a.permissions().stream().anyMatch(GROUP_OR_OTHER::contains)) {
      throw refused(file, "readable or writable by group or others (chmod 0600 it)");
    }
  }

  private static int uid(Path file) throws StoreException {
    try {
      return (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | UnsupportedOperationException e) {
      throw refused(file, "cannot tell its owner");
    }
  }

  private static StoreException refused(Path file, String problem) {
    return new StoreException("refusing db_password_file " + file + ": " + problem);
  }
}
