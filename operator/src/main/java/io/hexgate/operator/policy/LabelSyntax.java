package io.hexgate.operator.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Kubernetes name syntax (k8s.io/apimachinery {@code util/validation}) with its exact messages,
 * plus the IANA service-name test Cilium uses for named ports ({@code pkg/iana}). Each check
 * returns the list of problems, empty when the value is valid.
 */
final class LabelSyntax {
  private static final String QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  private static final Pattern QUALIFIED_NAME = Pattern.compile("^" + QUALIFIED_NAME_FMT + "$");
  private static final Pattern LABEL_VALUE = Pattern.compile("^(" + QUALIFIED_NAME_FMT + ")?$");
  private static final String DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final String DNS1123_SUBDOMAIN_FMT =
      DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*";
  private static final Pattern DNS1123_SUBDOMAIN =
      Pattern.compile("^" + DNS1123_SUBDOMAIN_FMT + "$");
  private static final Pattern PORT_NAME_CHARSET = Pattern.compile("^[-a-z0-9]+$");
  private static final Pattern HAS_LETTER = Pattern.compile("[a-z]");

  private LabelSyntax() {}

  /** A label key or expression key: a name with an optional DNS-subdomain prefix and '/'. */
  static List<String> qualifiedName(String value) {
    List<String> errs = new ArrayList<>();
    String[] parts = value.split("/", -1);
    String name;
    if (parts.length == 1) {
      name = parts[0];
    } else if (parts.length == 2) {
      String prefix = parts[0];
      name = parts[1];
      if (prefix.isEmpty()) {
        errs.add("prefix part must be non-empty");
      } else {
        for (String msg : dns1123Subdomain(prefix)) {
          errs.add("prefix part " + msg);
        }
      }
    } else {
      errs.add(
          "a qualified name "
              + regexError(
                  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end"
                      + " with an alphanumeric character",
                  QUALIFIED_NAME_FMT,
                  "MyName",
                  "my.name",
                  "123-abc")
              + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    if (name.isEmpty()) {
      errs.add("name part must be non-empty");
    } else if (name.length() > 63) {
      errs.add("name part must be no more than 63 characters");
    }
    if (!name.isEmpty() && !QUALIFIED_NAME.matcher(name).matches()) {
      errs.add(
          "name part "
              + regexError(
                  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end"
                      + " with an alphanumeric character",
                  QUALIFIED_NAME_FMT,
                  "MyName",
                  "my.name",
                  "123-abc"));
    }
    return errs;
  }

  /** A label value: empty, or up to 63 characters of the qualified-name alphabet. */
  static List<String> labelValue(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > 63) {
      errs.add("must be no more than 63 characters");
    }
    if (!LABEL_VALUE.matcher(value).matches()) {
      errs.add(
          regexError(
              "a valid label must be an empty string or consist of alphanumeric characters, '-',"
                  + " '_' or '.', and must start and end with an alphanumeric character",
              "(" + QUALIFIED_NAME_FMT + ")?",
              "MyValue",
              "my_value",
              "12345"));
    }
    return errs;
  }

  static List<String> dns1123Subdomain(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > 253) {
      errs.add("must be no more than 253 characters");
    }
    if (!DNS1123_SUBDOMAIN.matcher(value).matches()) {
      errs.add(
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-'"
              + " or '.', and must start and end with an alphanumeric character (e.g."
              + " 'example.com', regex used for validation is '"
              + DNS1123_SUBDOMAIN_FMT
              + "')");
    }
    return errs;
  }

  /** Kubernetes {@code IsValidPortName}: a container port name, lower-case only. */
  static List<String> k8sPortName(String port) {
    List<String> errs = new ArrayList<>();
    if (port.length() > 15) {
      errs.add("must be no more than 15 characters");
    }
    if (!PORT_NAME_CHARSET.matcher(port).matches()) {
      errs.add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if (!HAS_LETTER.matcher(port).find()) {
      errs.add("must contain at least one letter (a-z)");
    }
    if (port.contains("--")) {
      errs.add("must not contain consecutive hyphens");
    }
    if (!port.isEmpty() && (port.startsWith("-") || port.endsWith("-"))) {
      errs.add("must not begin or end with a hyphen");
    }
    return errs;
  }

  /**
   * Cilium's {@code iana.IsSvcName}: the Kubernetes port-name rules applied after lower-casing, so
   * {@code HTTP} names the same port as {@code http}.
   */
  static boolean isIanaServiceName(String port) {
    return !port.isEmpty() && k8sPortName(port.toLowerCase(Locale.ROOT)).isEmpty();
  }

  /** Why {@code port} is not a service name, for messages; empty when it is one. */
  static List<String> ianaServiceNameProblems(String port) {
    return port.isEmpty()
        ? List.of("must be non-empty")
        : k8sPortName(port.toLowerCase(Locale.ROOT));
  }

  private static String regexError(String msg, String fmt, String... examples) {
    StringBuilder sb = new StringBuilder(msg).append(" (e.g. ");
    for (int i = 0; i < examples.length; i++) {
      if (i > 0) {
        sb.append(",  or ");
      }
      sb.append('\'').append(examples[i]).append('\'');
    }
    return sb.append(", regex used for validation is '").append(fmt).append("')").toString();
  }
}
