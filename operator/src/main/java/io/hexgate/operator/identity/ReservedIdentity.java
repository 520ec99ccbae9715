package io.hexgate.operator.identity;

import java.util.List;

/** Cilium's reserved identities, with Cilium's numbers. */
public enum ReservedIdentity {
  HOST(1, "host"),
  WORLD(2, "world"),
  UNMANAGED(3, "unmanaged"),
  HEALTH(4, "health"),
  INIT(5, "init"),
  REMOTE_NODE(6, "remote-node"),
  KUBE_APISERVER(7, "kube-apiserver"),
  INGRESS(8, "ingress");

  /** Cluster-local identities are allocated from here up to {@link #LAST_CLUSTER_ID}. */
  public static final long FIRST_CLUSTER_ID = 256;

  public static final long LAST_CLUSTER_ID = 65535;

  /** Node-local CIDR identities: {@code (1 << 24) + n}. */
  public static final long FIRST_CIDR_ID = (1L << 24) + 1;

  /** Wildcard in rule maps: any remote identity. */
  public static final long ANY = 0;

  private final long id;
  private final String label;

  ReservedIdentity(long id, String label) {
    this.id = id;
    this.label = label;
  }

  public long id() {
    return id;
  }

  public String labelKey() {
    return label;
  }

  public Identity identity() {
    Labels labels =
        this == KUBE_APISERVER
            ? Labels.of(Label.reserved(label), Label.reserved(REMOTE_NODE.label))
            : Labels.of(Label.reserved(label));
    return new Identity(id, labels);
  }

  public static List<Identity> all() {
    return java.util.Arrays.stream(values()).map(ReservedIdentity::identity).toList();
  }
}
