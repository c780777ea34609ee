package org.loginwarden.pg;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.loginwarden.config.Fleet;

/**
 * A real PostgreSQL from Debian's {@code postgresql} package, for the tests: {@code initdb} into
 * a fresh temp dir, {@code pg_ctl} on 127.0.0.1 and a free port (its socket inside that dir),
 * password (SCRAM) logins over TCP only. One server per test JVM ({@link #shared}), stopped and
 * deleted at exit; a fresh database per test class ({@link #createDatabase}). {@link #stop} and
 * {@link #start} take it down and bring it back on the same port, for outage tests.
 *
 * <p>initdb refuses to run as root, so the server runs as the {@code postgres} system user.
 */
public final class PostgresServer {

  /** The role the stores log in as; it owns the test databases (it can create tables there). */
  public static final String ROLE = "loginwarden";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Path RUNUSER = Path.of("/usr/sbin/runuser");
  private static final Path VERSIONS = Path.of("/usr/lib/postgresql");
  private static PostgresServer shared;

  private final Path bin;
  private final Path dir;
  private final Path pgDir;
  private final int port;
  private final String superPassword = randomPassword();
  private final String password = randomPassword();
  private final AtomicInteger databases = new AtomicInteger();
  private boolean running;

  private PostgresServer(Path bin, Path dir, int port) {
    this.bin = bin;
    this.dir = dir;
    this.pgDir = dir.resolve("pg");
    this.port = port;
  }

  /**
   * The test JVM's server, started on first use. Without the {@code postgresql} package the
   * calling test is skipped, except with {@code CI=true}, where that is a failure.
   */
  public static synchronized PostgresServer shared()
      throws IOException, InterruptedException, SQLException {
    if (shared == null) {
      org.junit.jupiter.api.Assumptions.assumeTrue(installed()
          || "true".equals(System.getenv("CI")), "no PostgreSQL: apt-get install postgresql");
      PostgresServer s = new PostgresServer(binDir(), Files.createTempDirectory("lw-pg"),
          freePort());
      Runtime.getRuntime().addShutdownHook(new Thread(s::destroy, "postgres-cleanup"));
      s.init();
      s.start();
      s.admin("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + s.password + "'");
      shared = s;
    }
    return shared;
  }

  /** Whether this machine has the server's programs (Debian package {@code postgresql}). */
  private static boolean installed() {
    try {
      binDir();
      return Files.isExecutable(RUNUSER);
    } catch (IOException e) {
      return false;
    }
  }

  /** The newest installed version's programs: /usr/lib/postgresql/N/bin. */
  private static Path binDir() throws IOException {
    if (!Files.isDirectory(VERSIONS)) {
      throw new IOException("no " + VERSIONS + ": apt-get install postgresql");
    }
    try (Stream<Path> versions = Files.list(VERSIONS)) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparing(b -> versionOf(b.getParent())))
          .orElseThrow(() -> new IOException("no initdb under " + VERSIONS));
    }
  }

  private static int versionOf(Path dir) {
    try {
      return Integer.parseInt(dir.getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void init() throws IOException, InterruptedException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.createDirectories(pgDir.resolve("sock"));
    Files.writeString(pgDir.resolve("pwfile"), superPassword + "\n");
    run(List.of("/usr/bin/chown", "-R", "postgres:postgres", pgDir.toString()));
    Files.setPosixFilePermissions(pgDir, PosixFilePermissions.fromString("rwx------"));
    asPostgres(bin.resolve("initdb").toString(), "-D", pgDir.resolve("data").toString(),
        "-U", "postgres", "--pwfile=" + pgDir.resolve("pwfile"), "--auth-local=trust",
        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync");
    Files.delete(pgDir.resolve("pwfile"));
  }

  /** Starts the server (again) on its port; returns when it accepts connections. */
  public synchronized void start() throws IOException, InterruptedException {
    if (running) {
      return;
    }
    // fsync off: the tests crash no machines, and commits are the bulk of their time.
    asPostgres(bin.resolve("pg_ctl").toString(), "start", "-w", "-t", "60",
        "-D", pgDir.resolve("data").toString(), "-l", pgDir.resolve("log").toString(),
        "-o", "-c listen_addresses=127.0.0.1 -p " + port + " -c unix_socket_directories="
            + pgDir.resolve("sock") + " -c fsync=off -c max_connections=200");
    running = true;
  }

  /** Stops it at once ({@code -m fast}: sessions are ended, transactions rolled back). */
  public synchronized void stop() throws IOException, InterruptedException {
    if (!running) {
      return;
    }
    asPostgres(bin.resolve("pg_ctl").toString(), "stop", "-w", "-t", "60", "-m", "fast",
        "-D", pgDir.resolve("data").toString());
    running = false;
  }

  private synchronized void destroy() {
    try {
      stop();
    } catch (IOException | InterruptedException e) {
      System.err.println("PostgresServer: stop failed: " + e);
    }
    try {
      run(List.of("/bin/rm", "-rf", "--one-file-system", dir.toString()));
    } catch (IOException | InterruptedException e) {
      System.err.println("PostgresServer: cannot remove " + dir + ": " + e);
    }
  }

  /** Whether the server is up (not stopped by {@link #stop}). */
  public synchronized boolean running() {
    return running;
  }

  public int port() {
    return port;
  }

  /** A new, empty database owned by {@link #ROLE}. */
  public String createDatabase() throws SQLException {
    String name = "lw_test_" + databases.incrementAndGet();
    admin("CREATE DATABASE " + name + " OWNER " + ROLE);
    return name;
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public String password() {
    return password;
  }

  /**
   * A root-only file with {@link #ROLE}'s password, as {@code db_password_file} must be; made
   * once, in the server's temp dir.
   */
  public synchronized Path passwordFile() throws IOException {
    Path f = dir.resolve("loginwarden.dbpass");
    if (!Files.exists(f)) {
      Files.createFile(f, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
      Files.writeString(f, password + "\n");
    }
    return f;
  }

  /**
   * A new login role with a random password, and a root-only password file for it.
   *
   * @param name lower-case letters and underscores only
   */
  public Path createRole(String name) throws SQLException, IOException {
    if (!name.matches("[a-z_]+")) {
      throw new IllegalArgumentException(name);
    }
    String secret = randomPassword();
    admin("CREATE ROLE " + name + " LOGIN PASSWORD '" + secret + "'");
    Path f = dir.resolve(name + ".dbpass");
    Files.createFile(f, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    Files.writeString(f, secret + "\n");
    return f;
  }

  /** The fleet settings of a host that uses {@code database}. */
  public Fleet fleet(String database, Duration dbTimeout, String hostId) throws IOException {
    return new Fleet(url(database), ROLE, passwordFile(), dbTimeout, hostId,
        Duration.ofSeconds(30));
  }

  /** A connection as {@link #ROLE}, for a test's own checks. */
  public Connection connect(String database) throws SQLException {
    return connect(database, ROLE, password);
  }

  /** The first column of each row {@code sql} returns in {@code database}, as {@link #ROLE}. */
  public List<String> strings(String database, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = connect(database); Statement s = c.createStatement();
        java.sql.ResultSet r = s.executeQuery(sql)) {
      while (r.next()) {
        out.add(r.getString(1));
      }
    }
    return out;
  }

  /** Runs SQL as the superuser, in the {@code postgres} database. */
  public void admin(String sql) throws SQLException {
    try (Connection c = connect("postgres", "postgres", superPassword);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Runs SQL as the superuser in {@code database}. */
  public void admin(String database, String sql) throws SQLException {
    try (Connection c = connect(database, "postgres", superPassword);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private Connection connect(String database, String user, String pass) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", pass);
    p.setProperty("connectTimeout", "10");
    p.setProperty("socketTimeout", "60");
    return new org.postgresql.Driver().connect(url(database), p);
  }

  private void asPostgres(String... command) throws IOException, InterruptedException {
    List<String> c = new ArrayList<>(List.of(RUNUSER.toString(), "-u", "postgres", "--"));
    c.addAll(List.of(command));
    run(c);
  }

  /** Runs a program from the server's dir (postgres may not read the test's cwd), bounded. */
  private void run(List<String> command) throws IOException, InterruptedException {
    Path out = Files.createTempFile("lw-pg-cmd", ".out");
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile())
          .redirectErrorStream(true).redirectOutput(out.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      if (!p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + ": still running after " + WAIT);
      }
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + ": exit " + p.exitValue() + ": "
            + Files.readString(out, StandardCharsets.UTF_8).strip());
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String randomPassword() {
    byte[] b = new byte[18];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
