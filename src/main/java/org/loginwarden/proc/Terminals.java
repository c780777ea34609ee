package org.loginwarden.proc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/** The pseudo-terminals of sessions: when the user last typed, and a line to warn them. */
public class Terminals {

  private static final long WRITE_LIMIT_MILLIS = 500;

  /**
   * When the terminal last read input: its atime, as {@code w} and logind read it. Linux moves
   * it at most once per 8 s, so this is late by up to 8 s. Null when unreadable.
   */
  public Instant lastInput(String pty) {
    try {
      FileTime t = Files.readAttributes(checked(pty), java.nio.file.attribute.BasicFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS).lastAccessTime();
      return t.toInstant();
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Writes one line to the terminal; false if it could not be written in time. A terminal whose output is stopped (Ctrl-S) would block
   * the write: it runs on its own thread and is given up after half a second. (Opening it
   * cannot make it our controlling terminal: it is already the user's shell's.)
   */
  public boolean write(String pty, String line) {
    Path path;
    try {
      path = checked(pty);
    } catch (IllegalArgumentException e) {
      return false;
    }
    byte[] bytes = ("\r\n" + line + "\r\n").getBytes(StandardCharsets.UTF_8);
    java.util.concurrent.atomic.AtomicBoolean written = new java.util.concurrent.atomic.AtomicBoolean();
    Thread writer = new Thread(() -> {
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS)) {
        ch.write(ByteBuffer.wrap(bytes));
        written.set(true);
      } catch (IOException e) {
        // The session may have ended meanwhile: reported by the false below.
      }
    }, "loginwarden-warn");
    writer.setDaemon(true);
    writer.start();
    try {
      writer.join(WRITE_LIMIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return written.get();
  }

  /** Only /dev/pts/N: a recorded path must never make us write anywhere else. */
  private static Path checked(String pty) {
    if (pty == null || !pty.matches("/dev/pts/[0-9]{1,6}")) {
      throw new IllegalArgumentException("not a pseudo-terminal: " + pty);
    }
    return Path.of(pty);
  }
}
