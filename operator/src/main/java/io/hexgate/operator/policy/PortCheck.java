package io.hexgate.operator.policy;

import io.hexgate.operator.policy.api.HeaderMatch;
import io.hexgate.operator.policy.api.HttpRule;
import io.hexgate.operator.policy.api.IcmpRule;
import io.hexgate.operator.policy.api.L4Protocol;
import io.hexgate.operator.policy.api.L7Rules;
import io.hexgate.operator.policy.api.PortDenyRule;
import io.hexgate.operator.policy.api.PortProtocol;
import io.hexgate.operator.policy.api.PortRule;
import java.math.BigInteger;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks of {@code toPorts} and {@code icmps}, following Cilium's {@code PortRule.Validate}, {@code
 * PortProtocol.Validate}, {@code L7Rules.Validate} and {@code ICMPRule.Validate} in their order,
 * but reporting every problem instead of the first.
 */
final class PortCheck {
  static final int MAX_PORTS = 40;
  static final int MAX_ICMP_FIELDS = 40;

  private PortCheck() {}

  /**
   * The ICMP type number for a name in the family (IPv4 when {@code family} is null, the CRD
   * default), or null when the family has no such name.
   */
  static Integer icmpTypeByName(String family, String name) {
    return (IcmpRule.Family.IPv6.name().equals(family) ? IcmpTypes.IPV6 : IcmpTypes.IPV4).get(name);
  }

  /** An allow rule's {@code toPorts} element. */
  static void portRule(PortRule pr, boolean ingress, String path, List<FieldError> out) {
    boolean hasL7 = !isEmpty(pr.rules);
    boolean hasDns = pr.rules != null && pr.rules.dns != null && !pr.rules.dns.isEmpty();
    List<PortProtocol> ports = pr.ports == null ? List.of() : pr.ports;

    if (pr.serverNames != null && !pr.serverNames.isEmpty() && hasL7 && pr.terminatingTLS == null) {
      out.add(
          new FieldError(
              path + ".serverNames",
              "ServerNames are not allowed with L7 rules without TLS termination"));
    }
    if (pr.serverNames != null) {
      for (int i = 0; i < pr.serverNames.size(); i++) {
        if (pr.serverNames.get(i) == null || pr.serverNames.get(i).isEmpty()) {
          out.add(
              new FieldError(path + ".serverNames[" + i + "]", "empty server name is not allowed"));
        }
      }
    }

    if (ports.size() > MAX_PORTS) {
      out.add(new FieldError(path + ".ports", "too many ports, the max is " + MAX_PORTS));
    }
    for (int i = 0; i < ports.size(); i++) {
      PortProtocol pp = ports.get(i);
      if (pp == null) {
        continue;
      }
      String ppPath = path + ".ports[" + i + "]";
      Long number = portProtocol(pp, hasDns, ppPath, out);
      // DNS rules may use TCP, UDP or ANY; every other L7 kind needs TCP spelled out.
      boolean known = pp.protocol == null || L4Protocol.parse(pp.protocol).isPresent();
      if (!known) {
        out.add(
            new FieldError(
                ppPath + ".protocol",
                "unsupported protocol \"" + pp.protocol + "\": must be one of " + L4Protocol.NAMES));
      }
      if (known && hasL7 && !hasDns && !L4Protocol.TCP.name().equals(pp.protocol)) {
        String proto = pp.protocol == null ? L4Protocol.ANY.name() : pp.protocol;
        out.add(
            new FieldError(
                ppPath + ".protocol",
                "L7 rules can only apply to TCP (not " + proto + ") except for DNS rules"));
      }
      if (hasL7 && number != null && number == 0) {
        out.add(new FieldError(ppPath + ".port", "L7 rules can not be used when a port is 0"));
      }
    }

    if (pr.listener != null) {
      if (ingress) {
        out.add(
            new FieldError(
                path + ".listener",
                "Listener is not allowed on ingress (" + pr.listener.name + ")"));
      }
      if (hasL7) {
        out.add(
            new FieldError(
                path + ".listener",
                "Listener is not allowed with L7 rules (" + pr.listener.name + ")"));
      }
    }

    if (hasL7) {
      l7Rules(pr.rules, ports, path + ".rules", out);
    }
  }

  /** A deny rule's {@code toPorts} element: ports only. */
  static void portDenyRule(PortDenyRule pr, String path, List<FieldError> out) {
    List<PortProtocol> ports = pr.ports == null ? List.of() : pr.ports;
    if (ports.size() > MAX_PORTS) {
      out.add(new FieldError(path + ".ports", "too many ports, the max is " + MAX_PORTS));
    }
    for (int i = 0; i < ports.size(); i++) {
      PortProtocol pp = ports.get(i);
      if (pp != null) {
        portProtocol(pp, false, path + ".ports[" + i + "]", out);
        if (pp.protocol != null && L4Protocol.parse(pp.protocol).isEmpty()) {
          out.add(
              new FieldError(
                  path + ".ports[" + i + "].protocol",
                  "unsupported protocol \"" + pp.protocol + "\": must be one of " + L4Protocol.NAMES));
        }
      }
    }
  }

  /** Cilium's {@code L7Rules.IsEmpty}: no kind present at all (an empty list is present). */
  static boolean isEmpty(L7Rules rules) {
    return rules == null
        || (rules.http == null
            && rules.kafka == null
            && rules.dns == null
            && (rules.l7proto == null || rules.l7proto.isEmpty())
            && rules.l7 == null);
  }

  /** Checks one port; returns its number, or null when it is a name or invalid. */
  private static Long portProtocol(
      PortProtocol pp, boolean hasDns, String path, List<FieldError> out) {
    String port = pp.port == null ? "" : pp.port;
    if (pp.protocol != null && L4Protocol.parse(pp.protocol).map(L4Protocol::portless).orElse(false)) {
      // VRRP, IGMP: the whole protocol, no port (Cilium's PortProtocol.Validate).
      if (!port.isEmpty() && !port.equals("0")) {
        out.add(new FieldError(path + ".port", "port must be empty or 0"));
        return null;
      }
      return 0L;
    }
    if (port.isEmpty()) {
      out.add(new FieldError(path + ".port", "port must be specified"));
      return null;
    }
    // Port names are IANA service names, so some numeric literals Go would accept (0x10) are names.
    if (LabelSyntax.isIanaServiceName(port)) {
      // Cilium would take "eighty" as a named port that no container has, silently allowing
      // nothing; Hexgate refuses it, as it is almost certainly meant as a number.
      java.util.OptionalInt spelled = SpelledNumber.parse(port);
      if (spelled.isPresent()) {
        out.add(
            new FieldError(
                path + ".port",
                "port "
                    + K8sErrors.quote(port)
                    + " is a number written out in words; write it as digits (e.g. \""
                    + spelled.getAsInt()
                    + "\")"));
        return null;
      }
      if (pp.endPort != null && pp.endPort != 0) {
        out.add(
            new FieldError(
                path + ".endPort",
                "endPort can only be used with a numeric port, not with the named port \""
                    + port
                    + "\""));
      }
      return null;
    }
    Long number = parsePortNumber(port, path + ".port", out);
    if (number == null) {
      return null;
    }
    // Like Go's int32 zero value, endPort 0 means "no range".
    if (pp.endPort != null && pp.endPort != 0) {
      if (pp.endPort < 0 || pp.endPort > 65535) {
        out.add(
            new FieldError(
                path + ".endPort", "endPort must be between 0 and 65535, not " + pp.endPort));
      } else if (pp.endPort < number) {
        out.add(
            new FieldError(
                path + ".endPort",
                "endPort ("
                    + pp.endPort
                    + ") must be greater than or equal to port ("
                    + number
                    + ")"));
      } else if (hasDns && pp.endPort > number) {
        out.add(new FieldError(path + ".endPort", "DNS rules do not support port ranges"));
      }
    }
    return number;
  }

  private static Long parsePortNumber(String port, String path, List<FieldError> out) {
    String prefix =
        "unable to parse port: strconv.ParseUint: parsing " + K8sErrors.quote(port) + ": ";
    if (!port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      String message = prefix + "invalid syntax";
      if (port.chars().anyMatch(Character::isLetter)) {
        message +=
            " (not a number, and not a valid port name: "
                + String.join(", ", LabelSyntax.ianaServiceNameProblems(port))
                + ")";
      }
      out.add(new FieldError(path, message));
      return null;
    }
    if (port.length() > 1 && port.charAt(0) == '0') {
      // Cilium parses with base 0, which reads "010" as octal 8; refuse rather than guess.
      out.add(
          new FieldError(
              path, "unable to parse port: " + K8sErrors.quote(port) + " has a leading zero"));
      return null;
    }
    if (port.length() > 5 || Long.parseLong(port) > 65535) {
      out.add(new FieldError(path, prefix + "value out of range"));
      return null;
    }
    return Long.parseLong(port);
  }

  private static void l7Rules(
      L7Rules rules, List<PortProtocol> ports, String path, List<FieldError> out) {
    int kinds = 0;
    if (rules.http != null) {
      kinds++;
      for (int i = 0; i < rules.http.size(); i++) {
        if (rules.http.get(i) != null) {
          httpRule(rules.http.get(i), path + ".http[" + i + "]", out);
        }
      }
    }
    if (rules.kafka != null) {
      kinds++;
    }
    if (rules.dns != null) {
      if (ports.isEmpty()) {
        out.add(new FieldError(path + ".dns", "port 53 must be specified for DNS rules"));
      }
      kinds++;
    }
    boolean hasL7Proto = rules.l7proto != null && !rules.l7proto.isEmpty();
    if (rules.l7 != null && !hasL7Proto) {
      out.add(
          new FieldError(
              path + ".l7", "'l7' may only be specified when a 'l7proto' is also specified"));
    }
    if (hasL7Proto) {
      kinds++;
    }
    if (kinds > 1) {
      out.add(new FieldError(path, "multiple L7 protocol rule types specified in single rule"));
    }
  }

  private static void httpRule(HttpRule rule, String path, List<FieldError> out) {
    // Envoy compiles these as RE2; java.util.regex accepts a superset, which is good enough here.
    regex(rule.path, path + ".path", out);
    regex(rule.method, path + ".method", out);
    regex(rule.host, path + ".host", out);
    if (rule.headerMatches == null) {
      return;
    }
    for (int i = 0; i < rule.headerMatches.size(); i++) {
      HeaderMatch m = rule.headerMatches.get(i);
      if (m == null) {
        continue;
      }
      String mPath = path + ".headerMatches[" + i + "]";
      if (m.name == null || m.name.isEmpty()) {
        out.add(new FieldError(mPath + ".name", "Header name missing"));
      }
      if (m.secret != null && (m.secret.name == null || m.secret.name.isEmpty())) {
        out.add(new FieldError(mPath + ".secret.name", "Secret name missing"));
      }
      if (m.mismatch != null
          && java.util.Arrays.stream(HeaderMatch.Mismatch.values()).noneMatch(v -> v.name().equals(m.mismatch))) {
        out.add(
            new FieldError(
                mPath + ".mismatch",
                "unsupported mismatch action \"" + m.mismatch + "\": must be one of LOG, ADD, DELETE, REPLACE"));
      }
    }
  }

  private static void regex(String value, String path, List<FieldError> out) {
    if (value == null || value.isEmpty()) {
      return;
    }
    try {
      Pattern.compile(value);
    } catch (PatternSyntaxException e) {
      out.add(
          new FieldError(
              path, "error parsing regexp: " + e.getDescription() + ": `" + value + "`"));
    }
  }

  static void icmpRule(IcmpRule rule, String path, List<FieldError> out) {
    List<IcmpRule.Field> fields = rule.fields == null ? List.of() : rule.fields;
    if (fields.size() > MAX_ICMP_FIELDS) {
      out.add(new FieldError(path + ".fields", "too many types, the max is " + MAX_ICMP_FIELDS));
    }
    for (int i = 0; i < fields.size(); i++) {
      IcmpRule.Field f = fields.get(i);
      if (f == null) {
        continue;
      }
      String typePath = path + ".fields[" + i + "].type";
      String family = f.family == null ? IcmpRule.Family.IPv4.name() : f.family;
      if (!family.equals(IcmpRule.Family.IPv4.name()) && !family.equals(IcmpRule.Family.IPv6.name())) {
        out.add(
            new FieldError(
                path + ".fields[" + i + "].family",
                "unsupported ICMP family \"" + family + "\": must be IPv4 or IPv6"));
        continue;
      }
      if (f.type == null || (f.type.getIntVal() == null && f.type.getStrVal() == null)) {
        out.add(new FieldError(typePath, "ICMP type must be specified"));
        continue;
      }
      String text = f.type.getIntVal() != null ? f.type.getIntVal().toString() : f.type.getStrVal();
      if (text.matches("-?[0-9]+")) {
        BigInteger n = new BigInteger(text);
        if (n.signum() < 0 || n.compareTo(BigInteger.valueOf(255)) > 0) {
          out.add(new FieldError(typePath, "ICMP type " + text + " out of range 0-255"));
        }
      } else if (icmpTypeByName(f.family, text) == null) {
        out.add(new FieldError(typePath, "ICMP type " + text + " not found in " + family));
      }
    }
  }
}
