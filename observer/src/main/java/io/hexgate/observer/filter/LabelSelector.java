package io.hexgate.observer.filter;

import java.util.List;

/**
 * A Kubernetes label selector over Cilium labels ({@code source:key=value}): {@code a=b}, {@code a==b},
 * {@code a!=b}, {@code a in (x,y)}, {@code a notin (x,y)}, {@code a}, {@code !a}, {@code a>1},
 * {@code a<1}, requirements joined by commas (AND). A key may name its source ({@code k8s:app},
 * {@code reserved:world}); a bare key matches a label of any source, as Hubble gives it the source
 * {@code any}. An empty selector matches everything.
 */
final class LabelSelector {
  private final Requirement[] requirements;

  LabelSelector(List<Requirement> requirements) {
    this.requirements = requirements.toArray(Requirement[]::new);
  }

  /** @throws IllegalArgumentException saying what is wrong with {@code selector} */
  static LabelSelector parse(String selector) {
    return new LabelSelector(new LabelSelectorParser(selector).requirements());
  }

  boolean matches(List<String> labels) {
    for (Requirement r : requirements) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  enum Operator { EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN }

  /** One requirement; {@code source} null = any source. */
  record Requirement(String source, String key, Operator operator, List<String> values) {
    boolean matches(List<String> labels) {
      String value = valueOf(labels);
      return switch (operator) {
        case EXISTS -> value != null;
        case DOES_NOT_EXIST -> value == null;
        case EQUALS, IN -> value != null && values.contains(value);
        case NOT_EQUALS, NOT_IN -> value == null || !values.contains(value);
        case GREATER_THAN -> value != null && compare(value) > 0;
        case LESS_THAN -> value != null && compare(value) < 0;
      };
    }

    private int compare(String value) {
      try {
        return Long.compare(Long.parseLong(value), Long.parseLong(values.get(0)));
      } catch (NumberFormatException e) {
        return 0; // neither greater nor less: a non-numeric label value matches neither
      }
    }

    /** The value of the first label with this key (and source, unless any), or null if none has it. */
    private String valueOf(List<String> labels) {
      for (int i = 0, n = labels.size(); i < n; i++) {
        String label = labels.get(i);
        int equals = label.indexOf('=');
        int keyEnd = equals < 0 ? label.length() : equals;
        int colon = label.indexOf(':');
        int keyStart = colon >= 0 && colon < keyEnd ? colon + 1 : 0;
        if (keyEnd - keyStart != key.length() || !label.startsWith(key, keyStart)) {
          continue;
        }
        if (source != null && (keyStart != source.length() + 1 || !label.startsWith(source))) {
          continue;
        }
        return equals < 0 ? "" : label.substring(equals + 1);
      }
      return null;
    }
  }
}
