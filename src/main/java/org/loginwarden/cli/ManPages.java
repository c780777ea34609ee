package org.loginwarden.cli;

import java.util.List;
import java.util.Map;
import org.loginwarden.config.ConfigReference;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * loginwarden(8) and loginwarden.conf(5) as troff, written from the picocli model and
 * {@link ConfigReference}, so that neither page can drift from the code. Plain man(7) macros
 * (TH SH SS TP PP B I): troff directly, because picocli-codegen writes AsciiDoc and its
 * converter would pull JRuby into the build for two pages.
 */
final class ManPages {

  private ManPages() {}

  static String loginwarden8(CommandLine cli, String version) {
    CommandSpec top = cli.getCommandSpec();
    StringBuilder m = new StringBuilder();
    header(m, "LOGINWARDEN", 8, version, "System Administration");
    m.append(".SH NAME\nloginwarden \\- one SSH login per user, enforced\n");
    m.append(".SH SYNOPSIS\n.B loginwarden\n[\\fB\\-\\-config\\fR \\fIFILE\\fR] \\fICOMMAND\\fR "
        + "[\\fIOPTIONS\\fR]\n");
    m.append(".SH DESCRIPTION\n").append(text(String.join(" ", top.usageMessage().description())))
        .append("\n.PP\n").append(text("sshd runs loginwarden pam through pam_exec at every "
            + "session open and close and in the account phase (the lines install adds to "
            + "/etc/pam.d/sshd). The other commands are for the administrator; all but --help "
            + "and --version need root. The configuration is described in "))
        .append("\\fBloginwarden.conf\\fR(5).\n");
    m.append(".SH OPTIONS\n");
    options(m, top);
    m.append(".SH COMMANDS\n");
    for (CommandLine sub : cli.getSubcommands().values()) {
      CommandSpec s = sub.getCommandSpec();
      if (s.usageMessage().hidden()) {
        continue;
      }
      m.append(".SS ").append(text(synopsis(s))).append('\n');
      m.append(text(String.join(" ", s.usageMessage().description()))).append('\n');
      for (PositionalParamSpec p : s.positionalParameters()) {
        if (!p.hidden() && p.description().length > 0) {
          m.append(".TP\n.I ").append(text(p.paramLabel())).append('\n')
              .append(text(String.join(" ", p.description()))).append('\n');
        }
      }
      options(m, s);
    }
    m.append(".PP\n").append(text("Every command also takes -h, --help and -V, --version."))
        .append('\n');
    m.append(".SH EXIT STATUS\n");
    for (Map.Entry<String, String> e : ExitCode.helpList().entrySet()) {
      m.append(".TP\n.B ").append(e.getKey()).append('\n').append(text(e.getValue())).append('\n');
    }
    m.append(".PP\n").append(text("With on_error = open, pam exits 0 on failures 3, 4, 6 and 7, "
        + "after reporting them.")).append('\n');
    m.append(".SH FILES\n");
    for (String[] f : List.of(
        new String[] {"/etc/security/loginwarden.conf", "the configuration"},
        new String[] {"/etc/pam.d/sshd", "where install adds the account and session lines"},
        new String[] {"/usr/share/loginwarden/loginwarden.jar", "the program"},
        new String[] {"/var/lib/loginwarden/", "violations, failed logins and locks"},
        new String[] {"/run/loginwarden/", "live sessions and lock files"},
        new String[] {"/var/log/loginwarden/audit.jsonl", "the audit trail, one JSON object "
            + "per line"})) {
      m.append(".TP\n.I ").append(text(f[0])).append('\n').append(text(f[1])).append('\n');
    }
    m.append(".SH SEE ALSO\n\\fBloginwarden.conf\\fR(5), \\fBpam_exec\\fR(8), "
        + "\\fBsshd_config\\fR(5), \\fBlogrotate\\fR(8)\n");
    return m.toString();
  }

  static String loginwardenConf5(String version) {
    StringBuilder m = new StringBuilder();
    header(m, "LOGINWARDEN.CONF", 5, version, "File Formats");
    m.append(".SH NAME\nloginwarden.conf \\- loginwarden configuration\n");
    m.append(".SH SYNOPSIS\n/etc/security/loginwarden.conf\n");
    m.append(".SH DESCRIPTION\n").append(text("key = value lines and # comment lines. Durations "
        + "are written 90s, 10m, 8h or 1d; a bare number is seconds. Lists are separated by "
        + "spaces or commas. A missing file means the built-in defaults below. A file "
        + "writable by group or others is refused; so is an unknown key or a bad value, with "
        + "one error line naming the file and line.")).append('\n');
    m.append(".SH KEYS\n");
    for (ConfigReference.Key k : ConfigReference.KEYS) {
      m.append(".TP\n\\fB").append(text(k.name())).append("\\fR = ")
          .append(k.value().isEmpty() ? "(empty)" : "\\fI" + text(k.value()) + "\\fR")
          .append('\n').append(text(k.meaning()))
          .append(k.inSection() ? " May be overridden in sections." : "").append('\n');
    }
    m.append(".SH SECTIONS\n").append(text("[user NAME] and [group NAME] sections override the "
        + "keys marked above for one user or the members of one group. A user section beats "
        + "any group section; several matching group sections apply in file order, the later "
        + "winning. Root is always exempt, whatever the file says.")).append('\n');
    m.append(".SH EXAMPLE\n.nf\n.RS\nviolations = 3\nviolation_window = 10m\n\n[group ops]\n"
        + "max_sessions = 2\n\n[user backup]\nmax_sessions = 4\nlock_time = 1h\n.RE\n.fi\n");
    m.append(".SH SEE ALSO\n\\fBloginwarden\\fR(8)\n");
    return m.toString();
  }

  private static void header(StringBuilder m, String title, int section, String version,
      String manual) {
    // No date: the same sources give the same bytes.
    m.append(".TH ").append(title).append(' ').append(section).append(" \"\" \"loginwarden ")
        .append(text(version)).append("\" \"").append(manual).append("\"\n");
  }

  private static void options(StringBuilder m, CommandSpec spec) {
    for (OptionSpec o : spec.options()) {
      if (o.hidden() || (spec.parent() != null && (o.usageHelp() || o.versionHelp()))) {
        continue;
      }
      m.append(".TP\n\\fB").append(text(String.join(", ", o.names()))).append("\\fR");
      if (o.arity().max() > 0) {
        m.append(" \\fI").append(text(o.paramLabel())).append("\\fR");
      }
      m.append('\n').append(text(String.join(" ", o.description()))).append('\n');
    }
  }

  private static String synopsis(CommandSpec s) {
    StringBuilder b = new StringBuilder(s.name());
    for (OptionSpec o : s.options()) {
      if (!o.hidden() && !o.usageHelp() && !o.versionHelp()) {
        b.append(" [").append(o.longestName())
            .append(o.arity().max() > 0 ? " " + o.paramLabel() : "").append(']');
      }
    }
    for (PositionalParamSpec p : s.positionalParameters()) {
      if (!p.hidden()) {
        b.append(' ').append(p.arity().min() == 0 ? "[" + p.paramLabel() + "]" : p.paramLabel());
      }
    }
    return b.toString();
  }

  /** Text safe for troff: backslashes escaped, hyphens literal, no line read as a request. */
  static String text(String s) {
    String t = s.replace("%n", " ").replace("\\", "\\e").replace("-", "\\-");
    StringBuilder out = new StringBuilder();
    for (String line : t.split("\n", -1)) {
      if (out.length() > 0) {
        out.append('\n');
      }
      if (line.startsWith(".") || line.startsWith("'")) {
        out.append("\\&");
      }
      out.append(line);
    }
    return out.toString();
  }
}
