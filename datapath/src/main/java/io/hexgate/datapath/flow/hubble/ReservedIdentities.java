package io.hexgate.datapath.flow.hubble;

import java.util.List;

/** Cilium's reserved identities (1 to 10) and the labels it gives them; 0 is unknown and has none. */
final class ReservedIdentities {
  private ReservedIdentities() {}

  static final long WORLD = 2;
  static final long FIRST_CLUSTER_ID = 256;

  private static final String[] NAMES = {
    null, "host", "world", "unmanaged", "health", "init", "remote-node", "kube-apiserver", "ingress", "world-ipv4",
    "world-ipv6"
  };

  /** {@code reserved:<name>} of a reserved identity; empty for any other. */
  static List<String> labels(long identity) {
    if (identity <= 0 || identity >= NAMES.length) {
      return List.of();
    }
    return List.of("reserved:" + NAMES[(int) identity]);
  }
}
