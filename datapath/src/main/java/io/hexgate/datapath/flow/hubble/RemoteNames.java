package io.hexgate.datapath.flow.hubble;

import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.v1.IpcacheEntry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The IP cache as Hubble endpoints: each host address (pods of every node, node addresses) with its pod,
 * workload and identity labels, built once per IP cache; shorter prefixes by longest match; no match is world.
 * Immutable.
 */
final class RemoteNames {
  static final RemoteNames EMPTY = new RemoteNames(Map.of(), Map.of());

  /** What the table was built from, to rebuild only when the IP cache changed. */
  private final Map<String, Long> ipcache;
  private final Map<String, IpcacheEntry> pods;
  private final Map<String, Endpoint> hosts = new HashMap<>();
  private final Map<Long, Endpoint> identities = new HashMap<>();
  /** (prefix length << 32 | network) → identity, for prefixes shorter than /32. */
  private final Map<Long, Long> prefixes = new HashMap<>();
  private final int[] lengths;

  RemoteNames(Map<String, Long> ipcache, Map<String, IpcacheEntry> pods) {
    this.ipcache = ipcache;
    this.pods = pods;
    for (long id = 0; id < ReservedIdentities.FIRST_CLUSTER_ID; id++) {
      List<String> labels = ReservedIdentities.labels(id);
      if (id == 0 || !labels.isEmpty()) {
        identities.put(id, Endpoint.newBuilder().setIdentity((int) id).addAllLabels(labels).build());
      }
    }
    for (IpcacheEntry e : pods.values()) {
      identities.computeIfAbsent(e.getIdentity(),
          id -> Endpoint.newBuilder().setIdentity((int) (long) id).addAllLabels(e.getLabelsList()).build());
    }
    TreeSet<Integer> lens = new TreeSet<>();
    ipcache.forEach((prefix, identity) -> {
      if (Ipv4.isIpv6(prefix)) {
        return;
      }
      Ipv4.Cidr cidr;
      try {
        cidr = Ipv4.parsePrefix(prefix);
      } catch (IllegalArgumentException ex) {
        return; // the datapath refuses such a revision anyway
      }
      if (cidr.prefixLength() == 32) {
        hosts.put(Ipv4.format(cidr.network()), host(prefix, identity));
      } else {
        prefixes.put(key(cidr.prefixLength(), cidr.network()), identity);
        lens.add(cidr.prefixLength());
        if (identity >= ReservedIdentities.FIRST_CLUSTER_ID) {
          // a CIDR identity: Cilium labels it with its prefix, and it is outside the cluster
          identities.putIfAbsent(identity, Endpoint.newBuilder().setIdentity((int) (long) identity)
              .addLabels("cidr:" + cidr).addLabels("reserved:world").build());
        }
      }
    });
    this.lengths = lens.descendingSet().stream().mapToInt(Integer::intValue).toArray();
  }

  private Endpoint host(String prefix, long identity) {
    IpcacheEntry pod = pods.get(prefix);
    if (pod == null) {
      Endpoint known = identities.get(identity);
      return known != null ? known : Endpoint.newBuilder().setIdentity((int) identity).build();
    }
    return Workloads.add(Endpoint.newBuilder()
        .setIdentity((int) identity)
        .setNamespace(pod.getNamespace())
        .setPodName(pod.getPodName())
        .addAllLabels(pod.getLabelsList()), pod.getWorkload())
        .build();
  }

  boolean builtFrom(Map<String, Long> cache, Map<String, IpcacheEntry> podEntries) {
    return cache == ipcache && podEntries == pods;
  }

  /** The endpoint at a host address the IP cache has, or null. */
  Endpoint host(String ip) {
    return hosts.get(ip);
  }

  /** An endpoint with only the identity and its labels; null when the IP cache does not know the identity. */
  Endpoint identity(long identity) {
    return identities.get(identity);
  }

  /** Longest-prefix match over the prefixes shorter than /32; world when none matches. */
  long identityOf(String ip) {
    if (lengths.length == 0 || Ipv4.isIpv6(ip)) {
      return ReservedIdentities.WORLD;
    }
    int addr;
    try {
      addr = Ipv4.parse(ip);
    } catch (IllegalArgumentException e) {
      return ReservedIdentities.WORLD;
    }
    for (int len : lengths) {
      Long id = prefixes.get(key(len, addr & Ipv4.mask(len)));
      if (id != null) {
        return id;
      }
    }
    return ReservedIdentities.WORLD;
  }

  private static long key(int len, int network) {
    return (long) len << 32 | (network & 0xffffffffL);
  }
}
