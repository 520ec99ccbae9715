package io.hexgate.operator.identity;

/** One security label, {@code source:key=value}, as Cilium writes it. */
public record Label(String source, String key, String value) implements Comparable<Label> {
  public static final String SOURCE_K8S = "k8s";
  public static final String SOURCE_RESERVED = "reserved";
  public static final String SOURCE_CIDR = "cidr";
  /** Selector-only source: matches a key from any source. */
  public static final String SOURCE_ANY = "any";

  public Label {
    value = value == null ? "" : value;
  }

  public static Label k8s(String key, String value) {
    return new Label(SOURCE_K8S, key, value);
  }

  public static Label reserved(String key) {
    return new Label(SOURCE_RESERVED, key, "");
  }

  /** Parses {@code source:key=value}; a missing source is {@code any}. */
  public static Label parse(String text) {
    int eq = text.indexOf('=');
    String sourceAndKey = eq < 0 ? text : text.substring(0, eq);
    String value = eq < 0 ? "" : text.substring(eq + 1);
    int colon = sourceAndKey.indexOf(':');
    if (colon < 0) {
      return new Label(SOURCE_ANY, sourceAndKey, value);
    }
    return new Label(sourceAndKey.substring(0, colon), sourceAndKey.substring(colon + 1), value);
  }

  public String sourceKey() {
    return source + ":" + key;
  }

  @Override
  public int compareTo(Label o) {
    int c = JoinedStrings.compare(':', source, key, o.source, o.key);
    return c != 0 ? c : value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value.isEmpty() ? sourceKey() : sourceKey() + "=" + value;
  }
}
