package org.loginwarden.install;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Adds loginwarden's two lines to a PAM service file, and takes them out again, as text.
 * Each added line follows a marker comment, so that removal takes exactly what was added and
 * leaves every other byte, the admin's own edits included, as it was.
 */
public final class PamStack {

  static final String MARKER = "# Added by loginwarden install; removed by loginwarden uninstall.";
  private static final Pattern COMMON_ACCOUNT = Pattern.compile("^@include\\s+common-account\\b.*");
  private static final Pattern ACCOUNT = Pattern.compile("^-?account\\s.*");
  private static final Pattern LOGINUID =
      Pattern.compile("^-?session\\s+\\S+\\s+(\\S*/)?pam_loginuid\\.so\\b.*");

  private PamStack() {}

  /** The lines pam_exec needs, for a given command (e.g. java -jar ... pam). */
  public static String accountLine(String command) {
    return "account  required  pam_exec.so quiet " + command;
  }

  public static String sessionLine(String command) {
    return "session  required  pam_exec.so quiet stdout " + command;
  }

  /**
   * The failed-login check, just before {@code @include common-auth} (shipped in pam/sshd;
   * install does not add it): {@code requisite}, so a locked user never reaches pam_unix.
   */
  public static String authCheckLine(String command) {
    return "auth  requisite  pam_exec.so quiet " + command;
  }

  /**
   * Just after {@code @include common-auth}, which ends the stack on a failure: runs only after
   * an accepted password. {@code optional}: it never turns that into a refusal.
   */
  public static String authSucceededLine(String command) {
    return "auth  optional   pam_exec.so quiet " + command + " --auth-succeeded";
  }

  public static boolean isInstalled(String text) {
    return text.lines().anyMatch(MARKER::equals);
  }

  /**
   * The file with the account line just before {@code @include common-account} (else before
   * the first account line) and the session line just after pam_loginuid, which gives the
   * session the audit id loginwarden ends it by.
   *
   * @throws IllegalArgumentException when the file has no account stack or no pam_loginuid
   */
  public static String withHooks(String text, String command) {
    if (isInstalled(text)) {
      return text;
    }
    // split with -1 keeps every line ending, so withoutHooks gives back the same bytes.
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    int account = indexOf(lines, COMMON_ACCOUNT);
    if (account < 0) {
      account = indexOf(lines, ACCOUNT);
    }
    if (account < 0) {
      throw new IllegalArgumentException("no account stack (no '@include common-account' or "
          + "'account' line) to add the account check to");
    }
    int loginuid = indexOf(lines, LOGINUID);
    if (loginuid < 0) {
      throw new IllegalArgumentException("no 'session required pam_loginuid.so' line: without "
          + "it sessions have no audit id; add it, then run install again");
    }
    // Insert the later position first so the earlier index stays valid.
    if (loginuid > account) {
      lines.addAll(loginuid + 1, List.of(MARKER, sessionLine(command)));
      lines.addAll(account, List.of(MARKER, accountLine(command)));
    } else {
      lines.addAll(account, List.of(MARKER, accountLine(command)));
      lines.addAll(loginuid + 1, List.of(MARKER, sessionLine(command)));
    }
    return String.join("\n", lines);
  }

  /** The file without what {@link #withHooks} added. */
  public static String withoutHooks(String text) {
    StringBuilder out = new StringBuilder();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].equals(MARKER) && i + 1 < lines.length) {
        i++;
        continue;
      }
      out.append(lines[i]);
      if (i < lines.length - 1) {
        out.append('\n');
      }
    }
    return out.toString();
  }

  /**
   * What is wrong with loginwarden's lines in a PAM service file, as doctor reports it: both
   * lines present, {@code required}, the account line before {@code @include common-account},
   * the session line after pam_loginuid. Empty when all is well.
   */
  public static List<String> problems(String text) {
    List<String> lines = List.of(text.split("\n", -1));
    List<String> out = new ArrayList<>();
    int commonAccount = indexOf(lines, COMMON_ACCOUNT);
    int loginuid = indexOf(lines, LOGINUID);
    for (String type : List.of("account", "session")) {
      int at = -1;
      for (int i = 0; i < lines.size(); i++) {
        String[] w = lines.get(i).strip().split("\\s+");
        if (w.length >= 4 && w[0].replaceFirst("^-", "").equals(type)
            && w[2].endsWith("pam_exec.so") && isHook(w)) {
          at = i;
          if (!w[1].equals("required")) {
            out.add("the " + type + " line's control is '" + w[1] + "': use required");
          }
        }
      }
      if (at < 0) {
        out.add("no loginwarden " + type + " line");
      } else if (type.equals("account") && commonAccount >= 0 && at > commonAccount) {
        out.add("the account line comes after @include common-account: move it before");
      } else if (type.equals("session") && (loginuid < 0 || at < loginuid)) {
        out.add(loginuid < 0 ? "no 'session required pam_loginuid.so' line: sessions get no "
            + "audit id" : "the session line comes before pam_loginuid: move it after");
      }
    }
    return out;
  }

  /** The programs loginwarden's pam_exec lines run (their first argument that is a path). */
  public static List<String> hookPrograms(String text) {
    List<String> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] w = line.strip().split("\\s+");
      if (w.length >= 4 && !w[0].startsWith("#") && w[2].endsWith("pam_exec.so") && isHook(w)) {
        for (int i = 3; i < w.length; i++) {
          if (w[i].startsWith("/")) {
            out.add(w[i]);
            break;
          }
        }
      }
    }
    return out.stream().distinct().toList();
  }

  /** A pam_exec line whose program or jar is loginwarden and whose command is pam. */
  private static boolean isHook(String[] words) {
    boolean loginwarden = false;
    for (int i = 3; i < words.length; i++) {
      loginwarden |= words[i].contains("loginwarden");
      if (loginwarden && words[i].equals("pam")) {
        return true;
      }
    }
    return false;
  }

  private static int indexOf(List<String> lines, Pattern p) {
    // Comments and blank lines never match: every pattern starts with a keyword.
    for (int i = 0; i < lines.size(); i++) {
      if (p.matcher(lines.get(i).strip()).matches()) {
        return i;
      }
    }
    return -1;
  }
}
