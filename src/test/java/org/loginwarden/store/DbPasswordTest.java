package org.loginwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.proc.ProcfsProcessTable;

/** db_password_file: root's alone, one short line; each refusal names the problem. */
class DbPasswordTest {

  private static final String SECRET = "s3cret-Pa55";

  @TempDir Path tmp;

  private Path file(String name, byte[] content, String mode) throws Exception {
    Path f = Files.createFile(tmp.resolve(name), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    Files.write(f, content);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    return f;
  }

  private Path file(String name, String content, String mode) throws Exception {
    return file(name, content.getBytes(StandardCharsets.UTF_8), mode);
  }

  private static void assertRefused(Path f, String problem) {
    StoreException e = assertThrows(StoreException.class, () -> DbPassword.read(f));
    assertEquals("refusing db_password_file " + f + ": " + problem, e.getMessage());
    assertFalse(e.getMessage().contains(SECRET));
  }

  @Test
  void oneLineIsThePasswordWithItsLineEndStripped() throws Exception {
    assumeTrue(root());
    assertEquals(SECRET, DbPassword.read(file("a", SECRET + "\n", "rw-------")));
    assertEquals(SECRET, DbPassword.read(file("b", SECRET, "r--------")));
    assertEquals(SECRET, DbPassword.read(file("c", SECRET + "\r\n", "rw-------")));
    assertEquals("p\u00e4ss word", DbPassword.read(file("d", "p\u00e4ss word\n", "rw-------")));
  }

  @Test
  void anythingElseIsRefusedWithItsReason() throws Exception {
    assumeTrue(root());
    assertRefused(file("group", SECRET, "rw-r-----"),
        "readable or writable by group or others (chmod 0600 it)");
    assertRefused(file("other", SECRET, "rw----r--"),
        "readable or writable by group or others (chmod 0600 it)");
    assertRefused(file("two-lines", SECRET + "\n" + SECRET + "\n", "rw-------"),
        "more than one line");
    assertRefused(file("empty", "\n", "rw-------"), "it is empty");
    assertRefused(file("long", "x".repeat(DbPassword.MAX_BYTES + 1), "rw-------"),
        "larger than 1024 bytes");
    assertEquals(1024, DbPassword.read(file("max", "x".repeat(1023) + "\n", "rw-------"))
        .length() + 1);
    assertRefused(file("binary", new byte[] {(byte) 0xff, (byte) 0xfe}, "rw-------"),
        "not UTF-8 text");
    Path target = file("target", SECRET, "rw-------");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
    assertRefused(link, "it is a symbolic link");
    assertRefused(Files.createDirectory(tmp.resolve("dir")), "not a regular file");
    assertRefused(tmp.resolve("missing"), "no such file");
    Path nobodys = file("nobodys", SECRET, "rw-------");
    UserPrincipal nobody = nobodys.getFileSystem().getUserPrincipalLookupService()
        .lookupPrincipalByName("nobody");
    Files.setOwner(nobodys, nobody);
    assertRefused(nobodys, "owned by nobody, not root (chown root: it)");
  }

  private static boolean root() {
    return ProcfsProcessTable.effectiveUid() == 0;
  }
}
