package org.loginwarden.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.loginwarden.audit.AppendOnlyFile;
import org.loginwarden.audit.AuditQuery;
import org.loginwarden.store.FleetStore;
import org.loginwarden.store.StoreException;

/**
 * Fleet mode: the audit lines this host could not add to the fleet's trail (the database out
 * of reach), kept until its watcher can. This host's own audit file has every line anyway;
 * this is only what the fleet's trail still lacks.
 *
 * <pre>
 * state_dir/fleet-audit/pending.jsonl   appended by any loginwarden process, under the lock
 * state_dir/fleet-audit/sending.jsonl   renamed from pending by the watcher, sent, then removed
 * state_dir/fleet-audit/lock            held only to append or to rename, never while sending
 * </pre>
 *
 * A crash after sending and before the removal sends the lines again; the store keeps each
 * line of a host once, so nothing is doubled.
 */
final class PendingAudit {

  private static final int BATCH = 500;

  private final Path pending;
  private final Path sending;
  private final Path lock;
  private final Duration lockTimeout;

  PendingAudit(Path dir, Duration lockTimeout) {
    this.pending = dir.resolve("pending.jsonl");
    this.sending = dir.resolve("sending.jsonl");
    this.lock = dir.resolve("lock");
    this.lockTimeout = lockTimeout;
  }

  /** Keeps lines for the fleet's trail. */
  void add(List<String> lines) throws IOException {
    StringBuilder all = new StringBuilder();
    for (String l : lines) {
      all.append(l).append('\n');
    }
    try (FileChannel held = lock()) {
      AppendOnlyFile.append(pending, all.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * Sends what is kept to the fleet's trail; returns how many lines went. A line that is not
   * an audit record (a write cut short by a crash or a full disk) is dropped: the host's own
   * audit file holds whatever of it was written.
   */
  int send(FleetStore fleet) throws IOException, StoreException {
    int sent = sendFile(fleet); // left by a pass that failed or crashed while sending
    try (FileChannel held = lock()) {
      if (!Files.exists(pending, LinkOption.NOFOLLOW_LINKS)) {
        return sent;
      }
      Files.move(pending, sending, StandardCopyOption.ATOMIC_MOVE);
    }
    return sent + sendFile(fleet);
  }

  private int sendFile(FleetStore fleet) throws IOException, StoreException {
    ObjectMapper json = new ObjectMapper();
    int sent = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
        Files.newInputStream(sending, LinkOption.NOFOLLOW_LINKS), StandardCharsets.UTF_8))) {
      List<String> batch = new ArrayList<>();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (AuditQuery.parse(json, line) != null) {
          batch.add(line);
        }
        if (batch.size() == BATCH) {
          fleet.appendAudit(batch);
          sent += batch.size();
          batch.clear();
        }
      }
      fleet.appendAudit(batch);
      sent += batch.size();
    } catch (NoSuchFileException e) {
      return 0;
    }
    Files.delete(sending);
    return sent;
  }

  /**
   * The lock, waited for at most lock_timeout (its holders only append or rename), held until
   * the channel is closed.
   */
  private FileChannel lock() throws IOException {
    Files.createDirectories(lock.getParent(),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    FileChannel ch = FileChannel.open(lock, Set.of(StandardOpenOption.CREATE,
            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    long until = System.nanoTime() + lockTimeout.toNanos();
    try {
      while (true) {
        if (ch.tryLock() != null) {
          return ch;
        }
        if (System.nanoTime() - until > 0) {
          throw new IOException("cannot lock " + lock + ": still held after " + lockTimeout
              .toMillis() + " ms (lock_timeout)");
        }
        Thread.sleep(10);
      }
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    } catch (InterruptedException e) {
      ch.close();
      Thread.currentThread().interrupt();
      throw new IOException("cannot lock " + lock + ": interrupted");
    }
  }
}
