package io.hexgate.operator.policy;

import io.hexgate.operator.policy.api.EndpointSelector;
import io.hexgate.operator.policy.api.SelectorRequirement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Label selector validation as Kubernetes {@code ValidateLabelSelector} does it, in two flavours.
 *
 * <p>{@link #cilium} is for Cilium endpoint selectors, whose keys may carry a source ({@code
 * k8s:app}). Cilium rewrites each key to its "extended" form {@code source.key} ({@code any.app}
 * when no source is written) and validates that as a Kubernetes qualified name, so a source becomes
 * part of the name (or of the DNS prefix when the key has a '/'), and a key without '/' may have at
 * most 59 characters once {@code any.} is counted. We check that same extended form but quote the
 * key as written.
 *
 * <p>{@link #kubernetes} is the plain Kubernetes check, for NetworkPolicy selectors and for {@code
 * cidrGroupSelector}, where a source prefix is not allowed.
 */
final class SelectorCheck {
  /** One {@code matchExpressions} entry, from either model. */
  record Requirement(String key, String operator, List<String> values) {}

  private final boolean ciliumKeys;
  private final String messagePrefix;

  private SelectorCheck(boolean ciliumKeys, String messagePrefix) {
    this.ciliumKeys = ciliumKeys;
    this.messagePrefix = messagePrefix;
  }

  /**
   * Cilium endpoint/node selectors: source-prefixed keys, messages {@code invalid label selector:
   * ...}.
   */
  static SelectorCheck cilium() {
    return new SelectorCheck(true, "invalid label selector: ");
  }

  /** Plain Kubernetes selectors; {@code messagePrefix} is prepended to each message body. */
  static SelectorCheck kubernetes(String messagePrefix) {
    return new SelectorCheck(false, messagePrefix);
  }

  void check(EndpointSelector selector, String path, List<FieldError> out) {
    if (selector == null) {
      return;
    }
    List<Requirement> reqs = new ArrayList<>();
    if (selector.matchExpressions != null) {
      for (SelectorRequirement r : selector.matchExpressions) {
        reqs.add(
            r == null
                ? new Requirement(null, null, null)
                : new Requirement(r.key, r.operator, r.values));
      }
    }
    check(selector.matchLabels, reqs, path, out);
  }

  void check(
      Map<String, String> matchLabels,
      List<Requirement> matchExpressions,
      String path,
      List<FieldError> out) {
    if (matchLabels != null) {
      String labelsPath = path + ".matchLabels";
      for (Map.Entry<String, String> e : matchLabels.entrySet()) {
        for (String msg : keyProblems(e.getKey())) {
          out.add(error(labelsPath, K8sErrors.invalid(e.getKey(), msg)));
        }
        String value = e.getValue() == null ? "" : e.getValue();
        for (String msg : LabelSyntax.labelValue(value)) {
          out.add(error(labelsPath, K8sErrors.invalid(value, msg)));
        }
      }
    }
    if (matchExpressions == null) {
      return;
    }
    for (int i = 0; i < matchExpressions.size(); i++) {
      Requirement r = matchExpressions.get(i);
      String reqPath = path + ".matchExpressions[" + i + "]";
      List<String> values = r.values() == null ? List.of() : r.values();
      String op = r.operator() == null ? "" : r.operator();
      switch (op) {
        case "In", "NotIn" -> {
          if (values.isEmpty()) {
            out.add(
                error(
                    reqPath + ".values",
                    K8sErrors.required("must be specified when `operator` is 'In' or 'NotIn'")));
          }
        }
        case "Exists", "DoesNotExist" -> {
          if (!values.isEmpty()) {
            out.add(
                error(
                    reqPath + ".values",
                    K8sErrors.forbidden(
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")));
          }
        }
        default ->
            out.add(
                error(
                    reqPath + ".operator", K8sErrors.invalid(op, "not a valid selector operator")));
      }
      String key = r.key() == null ? "" : r.key();
      for (String msg : keyProblems(key)) {
        out.add(error(reqPath + ".key", K8sErrors.invalid(key, msg)));
      }
      for (int v = 0; v < values.size(); v++) {
        String value = values.get(v) == null ? "" : values.get(v);
        for (String msg : LabelSyntax.labelValue(value)) {
          out.add(error(reqPath + ".values[" + v + "]", K8sErrors.invalid(value, msg)));
        }
      }
    }
  }

  private List<String> keyProblems(String key) {
    if (!ciliumKeys) {
      return LabelSyntax.qualifiedName(key);
    }
    return LabelSyntax.qualifiedName(extendedKey(key));
  }

  /**
   * Cilium's {@code labels.GetExtendedKeyFrom} without its '=' stripping: {@code k8s:app} -> {@code
   * k8s.app}.
   */
  static String extendedKey(String key) {
    if (key.startsWith("$")) {
      return "reserved." + key.substring(1);
    }
    int colon = key.indexOf(':');
    if (colon < 0) {
      return "any." + key;
    }
    String source = colon == 0 ? "any" : key.substring(0, colon);
    return source + "." + key.substring(colon + 1);
  }

  private FieldError error(String path, String body) {
    return new FieldError(path, messagePrefix + body);
  }
}
