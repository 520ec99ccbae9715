package io.hexgate.operator.identity;


/**
 * A numeric security identity and the labels it stands for. CIDR identities also carry their prefix, so
 * that CIDR selectors can match them by containment.
 */
public record Identity(long id, Labels labels, CidrPrefix cidr) {
  public Identity(long id, Labels labels) {
    this(id, labels, null);
  }

  public boolean isReserved() {
    return id > 0 && id < ReservedIdentity.FIRST_CLUSTER_ID;
  }

  public boolean isCidr() {
    return cidr != null;
  }

  @Override
  public String toString() {
    return id + " " + labels;
  }
}
