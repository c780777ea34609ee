package org.loginwarden.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.loginwarden.core.Lock;
import org.loginwarden.core.Session;
import org.loginwarden.core.UserState;

/**
 * The per-host store: small JSON files per user, written by temp file, fsync and rename so a
 * crash leaves either the old or the new state, never a torn one.
 *
 * <pre>
 * run_dir/locks/NAME.lock       never replaced, so every process locks the same inode
 * run_dir/sessions/NAME.json    live sessions: tmpfs, gone at reboot like the sessions
 * state_dir/users/NAME.json     violations, lock, failed logins: must survive a reboot
 * </pre>
 *
 * NAME is {@link UserNames#encode}. Directories are created 0700 and refused when they are a
 * symlink, not owned by this user (root), or writable by group or others.
 */
public final class FileStateStore implements StateStore {

  private static final long MAX_FILE_BYTES = 1 << 20;
  private static final FileAttribute<Set<PosixFilePermission>> DIR_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private final Path locks;
  private final Path sessions;
  private final Path users;
  private final Duration lockTimeout;
  private final Clock clock;
  private final Consumer<String> corruptionReport;

  private FileStateStore(Path stateDir, Path runDir, Duration lockTimeout, Clock clock,
      Consumer<String> corruptionReport) {
    this.locks = runDir.resolve("locks");
    this.sessions = runDir.resolve("sessions");
    this.users = stateDir.resolve("users");
    this.lockTimeout = lockTimeout;
    this.clock = clock;
    this.corruptionReport = corruptionReport;
  }

  /**
   * Opens the store, creating its directories when {@code create} (writers) and checking them
   * in any case.
   *
   * @param corruptionReport told, in one line, of each corrupt file moved aside
   */
  public static FileStateStore open(Path stateDir, Path runDir, Duration lockTimeout,
      boolean create, Clock clock, Consumer<String> corruptionReport) throws StoreException {
    FileStateStore store =
        new FileStateStore(stateDir, runDir, lockTimeout, clock, corruptionReport);
    for (Path dir : List.of(stateDir, store.users, runDir, store.locks, store.sessions)) {
      checkDirectory(dir, create);
    }
    return store;
  }

  /** Ensures {@code dir} is a real directory that only its owner, this user, can change. */
  static void checkDirectory(Path dir, boolean create) throws StoreException {
    PosixFileAttributes attrs;
    try {
      attrs = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      if (!create) {
        throw new StoreException("cannot use " + dir + ": no such directory");
      }
      try {
        Files.createDirectories(dir, DIR_MODE);
        attrs = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException c) {
        throw new StoreException("cannot create " + dir + ": " + describe(c));
      }
    } catch (IOException e) {
      throw new StoreException("cannot use " + dir + ": " + describe(e));
    }
    if (attrs.isSymbolicLink()) {
      throw new StoreException("refusing " + dir + ": it is a symbolic link");
    }
    if (!attrs.isDirectory()) {
      throw new StoreException("refusing " + dir + ": not a directory");
    }
    Set<PosixFilePermission> p = attrs.permissions();
    if (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new StoreException("refusing " + dir + ": writable by group or others (chmod 0700 it)");
    }
    // user.name is the JVM's getpwuid(getuid()), not the environment's USER.
    String owner = attrs.owner().getName();
    String me = System.getProperty("user.name");
    if (!owner.equals(me)) {
      throw new StoreException("refusing " + dir + ": owned by " + owner + ", not " + me);
    }
  }

  @Override
  public Transaction begin(String user) throws StoreException {
    String name = fileName(user);
    FileChannel channel;
    try {
      channel = FileChannel.open(locks.resolve(name + ".lock"), Set.of(StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), FILE_MODE);
    } catch (IOException e) {
      throw new StoreException("cannot open lock of " + user + ": " + describe(e));
    }
    try {
      FileLock lock = acquire(channel, user);
      FileTransaction tx = new FileTransaction(user, name, channel, lock);
      tx.load();
      return tx;
    } catch (StoreException | RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  @Override
  public UserState peek(String user) throws StoreException {
    String name = fileName(user);
    Path s = sessions.resolve(name + ".json");
    Path u = users.resolve(name + ".json");
    byte[] sb = read(s);
    byte[] ub = read(u);
    refuseNewer(s, sb);
    refuseNewer(u, ub);
    try {
      return decode(user, sb, ub);
    } catch (StateCodec.CorruptException e) {
      throw new StoreException("corrupt state of " + user + ": " + e.getMessage());
    }
  }

  @Override
  public List<String> users() throws StoreException {
    Set<String> names = new TreeSet<>();
    for (Path dir : List.of(sessions, users)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
        for (Path f : files) {
          String base = f.getFileName().toString();
          String user = UserNames.decode(base.substring(0, base.length() - ".json".length()));
          if (user == null) {
            user = nameInside(f);
          }
          if (user != null) {
            names.add(user);
          }
        }
      } catch (IOException e) {
        throw new StoreException("cannot list " + dir + ": " + describe(e));
      }
    }
    return List.copyOf(names);
  }

  /** Long names are stored under a digest; the file itself says whose it is. */
  private String nameInside(Path file) {
    try {
      byte[] bytes = read(file);
      String user = bytes == null ? null : StateCodec.userOf(bytes);
      return user != null && UserNames.problem(user) == null
          && file.getFileName().toString().equals(UserNames.encode(user) + ".json") ? user : null;
    } catch (StoreException e) {
      return null;
    }
  }

  private static String fileName(String user) throws StoreException {
    String problem = UserNames.problem(user);
    if (problem != null) {
      throw new StoreException("refusing user name: " + problem);
    }
    return UserNames.encode(user);
  }

  private FileLock acquire(FileChannel channel, String user) throws StoreException {
    long deadline = System.nanoTime() + lockTimeout.toNanos();
    long pause = 1;
    try {
      while (true) {
        FileLock lock = channel.tryLock();
        if (lock != null) {
          return lock;
        }
        if (System.nanoTime() - deadline >= 0) {
          throw new StoreException("cannot lock state of " + user + ": still held by another "
              + "process after " + lockTimeout.toMillis() + " ms (lock_timeout)");
        }
        Thread.sleep(pause);
        pause = Math.min(pause * 2, 20);
      }
    } catch (IOException e) {
      throw new StoreException("cannot lock state of " + user + ": " + describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("cannot lock state of " + user + ": interrupted");
    }
  }

  /** Decodes files read under the lock; a corrupt one is moved aside for a fresh start. */
  private UserState decodeLocked(String user, Path s, byte[] sb, Path u, byte[] ub)
      throws StoreException {
    refuseNewer(s, sb);
    refuseNewer(u, ub);
    try {
      return decode(user, sb, ub);
    } catch (StateCodec.CorruptException e) {
      // Find which file it was, move it aside, report, and fail this call.
      Path bad = s;
      try {
        if (sb != null) {
          StateCodec.readSessions(user, sb);
        }
        bad = u;
      } catch (StateCodec.CorruptException first) {
        bad = s;
      }
      Path aside = bad.resolveSibling(bad.getFileName() + ".corrupt-" + clock.millis());
      try {
        Files.move(bad, aside, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(bad.getParent());
      } catch (IOException m) {
        throw new StoreException("corrupt state file " + bad + " (" + e.getMessage()
            + ") could not be moved aside: " + describe(m));
      }
      String line = "corrupt state file " + bad + " (" + e.getMessage() + "), moved to " + aside;
      corruptionReport.accept(line);
      throw new StoreException(line);
    }
  }

  /**
   * A newer release's file is neither read nor overwritten: its fields may mean more than this
   * reader knows (a lock it cannot see would let a locked user in).
   */
  private static void refuseNewer(Path file, byte[] bytes) throws StoreException {
    if (bytes != null && StateCodec.schemaOf(bytes) > StateCodec.SCHEMA) {
      throw new StoreException("cannot read " + file + ": written by a newer loginwarden (schema "
          + StateCodec.schemaOf(bytes) + ")");
    }
  }

  private static UserState decode(String user, byte[] sessionBytes, byte[] userBytes)
      throws StateCodec.CorruptException {
    List<Session> live = sessionBytes == null ? List.of() : StateCodec.readSessions(user, sessionBytes);
    StateCodec.Persistent p = userBytes == null
        ? new StateCodec.Persistent(List.of(), null)
        : StateCodec.readPersistent(user, userBytes);
    return new UserState(user, live, p.violations(), p.lock(), p.authFailures());
  }

  /** The file's bytes, or null when there is none. Never follows a symlink. */
  private static byte[] read(Path file) throws StoreException {
    try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS)) {
      long size = ch.size();
      if (size > MAX_FILE_BYTES) {
        throw new StoreException("cannot read " + file + ": larger than 1 MiB");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) size);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // keep reading
      }
      return buf.array();
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new StoreException("cannot read " + file + ": " + describe(e));
    }
  }

  /** Replaces {@code file} atomically and durably; null content removes it. */
  private static void replace(Path file, byte[] content) throws StoreException {
    Path dir = file.getParent();
    try {
      if (content == null) {
        if (Files.deleteIfExists(file)) {
          fsyncDirectory(dir);
        }
        return;
      }
      // Writers of one user are serialised by the lock, so one fixed temp name suffices and
      // a crash's leftover is simply replaced by the next write.
      Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), FILE_MODE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      } catch (IOException e) {
        Files.deleteIfExists(tmp);
        throw e;
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      throw new StoreException("cannot write " + file + ": temp file appeared meanwhile");
    } catch (IOException e) {
      throw new StoreException("cannot write " + file + ": " + describe(e));
    }
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  static String describe(IOException e) {
    String reason = e instanceof java.nio.file.FileSystemException f && f.getReason() != null
        ? f.getReason() : e.getMessage();
    return reason == null ? e.getClass().getSimpleName() : reason;
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // closing releases the lock; nothing more can be done
    }
  }

  private final class FileTransaction implements Transaction {
    private final String user;
    private final String name;
    private final FileChannel channel;
    private final FileLock lock;
    private UserState state;
    // The two files as they are on disk (null: none), so that a write changes only what its
    // encoding changes. Comparing bytes, not records, also keeps record equality (linked
    // through invokedynamic on first use) off the hook's path.
    private byte[] sessionFile;
    private byte[] userFile;

    FileTransaction(String user, String name, FileChannel channel, FileLock lock) {
      this.user = user;
      this.name = name;
      this.channel = channel;
      this.lock = lock;
    }

    void load() throws StoreException {
      Path s = sessions.resolve(name + ".json");
      Path u = users.resolve(name + ".json");
      sessionFile = read(s);
      userFile = read(u);
      state = decodeLocked(user, s, sessionFile, u, userFile);
    }

    @Override
    public UserState state() {
      return state;
    }

    @Override
    public void write(UserState next) throws StoreException {
      if (!lock.isValid()) {
        throw new IllegalStateException("transaction already closed");
      }
      // Durable state first: a crash between the two files then loses at most a session
      // record, which the next reader drops or re-checks against /proc anyway.
      Lock l = next.lock();
      byte[] persistent = next.violations().isEmpty() && l == null
          && next.authFailures().isEmpty()
          ? null : StateCodec.writePersistent(user, next.violations(), l, next.authFailures());
      if (!Arrays.equals(persistent, userFile)) {
        replace(users.resolve(name + ".json"), persistent);
        userFile = persistent;
      }
      byte[] live = next.sessions().isEmpty() ? null : StateCodec.writeSessions(user,
          next.sessions());
      if (!Arrays.equals(live, sessionFile)) {
        replace(sessions.resolve(name + ".json"), live);
        sessionFile = live;
      }
      state = next;
    }

    @Override
    public void close() {
      closeQuietly(channel);
    }
  }
}
