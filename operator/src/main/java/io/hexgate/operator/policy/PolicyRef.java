package io.hexgate.operator.policy;

/** Names the policy object a rule came from: kind, namespace (empty when cluster-scoped) and name. */
public record PolicyRef(String kind, String namespace, String name) implements Comparable<PolicyRef> {
  public static final String CNP = "CiliumNetworkPolicy";
  public static final String CCNP = "CiliumClusterwideNetworkPolicy";
  public static final String KNP = "NetworkPolicy";

  public PolicyRef {
    namespace = namespace == null ? "" : namespace;
  }

  public static PolicyRef cnp(String namespace, String name) {
    return new PolicyRef(CNP, namespace, name);
  }

  public static PolicyRef ccnp(String name) {
    return new PolicyRef(CCNP, "", name);
  }

  public static PolicyRef knp(String namespace, String name) {
    return new PolicyRef(KNP, namespace, name);
  }

  public boolean isClusterwide() {
    return namespace.isEmpty();
  }

  @Override
  public int compareTo(PolicyRef o) {
    // as toString() orders, without building the strings
    return io.hexgate.operator.identity.JoinedStrings.compare(
        '/',
        kind,
        namespace.isEmpty() ? name : namespace,
        namespace.isEmpty() ? null : name,
        o.kind,
        o.namespace.isEmpty() ? o.name : o.namespace,
        o.namespace.isEmpty() ? null : o.name);
  }

  @Override
  public String toString() {
    return namespace.isEmpty() ? kind + "/" + name : kind + "/" + namespace + "/" + name;
  }
}
