package io.hexgate.operator.policy;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Message bodies in the format of Kubernetes {@code field.Error.ErrorBody()}, for checks that copy
 * the API server's validation; the path is carried by {@link FieldError} instead.
 */
final class K8sErrors {
  private K8sErrors() {}

  static String invalid(Object value, String detail) {
    return "Invalid value: " + quote(value) + ": " + detail;
  }

  static String required(String detail) {
    return detail.isEmpty() ? "Required value" : "Required value: " + detail;
  }

  static String forbidden(String detail) {
    return "Forbidden: " + detail;
  }

  static String notSupported(Object value, List<String> supported) {
    return "Unsupported value: "
        + quote(value)
        + ": supported values: "
        + supported.stream().map(K8sErrors::quote).collect(Collectors.joining(", "));
  }

  static String tooMany(int actual, int max) {
    return "Too many: " + actual + ": must have at most " + max + " items";
  }

  /** Go's {@code %q} for strings, plain text for numbers, as {@code field.Error} prints values. */
  static String quote(Object value) {
    if (value == null) {
      return "null";
    }
    if (!(value instanceof String s)) {
      return String.valueOf(value);
    }
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
