package io.hexgate.datapath.netns;

/**
 * A pod of a {@link NodeNetwork}: its namespace, its /32 address on {@code eth0} and the host side of its
 * veth pair in the node's namespace.
 */
public record PodNetwork(NodeNetwork node, String namespace, String name, String netns, String ip, String hostSide) {
  /** Opens a thread inside this pod's namespace; the caller closes it. */
  public NetNsThread enter() {
    return NetNsThread.enter(netns);
  }

  @Override
  public String toString() {
    return namespace + "/" + name + " (" + ip + " on " + node.name() + ")";
  }
}
