package org.loginwarden.pam;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.loginwarden.store.UserNames;

/**
 * What pam_exec tells the hook, read from the raw environment block so that no byte is
 * guessed at by the JVM's locale. Only the allowlisted variables are read; each is checked.
 * A bad {@code PAM_USER} or {@code PAM_TYPE} is an error; bad descriptive values (host, port,
 * tty, key) are dropped, since they only describe the session.
 *
 * @param type        open_session, close_session, account, or anything else (ignored)
 * @param remoteHost  the client address, or null
 * @param remotePort  the client port, or 0
 * @param authMethod  e.g. {@code publickey} or {@code password}, or null
 * @param authKey     the public key used ({@code ssh-ed25519 AAAA...}), or null
 */
public record PamEnvironment(
    String type, String user, String service, String remoteHost, int remotePort, String tty,
    String authMethod, String authKey) {

  static final Set<String> ALLOWED = Set.of("PAM_TYPE", "PAM_USER", "PAM_SERVICE", "PAM_RHOST",
      "PAM_TTY", "SSH_CONNECTION", "SSH_AUTH_INFO_0");
  private static final int MAX_VALUE = 16 * 1024;
  private static final Shape TYPE = new Shape(Shape.LOWER + "_", 1, 32);
  private static final Shape SERVICE = new Shape(Shape.ALNUM + "._+-", 1, 64);
  private static final Shape HOST = new Shape(Shape.ALNUM + "._:%-", 1, 255);
  private static final Shape TTY = new Shape(Shape.ALNUM + "/._-", 1, 64);
  private static final Shape PORT = new Shape("0123456789", 1, 5);
  // A method is a lower-case letter, then up to 63 of these.
  private static final Shape METHOD_FIRST = new Shape(Shape.LOWER, 1, 1);
  private static final Shape METHOD_REST = new Shape(Shape.LOWER + "0123456789/@.-", 0, 63);
  // A key is its type, one space, its base64 blob.
  private static final Shape KEY_TYPE = new Shape(Shape.ALNUM + "@._-", 1, 64);
  private static final Shape KEY_BLOB = new Shape(Shape.ALNUM + "+/=", 1, 12000);

  /** Reads this process's environment block. */
  public static PamEnvironment current() throws PamInputException {
    try {
      return parse(Files.readAllBytes(Path.of("/proc/self/environ")));
    } catch (IOException e) {
      throw new PamInputException("cannot read the environment: " + e.getMessage());
    }
  }

  /** Parses a NUL-separated {@code KEY=value} block. */
  public static PamEnvironment parse(byte[] environ) throws PamInputException {
    Map<String, byte[]> vars = new HashMap<>();
    int start = 0;
    for (int i = 0; i <= environ.length; i++) {
      if (i == environ.length || environ[i] == 0) {
        int eq = indexOf(environ, (byte) '=', start, i);
        if (eq > start) {
          String key = new String(environ, start, eq - start, StandardCharsets.ISO_8859_1);
          if (ALLOWED.contains(key)) {
            vars.put(key, java.util.Arrays.copyOfRange(environ, eq + 1, i));
          }
        }
        start = i + 1;
      }
    }
    return fromVariables(vars);
  }

  static PamEnvironment fromVariables(Map<String, byte[]> vars) throws PamInputException {
    String type = text(vars, "PAM_TYPE");
    if (type == null || !TYPE.fits(type)) {
      throw new PamInputException(type == null ? "PAM_TYPE is not set (run me from pam_exec)"
          : "PAM_TYPE is not a PAM event name");
    }
    String user = text(vars, "PAM_USER");
    if (user == null) {
      throw new PamInputException("PAM_USER is not set or not valid UTF-8");
    }
    String problem = UserNames.problem(user);
    if (problem != null) {
      throw new PamInputException("PAM_USER refused: " + problem);
    }
    String service = text(vars, "PAM_SERVICE");
    if (service == null || !SERVICE.fits(service)) {
      throw new PamInputException("PAM_SERVICE is missing or not a service name");
    }
    String rhost = valid(text(vars, "PAM_RHOST"), HOST);
    int rport = 0;
    String connection = text(vars, "SSH_CONNECTION");
    if (connection != null) {
      // "client-ip client-port server-ip server-port"
      String[] f = connection.split(" ");
      if (f.length == 4 && HOST.fits(f[0]) && PORT.fits(f[1])) {
        if (rhost == null) {
          rhost = f[0];
        }
        int p = Integer.parseInt(f[1]);
        rport = p <= 65535 ? p : 0;
      }
    }
    String tty = valid(text(vars, "PAM_TTY"), TTY);
    String method = null;
    String key = null;
    String info = text(vars, "SSH_AUTH_INFO_0");
    if (info != null) {
      // One line per method passed; the first names how the user got in.
      int end = 0;
      while (end < info.length() && info.charAt(end) != '\n' && info.charAt(end) != '\r') {
        end++;
      }
      String first = info.substring(0, end).strip();
      int space = first.indexOf(' ');
      method = space < 0 ? first : first.substring(0, space);
      if (method.isEmpty() || !METHOD_FIRST.fits(method.substring(0, 1))
          || !METHOD_REST.fits(method.substring(1))) {
        method = null;
      }
      if (method != null && space > 0) {
        key = first.substring(space + 1);
        int blob = key.indexOf(' ');
        if (blob < 0 || !KEY_TYPE.fits(key.substring(0, blob))
            || !KEY_BLOB.fits(key.substring(blob + 1))) {
          key = null;
        }
      }
    }
    return new PamEnvironment(type, user, service, rhost, rport, tty, method, key);
  }

  private static String valid(String value, Shape shape) {
    return value != null && shape.fits(value) ? value : null;
  }

  /** The variable as strict UTF-8, or null when absent, too long or not UTF-8. */
  private static String text(Map<String, byte[]> vars, String key) {
    byte[] raw = vars.get(key);
    if (raw == null || raw.length > MAX_VALUE) {
      return null;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static int indexOf(byte[] a, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
