package io.hexgate.datapath.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A small cluster's network made of namespaces, for the lab and the datapath tests: node namespaces
 * joined by a bridge in the root namespace, each node routing its pod CIDR to its pods and the other
 * nodes' pod CIDRs to those nodes; pods as namespaces with a /32 on {@code eth0}.
 *
 * <pre>
 *  root ns:   PREFIX br0 (bridge, no address)
 *               |  PREFIX u1 ... (veth)
 *  node ns:   eth0 172.31.0.11/24, pod CIDR 10.0.1.0/24, ip_forward
 *               |  lxc… (veth, PodInterfaces.hostSide, proxy ARP)
 *  pod ns:    eth0 10.0.1.10/32, default via 169.254.1.1
 * </pre>
 *
 * Node {@code n} (1..245) has the address 172.31.0.(10+n) and the pod CIDR 10.0.n.0/24. Every namespace,
 * root-namespace link and bpffs pin directory it makes starts with the prefix, so {@link #cleanup} removes
 * what a crashed run left. The root namespace gets no address or route: two clusters with different
 * prefixes coexist.
 */
public final class ClusterNetwork implements AutoCloseable {
  /** Where the agent pins per node: {@code /sys/fs/bpf/hexgate/<node>/}. */
  public static final Path PIN_ROOT = Path.of("/sys/fs/bpf/hexgate");

  private final String prefix;
  private final String bridge;
  private final Map<String, NodeNetwork> nodes = new LinkedHashMap<>();

  private ClusterNetwork(String prefix) {
    this.prefix = prefix;
    this.bridge = prefix + "br0";
  }

  /**
   * Creates the bridge, after removing whatever an earlier run with this prefix left. The prefix must be
   * short (at most 8 characters) so link names fit IFNAMSIZ.
   */
  public static ClusterNetwork create(String prefix) {
    if (prefix.isEmpty() || prefix.length() > 8 || !prefix.matches("[a-z0-9-]+")) {
      throw new IllegalArgumentException(
          "network prefix '" + prefix + "' must be 1 to 8 characters of a-z, 0-9 and '-'");
    }
    cleanup(prefix);
    ClusterNetwork net = new ClusterNetwork(prefix);
    Commands.check("ip", "link", "add", net.bridge, "type", "bridge");
    Commands.check("ip", "link", "set", net.bridge, "up");
    return net;
  }

  public String prefix() {
    return prefix;
  }

  /** The bridge in the root namespace joining the nodes' uplinks. */
  public String bridge() {
    return bridge;
  }

  /**
   * Adds node {@code index} (1..245) in a namespace named PREFIX + {@code name}, with its uplink on the
   * bridge and routes to every other node's pod CIDR (and theirs to it).
   */
  public synchronized NodeNetwork addNode(String name, int index) {
    if (index < 1 || index > 245) {
      throw new IllegalArgumentException("node " + name + ": index " + index + " is not within 1..245");
    }
    if (nodes.containsKey(name)) {
      throw new IllegalArgumentException("node " + name + " exists");
    }
    for (NodeNetwork n : nodes.values()) {
      if (n.index() == index) {
        throw new IllegalArgumentException("node " + name + ": index " + index + " is node " + n.name() + "'s");
      }
    }
    NodeNetwork node = new NodeNetwork(this, name, prefix + name, index);
    String rootEnd = prefix + "u" + index;
    NetNs.add(node.netns());
    Commands.check("ip", "link", "add", rootEnd, "type", "veth", "peer", "name", NodeNetwork.UPLINK, "netns", node.netns());
    Commands.check("ip", "link", "set", rootEnd, "master", bridge, "up");
    String ns = node.netns();
    Commands.check("ip", "-n", ns, "addr", "add", node.nodeIp() + "/24", "dev", NodeNetwork.UPLINK);
    Commands.check("ip", "-n", ns, "link", "set", NodeNetwork.UPLINK, "up");
    NetNs.sysctl(ns, "net.ipv4.ip_forward", "1");
    NetNs.sysctl(ns, "net.ipv4.conf.all.rp_filter", "0");
    NetNs.sysctl(ns, "net.ipv4.conf.default.rp_filter", "0");
    // proxy ARP answers for the pods' gateway only when the node has a route to it, off the pod's link
    Commands.check("ip", "-n", ns, "route", "add", NodeNetwork.POD_GATEWAY + "/32", "dev", "lo");
    for (NodeNetwork other : nodes.values()) {
      Commands.check("ip", "-n", ns, "route", "add", other.podCidr(), "via", other.nodeIp());
      Commands.check("ip", "-n", other.netns(), "route", "add", node.podCidr(), "via", node.nodeIp());
    }
    nodes.put(name, node);
    return node;
  }

  public synchronized NodeNetwork node(String name) {
    NodeNetwork n = nodes.get(name);
    if (n == null) {
      throw new IllegalArgumentException("no node " + name + " in network " + prefix);
    }
    return n;
  }

  public synchronized List<NodeNetwork> nodes() {
    return Collections.unmodifiableList(new ArrayList<>(nodes.values()));
  }

  /** Deletes the namespaces and links of this network, and its pins. */
  @Override
  public void close() {
    cleanup(prefix);
  }

  /**
   * Removes every network namespace and root-namespace link whose name starts with {@code prefix}, and the
   * pin directories {@code /sys/fs/bpf/hexgate/PREFIX*}. Idempotent; safe when nothing is left.
   */
  public static void cleanup(String prefix) {
    if (prefix.isEmpty()) {
      throw new IllegalArgumentException("an empty prefix would remove everything");
    }
    NetNs.deleteAll(prefix);
    for (String link : rootLinks()) {
      if (link.startsWith(prefix)) {
        Commands.run(java.time.Duration.ofSeconds(10), List.of("ip", "link", "del", link));
      }
    }
    if (Files.isDirectory(PIN_ROOT)) {
      try (Stream<Path> dirs = Files.list(PIN_ROOT)) {
        for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith(prefix)).toList()) {
          FileTrees.delete(d);
        }
      } catch (IOException e) {
        throw new NetNsException("cannot remove pins under " + PIN_ROOT + ": " + e.getMessage(), e);
      }
    }
  }

  private static List<String> rootLinks() {
    String out = Commands.check("ip", "-o", "link", "show").stdout();
    List<String> names = new ArrayList<>();
    for (String line : out.split("\n")) {
      String[] parts = line.split(": ", 3);
      if (parts.length >= 2) {
        String name = parts[1];
        int at = name.indexOf('@');
        names.add(at >= 0 ? name.substring(0, at) : name);
      }
    }
    return names;
  }
}
