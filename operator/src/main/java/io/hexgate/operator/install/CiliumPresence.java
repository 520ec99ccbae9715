package io.hexgate.operator.install;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Refuses to run beside Cilium. Both would allocate identities and write CiliumEndpoints for the same pods
 * and load programs on the same interfaces, and each installer treats the {@code cilium.io} CRDs as its
 * own. Cilium's agent registers {@value #CILIUM_ONLY_CRD}, which Hexgate never ships, so its presence tells
 * the two apart whatever installed either.
 */
public final class CiliumPresence {
  public static final String CILIUM_ONLY_CRD = "ciliumnodes.cilium.io";

  private CiliumPresence() {}

  /** @throws IllegalStateException when Cilium is installed on this cluster */
  public static void refuseBesideCilium(KubernetesClient client) {
    CustomResourceDefinition crd =
        client.apiextensions().v1().customResourceDefinitions().withName(CILIUM_ONLY_CRD).get();
    if (crd != null) {
      throw new IllegalStateException(
          "Cilium is installed on this cluster (the CRD " + CILIUM_ONLY_CRD + " exists): Hexgate does not run beside"
              + " it, since both would enforce the same CiliumNetworkPolicies and own the same cilium.io CRDs;"
              + " remove one of them");
    }
  }
}
