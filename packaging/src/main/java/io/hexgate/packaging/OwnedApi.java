package io.hexgate.packaging;

import java.util.List;

/**
 * What the CSV says about one CRD the bundle ships: its name in the console, what it is for, and the kinds of
 * object the operator makes or uses for it.
 */
record OwnedApi(String displayName, String description, boolean internal, List<Resource> resources) {

  /** An object kind the operator makes or uses for the CRD's objects. */
  record Resource(String kind, String version, String name) {}

  private static final Resource AGENTS = new Resource("DaemonSet", "apps/v1", "hexgate-agent");
  private static final Resource PODS = new Resource("Pod", "v1", null);

  /**
   * The description of {@code crd}; a CRD added to crds/ without one fails the generation, so that the console
   * never shows an undescribed API.
   */
  static OwnedApi of(Crd crd) {
    return switch (crd.name()) {
      case "hexgateconfigs.hexgate.io" -> new OwnedApi(
          "Hexgate Configuration",
          "How Hexgate runs on the cluster. The operator makes the node agents' DaemonSet, their ConfigMap,"
              + " Services and ServiceAccount from it, rolls the agents when it changes and removes them when it is"
              + " deleted. Cluster-scoped; one object, named default.",
          false,
          List.of(AGENTS, new Resource("ConfigMap", "v1", null), new Resource("Service", "v1", null),
              new Resource("ServiceAccount", "v1", "hexgate-agent")));
      case "ciliumnetworkpolicies.cilium.io" -> new OwnedApi(
          "Cilium Network Policy",
          "Cilium's network policy for the pods of one namespace, by label identity, CIDR and port. Hexgate's"
              + " node agents enforce it with eBPF; its status says on how many nodes it is enforced.",
          false,
          List.of(AGENTS));
      case "ciliumclusterwidenetworkpolicies.cilium.io" -> new OwnedApi(
          "Cilium Clusterwide Network Policy",
          "Cilium's network policy for pods in every namespace (and for nodes), enforced by Hexgate's node agents"
              + " like a Cilium Network Policy.",
          false,
          List.of(AGENTS));
      case "ciliumidentities.cilium.io" -> new OwnedApi(
          "Cilium Identity",
          "A numeric security identity for one set of security-relevant pod labels, allocated by the operator;"
              + " policies select pods through it. Internal: not edited by hand.",
          true,
          List.of(PODS, new Resource("Namespace", "v1", null)));
      case "ciliumendpoints.cilium.io" -> new OwnedApi(
          "Cilium Endpoint",
          "One per pod: its addresses and security identity, written by the operator. Internal: not edited by"
              + " hand.",
          true,
          List.of(PODS));
      default -> throw new IllegalStateException(
          "crds/" + crd.fileName() + " defines " + crd.name() + ", which the CSV has no description for: describe it in "
              + OwnedApi.class.getName());
    };
  }
}
