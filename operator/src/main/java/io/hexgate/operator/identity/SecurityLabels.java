package io.hexgate.operator.identity;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Derives the security-relevant labels of a pod, with Cilium's default label filter: every pod label
 * except the excluded prefixes, plus the namespace, namespace labels, service account and cluster.
 *
 * <p>Those four come only from the Namespace object, the pod's service account and the operator's
 * configuration: a pod label claiming one of them (or any {@code io.cilium.k8s.} key, or a key written
 * with a label source such as {@code reserved:}) is dropped, on every create and update alike. Cilium
 * once honoured such labels (CVE-2023-39347, GHSA-pfhr-pccp-hwmh), letting a pod walk into another
 * namespace's policies.
 */
public final class SecurityLabels {
  public static final String NAMESPACE = "io.kubernetes.pod.namespace";
  public static final String NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels.";
  public static final String SERVICE_ACCOUNT = "io.cilium.k8s.policy.serviceaccount";
  public static final String CLUSTER = "io.cilium.k8s.policy.cluster";
  public static final String DEFAULT_CLUSTER = "default";
  /** Every key under it is the operator's to set (namespace labels, service account, cluster, ...). */
  public static final String CILIUM_K8S_PREFIX = "io.cilium.k8s.";

  // Cilium's default exclusions; patterns are anchored at the start of the key.
  private static final List<Pattern> EXCLUDED =
      compile(
          "io\\.kubernetes",
          "kubernetes\\.io",
          "statefulset\\.kubernetes\\.io/pod-name",
          "apps\\.kubernetes\\.io/pod-index",
          "batch\\.kubernetes\\.io/job-completion-index",
          "batch\\.kubernetes\\.io/controller-uid",
          ".*beta\\.kubernetes\\.io",
          "k8s\\.io",
          "pod-template-generation",
          "pod-template-hash",
          "controller-revision-hash",
          "controller-uid",
          "annotation.*",
          "etcd_node",
          "topology\\.kubernetes\\.io");

  // Always included; they win over an exclusion by a longer match.
  private static final List<Pattern> INCLUDED =
      compile(
          "io\\.kubernetes\\.pod\\.namespace",
          "io\\.cilium\\.k8s\\.namespace\\.labels",
          "app\\.kubernetes\\.io",
          "io\\.cilium\\.k8s\\.policy\\.cluster",
          "io\\.cilium\\.k8s\\.policy\\.serviceaccount");

  private final String clusterName;

  public SecurityLabels(String clusterName) {
    this.clusterName = clusterName;
  }

  public SecurityLabels() {
    this(DEFAULT_CLUSTER);
  }

  public String clusterName() {
    return clusterName;
  }

  /** The identity labels of a pod. */
  public Labels forPod(
      String namespace,
      Map<String, String> podLabels,
      Map<String, String> namespaceLabels,
      String serviceAccount) {
    List<Label> out = new ArrayList<>();
    podLabels.forEach(
        (k, v) -> {
          if (!isOperatorDerived(k) && isRelevant(k)) {
            out.add(Label.k8s(k, v));
          }
        });
    namespaceLabels.forEach(
        (k, v) -> {
          String key = NAMESPACE_LABELS_PREFIX + k;
          if (isRelevant(key)) {
            out.add(Label.k8s(key, v));
          }
        });
    out.add(Label.k8s(NAMESPACE, namespace));
    out.add(Label.k8s(SERVICE_ACCOUNT, serviceAccount == null ? "default" : serviceAccount));
    out.add(Label.k8s(CLUSTER, clusterName));
    return Labels.of(out);
  }

  /**
   * Whether a pod label key names what only the operator may say about a pod: its namespace (or a key
   * extending it), anything under {@code io.cilium.k8s.}, or a label source ({@code reserved:host},
   * {@code k8s:...}; Kubernetes label keys have no colon, so such a key can only pass for another source).
   */
  public static boolean isOperatorDerived(String key) {
    return key.startsWith(NAMESPACE) || key.startsWith(CILIUM_K8S_PREFIX) || key.indexOf(':') >= 0;
  }

  // isRelevant is a pure function of the key, and clusters use few distinct keys: remember answers
  // (up to a bound, so that unusual inputs cannot grow it without limit).
  private static final int RELEVANT_CACHE_MAX = 4096;
  private static final java.util.concurrent.ConcurrentHashMap<String, Boolean> RELEVANT =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Cilium's tie-break: kept when the longest inclusive match is longer than the shortest exclusion. */
  public static boolean isRelevant(String key) {
    Boolean known = RELEVANT.get(key);
    if (known != null) {
      return known;
    }
    boolean relevant = matchRelevant(key);
    if (RELEVANT.size() < RELEVANT_CACHE_MAX) {
      RELEVANT.put(key, relevant);
    }
    return relevant;
  }

  private static boolean matchRelevant(String key) {
    int include = longestMatch(INCLUDED, key);
    int exclude = shortestMatch(EXCLUDED, key);
    if (exclude < 0) {
      return true;
    }
    return include > exclude;
  }

  private static int longestMatch(List<Pattern> patterns, String key) {
    int best = -1;
    for (Pattern p : patterns) {
      var m = p.matcher(key);
      if (m.lookingAt()) {
        best = Math.max(best, m.end());
      }
    }
    return best;
  }

  private static int shortestMatch(List<Pattern> patterns, String key) {
    int best = -1;
    for (Pattern p : patterns) {
      var m = p.matcher(key);
      if (m.lookingAt() && (best < 0 || m.end() < best)) {
        best = m.end();
      }
    }
    return best;
  }

  private static List<Pattern> compile(String... regexes) {
    return java.util.Arrays.stream(regexes).map(Pattern::compile).toList();
  }
}
