package io.hexgate.datapath.netns;

import io.hexgate.contract.PodInterfaces;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One node of a {@link ClusterNetwork}: its namespace, uplink, address and pods. */
public final class NodeNetwork {
  /** The node's uplink inside its namespace; the agent attaches {@code from_netdev} here. */
  public static final String UPLINK = "eth0";

  /** The link-local next hop every pod routes through; the node answers ARP for it (proxy ARP). */
  public static final String POD_GATEWAY = "169.254.1.1";

  private final ClusterNetwork cluster;
  private final String name;
  private final String netns;
  private final int index;
  private final Map<String, PodNetwork> pods = new LinkedHashMap<>();

  NodeNetwork(ClusterNetwork cluster, String name, String netns, int index) {
    this.cluster = cluster;
    this.name = name;
    this.netns = netns;
    this.index = index;
  }

  public String name() {
    return name;
  }

  /** The node's network namespace name. */
  public String netns() {
    return netns;
  }

  public int index() {
    return index;
  }

  public String nodeIp() {
    return "172.31.0." + (10 + index);
  }

  public String podCidr() {
    return "10.0." + index + ".0/24";
  }

  public String uplink() {
    return UPLINK;
  }

  /** Where this node's agent pins its maps and programs: named after the namespace, so cleanup finds it. */
  public java.nio.file.Path pinDir() {
    return ClusterNetwork.PIN_ROOT.resolve(netns);
  }

  /**
   * What a CNI does to the host side of a new pod's veth while it is still down, before anything can pass:
   * runs on a thread inside the node's namespace with the interface's name. Throwing fails the pod's setup.
   */
  @FunctionalInterface
  public interface HostSideSetup {
    HostSideSetup NONE = ifname -> {};

    void prepare(String ifname) throws Exception;
  }

  /** Adds a pod with the next free address of the node's pod CIDR (from .10 on). */
  public synchronized PodNetwork addPod(String namespace, String pod) {
    return addPod(namespace, pod, HostSideSetup.NONE);
  }

  /** {@link #addPod(String, String)}, with {@code setup} run on the host side before it comes up. */
  public synchronized PodNetwork addPod(String namespace, String pod, HostSideSetup setup) {
    for (int host = 10; host < 255; host++) {
      String ip = "10.0." + index + "." + host;
      if (pods.values().stream().noneMatch(p -> p.ip().equals(ip))) {
        return addPod(namespace, pod, ip, setup);
      }
    }
    throw new IllegalStateException("node " + name + ": pod CIDR " + podCidr() + " is full");
  }

  /**
   * Adds a pod: a namespace PREFIX + "p-" + namespace + "-" + pod (cut to fit), a veth pair with
   * {@code eth0} inside holding {@code ip}/32 and the host side {@link PodInterfaces#hostSide} in the node,
   * a /32 route to it on the node, proxy ARP for the gateway.
   */
  public synchronized PodNetwork addPod(String namespace, String pod, String ip) {
    return addPod(namespace, pod, ip, HostSideSetup.NONE);
  }

  /** {@link #addPod(String, String, String)}, with {@code setup} run on the host side before it comes up. */
  public synchronized PodNetwork addPod(String namespace, String pod, String ip, HostSideSetup setup) {
    String key = namespace + "/" + pod;
    if (pods.containsKey(key)) {
      throw new IllegalArgumentException("pod " + key + " exists on node " + name);
    }
    String podNs = podNetnsName(namespace, pod);
    String host = PodInterfaces.hostSide(namespace, pod);
    NetNs.add(podNs);
    try {
      Commands.check("ip", "-n", netns, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", podNs);
      if (setup != HostSideSetup.NONE) {
        NetNs.call(netns, () -> {
          setup.prepare(host);
          return null;
        });
      }
      Commands.check("ip", "-n", netns, "link", "set", host, "up");
      NetNs.sysctl(netns, "net.ipv4.conf." + host + ".proxy_arp", "1");
      NetNs.sysctl(netns, "net.ipv4.neigh." + host + ".proxy_delay", "0");
      Commands.check("ip", "-n", netns, "route", "add", ip + "/32", "dev", host);
      Commands.check("ip", "-n", podNs, "addr", "add", ip + "/32", "dev", "eth0");
      Commands.check("ip", "-n", podNs, "link", "set", "eth0", "up");
      Commands.check("ip", "-n", podNs, "route", "add", POD_GATEWAY, "dev", "eth0", "scope", "link");
      Commands.check("ip", "-n", podNs, "route", "add", "default", "via", POD_GATEWAY, "dev", "eth0");
    } catch (Exception e) {
      // half a pod must not stay: deleting its namespace takes the veth pair and the node's route with it
      // (the kernel tears a namespace down in the background, so the host side is deleted at once too)
      Commands.run(java.time.Duration.ofSeconds(5), List.of("ip", "-n", netns, "link", "del", host));
      NetNs.delete(podNs);
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new NetNsException("pod " + key + " on node " + name + ": preparing " + host + " failed: " + e.getMessage(), e);
    }
    PodNetwork p = new PodNetwork(this, namespace, pod, podNs, ip, host);
    pods.put(key, p);
    return p;
  }

  /** Removes the pod's namespace, and with it both ends of its veth pair and the node's route to it. */
  public synchronized void removePod(String namespace, String pod) {
    PodNetwork p = pods.remove(namespace + "/" + pod);
    if (p != null) {
      NetNs.delete(p.netns());
    }
  }

  public synchronized List<PodNetwork> pods() {
    return Collections.unmodifiableList(new ArrayList<>(pods.values()));
  }

  /** Opens a thread inside this node's namespace; the caller closes it. */
  public NetNsThread enter() {
    return NetNsThread.enter(netns);
  }

  private String podNetnsName(String namespace, String pod) {
    return podNetns(cluster.prefix(), namespace, pod);
  }

  /** The network namespace of pod {@code namespace/pod} in the lab cluster of {@code prefix}. */
  public static String podNetns(String prefix, String namespace, String pod) {
    String n = prefix + "p-" + namespace + "-" + pod;
    // namespace names are file names: keep them well under NAME_MAX, unique through the interface hash
    return n.length() <= 100 ? n : n.substring(0, 80) + "-" + PodInterfaces.hostSide(namespace, pod);
  }
}
